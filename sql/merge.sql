-- Merge policy: segments of one level that share a time window are merged
-- into one of the next level, in the transaction of the compaction that
-- triggers it; closed windows move up; results never change.
SET timezone = 'UTC';
SHOW tsdb.merge_min_segments;
SHOW tsdb.merge_base_window;
SHOW tsdb.merge_level_factor;
SHOW tsdb.chunk_samples;
SET tsdb.chunk_samples = 9000;
SET tsdb.merge_min_segments = 1;
SET tsdb.merge_level_factor = 1;

CREATE TABLE mg (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
CREATE TABLE mg_heap (series tsdb.labels, ts timestamptz, value float8);
-- n samples of two series every minute from t, into both tables
CREATE FUNCTION mg_add(t timestamptz, n int) RETURNS void LANGUAGE sql AS $$
  INSERT INTO mg_heap SELECT format('load{host="h%s"}', k), t + i * interval '1 min', i + k * 0.25
    FROM generate_series(0, n - 1) i, generate_series(1, 2) k;
  INSERT INTO mg SELECT format('load{host="h%s"}', k), t + i * interval '1 min', i + k * 0.25
    FROM generate_series(0, n - 1) i, generate_series(1, 2) k $$;
CREATE FUNCTION mg_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM (
    (SELECT series, ts, float8send(value) FROM mg EXCEPT ALL
     SELECT series, ts, float8send(value) FROM mg_heap)
    UNION ALL
    (SELECT series, ts, float8send(value) FROM mg_heap EXCEPT ALL
     SELECT series, ts, float8send(value) FROM mg)) d $$;
CREATE VIEW mg_segs AS
  SELECT segment_id, level, samples, min_ts, max_ts, state
    FROM tsdb.segments('mg') ORDER BY segment_id;

-- Windows of 1 h at level 0, 2 h at level 1, 4 h at level 2 ...; three
-- segments of a level in one window are merged.
SET tsdb.merge_base_window = '1h';
SET tsdb.merge_level_factor = 2;
SET tsdb.merge_min_segments = 3;
SELECT mg_add('2024-05-01 00:00', 20);
SELECT tsdb.compact('mg');
SELECT mg_add('2024-05-01 00:20', 20);
SELECT tsdb.compact('mg');
SELECT * FROM mg_segs;
-- the third segment of 00:00-01:00: the head samples and both segments
-- become one level-1 segment, in the compaction's own transaction
SELECT mg_add('2024-05-01 00:40', 20);
SELECT tsdb.compact('mg');
SELECT * FROM mg_segs;
SELECT count(DISTINCT x::text) AS one_transaction FROM (
  SELECT xmax AS x FROM tsdb.segments('mg') WHERE state = 'retired'
  UNION ALL SELECT xmin FROM tsdb.segments('mg') WHERE state = 'live') s;
SELECT mg_diff();
-- 01:00-01:30 opens the next level-0 window
SELECT mg_add('2024-05-01 01:00', 30);
SELECT tsdb.compact('mg');
SELECT * FROM mg_segs;
-- 02:10: the windows ending at 02:00 have closed, their segments move up
-- to level 2 (the 4-hour window) as they are, without being rewritten
SELECT mg_add('2024-05-01 02:10', 10);
SELECT tsdb.compact('mg');
SELECT * FROM mg_segs;
-- late samples of 00:30 join them there: three segments, merged to level 3
SELECT mg_add('2024-05-01 00:30', 1);
SELECT tsdb.compact('mg');
SELECT * FROM mg_segs;
SELECT mg_diff();
VACUUM mg;
SELECT * FROM mg_segs;

-- A compaction with nothing new in the head still merges: fill one window
-- with segments while merges are held back, then let them go.
SET tsdb.merge_min_segments = 16;
SELECT mg_add('2024-05-01 02:20', 5);
SELECT tsdb.compact('mg');
SELECT mg_add('2024-05-01 02:25', 5);
SELECT tsdb.compact('mg');
SELECT mg_add('2024-05-01 02:30', 5);
SELECT tsdb.compact('mg');
SELECT level, count(*) FROM mg_segs WHERE state = 'live' GROUP BY 1 ORDER BY 1;
SET tsdb.merge_min_segments = 4;
-- in a transaction that rolls back: the merge is seen inside, then undone
BEGIN;
SELECT tsdb.compact('mg');
SELECT level, count(*) FROM mg_segs WHERE state = 'live' GROUP BY 1 ORDER BY 1;
SELECT count(*), sum(value) FROM mg;
ROLLBACK;
SELECT level, state, count(*) FROM mg_segs GROUP BY 1, 2 ORDER BY 1, 2;
SELECT tsdb.compact('mg');
SELECT level, count(*) FROM mg_segs WHERE state = 'live' GROUP BY 1 ORDER BY 1;
SELECT count(*), sum(value) FROM mg;
SELECT mg_diff();
-- merge => true still merges everything into one segment
SELECT tsdb.compact('mg', merge => true);
SELECT level, samples FROM mg_segs WHERE state = 'live';
SELECT mg_diff();
RESET tsdb.merge_base_window;
RESET tsdb.merge_level_factor;
RESET tsdb.merge_min_segments;

-- Twenty days of hourly compactions with the default policy: the list
-- stays short while levels grow, and the data stays the same as heap's.
TRUNCATE mg, mg_heap;
CREATE TABLE mg_log (step int, live int, levels int[]);
CREATE PROCEDURE mg_run(steps int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 0 .. steps - 1 LOOP
    PERFORM mg_add('2024-03-01'::timestamptz + i * interval '1 hour', 60);
    PERFORM tsdb.compact('mg');
    INSERT INTO mg_log SELECT i, count(*), array_agg(level ORDER BY level)
      FROM tsdb.segments('mg') WHERE state = 'live';
    COMMIT;
  END LOOP;
END $$;
CALL mg_run(480);
SELECT max(live) AS most_live_segments, max(levels[array_length(levels, 1)]) AS top_level FROM mg_log;
SELECT * FROM mg_log WHERE step % 48 = 47 ORDER BY step;
SELECT count(*) AS entries FROM tsdb.segments('mg');
SELECT count(*), sum(value), min(ts), max(ts) FROM mg;
SELECT mg_diff();

DROP PROCEDURE mg_run;
DROP VIEW mg_segs;
DROP TABLE mg, mg_heap, mg_log;
DROP FUNCTION mg_add(timestamptz, int), mg_diff();
