-- write: one sample per transaction (single-row INSERT)
\set sid random(1, :nseries)
INSERT INTO @TBL@ VALUES ((SELECT labels FROM bench_series WHERE id = :sid), now(), random());
