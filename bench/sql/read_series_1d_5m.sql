-- read: one series over 1 day in 5-minute buckets
\set sid random(1, :nseries)
SELECT date_bin('5 min', ts, 'epoch') AS bucket, avg(value)
  FROM @TBL@
 WHERE series = (SELECT labels FROM bench_series WHERE id = :sid)
   AND ts >= to_timestamp(:t1 - 86400) AND ts < to_timestamp(:t1)
 GROUP BY 1;
