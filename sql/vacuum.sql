-- VACUUM freezes old runs and advances relfrozenxid; ANALYZE estimates rows.
CREATE TABLE vf (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO vf SELECT 'm{i="' || (i % 10) || '"}', '2026-01-01'::timestamptz + i * interval '1 s', i
  FROM generate_series(1, 3000) i;
-- every insert of this file is written at once (no insert buffer), so
-- aborted runs reach head pages for VACUUM to find
SET tsdb.insert_batch_samples = 0;
BEGIN;
INSERT INTO vf VALUES ('aborted', '2026-01-01', 1);
ROLLBACK;
SELECT age(relfrozenxid) > 0 AS has_unfrozen FROM pg_class WHERE relname = 'vf';
SELECT state, count(*) AS runs, sum(nsamples) AS samples FROM tsdb.head_runs('vf') GROUP BY 1 ORDER BY 1;
VACUUM (FREEZE) vf;
SELECT state, count(*) AS runs, sum(nsamples) AS samples FROM tsdb.head_runs('vf') GROUP BY 1 ORDER BY 1;
-- every run is frozen or dead, so relfrozenxid moved past all their xmins
SELECT relfrozenxid::text::bigint > (SELECT max(xmin::text::bigint) FROM tsdb.head_runs('vf')) AS advanced
  FROM pg_class WHERE relname = 'vf';
SELECT count(*), sum(value) FROM vf;
-- a plain VACUUM leaves recent runs unfrozen, and reports stats
INSERT INTO vf VALUES ('late', '2026-01-01', 1);
VACUUM vf;
SELECT state, count(*) AS runs FROM tsdb.head_runs('vf') GROUP BY 1 ORDER BY 1;
SELECT pg_stat_force_next_flush();
-- inserts are counted for autovacuum's insert threshold (aborted ones too, as heap does)
SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'vf';
ANALYZE vf;
SELECT reltuples, relpages > 0 AS has_pages FROM pg_class WHERE relname = 'vf';
-- VACUUM FULL rewrites: aborted runs go, samples and series ids stay.
BEGIN;
INSERT INTO vf VALUES ('aborted2', '2026-01-01', 1);
ROLLBACK;
CREATE TABLE vf_before AS SELECT * FROM vf;
SELECT count(*) AS runs_before FROM tsdb.head_runs('vf');
VACUUM FULL vf;
SELECT state, count(*) AS runs FROM tsdb.head_runs('vf') GROUP BY 1 ORDER BY 1;
(SELECT * FROM vf EXCEPT ALL SELECT * FROM vf_before)
UNION ALL (SELECT * FROM vf_before EXCEPT ALL SELECT * FROM vf);
SELECT * FROM tsdb.series('vf') ORDER BY series_id LIMIT 3;
INSERT INTO vf VALUES ('after_full', '2026-01-01', 1);
SELECT count(*) FROM vf;
DROP TABLE vf_before;
-- VACUUM and ANALYZE of a whole database include tsdb tables
VACUUM;
ANALYZE;
DROP TABLE vf;
