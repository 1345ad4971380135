-- The block cache of decoded chunks: a second scan is served from it with
-- the same rows; merges keep nothing; chunks of an aborted compaction whose
-- pages the next compaction rewrites are noticed and never served stale.
-- The session counters are exact: only this session reads these tables.
SET timezone = 'UTC';
CREATE TABLE bc (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
CREATE TABLE bc_heap (series tsdb.labels, ts timestamptz, value float8);
CREATE FUNCTION bc_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM (
    (SELECT series, ts, float8send(value) FROM bc EXCEPT ALL
     SELECT series, ts, float8send(value) FROM bc_heap)
    UNION ALL
    (SELECT series, ts, float8send(value) FROM bc_heap EXCEPT ALL
     SELECT series, ts, float8send(value) FROM bc)) d $$;

INSERT INTO bc_heap SELECT 's{i="' || i % 20 || '"}', '2026-01-01'::timestamptz + (i / 20) * interval '10 s',
       (i % 97) * 0.25 FROM generate_series(1, 60000) i;
INSERT INTO bc SELECT * FROM bc_heap;
SELECT tsdb.compact('bc');
SELECT count(*) AS chunks FROM tsdb.chunks('bc') \gset

-- the first scan misses every chunk and keeps it, the second hits them all
SELECT tsdb.block_cache_reset();
SELECT count(*), sum(value) FROM bc;
SELECT session_hits = 0 AS no_hits, session_misses = :chunks AS all_missed,
       entries = :chunks AS kept, inserts = :chunks AS inserted
  FROM tsdb.block_cache_stats();
SELECT count(*), sum(value) FROM bc;
SELECT session_hits = :chunks AS all_hit, session_misses = :chunks AS no_new_misses
  FROM tsdb.block_cache_stats();
SELECT bc_diff();
SELECT session_hits = 3 * :chunks AS all_hit FROM tsdb.block_cache_stats();

-- the stats' shape
SELECT size_bytes = pg_size_bytes(current_setting('tsdb.block_cache_size')) AS sized,
       used_bytes > 0 AND used_bytes <= size_bytes AS used,
       protected_bytes <= used_bytes AS protected,
       evictions = 0 AS no_evictions,
       hit_rate > 0 AND hit_rate < 1 AS hit_rate
  FROM tsdb.block_cache_stats();

-- a merge reads the old segment through the cache, keeping nothing
INSERT INTO bc_heap SELECT 's{i="' || i % 20 || '"}', '2026-01-02'::timestamptz + (i / 20) * interval '10 s',
       i * 1.5 FROM generate_series(1, 20000) i;
INSERT INTO bc SELECT * FROM bc_heap WHERE ts >= '2026-01-02';
SELECT tsdb.block_cache_reset();
SELECT tsdb.compact('bc', merge => true);
SELECT session_misses = :chunks AS merge_looked_up, inserts AS merge_inserts
  FROM tsdb.block_cache_stats();
SELECT bc_diff();

-- An aborted compaction, read in its own transaction so the cache holds
-- its chunks; VACUUM recycles its pages and the next compaction, of more
-- samples, writes other chunks at some of the same blocks and offsets.
TRUNCATE bc, bc_heap;
INSERT INTO bc_heap SELECT 's{i="' || i % 20 || '"}', '2026-01-01'::timestamptz + (i / 20) * interval '10 s',
       (i % 89) * 0.5 FROM generate_series(1, 60000) i;
INSERT INTO bc SELECT * FROM bc_heap;
SELECT tsdb.block_cache_reset();
BEGIN;
SELECT tsdb.compact('bc');
SELECT count(*), sum(value) FROM bc;
ROLLBACK;
VACUUM bc;
INSERT INTO bc_heap SELECT 's{i="' || i % 20 || '"}', '2025-12-31'::timestamptz + (i / 20) * interval '10 s',
       -i FROM generate_series(1, 200) i;
INSERT INTO bc SELECT * FROM bc_heap WHERE ts < '2026-01-01';
SELECT tsdb.compact('bc');
SELECT count(*), sum(value) FROM bc;
SELECT stale > 0 AS stale_seen FROM tsdb.block_cache_stats();
SELECT bc_diff();

-- resetting is for superusers; the stats are for everyone
CREATE ROLE bc_user;
GRANT USAGE ON SCHEMA tsdb TO bc_user;
SET ROLE bc_user;
SELECT tsdb.block_cache_reset();
SELECT hits >= 0 AS readable FROM tsdb.block_cache_stats();
RESET ROLE;
REVOKE USAGE ON SCHEMA tsdb FROM bc_user;
DROP ROLE bc_user;
DROP TABLE bc, bc_heap;
DROP FUNCTION bc_diff();
