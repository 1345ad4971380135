-- Compaction: committed head samples move into a compressed segment; every
-- snapshot sees each sample exactly once.
CREATE TABLE cm (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
CREATE TABLE ch (series tsdb.labels, ts timestamptz, value float8);
INSERT INTO cm SELECT format('{__name__="m%s", host="h%s"}', i % 7, i % 3)::tsdb.labels,
	'2026-01-01'::timestamptz + (i / 21) * interval '10 s', i * 0.25
	FROM generate_series(1, 5000) i;
INSERT INTO cm VALUES ('{__name__="x"}', '2026-01-01', 'NaN'), ('{__name__="x"}', '2026-01-01', '-0'),
	('{__name__="x"}', '2025-01-01', 'Infinity'), ('{__name__="x"}', '2025-01-01', '-Infinity'),
	('{__name__="x"}', '2025-01-01', tsdb.staleness_marker());
INSERT INTO ch SELECT * FROM cm;
-- an aborted insert is left out of the segment
BEGIN; INSERT INTO cm VALUES ('{__name__="gone"}', '2026-01-01', 1); ROLLBACK;
SELECT tsdb.compact('cm');
SELECT segment_id, pages, series, samples, level, xmax IS NULL AS live FROM tsdb.segments('cm');
SELECT * FROM tsdb.page_types('cm');
-- bit for bit the same rows as heap
SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM cm
	EXCEPT ALL SELECT series, ts, float8send(value) FROM ch) a;
SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM ch
	EXCEPT ALL SELECT series, ts, float8send(value) FROM cm) a;
SELECT count(*) FILTER (WHERE tsdb.is_staleness_marker(value)) AS stale,
	count(*) FILTER (WHERE value::text = 'NaN') AS nan,
	count(*) FILTER (WHERE float8send(value) = float8send('-0')) AS minus_zero FROM cm;
-- nothing left to move
SELECT tsdb.compact('cm');
-- a compaction that rolls back changes nothing
INSERT INTO cm VALUES ('{__name__="late"}', '2020-01-01', 42);
BEGIN;
SELECT tsdb.compact('cm');
SELECT count(*) FROM cm;
SELECT tsdb.compact('cm');
ROLLBACK;
SELECT count(*), sum(value) FILTER (WHERE series = '{__name__="late"}') FROM cm;
SELECT count(*) FROM tsdb.segments('cm');
-- rows inserted by the compacting transaction itself stay in the head
BEGIN;
INSERT INTO cm VALUES ('{__name__="own"}', '2020-01-01', 7);
SELECT tsdb.compact('cm');
SELECT count(*) FROM cm;
COMMIT;
SELECT count(*) FROM cm;
-- merge: every live segment and the head into one
SELECT tsdb.compact('cm', merge => true);
SELECT segment_id, samples, level, xmax IS NULL AS live FROM tsdb.segments('cm') ORDER BY 1;
SELECT count(*) FROM cm;
VACUUM cm;
SELECT segment_id, samples, level FROM tsdb.segments('cm') ORDER BY 1;
ANALYZE cm;
SELECT reltuples FROM pg_class WHERE relname = 'cm';
-- VACUUM FULL keeps every sample
VACUUM FULL cm;
SELECT count(*) FROM cm;
-- refusals
SELECT tsdb.compact('ch');
DROP TABLE cm, ch;
