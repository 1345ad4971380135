-- read: one series over a 1 h window
\set sid random(1, :nseries)
\set t random(:t0, :t1 - 3600)
SELECT ts, value FROM @TBL@
 WHERE series = (SELECT labels FROM bench_series WHERE id = :sid)
   AND ts >= to_timestamp(:t) AND ts < to_timestamp(:t + 3600);
