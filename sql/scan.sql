-- TsdbScan: pushed-down series and time filters, checked against the same
-- queries with tsdb.enable_pushdown off (sequential scans).
SET timezone = 'UTC';
CREATE TABLE sc (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
-- 6 series, one sample a minute for 2 days, compacted; then an hour more
-- in the head, and one sample out of order (older than the segments' end).
INSERT INTO sc SELECT format('cpu{host="h%s",job="%s",code="%s"}', h,
    CASE WHEN h % 2 = 0 THEN 'api' ELSE 'db' END, 500 + h)::tsdb.labels,
  '2026-01-01'::timestamptz + i * interval '1 minute', h * 10000 + i
  FROM generate_series(1, 6) h, generate_series(0, 2879) i;
SET tsdb.chunk_samples = 256;
SELECT tsdb.compact('sc');
RESET tsdb.chunk_samples;
INSERT INTO sc SELECT format('cpu{host="h%s",job="%s",code="%s"}', h,
    CASE WHEN h % 2 = 0 THEN 'api' ELSE 'db' END, 500 + h)::tsdb.labels,
  '2026-01-03'::timestamptz + i * interval '1 minute', -(h * 10000 + i)
  FROM generate_series(1, 6) h, generate_series(0, 59) i;
INSERT INTO sc VALUES ('cpu{host="h1",job="db",code="501"}', '2026-01-01 12:00:30', 0.5);
ANALYZE sc;

-- The same query with the pushdown on and off: the difference must be empty
-- and the counts equal.
CREATE FUNCTION both_ways(q text) RETURNS TABLE (rows_on bigint, rows_off bigint, differ bigint)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'CREATE TEMP TABLE r_on AS ' || q;
  SET LOCAL tsdb.enable_pushdown = off;
  EXECUTE 'CREATE TEMP TABLE r_off AS ' || q;
  SET LOCAL tsdb.enable_pushdown = on;
  RETURN QUERY SELECT (SELECT count(*) FROM r_on), (SELECT count(*) FROM r_off),
    (SELECT count(*) FROM ((TABLE r_on EXCEPT ALL TABLE r_off)
                           UNION ALL (TABLE r_off EXCEPT ALL TABLE r_on)) d);
  DROP TABLE r_on, r_off;
END $$;

-- series = const
EXPLAIN (COSTS OFF) SELECT * FROM sc WHERE series = 'cpu{host="h3",job="db",code="503"}';
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE series = 'cpu{host="h3",job="db",code="503"}'$q$);
-- matchers: =, !=, =~, !~, and a metric name
EXPLAIN (COSTS OFF) SELECT * FROM sc WHERE series @@ '{job="api"}';
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE series @@ '{job="api"}'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE series @@ 'cpu{job!="api"}'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE series @@ '{code=~"50[1-3]"}'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE series @@ '{host!~"h[12]", job=~".*"}'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE series @@ 'mem{job="api"}'$q$);
-- one label's value
EXPLAIN (COSTS OFF) SELECT * FROM sc WHERE series -> 'host' = 'h2';
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE series -> 'host' = 'h2'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE 'db' = series -> 'job' AND series -> 'code' = '505'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE series -> 'nope' = 'x'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE series -> 'host' = ''$q$);
-- time bounds, closed and open, each operator, BETWEEN, the column on
-- either side, with a series filter or without
EXPLAIN (COSTS OFF) SELECT * FROM sc WHERE ts BETWEEN '2026-01-02 10:00' AND '2026-01-02 11:00';
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE ts BETWEEN '2026-01-02 10:00' AND '2026-01-02 11:00'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE ts >= '2026-01-02 23:30'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE ts > '2026-01-02 23:30'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE ts < '2026-01-01 00:10'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE '2026-01-01 00:10' >= ts$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE ts = '2026-01-01 12:00:30'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE series @@ '{host="h1"}' AND ts > '2026-01-01 11:59' AND ts < '2026-01-01 12:02'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE series -> 'job' = 'api' AND ts >= '2026-01-02 23:59' AND ts <= '2026-01-03 00:00:30'$q$);
-- empty: contradictory bounds, an unknown series, a matcher matching nothing
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT * FROM sc WHERE ts > '2026-01-02' AND ts < '2026-01-01';
SELECT * FROM sc WHERE series = 'cpu{host="h9"}';
SELECT * FROM sc WHERE series @@ '{host="h1", job="api"}';
SELECT * FROM sc WHERE ts > 'infinity';
SELECT * FROM sc WHERE ts < '-infinity';
SELECT count(*) FROM sc WHERE ts <= 'infinity' AND ts >= '-infinity';

-- What was read: one series over one hour decodes the chunks of that hour
-- only; other series' chunks and other segments are skipped unread.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT * FROM sc WHERE series = 'cpu{host="h3",job="db",code="503"}'
  AND ts >= '2026-01-02 10:00' AND ts < '2026-01-02 11:00';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*) FROM sc WHERE series @@ '{job="api"}' AND ts >= '2026-01-03';

-- Time order for one series: no Sort, and the newest sample costs no segment
-- page and no chunk (it is in the head), the oldest one chunk.
EXPLAIN (COSTS OFF)
  SELECT * FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}' ORDER BY ts DESC LIMIT 1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT * FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}' ORDER BY ts DESC LIMIT 1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT * FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}' ORDER BY ts LIMIT 1;
SELECT * FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}' ORDER BY ts DESC LIMIT 3;
SELECT * FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}' ORDER BY ts LIMIT 3;
-- the out-of-order sample from the head lands in its place
SELECT ts, value FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}'
  AND ts BETWEEN '2026-01-01 11:59' AND '2026-01-01 12:01' ORDER BY ts;
SELECT ts, value FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}'
  AND ts BETWEEN '2026-01-01 11:59' AND '2026-01-01 12:01' ORDER BY ts DESC;
-- the whole series in order, both ways, equals the sorted sequential scan
SELECT (SELECT array_agg(ts ORDER BY ts) FROM sc WHERE series = 'cpu{host="h4",job="api",code="504"}')
  = (SELECT array_agg(ts) FROM (SELECT ts FROM sc WHERE series = 'cpu{host="h4",job="api",code="504"}' ORDER BY ts) x) AS asc_ok,
  (SELECT array_agg(ts ORDER BY ts DESC) FROM sc WHERE series = 'cpu{host="h4",job="api",code="504"}')
  = (SELECT array_agg(ts) FROM (SELECT ts FROM sc WHERE series = 'cpu{host="h4",job="api",code="504"}' ORDER BY ts DESC) x) AS desc_ok;

-- Stable expressions and Params are evaluated when the scan starts.
EXPLAIN (COSTS OFF) SELECT count(*) FROM sc WHERE ts > '2026-01-03'::timestamptz - interval '1 hour';
SELECT * FROM both_ways($q$SELECT * FROM sc WHERE ts > '2026-01-03'::timestamptz - interval '1 hour'$q$);
SELECT count(*) FROM sc WHERE ts > now() - interval '1 hour';
-- an initplan's result (an exec Param)
EXPLAIN (COSTS OFF) SELECT * FROM sc WHERE ts >= (SELECT max(ts) FROM sc) - interval '1 minute';
SELECT * FROM sc WHERE ts >= (SELECT max(ts) FROM sc) - interval '1 minute' ORDER BY series, ts;
-- a correlated subquery: rescanned with each outer row's series
SELECT h, (SELECT count(*) FROM sc WHERE series = format('cpu{host="h%s",job="%s",code="%s"}', h,
    CASE WHEN h % 2 = 0 THEN 'api' ELSE 'db' END, 500 + h)::tsdb.labels AND ts >= '2026-01-02 12:00')
  FROM generate_series(1, 7) h;
-- joins: a lateral reference, and a join on the series
CREATE TABLE hosts (host text, l tsdb.labels);
INSERT INTO hosts VALUES ('h2', 'cpu{host="h2",job="api",code="502"}'), ('h5', 'cpu{host="h5",job="db",code="505"}'),
  ('h9', 'cpu{host="h9"}');
EXPLAIN (COSTS OFF) SELECT h.host, x.* FROM hosts h,
  LATERAL (SELECT ts, value FROM sc WHERE series = h.l ORDER BY ts DESC LIMIT 2) x;
SELECT h.host, x.* FROM hosts h,
  LATERAL (SELECT ts, value FROM sc WHERE series = h.l ORDER BY ts DESC LIMIT 2) x ORDER BY 1, 2;
SELECT * FROM both_ways($q$SELECT h.host, s.ts FROM hosts h JOIN sc s ON s.series -> 'host' = h.host
  WHERE s.ts >= '2026-01-03 00:58'$q$);
-- A join on the series: a nested loop hands each outer row's label set to
-- a parameterized TsdbScan, which reads that series only (h9 has none).
-- On a table this small, reading it once into a hash or a Materialize
-- is cheaper; the figures in bench/ show the loop chosen on its own.
ANALYZE hosts;
SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;
EXPLAIN (COSTS OFF) SELECT h.host, s.ts, s.value FROM hosts h JOIN sc s ON s.series = h.l;
SELECT h.host, s.ts, s.value FROM hosts h JOIN sc s ON s.series = h.l
  WHERE s.ts >= '2026-01-03 00:57' ORDER BY 1, 2;
SELECT * FROM both_ways($q$SELECT h.host, s.ts, s.value FROM hosts h JOIN sc s ON s.series = h.l$q$);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*) FROM hosts h JOIN sc s ON h.l = s.series;
-- label equality and time bounds from the outer row, the bounds pushed too
CREATE TABLE windows (host text, lo timestamptz, hi timestamptz);
INSERT INTO windows VALUES ('h1', '2026-01-01 11:59', '2026-01-01 12:01'),
  ('h4', '2026-01-02 23:58', '2026-01-03 00:02'), ('h7', '2026-01-01', '2026-01-04'),
  ('h2', NULL, '2026-01-02');
EXPLAIN (COSTS OFF) SELECT w.host, s.ts, s.value FROM windows w
  JOIN sc s ON s.series -> 'host' = w.host AND s.ts >= w.lo AND s.ts < w.hi;
SELECT w.host, s.ts, s.value FROM windows w
  JOIN sc s ON s.series -> 'host' = w.host AND s.ts >= w.lo AND s.ts < w.hi ORDER BY 1, 2;
SELECT * FROM both_ways($q$SELECT w.host, s.ts, s.value FROM windows w
  JOIN sc s ON s.series -> 'host' = w.host AND s.ts BETWEEN w.lo AND w.hi$q$);
-- the series of one table joined to the samples of another (a subquery),
-- and an outer join keeping the series without samples
SELECT * FROM both_ways($q$SELECT h.host, x.n FROM hosts h LEFT JOIN
  (SELECT series, count(*) AS n FROM sc GROUP BY series) x ON x.series = h.l$q$);
SELECT * FROM both_ways($q$SELECT h.host, s.ts FROM hosts h LEFT JOIN sc s
  ON s.series = h.l AND s.ts > '2026-01-03 00:58'$q$);
-- partitions: each partition's scan is parameterized under the Append
CREATE TABLE scp (series tsdb.labels, ts timestamptz, value float8) PARTITION BY RANGE (ts);
CREATE TABLE scp_1 PARTITION OF scp FOR VALUES FROM ('2026-01-01') TO ('2026-01-02') USING tsdb;
CREATE TABLE scp_2 PARTITION OF scp FOR VALUES FROM ('2026-01-02') TO ('2026-01-04') USING tsdb;
INSERT INTO scp SELECT * FROM sc;
SELECT tsdb.compact('scp_1'), tsdb.compact('scp_2');
ANALYZE scp;
EXPLAIN (COSTS OFF) SELECT h.host, s.ts FROM hosts h JOIN scp s ON s.series = h.l;
SELECT * FROM both_ways($q$SELECT h.host, s.ts, s.value FROM hosts h JOIN scp s ON s.series = h.l$q$);
DROP TABLE scp;
RESET enable_hashjoin; RESET enable_mergejoin; RESET enable_material;

-- Prepared statements, custom and generic plans; a series created after the
-- plan was made is found.
PREPARE q1(tsdb.labels, timestamptz, timestamptz) AS
  SELECT count(*), min(ts), max(ts) FROM sc WHERE series = $1 AND ts >= $2 AND ts < $3;
PREPARE q2(text) AS SELECT count(*) FROM sc WHERE series @@ $1;
PREPARE q3(tsdb.labels) AS SELECT ts, value FROM sc WHERE series = $1 ORDER BY ts DESC LIMIT 2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE q1('cpu{host="h2",job="api",code="502"}', '2026-01-01', '2026-01-02');
EXPLAIN (COSTS OFF) EXECUTE q3('new{k="v"}');
EXECUTE q1('cpu{host="h2",job="api",code="502"}', '2026-01-01', '2026-01-02');
EXECUTE q1('cpu{host="h2",job="api",code="502"}', '2026-01-02', '2026-01-01');
EXECUTE q1(NULL, '2026-01-01', '2026-01-02');
EXECUTE q2('{job="db"}');
EXECUTE q3('new{k="v"}');
INSERT INTO sc VALUES ('new{k="v"}', '2026-01-05', 1), ('new{k="v"}', '2026-01-06', 2), ('new{k="v"}', '2026-01-04', 3);
EXECUTE q3('new{k="v"}');
EXECUTE q2('new');
EXECUTE q1('new{k="v"}', '-infinity', 'infinity');
SET plan_cache_mode = force_custom_plan;
EXECUTE q1('cpu{host="h2",job="api",code="502"}', '2026-01-01', '2026-01-02');
EXECUTE q3('new{k="v"}');
RESET plan_cache_mode;
DEALLOCATE ALL;

-- A matcher that does not parse is reported as the operator reports it.
SELECT count(*) FROM sc WHERE series @@ '{job=}';
SELECT count(*) FROM sc WHERE series @@ '{job=~"("}';

-- Partitions: each tsdb partition gets its own TsdbScan.
CREATE TABLE pt (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL)
  PARTITION BY RANGE (ts);
CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM ('2026-01-01') TO ('2026-01-02') USING tsdb;
CREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM ('2026-01-02') TO ('2026-01-04') USING tsdb;
INSERT INTO pt SELECT series, ts, value FROM sc WHERE ts < '2026-01-04';
SELECT tsdb.compact('pt_1');
EXPLAIN (COSTS OFF) SELECT * FROM pt WHERE series @@ '{host="h1"}' AND ts >= '2026-01-01 23:00' AND ts < '2026-01-02 01:00';
SELECT * FROM both_ways($q$SELECT * FROM pt WHERE series @@ '{host="h1"}' AND ts >= '2026-01-01 23:00' AND ts < '2026-01-02 01:00'$q$);
EXPLAIN (COSTS OFF) SELECT ts FROM pt WHERE series = 'cpu{host="h6",job="api",code="506"}' ORDER BY ts DESC LIMIT 3;
SELECT ts FROM pt WHERE series = 'cpu{host="h6",job="api",code="506"}' ORDER BY ts DESC LIMIT 3;

-- A segment of many pages: a series' pages are found from the segment's
-- directory (the first series of each page) and the others are not read;
-- the head is looked for outside the segment's pages.
CREATE TABLE sp (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO sp SELECT format('noise{s="%s"}', lpad(s::text, 2, '0'))::tsdb.labels,
  '2026-01-01'::timestamptz + i * interval '10 s', ((i * 2654435761 + s * 40503) % 1000003) / 7.0
  FROM generate_series(1, 20) s, generate_series(0, 1999) i;
SELECT tsdb.compact('sp');
INSERT INTO sp VALUES ('noise{s="07"}', '2026-01-02', 1), ('noise{s="21"}', '2026-01-02', 2);
SELECT pages > 20 AS many_pages FROM tsdb.segments('sp');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*) FROM sp WHERE series = 'noise{s="07"}';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*) FROM sp WHERE series @@ '{s=~"0[12]|20"}' AND ts < '2026-01-01 01:00';
SELECT * FROM both_ways($q$SELECT * FROM sp WHERE series = 'noise{s="01"}'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sp WHERE series = 'noise{s="07"}'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sp WHERE series = 'noise{s="20"}'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sp WHERE series @@ '{s=~"0[12]|20"}' AND ts < '2026-01-01 01:00'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sp WHERE series @@ '{s!="07"}' AND ts >= '2026-01-01 05:00'$q$);
SELECT * FROM both_ways($q$SELECT ts FROM sp WHERE series @@ '{s=~".*1"}' ORDER BY ts DESC LIMIT 5$q$);
SELECT ts, value FROM sp WHERE series = 'noise{s="07"}' ORDER BY ts DESC LIMIT 2;
SELECT count(*) FROM sp WHERE series = 'noise{s="21"}';

-- A segment of at least 32 pages has a directory on disk: each page's block
-- and first chunk (series, min_ts).  A new session reads it rather than the
-- whole chain, and a query reads only the pages that can hold its series in
-- its time range.  Windows of every series, some straddling page
-- boundaries, through a lateral reference (a rescan per window), against
-- the sequential scan.
CREATE TABLE sd (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO sd SELECT format('noise{s="%s"}', lpad(s::text, 2, '0'))::tsdb.labels,
  '2026-01-01'::timestamptz + i * interval '10 s', ((i * 2654435761 + s * 40503) % 1000003) / 7.0
  FROM generate_series(1, 12) s, generate_series(0, 8999) i;
SELECT tsdb.compact('sd');
SELECT pages >= 32 AS big, directory_pages FROM tsdb.segments('sd');
SELECT * FROM tsdb.page_types('sd') WHERE page_type LIKE 'segment%';
CREATE TABLE sd_windows AS
  SELECT format('noise{s="%s"}', lpad(s::text, 2, '0'))::tsdb.labels AS series,
         '2026-01-01'::timestamptz + w * interval '97 min' AS lo
    FROM generate_series(0, 13) s, generate_series(-1, 16) w;
\c
SET timezone = 'UTC';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*) FROM sd WHERE series = 'noise{s="05"}'
     AND ts >= '2026-01-01 10:00' AND ts < '2026-01-01 11:00';
SELECT * FROM both_ways($q$SELECT w.series, w.lo, x.n, x.v, x.m FROM sd_windows w,
  LATERAL (SELECT count(*) AS n, min(value) AS v, max(value) AS m FROM sd
            WHERE series = w.series AND ts >= w.lo AND ts < w.lo + interval '40 min') x$q$);
SELECT * FROM both_ways($q$SELECT w.series, w.lo, x.ts FROM sd_windows w,
  LATERAL (SELECT ts FROM sd WHERE series = w.series AND ts <= w.lo ORDER BY ts DESC LIMIT 1) x$q$);
SELECT * FROM both_ways($q$SELECT * FROM sd WHERE series @@ '{s=~"0[3-6]"}' AND ts BETWEEN '2026-01-01 12:00' AND '2026-01-01 13:00'$q$);
SELECT * FROM both_ways($q$SELECT * FROM sd WHERE series @@ '{s!="04"}' AND ts > '2026-01-01 24:00'$q$);
-- VACUUM FULL copies the segment and writes a directory of its new pages
VACUUM FULL sd;
SELECT pages >= 32 AS big, directory_pages FROM tsdb.segments('sd');
SELECT * FROM both_ways($q$SELECT w.series, w.lo, x.n, x.v, x.m FROM sd_windows w,
  LATERAL (SELECT count(*) AS n, min(value) AS v, max(value) AS m FROM sd
            WHERE series = w.series AND ts >= w.lo AND ts < w.lo + interval '40 min') x$q$);
-- a merge writes the directory of the merged segment; VACUUM recycles the
-- old segment's data and directory pages alike
INSERT INTO sd SELECT series, ts + interval '2 days', value FROM sd WHERE ts < '2026-01-01 06:00';
SELECT tsdb.compact('sd');
SELECT tsdb.compact('sd', merge => true);
VACUUM sd;
SELECT state, directory_pages > 0 AS has_directory FROM tsdb.segments('sd');
SELECT * FROM tsdb.page_types('sd') WHERE page_type IN ('segment_directory', 'free');
SELECT * FROM both_ways($q$SELECT w.series, w.lo, x.n, x.v, x.m FROM sd_windows w,
  LATERAL (SELECT count(*) AS n, min(value) AS v, max(value) AS m FROM sd
            WHERE series = w.series AND ts >= w.lo + interval '2 days' AND ts < w.lo + interval '2 days 40 min') x$q$);
SELECT count(*), sum(value) FROM sd;

-- Time order through the directory: the oldest sample after a bound and
-- the newest before one cost a page and a chunk, not the series' pages.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT ts FROM sd WHERE series = 'noise{s="05"}' ORDER BY ts DESC LIMIT 1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT ts FROM sd WHERE series = 'noise{s="05"}' AND ts >= '2026-01-01 12:00' ORDER BY ts LIMIT 1;
SELECT * FROM both_ways($q$SELECT w.series, w.lo, x.ts FROM sd_windows w,
  LATERAL (SELECT ts FROM sd WHERE series = w.series AND ts >= w.lo ORDER BY ts LIMIT 3) x$q$);

-- DISTINCT ON (series) ... ORDER BY series, ts DESC: each series' newest
-- samples only ("Latest"), under the Sort and Unique.
EXPLAIN (COSTS OFF)
  SELECT DISTINCT ON (series) series, ts, value FROM sd
   WHERE series @@ '{s=~"0[3-6]"}' ORDER BY series, ts DESC;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT DISTINCT ON (series) series, ts, value FROM sd
   WHERE series @@ '{s=~"0[3-6]"}' ORDER BY series, ts DESC;
SELECT DISTINCT ON (series) series, ts, value FROM sd
 WHERE series @@ '{s=~"0[3-6]"}' ORDER BY series, ts DESC;
SELECT * FROM both_ways($q$SELECT DISTINCT ON (series) series, ts, value FROM sd
  WHERE series @@ '{s=~".*"}' ORDER BY series, ts DESC$q$);
SELECT * FROM both_ways($q$SELECT DISTINCT ON (series) series, ts, value FROM sd
  WHERE series @@ '{s=~"0."}' AND ts < '2026-01-01 13:37' ORDER BY series, ts DESC$q$);
SELECT * FROM both_ways($q$SELECT DISTINCT ON (series) series, ts, value FROM sd
  WHERE series @@ '{s=~"1."}' AND ts BETWEEN '2026-01-01 03:00' AND '2026-01-01 04:00' ORDER BY series, ts DESC$q$);
SELECT * FROM both_ways($q$SELECT DISTINCT ON (series) ts FROM sd
  WHERE series @@ '{s="nope"}' ORDER BY series, ts DESC$q$);
-- the head: newer samples, an older one, a series only in the head, and
-- samples tied at a series' newest timestamp (the ORDER BY picks one)
SELECT * FROM both_ways($q$SELECT DISTINCT ON (series) series, ts, value FROM sc
  WHERE series -> 'job' = 'db' ORDER BY series, ts DESC$q$);
INSERT INTO sd VALUES ('noise{s="03"}', '2026-01-03 09:00', 1), ('noise{s="03"}', '2026-01-03 09:00', -1),
  ('noise{s="04"}', '2026-01-01 00:00:05', 7), ('noise{s="99"}', '2026-01-01', 9),
  ('noise{s="05"}', '2026-01-03 05:59:50', -5), ('noise{s="05"}', '2026-01-03 05:59:50', 1e9);
SELECT DISTINCT ON (series) series, ts, value FROM sd
 WHERE series @@ '{s=~"0[345]|99"}' ORDER BY series, ts DESC, value;
SELECT DISTINCT ON (series) series, ts, value FROM sd
 WHERE series @@ '{s=~"0[345]|99"}' ORDER BY series, ts DESC, value DESC;
SELECT DISTINCT ON (series) series, ts, value FROM sd
 WHERE series = 'noise{s="05"}' ORDER BY series, ts DESC, abs(value - 116826);
SELECT * FROM both_ways($q$SELECT DISTINCT ON (series) series, ts, value FROM sd
  WHERE series @@ '{s=~".*"}' ORDER BY series, ts DESC, value$q$);
-- a generic plan: the bound is a Param evaluated at each execution
PREPARE latest(timestamptz) AS SELECT DISTINCT ON (series) series, ts, value FROM sd
  WHERE series @@ '{s=~"0[1-3]"}' AND ts <= $1 ORDER BY series, ts DESC, value;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE latest('2026-01-01 10:00');
EXECUTE latest('2026-01-01 10:00');
EXECUTE latest('2026-01-03 10:00');
RESET plan_cache_mode;
DEALLOCATE latest;
-- not "Latest": a clause that is not pushed must filter before the newest
-- sample is picked; ascending order; an expression; no series filter
EXPLAIN (COSTS OFF) SELECT DISTINCT ON (series) series, ts FROM sd
  WHERE series @@ '{s="05"}' AND value > 100 ORDER BY series, ts DESC;
SELECT * FROM both_ways($q$SELECT DISTINCT ON (series) series, ts, value FROM sd
  WHERE series @@ '{s=~"0."}' AND value < 100 ORDER BY series, ts DESC, value$q$);
EXPLAIN (COSTS OFF) SELECT DISTINCT ON (series) series, ts FROM sd
  WHERE series @@ '{s="05"}' ORDER BY series, ts;
EXPLAIN (COSTS OFF) SELECT DISTINCT ON (series::text) series, ts FROM sd
  WHERE series @@ '{s="05"}' ORDER BY series::text, ts DESC;
EXPLAIN (COSTS OFF) SELECT DISTINCT ON (series) series, ts FROM sd
  WHERE ts > '2026-01-01 23:00' ORDER BY series, ts DESC;

-- Under a constant LIMIT (plus OFFSET), a scan in ts order with every
-- clause pushed keeps no more than that many samples of each chunk it
-- merges ("Rows Needed"); the head's and the segments' samples interleave
-- in sc (its newest hour is in the head, one sample is out of order).
EXPLAIN (COSTS OFF)
  SELECT ts FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}' ORDER BY ts DESC LIMIT 3;
EXPLAIN (COSTS OFF)
  SELECT ts FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}' ORDER BY ts LIMIT 2 OFFSET 3;
SELECT * FROM both_ways($q$SELECT ts, value FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}'
  ORDER BY ts DESC LIMIT 70$q$);
SELECT * FROM both_ways($q$SELECT ts, value FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}'
  AND ts < '2026-01-01 12:02' ORDER BY ts DESC LIMIT 2 OFFSET 1$q$);
SELECT ts, value FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}'
  AND ts < '2026-01-01 12:02' ORDER BY ts DESC LIMIT 2 OFFSET 1;
SELECT * FROM both_ways($q$SELECT ts, value FROM sd WHERE series = 'noise{s="03"}'
  AND ts >= '2026-01-01 05:00' ORDER BY ts LIMIT 600$q$);
SELECT * FROM both_ways($q$SELECT ts FROM sc WHERE series = 'cpu{host="h2",job="api",code="502"}'
  ORDER BY ts DESC LIMIT 1 OFFSET 3000$q$);
-- from the block cache, only the samples needed are copied out of a cached
-- chunk: from inside one of its units, across units, from its start
SELECT * FROM both_ways($q$SELECT ts, value FROM sd WHERE series = 'noise{s="04"}' ORDER BY ts DESC LIMIT 300$q$);
SELECT * FROM both_ways($q$SELECT ts, value FROM sd WHERE series = 'noise{s="04"}' ORDER BY ts DESC LIMIT 300$q$);
SELECT * FROM both_ways($q$SELECT ts, value FROM sd WHERE series = 'noise{s="04"}' ORDER BY ts DESC LIMIT 128$q$);
SELECT * FROM both_ways($q$SELECT ts, value FROM sd WHERE series = 'noise{s="04"}' ORDER BY ts LIMIT 129 OFFSET 3$q$);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT ts, value FROM sd WHERE series = 'noise{s="04"}' ORDER BY ts DESC LIMIT 300;
SELECT min(ts), max(ts), round(sum(value)::numeric, 3) FROM (SELECT ts, value FROM sd WHERE series = 'noise{s="04"}' ORDER BY ts DESC LIMIT 300) x;
SELECT min(ts), max(ts), round(sum(value)::numeric, 3) FROM (SELECT ts, value FROM sd WHERE series = 'noise{s="04"}' ORDER BY ts DESC OFFSET 0) x
 WHERE ts > (SELECT max(ts) - 300 * interval '10 s' FROM sd WHERE series = 'noise{s="04"}');
-- no bound: a clause that is not pushed (the recheck drops rows the reader
-- would count), WITH TIES, an order that is not the query's, a join, a
-- generic plan's parameter
EXPLAIN (COSTS OFF)
  SELECT ts FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}' AND value > 5 ORDER BY ts DESC LIMIT 3;
SELECT * FROM both_ways($q$SELECT ts, value FROM sc WHERE series = 'cpu{host="h1",job="db",code="501"}'
  AND value::int % 7 = 0 ORDER BY ts DESC LIMIT 5$q$);
CREATE TABLE st (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO st SELECT 'dup{}', '2026-01-01'::timestamptz + (i / 3) * interval '1 min', i
  FROM generate_series(0, 29) i;
SELECT tsdb.compact('st');
INSERT INTO st VALUES ('dup{}', '2026-01-01 00:09', 100);
EXPLAIN (COSTS OFF)
  SELECT ts, value FROM st WHERE series = 'dup{}' ORDER BY ts DESC FETCH FIRST 1 ROWS WITH TIES;
SELECT ts, value FROM st WHERE series = 'dup{}' ORDER BY ts DESC FETCH FIRST 1 ROWS WITH TIES;
SELECT ts, value FROM st WHERE series = 'dup{}' ORDER BY ts DESC, value LIMIT 2;
SELECT count(*) FROM (SELECT ts FROM st WHERE series = 'dup{}' ORDER BY ts DESC LIMIT 4) x;
EXPLAIN (COSTS OFF)
  SELECT h.host, x.ts FROM hosts h JOIN sc x ON x.series = h.l WHERE h.host = 'h5' ORDER BY x.ts DESC LIMIT 1;
SELECT h.host, x.ts FROM hosts h JOIN sc x ON x.series = h.l WHERE h.host = 'h5' ORDER BY x.ts DESC LIMIT 1;
PREPARE qb(int) AS SELECT ts FROM sc WHERE series = 'cpu{host="h3",job="db",code="503"}' ORDER BY ts DESC LIMIT $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE qb(2);
EXECUTE qb(2);
EXECUTE qb(4);
SET plan_cache_mode = force_custom_plan;
EXPLAIN (COSTS OFF) EXECUTE qb(2);
EXECUTE qb(3);
RESET plan_cache_mode;
DEALLOCATE qb;
-- a PL/pgSQL variable: custom plans see its value, a cached generic plan
-- must not keep the first one
CREATE FUNCTION newest(n int) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT count(*) FROM (SELECT ts FROM sc WHERE series = 'cpu{host="h4",job="api",code="504"}'
                                 ORDER BY ts DESC LIMIT n) x);
END $$;
SELECT n, newest(n) FROM generate_series(1, 9) n;
SET plan_cache_mode = force_generic_plan;
SELECT newest(1), newest(5), newest(70);
RESET plan_cache_mode;
DROP FUNCTION newest(int);
-- partitions: each ordered child needs no more than the LIMIT
EXPLAIN (COSTS OFF)
  SELECT ts FROM pt WHERE series = 'cpu{host="h6",job="api",code="506"}' ORDER BY ts DESC LIMIT 4;
SELECT * FROM both_ways($q$SELECT ts FROM pt WHERE series = 'cpu{host="h6",job="api",code="506"}'
  AND ts < '2026-01-02 00:02' ORDER BY ts DESC LIMIT 4$q$);
-- a cursor stops at the LIMIT; a rescan starts the count again
BEGIN;
DECLARE cb CURSOR FOR SELECT ts FROM sc WHERE series = 'cpu{host="h5",job="db",code="505"}' ORDER BY ts LIMIT 2;
FETCH 5 cb;
FETCH 5 cb;
CLOSE cb;
COMMIT;
SELECT h.l, x.ts FROM (VALUES ('cpu{host="h5",job="db",code="505"}'::tsdb.labels),
                              ('cpu{host="h6",job="api",code="506"}')) h(l),
  LATERAL (SELECT ts FROM sc WHERE series = h.l ORDER BY ts LIMIT 2) x;
DROP TABLE st;

-- Only the columns the query needs are decoded: a chunk not in the block
-- cache has its timestamps decoded alone when no value is asked for (and
-- is then not kept, a cache entry holding both), both otherwise.
CREATE TABLE sv (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO sv SELECT format('v{s="%s"}', s)::tsdb.labels,
  '2026-01-01'::timestamptz + i * interval '10 s', (i * 7919 + s) % 1009 / 8.0
  FROM generate_series(1, 3) s, generate_series(0, 4999) i;
SELECT tsdb.compact('sv');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT count(*), max(ts) FROM sv WHERE series = 'v{s="2"}';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT sum(value) FROM sv WHERE series = 'v{s="2"}';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT count(*) FROM sv WHERE series = 'v{s="2"}' AND value > 100;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT x FROM sv x WHERE series = 'v{s="2"}' LIMIT 1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*), max(ts) FROM sv WHERE series = 'v{s="2"}';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*), max(ts) FROM sv WHERE series = 'v{s="2"}';
SELECT count(*), min(ts), max(ts) FROM sv WHERE series = 'v{s="2"}' AND ts >= '2026-01-01 03:00';
SELECT * FROM both_ways($q$SELECT ts FROM sv WHERE series @@ '{s=~"[12]"}' AND ts < '2026-01-01 05:00'$q$);
SELECT * FROM both_ways($q$SELECT ts FROM sv WHERE series = 'v{s="3"}' ORDER BY ts DESC LIMIT 7$q$);
SELECT * FROM both_ways($q$SELECT ts, value FROM sv WHERE series = 'v{s="2"}' AND value > 100$q$);
SELECT round(sum(value)::numeric, 3) FROM sv WHERE series = 'v{s="2"}';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*), max(ts) FROM sv WHERE series = 'v{s="2"}';
SET tsdb.enable_pushdown = off;
SELECT count(*), min(ts), max(ts) FROM sv WHERE series = 'v{s="2"}' AND ts >= '2026-01-01 03:00';
SELECT round(sum(value)::numeric, 3) FROM sv WHERE series = 'v{s="2"}';
RESET tsdb.enable_pushdown;
DROP TABLE sv;

-- Queries that are not pushed down: no TsdbScan.
EXPLAIN (COSTS OFF) SELECT * FROM sc WHERE value > 5;
EXPLAIN (COSTS OFF) SELECT * FROM sc WHERE series::text = 'x' OR ts > now();
EXPLAIN (COSTS OFF) SELECT ctid, * FROM sc WHERE series = 'cpu{host="h9"}';
EXPLAIN (COSTS OFF) SELECT * FROM sc WHERE ts > clock_timestamp();
SET tsdb.enable_pushdown = off;
EXPLAIN (COSTS OFF) SELECT * FROM sc WHERE series = 'cpu{host="h9"}';
RESET tsdb.enable_pushdown;

DROP TABLE sc, hosts, pt, sp, sd, sd_windows;
DROP FUNCTION both_ways(text);
