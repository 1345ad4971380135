-- Transactions: rollback, savepoints, command visibility, snapshots.
CREATE TABLE v (series tsdb.labels, ts timestamptz, value float8) USING tsdb;

BEGIN;
INSERT INTO v VALUES ('a', '2026-01-01', 1);
SELECT count(*) FROM v;   -- own insert visible
ROLLBACK;
SELECT count(*) FROM v;   -- rolled back: never visible

BEGIN;
INSERT INTO v VALUES ('a', '2026-01-01', 1);
SAVEPOINT s1;
INSERT INTO v VALUES ('a', '2026-01-01', 2);
SAVEPOINT s2;
INSERT INTO v VALUES ('a', '2026-01-01', 3);
ROLLBACK TO s2;
INSERT INTO v VALUES ('a', '2026-01-01', 4);
RELEASE s1;
SAVEPOINT s3;
INSERT INTO v VALUES ('a', '2026-01-01', 5);
ROLLBACK TO s3;
SELECT value FROM v ORDER BY value;
COMMIT;
SELECT value FROM v ORDER BY value;

-- A failed statement inside a savepoint leaves nothing behind.
BEGIN;
SAVEPOINT s;
INSERT INTO v SELECT 'b', '2026-01-01', i / (i - 150) FROM generate_series(1, 200) i;
ROLLBACK TO s;
SELECT count(*) FROM v WHERE series = 'b';
COMMIT;

-- A command does not see its own inserts (no Halloween problem).
INSERT INTO v SELECT series, ts, value + 10 FROM v;
SELECT value FROM v ORDER BY value;

-- A cursor keeps its snapshot while the transaction goes on inserting.
BEGIN;
DECLARE c CURSOR FOR SELECT value FROM v ORDER BY value;
INSERT INTO v VALUES ('a', '2026-01-01', 100);
FETCH ALL FROM c;
SELECT count(*) FROM v;
COMMIT;

-- Aborted runs show up as such and are marked dead by VACUUM.  Written at
-- once (no insert buffer), so the aborted sample reaches a head page.
SET tsdb.insert_batch_samples = 0;
BEGIN;
INSERT INTO v VALUES ('c', '2026-01-01', 1);
ROLLBACK;
RESET tsdb.insert_batch_samples;
SELECT state, sum(nsamples) FROM tsdb.head_runs('v') GROUP BY state ORDER BY state;
VACUUM v;
SELECT state, sum(nsamples) FROM tsdb.head_runs('v') GROUP BY state ORDER BY state;
SELECT count(*) FROM v;

-- Two-phase commit.
BEGIN;
INSERT INTO v VALUES ('p', '2026-01-01', 1);
PREPARE TRANSACTION 'tsdb_p1';
SELECT count(*) FROM v WHERE series = 'p';
COMMIT PREPARED 'tsdb_p1';
SELECT count(*) FROM v WHERE series = 'p';
BEGIN;
INSERT INTO v VALUES ('p', '2026-01-01', 2);
PREPARE TRANSACTION 'tsdb_p2';
ROLLBACK PREPARED 'tsdb_p2';
SELECT count(*) FROM v WHERE series = 'p';

-- SERIALIZABLE and REPEATABLE READ read a stable snapshot.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM v;
INSERT INTO v VALUES ('rr', '2026-01-01', 1);
SELECT count(*) FROM v;
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM v;
INSERT INTO v VALUES ('ser', '2026-01-01', 1);
COMMIT;
SELECT count(*) FROM v;

DROP TABLE v;
