-- Round trips through INSERT, multi-row INSERT, INSERT ... SELECT and COPY.
CREATE TABLE s (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;

INSERT INTO s VALUES ('cpu{host="a"}', '2026-01-01 00:00:00+00', 1.5);
INSERT INTO s VALUES ('cpu{host="a"}', '2026-01-01 00:00:01.000001+00', 2.25),
                     ('cpu{host="b"}', '2026-01-01 00:00:01.999999+00', -0.0),
                     ('mem{host="a"}', '2026-01-01 00:00:02+00', 1e308);
-- out of order and duplicate samples are kept as inserted
INSERT INTO s VALUES ('cpu{host="a"}', '2025-12-31 23:59:59+00', 0.5),
                     ('cpu{host="a"}', '2026-01-01 00:00:00+00', 1.5);
SELECT series, ts, value FROM s ORDER BY series, ts, value;

-- NaN and infinities round-trip bit for bit (also the Prometheus staleness NaN).
INSERT INTO s VALUES ('f{k="nan"}', '2026-01-01 00:00:00+00', 'NaN'),
                     ('f{k="pinf"}', '2026-01-01 00:00:00+00', 'Infinity'),
                     ('f{k="ninf"}', '2026-01-01 00:00:00+00', '-Infinity'),
                     ('f{k="negzero"}', '2026-01-01 00:00:00+00', '-0'),
                     ('f{k="tiny"}', '2026-01-01 00:00:00+00', 4.9e-324),
                     ('f{k="stale"}', '2026-01-01 00:00:00+00', tsdb.staleness_marker());
SELECT series, value, float8send(value), tsdb.is_staleness_marker(value)
  FROM s WHERE series -> '__name__' = 'f' ORDER BY series;

-- INSERT ... SELECT, including from itself (sees only rows from before the command).
INSERT INTO s SELECT 'gen{i="' || (i % 7) || '"}', '2026-01-02'::timestamptz + i * interval '1 ms', i
  FROM generate_series(1, 5000) i;
INSERT INTO s SELECT series, ts + interval '1 day', value * 2 FROM s WHERE series -> '__name__' = 'gen';
SELECT count(*), sum(value), min(ts), max(ts) FROM s WHERE series -> '__name__' = 'gen';
SELECT series, count(*) FROM s WHERE series -> '__name__' = 'gen' GROUP BY 1 ORDER BY 1;

-- COPY in and out.
CREATE TABLE s_heap AS SELECT * FROM s;
COPY s TO '/dev/null';
CREATE TABLE s2 (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
COPY s2 FROM STDIN;
cpu{host="c"}	2026-01-03 00:00:00+00	1
cpu{host="c"}	2026-01-03 00:00:05+00	2
cpu{host="d"}	2026-01-03 00:00:00.5+00	NaN
\.
SELECT * FROM s2 ORDER BY series, ts;
INSERT INTO s2 SELECT * FROM s;
SELECT count(*) FROM s2;
-- Same rows as a heap copy, compared both ways.
(SELECT * FROM s EXCEPT ALL SELECT * FROM s_heap)
UNION ALL
(SELECT * FROM s_heap EXCEPT ALL SELECT * FROM s);

-- NULLs are refused, naming the column.
INSERT INTO s2 VALUES (NULL, now(), 1);
INSERT INTO s2 VALUES ('x', NULL, 1);
INSERT INTO s2 VALUES ('x', now(), NULL);
COPY s2 FROM STDIN;
x	2026-01-03 00:00:00+00	\N
\.
SELECT count(*) FROM s2;

-- Tuple ids, RETURNING and fetch by ctid.  A buffered INSERT has no tuple
-- id yet (insert_buffer.sql), so these rows are written at once.
SET tsdb.insert_batch_samples = 0;
CREATE TABLE s3 (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO s3 VALUES ('a', '2026-01-01', 1), ('b', '2026-01-01', 2) RETURNING ctid, *;
SELECT * FROM s3 WHERE ctid = '(4,2)';
SELECT * FROM s3 WHERE ctid = '(4,3)';
SELECT * FROM s3 WHERE ctid = '(999,1)';
RESET tsdb.insert_batch_samples;

-- AFTER ROW triggers fetch the inserted sample back by tuple id (so such
-- a table's inserts are not buffered).
CREATE FUNCTION s3_trig() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'inserted % % %', NEW.series, NEW.ts, NEW.value; RETURN NULL; END $$;
CREATE TRIGGER s3_after AFTER INSERT ON s3 FOR EACH ROW EXECUTE FUNCTION s3_trig();
INSERT INTO s3 VALUES ('c', '2026-01-01', 3);
DROP TRIGGER s3_after ON s3;

-- Scans in both directions (scrollable cursors).
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT series, value FROM s3;
FETCH ALL FROM c;
FETCH BACKWARD ALL FROM c;
FETCH FORWARD 1 FROM c;
COMMIT;

-- Series dictionary.
SELECT * FROM tsdb.series('s3') ORDER BY series_id;

-- EXPLAIN and ANALYZE.
ANALYZE s;
SELECT reltuples FROM pg_class WHERE relname = 's';
EXPLAIN (COSTS OFF) SELECT * FROM s WHERE series = 'cpu{host="a"}';
EXPLAIN (COSTS OFF, ANALYZE, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM s;

DROP TABLE s_heap, s2, s3;
DROP FUNCTION s3_trig();
