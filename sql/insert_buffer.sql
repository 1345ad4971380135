-- The insert buffer: a transaction's single-row INSERTs are written to head
-- pages, and WAL-logged, in batches (insert_buffer.c).
SHOW tsdb.insert_batch_samples;
CREATE EXTENSION IF NOT EXISTS pg_walinspect;
CREATE TABLE ib (series tsdb.labels, ts timestamptz, value float8) USING tsdb;

-- A transaction reads its own buffered writes, through every read path.
BEGIN;
INSERT INTO ib VALUES ('a{x="1"}', '2026-01-01 00:00:00+00', 1);
INSERT INTO ib VALUES ('a{x="1"}', '2026-01-01 00:00:10+00', 2);
SELECT count(*), sum(value) FROM ib;
INSERT INTO ib VALUES ('a{x="1"}', '2026-01-01 00:00:20+00', 3);
SELECT ts, value FROM ib WHERE series = 'a{x="1"}' AND ts >= '2025-12-31' ORDER BY ts DESC LIMIT 1;
INSERT INTO ib VALUES ('b{x="2"}', '2026-01-01 00:00:20+00', 4);
SELECT series, value FROM ib WHERE series @@ '{x="2"}';
INSERT INTO ib VALUES ('b{x="2"}', '2026-01-01 00:00:30+00', 5);
SELECT head_samples FROM tsdb.stats('ib');
COMMIT;
SELECT count(*), sum(value) FROM ib;

-- INSERT ... SELECT from the same table does not see its own rows.
INSERT INTO ib SELECT series, ts + interval '1 day', value FROM ib;
SELECT count(*), sum(value) FROM ib;

-- A cursor declared before an INSERT does not see it, although its scan
-- begins (and flushes the buffer) only at the first FETCH.
BEGIN;
DECLARE c CURSOR FOR SELECT value FROM ib ORDER BY value;
INSERT INTO ib VALUES ('a{x="1"}', '2026-01-03', 100);
FETCH ALL FROM c;
SELECT count(*) FROM ib;
COMMIT;

-- The same when the buffer is flushed at its threshold while the cursor
-- waits: the cursor sees the sample inserted before it, not the one after.
CREATE TABLE ibc (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
SET tsdb.insert_batch_samples = 2;
BEGIN;
INSERT INTO ibc VALUES ('a', '2026-01-01', 1);
DECLARE c CURSOR FOR SELECT value FROM ibc;
INSERT INTO ibc VALUES ('a', '2026-01-01', 2);
FETCH ALL FROM c;
COMMIT;
RESET tsdb.insert_batch_samples;
DROP TABLE ibc;

-- Savepoints: rolled-back levels lose their samples, released ones keep them.
BEGIN;
INSERT INTO ib VALUES ('s', '2026-01-01', 10);
SAVEPOINT s1;
INSERT INTO ib VALUES ('s', '2026-01-01', 11);
SAVEPOINT s2;
INSERT INTO ib VALUES ('s', '2026-01-01', 12);
ROLLBACK TO s2;
INSERT INTO ib VALUES ('s', '2026-01-01', 13);
RELEASE s1;
SAVEPOINT s3;
INSERT INTO ib VALUES ('s', '2026-01-01', 14);
ROLLBACK TO s3;
INSERT INTO ib VALUES ('s', '2026-01-01', 15);
COMMIT;
SELECT value FROM ib WHERE series = 's' ORDER BY value;

-- Samples flushed by a read inside a savepoint that then rolls back.
BEGIN;
SAVEPOINT s;
INSERT INTO ib VALUES ('t', '2026-01-01', 20);
SELECT count(*) FROM ib WHERE series = 't';
INSERT INTO ib VALUES ('t', '2026-01-01', 21);
ROLLBACK TO s;
SELECT count(*) FROM ib WHERE series = 't';
COMMIT;
SELECT count(*) FROM ib WHERE series = 't';

-- The parent's samples flushed inside a child that aborts stay the parent's.
BEGIN;
INSERT INTO ib VALUES ('u', '2026-01-01', 30);
SAVEPOINT s;
SELECT count(*) FROM ib WHERE series = 'u';
INSERT INTO ib VALUES ('u', '2026-01-01', 31);
ROLLBACK TO s;
COMMIT;
SELECT value FROM ib WHERE series = 'u';

-- An error aborts the transaction and its buffered samples.
BEGIN;
INSERT INTO ib VALUES ('v', '2026-01-01', 40);
INSERT INTO ib VALUES (NULL, '2026-01-01', 41);
COMMIT;
SELECT count(*) FROM ib WHERE series = 'v';

-- TRUNCATE in a savepoint that rolls back gives the earlier samples back.
BEGIN;
INSERT INTO ib VALUES ('w', '2026-01-01', 50);
SAVEPOINT s;
TRUNCATE ib;
SELECT count(*) FROM ib;
INSERT INTO ib VALUES ('w', '2026-01-01', 51);
ROLLBACK TO s;
SELECT value FROM ib WHERE series = 'w';
COMMIT;
SELECT value FROM ib WHERE series = 'w';

-- DROP TABLE in a savepoint that rolls back: the samples are written at commit.
BEGIN;
INSERT INTO ib VALUES ('x', '2026-01-01', 70);
SAVEPOINT s;
DROP TABLE ib;
ROLLBACK TO s;
COMMIT;
SELECT value FROM ib WHERE series = 'x';

-- TRUNCATE, then more inserts, in one transaction.
CREATE TABLE ib2 (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO ib2 VALUES ('a', '2026-01-01', 1);
BEGIN;
INSERT INTO ib2 VALUES ('a', '2026-01-01', 2);
TRUNCATE ib2;
INSERT INTO ib2 VALUES ('a', '2026-01-01', 3);
COMMIT;
SELECT value FROM ib2;

-- A table created, filled, truncated and filled again in one transaction;
-- and one created, filled and dropped.
BEGIN;
CREATE TABLE ib3 (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO ib3 VALUES ('a', '2026-01-01', 1);
TRUNCATE ib3;
INSERT INTO ib3 VALUES ('a', '2026-01-01', 2);
CREATE TABLE ib4 (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO ib4 VALUES ('a', '2026-01-01', 1);
DROP TABLE ib4;
COMMIT;
SELECT value FROM ib3;

-- Two-phase commit writes the samples at PREPARE.
BEGIN;
INSERT INTO ib VALUES ('y', '2026-01-01', 80);
PREPARE TRANSACTION 'tsdb_ib';
SELECT count(*) FROM ib WHERE series = 'y';
COMMIT PREPARED 'tsdb_ib';
SELECT count(*) FROM ib WHERE series = 'y';

-- A buffered row has no tuple id yet; with the buffer off it has one.
BEGIN;
INSERT INTO ib3 VALUES ('b', '2026-01-01', 1) RETURNING ctid, value;
SET LOCAL tsdb.insert_batch_samples = 0;
INSERT INTO ib3 VALUES ('b', '2026-01-01', 2) RETURNING ctid IS NOT NULL AND ctid <> '(4294967295,0)' AS has_tid, value;
COMMIT;
SELECT value FROM ib3 ORDER BY value;

-- AFTER ROW triggers need the tuple id: such a table is written at once.
CREATE FUNCTION ib_trig() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'inserted % %', NEW.series, NEW.value; RETURN NULL; END $$;
CREATE TRIGGER ib_after AFTER INSERT ON ib3 FOR EACH ROW EXECUTE FUNCTION ib_trig();
BEGIN;
INSERT INTO ib3 VALUES ('c', '2026-01-01', 1);
INSERT INTO ib3 VALUES ('c', '2026-01-01', 2);
COMMIT;
DROP TRIGGER ib_after ON ib3;

-- WAL: 1000 single-row INSERTs (one series) in one transaction are a few
-- HEAD_APPEND records (one per head page), not 1000, written at commit as
-- one run per page.
CREATE TABLE ibw (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
CREATE FUNCTION ib_load(tab regclass, n int, v float8) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..n LOOP
    EXECUTE format('INSERT INTO %s VALUES (%L, %L, %s)', tab, 'w{k="1"}',
                   '2026-01-01'::timestamptz + i * interval '10 s', v + i);
  END LOOP;
END $$;
INSERT INTO ibw VALUES ('w{k="1"}', '2025-12-31', 0);
CREATE TEMP TABLE lsn (what text, l pg_lsn);
CREATE FUNCTION ib_appends(since text, nsamples int,
                           OUT records bigint, OUT bytes_per_sample numeric)
LANGUAGE sql AS $$
  SELECT count(*), round(sum(record_length - fpi_length)::numeric / nsamples, 1)
    FROM pg_get_wal_records_info((SELECT l FROM lsn WHERE what = since),
                                 pg_current_wal_insert_lsn())
   WHERE resource_manager = 'tsdb' AND record_type = 'HEAD_APPEND' $$;
INSERT INTO lsn SELECT 'buffered', pg_current_wal_insert_lsn();
SELECT ib_load('ibw', 1000, 0);
-- (bytes without full-page images: the page's 20-byte samples travel
-- packed, 1 byte of series step, 4 of time step, 2-4 of value XOR)
SELECT records, bytes_per_sample BETWEEN 6 AND 10 AS packed FROM ib_appends('buffered', 1000);
SELECT count(*) AS runs, sum(nsamples) FROM tsdb.head_runs('ibw') WHERE nsamples > 1;
-- the same without the buffer: a record per row
SET tsdb.insert_batch_samples = 0;
INSERT INTO lsn SELECT 'direct', pg_current_wal_insert_lsn();
SELECT ib_load('ibw', 1000, 1000);
SELECT records, bytes_per_sample > 80 AS over_80_bytes FROM ib_appends('direct', 1000);
-- a threshold of 10: 25 rows are written at 10 and 20 (a run per command:
-- a cursor may still be open) and at commit
SET tsdb.insert_batch_samples = 10;
INSERT INTO lsn SELECT 'threshold', pg_current_wal_insert_lsn();
SELECT ib_load('ibw', 25, 2000);
SELECT records FROM ib_appends('threshold', 25);
RESET tsdb.insert_batch_samples;
SELECT count(*), sum(value) FROM ibw;


-- tsdb.async_commit: a transaction that writes a tsdb table commits with
-- synchronous_commit = off, set as by SET LOCAL at its first write.
CREATE TABLE ib_heap (series tsdb.labels, ts timestamptz, value float8);
SET tsdb.async_commit = on;
BEGIN;
SHOW synchronous_commit;
INSERT INTO ib_heap VALUES ('h{k="1"}', '2026-01-05', 1);
SHOW synchronous_commit;
INSERT INTO ibw VALUES ('w{k="1"}', '2026-01-05', 1);
SHOW synchronous_commit;
COMMIT;
SHOW synchronous_commit;
-- COPY too; and a write rolled back with its savepoint takes it back
BEGIN;
SAVEPOINT s;
COPY ibw FROM STDIN;
w{k="1"}	2026-01-06 00:00:00+00	2
\.
SHOW synchronous_commit;
ROLLBACK TO s;
SHOW synchronous_commit;
COMMIT;
SET tsdb.async_commit = off;
BEGIN;
INSERT INTO ibw VALUES ('w{k="1"}', '2026-01-07', 3);
SHOW synchronous_commit;
COMMIT;
RESET tsdb.async_commit;
SELECT count(*) FROM ibw WHERE ts >= '2026-01-05';

DROP TABLE ib, ib2, ib3, ibw, ib_heap;
DROP FUNCTION ib_trig(), ib_load(regclass, int, float8), ib_appends(text, int);
