-- Back-pressure: an insert that finds the head above tsdb.head_max_pages
-- compacts the table itself, in its own transaction.
SET timezone = 'UTC';
CREATE TABLE bp (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
SHOW tsdb.head_max_pages;
SET tsdb.head_max_pages = 8;
-- one transaction cannot compact its own samples: the head outgrows the bound
INSERT INTO bp SELECT 'b{i="' || i % 10 || '"}', '2026-01-01'::timestamptz + i * interval '1 s', i
  FROM generate_series(1, 5000) i;
SELECT count(*) AS segments FROM tsdb.segments('bp');
-- the next transactions find it too big and compact what is committed
INSERT INTO bp SELECT 'b{i="' || i % 10 || '"}', '2026-01-02'::timestamptz + i * interval '1 s', i
  FROM generate_series(1, 2000) i;
SELECT segment_id, samples, xmax IS NULL AS live FROM tsdb.segments('bp') ORDER BY 1;
SELECT count(*), sum(value) FROM bp;
-- a rolled-back insert takes its compaction with it
BEGIN;
INSERT INTO bp SELECT 'b{i="x"}', '2026-01-03'::timestamptz + i * interval '1 s', i
  FROM generate_series(1, 3000) i;
SELECT count(*) AS segments_inside FROM tsdb.segments('bp') WHERE xmax IS NULL;
ROLLBACK;
SELECT count(*), sum(value) FROM bp;
-- 0 turns it off
SET tsdb.head_max_pages = 0;
INSERT INTO bp SELECT 'b{i="' || i % 10 || '"}', '2026-01-04'::timestamptz + i * interval '1 s', i
  FROM generate_series(1, 5000) i;
SELECT count(*) AS segments FROM tsdb.segments('bp');
SELECT count(*), sum(value) FROM bp;
RESET tsdb.head_max_pages;
DROP TABLE bp;
