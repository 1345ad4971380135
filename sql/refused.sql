-- What an append-only table refuses, with errors that say what to do.
CREATE TABLE r (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO r VALUES ('a', '2026-01-01', 1);

UPDATE r SET value = 2;
UPDATE r SET value = 2 WHERE false;       -- refused even when nothing matches
DELETE FROM r;
DELETE FROM r WHERE false;
MERGE INTO r USING (SELECT 1) AS x ON false WHEN NOT MATCHED THEN DO NOTHING;
SELECT * FROM r FOR UPDATE;
SELECT * FROM r FOR SHARE;
SELECT * FROM r FOR KEY SHARE;
PREPARE upd AS UPDATE r SET value = 0 WHERE false;
EXECUTE upd;
-- the same through a CTE and a function
WITH d AS (DELETE FROM r RETURNING *) SELECT count(*) FROM d;
CREATE INDEX ON r (ts);
CREATE UNIQUE INDEX ON r (series, ts);
ALTER TABLE r ADD PRIMARY KEY (series, ts);
-- ON CONFLICT needs a unique index to conflict with; without one it just inserts.
INSERT INTO r VALUES ('a', '2026-01-01', 1) ON CONFLICT DO NOTHING;
SELECT count(*) FROM r TABLESAMPLE SYSTEM (50);
CLUSTER r;
-- Publications would replicate nothing: inserts are refused while published.
CREATE PUBLICATION tsdb_pub FOR TABLE r;
INSERT INTO r VALUES ('a', '2026-01-01', 1);
DROP PUBLICATION tsdb_pub;
INSERT INTO r VALUES ('a', '2026-01-01', 1);

-- Nothing was updated or deleted: the original sample and the two inserts are there.
SELECT * FROM r ORDER BY value;

-- What does work: TRUNCATE (also rolled back), DROP.
BEGIN;
TRUNCATE r;
SELECT count(*) FROM r;
ROLLBACK;
SELECT count(*) FROM r;
TRUNCATE r;
SELECT count(*) FROM r;
INSERT INTO r VALUES ('after', '2026-01-01', 1);
SELECT * FROM r;
-- TRUNCATE in the transaction that created the table (in-place truncate)
BEGIN;
CREATE TABLE r2 (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO r2 VALUES ('x', '2026-01-01', 1);
TRUNCATE r2;
INSERT INTO r2 VALUES ('y', '2026-01-01', 2);
SELECT * FROM r2;
SELECT * FROM tsdb.series('r2');
COMMIT;
SELECT * FROM r2;
-- COPY FREEZE into a table truncated in the same transaction
BEGIN;
TRUNCATE r2;
COPY r2 FROM STDIN (FREEZE);
z	2026-01-01 00:00:00+00	3
\.
COMMIT;
SELECT * FROM r2;
SELECT state FROM tsdb.head_runs('r2');
DROP TABLE r, r2;
SELECT * FROM tsdb.head_runs('pg_class');
