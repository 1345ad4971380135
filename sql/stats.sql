-- tsdb.stats(): one row summing up a table's storage.  Counts of samples and
-- segments are what the snapshot sees, so "samples" always equals count(*).
-- (no autovacuum: page counts are shown before and after VACUUM)
CREATE TABLE st (series tsdb.labels, ts timestamptz, value float8) USING tsdb
	WITH (autovacuum_enabled = off);
\x on
-- empty: nothing to divide by, no codecs
SELECT * FROM tsdb.stats('st');
\x off
-- One series per value codec, 600 samples each, scraped together every 15 s:
--   const    the same value every time                    -> CONST
--   counter  a counter growing by whole numbers           -> INT
--   gauge    a gauge with two decimals                    -> DEC
--   sqrt     square roots (correctly rounded, so exact)   -> GORILLA
--   noise    random sign, exponent and mantissa           -> RAW
--   period   four random bit patterns in turn             -> lz4 on top
INSERT INTO st
SELECT format('demo{kind="%s"}', k)::tsdb.labels,
	'2026-01-01'::timestamptz + i * interval '15 s',
	CASE k
		WHEN 'const' THEN 1
		WHEN 'counter' THEN i * 3 + (i % 7)
		WHEN 'gauge' THEN round(((i % 50) * 1.37)::numeric, 2)::float8
		WHEN 'sqrt' THEN sqrt(i + 2)
		WHEN 'noise' THEN power(2::float8, hashint4(i) % 300) * hashint4(i + 1000) * hashint4(i + 2000)
		WHEN 'period' THEN power(2::float8, hashint4(i % 4) % 300) * hashint4(i % 4 + 1000)
	END
FROM generate_series(1, 600) i,
	unnest(ARRAY['const', 'counter', 'gauge', 'sqrt', 'noise', 'period']) k;
-- an aborted insert is not counted
BEGIN;
INSERT INTO st VALUES ('demo{kind="aborted"}', '2026-01-01', 1);
ROLLBACK;
-- all in the head so far: 20 bytes a sample plus run headers
SELECT series, samples, head_samples, head_pages, segments, segment_pages,
	segment_samples, chunks, dictionary_pages, ts_bytes_per_sample,
	total_bytes, round(bytes_per_sample::numeric, 2) AS bytes_per_sample,
	value_codecs
FROM tsdb.stats('st');
SELECT samples = (SELECT count(*) FROM st) AS same_as_count FROM tsdb.stats('st');
-- compacted: the segment takes over, the head is consumed
SELECT tsdb.compact('st');
\x on
SELECT * FROM tsdb.stats('st');
\x off
SELECT samples = (SELECT count(*) FROM st) AS same_as_count FROM tsdb.stats('st');
-- The codec mix accounts for every chunk and every segment sample.
SELECT sum((c.value ->> 'chunks')::int8) = s.chunks AS chunks_add_up,
	sum((c.value ->> 'samples')::int8) = s.segment_samples AS samples_add_up
FROM tsdb.stats('st') s, jsonb_each(s.value_codecs) c
GROUP BY s.chunks, s.segment_samples;
-- A compaction in our own transaction shows to us at once: the runs it
-- consumed are gone for the commands after it, as count(*) sees it too.
INSERT INTO st VALUES ('demo{kind="late"}', '2025-12-31', 42);
BEGIN;
SELECT head_samples, segments, samples FROM tsdb.stats('st');
SELECT tsdb.compact('st');
SELECT head_samples, segments, samples, samples = (SELECT count(*) FROM st) AS same_as_count
FROM tsdb.stats('st');
ROLLBACK;
SELECT series, head_samples, segments, samples FROM tsdb.stats('st');
-- a second segment, then a merge of both into one
SELECT tsdb.compact('st');
SELECT segments, segment_samples FROM tsdb.stats('st');
SELECT tsdb.compact('st', merge => true);
SELECT segments, segment_samples, chunks, samples FROM tsdb.stats('st');
-- VACUUM recycles the consumed head pages and the merged segments' pages
SELECT head_pages, segment_pages, free_pages FROM tsdb.stats('st');
VACUUM st;
SELECT head_pages, segment_pages, free_pages, samples FROM tsdb.stats('st');
-- only tsdb tables
CREATE TABLE sh (series tsdb.labels, ts timestamptz, value float8);
SELECT * FROM tsdb.stats('sh');
DROP TABLE st, sh;
