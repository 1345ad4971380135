-- read: the latest sample of each series of one host
\set h random(0, :nhosts - 1)
SELECT DISTINCT ON (series) series, ts, value
  FROM @TBL@
 WHERE series @@ ('{instance="host-' || lpad(:h::text, 4, '0') || ':9100"}')
 ORDER BY series, ts DESC;
