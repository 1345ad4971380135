-- read: max per metric over 1 h across all series
\set t random(:t0, :t1 - 3600)
SELECT series -> '__name__' AS metric, max(value)
  FROM @TBL@
 WHERE ts >= to_timestamp(:t) AND ts < to_timestamp(:t + 3600)
 GROUP BY 1;
