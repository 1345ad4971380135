-- Page recycling: VACUUM puts pages no snapshot needs on the free list,
-- new head and segment pages come off it, free pages at the end are
-- truncated, and VACUUM FULL keeps segments as segments.
SET timezone = 'UTC';
CREATE TABLE rc (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
CREATE TABLE rc_heap (series tsdb.labels, ts timestamptz, value float8);
CREATE FUNCTION rc_pages() RETURNS bigint LANGUAGE sql
  AS $$ SELECT pg_relation_size('rc') / current_setting('block_size')::int $$;
CREATE FUNCTION rc_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM (
    (SELECT series, ts, float8send(value) FROM rc EXCEPT ALL
     SELECT series, ts, float8send(value) FROM rc_heap)
    UNION ALL
    (SELECT series, ts, float8send(value) FROM rc_heap EXCEPT ALL
     SELECT series, ts, float8send(value) FROM rc)) d $$;

INSERT INTO rc_heap SELECT 's{i="' || i % 20 || '"}', '2026-01-01'::timestamptz + (i / 20) * interval '10 s',
       (i % 97) * 0.5 FROM generate_series(1, 40000) i;
INSERT INTO rc SELECT * FROM rc_heap;
SELECT rc_pages() AS head_pages \gset
SELECT tsdb.compact('rc');
-- the consumed head pages are all recycled: the segment lies after them
VACUUM rc;
SELECT rc_pages() = :head_pages + (SELECT sum(pages) FROM tsdb.segments('rc')) AS nothing_truncated;
SELECT rc_diff();
-- the same amount again fits in recycled pages: the file does not grow
INSERT INTO rc_heap SELECT 's{i="' || i % 20 || '"}', '2026-01-02'::timestamptz + (i / 20) * interval '10 s',
       i FROM generate_series(1, 40000) i;
INSERT INTO rc SELECT * FROM rc_heap WHERE ts >= '2026-01-02';
SELECT rc_pages() = :head_pages + (SELECT sum(pages) FROM tsdb.segments('rc')) AS reused;
SELECT rc_diff();
-- compact it (its segment goes to the end: no page is free), then merge
-- both segments into free pages at the start: the old segments and the
-- head are freed, and the free tail is cut off
SELECT tsdb.compact('rc');
VACUUM rc;
SELECT tsdb.compact('rc', merge => true);
SELECT segment_id, level, samples, xmax IS NULL AS live FROM tsdb.segments('rc') ORDER BY 1;
VACUUM rc;
SELECT segment_id, level, samples, first_block < :head_pages AS low FROM tsdb.segments('rc') ORDER BY 1;
SELECT rc_pages() < :head_pages AS truncated;
SELECT rc_diff();
-- a merge in an explicit transaction, then VACUUM drops the old entries
INSERT INTO rc VALUES ('late', '2025-12-31', 1);
INSERT INTO rc_heap VALUES ('late', '2025-12-31', 1);
BEGIN;
SELECT tsdb.compact('rc', merge => true);
SELECT count(*), sum(value) FROM rc;
COMMIT;
SELECT count(*) FROM tsdb.segments('rc');
VACUUM rc;
SELECT count(*) FROM tsdb.segments('rc');
SELECT rc_diff();
-- VACUUM FULL copies the segment page by page and leaves no head pages
VACUUM FULL rc;
SELECT segment_id, level, samples, frozen, first_block FROM tsdb.segments('rc') ORDER BY 1;
SELECT count(*) FROM tsdb.head_runs('rc');
SELECT rc_pages() <= 3 + (SELECT sum(pages) FROM tsdb.segments('rc')) AS compact_file;
SELECT rc_diff();
DROP TABLE rc, rc_heap;
DROP FUNCTION rc_pages(), rc_diff();
