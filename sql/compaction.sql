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
-- Chunk headers carry series, count, time range, min, max and sum; a
-- constant chunk stores no min/max/sum and derives them from its value.
CREATE TABLE cs (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO cs SELECT format('c{v="%s"}', v)::tsdb.labels,
	'2026-01-01'::timestamptz + i * interval '15 s', v::float8
	FROM unnest(ARRAY['0.1', '-0', 'NaN', '-Infinity', '4.9e-324']) v, generate_series(1, 100) i;
-- 3000 samples: two chunks at the default tsdb.chunk_samples of 2048
INSERT INTO cs SELECT 'ramp', '2026-01-01'::timestamptz + i * interval '1 s', i * 0.5
	FROM generate_series(1, 3000) i;
INSERT INTO cs VALUES ('odd', '2026-01-01 00:00:00.000001', 1), ('odd', '2026-01-02', 'NaN'),
	('odd', '2026-01-03', -5);
SELECT tsdb.compact('cs');
SELECT s.labels, c.samples, c.min_ts, c.max_ts, c.min, c.max, c.sum, c.shared_ts, c.header_bytes
  FROM tsdb.chunks('cs') c JOIN tsdb.series('cs') s USING (series_id)
 ORDER BY c.blkno, c.chunk_offset;
-- what the samples give (float8 equality: NaN = NaN, -0 = 0)
SELECT count(*) AS chunks, count(*) FILTER (WHERE (c.samples, c.min, c.max, c.sum) <> (d.n::int, d.min, d.max, d.sum)) AS differ
  FROM tsdb.chunks('cs') c JOIN tsdb.series('cs') s USING (series_id),
       LATERAL (SELECT count(*) AS n, min(value), max(value), sum(value) FROM cs
                 WHERE series = s.labels AND ts BETWEEN c.min_ts AND c.max_ts) d;
SELECT * FROM tsdb.page_types('cs');
-- refusals
SELECT tsdb.compact('ch');
BEGIN READ ONLY;
SELECT tsdb.compact('cs');
ROLLBACK;
BEGIN READ ONLY;
SELECT * FROM tsdb.drop_before('cs', now());
ROLLBACK;
SELECT * FROM tsdb.chunks('ch');
DROP TABLE cm, ch, cs;
