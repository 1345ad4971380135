#!/usr/bin/env bash
# The README's first command.  As root on Debian 12: install the packages
# tsdb needs, build and install tsdb, start a throwaway PostgreSQL 15 with
# tsdb preloaded, load the real node_exporter data (184,320 samples) by COPY
# into a tsdb table and into a heap table with a btree on (series, ts), and
# show example queries and storage figures for both.
#
#   sudo bash scripts/demo.sh          # (re)create the demo cluster, load, show; leave it running
#   sudo bash scripts/demo.sh --stop   # stop the demo cluster
#
# TSDB_DEMO_DIR (default /tmp/tsdb-demo) and TSDB_DEMO_PORT (54329) move it.
# A re-run stops and removes the cluster an earlier run left in that
# directory (and refuses to touch a directory it did not create).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
DIR=${TSDB_DEMO_DIR:-/tmp/tsdb-demo}
PORT=${TSDB_DEMO_PORT:-54329}
. "$here/scripts/cluster.sh"

case "${1:-}" in
"") ;;
--stop)
	if [ -f "$DIR/data/postmaster.pid" ]; then
		cluster_stop "$DIR"
		echo "demo cluster in $DIR stopped (its files stay until the next run)"
	else
		echo "no demo cluster running in $DIR"
	fi
	exit 0 ;;
*)
	sed -n '2,13s/^# \{0,1\}//p' "$0" >&2
	exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
	# it installs packages and tsdb itself: root, through sudo if there is one
	if command -v sudo >/dev/null; then
		exec sudo bash "$0" "$@"
	fi
	echo "demo.sh installs packages and tsdb itself: run it as root" >&2
	exit 1
fi

bash "$here/scripts/deps.sh"
echo "== building and installing tsdb into PostgreSQL 15"
make -s -C "$here" PG_CONFIG="$PGBIN/pg_config" >/dev/null
make -s -C "$here" PG_CONFIG="$PGBIN/pg_config" install >/dev/null

echo "== starting PostgreSQL 15 with tsdb preloaded in $DIR (port $PORT)"
cluster_remove "$DIR"
# On any failure from here on, stop the server this run started; on
# success it keeps running.
started=0
on_exit() {
	local rc=$?
	if [ $rc -ne 0 ] && [ $started -eq 1 ]; then
		echo "demo.sh failed (exit $rc); stopping the demo server; its log is $DIR/server.log" >&2
		cluster_stop "$DIR"
	fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM
cluster_start "$DIR" "$PORT"
started=1

echo "== converting data/node-exporter-5s.tsv.zst for COPY (scripts/tsv2copy.pl)"
copy_file_for_pg "$DIR"

psql() { cluster_psql "$DIR" "$PORT" "$@"; }

echo "== loading 184,320 samples into a tsdb table and a heap table"
# Each COPY starts right after a checkpoint, so both pay for the same full
# page images; WAL is measured from the insert position around the COPY.
psql <<SQL
CREATE EXTENSION tsdb;
CREATE TABLE metrics (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;
CREATE TABLE metrics_heap (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL);
CREATE INDEX metrics_heap_series_ts ON metrics_heap (series, ts);
CREATE TABLE demo_load (tbl regclass, seconds float8, wal_bytes numeric, total_bytes bigint);

CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS l0, clock_timestamp() AS t0 \gset
COPY metrics FROM '$DIR/samples.copy';
SELECT pg_current_wal_insert_lsn() AS l1, clock_timestamp() AS t1 \gset
INSERT INTO demo_load VALUES ('metrics', extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz),
                              pg_wal_lsn_diff(:'l1', :'l0'), pg_total_relation_size('metrics'));

CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS l0, clock_timestamp() AS t0 \gset
COPY metrics_heap FROM '$DIR/samples.copy';
SELECT pg_current_wal_insert_lsn() AS l1, clock_timestamp() AS t1 \gset
INSERT INTO demo_load VALUES ('metrics_heap', extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz),
                              pg_wal_lsn_diff(:'l1', :'l0'), pg_total_relation_size('metrics_heap'));
VACUUM ANALYZE metrics;
VACUUM ANALYZE metrics_heap;
SQL

psql -P pager=off <<'SQL'
\echo
\echo ==== Row counts
SELECT (SELECT count(*) FROM metrics) AS "metrics (tsdb)",
       (SELECT count(*) FROM metrics_heap) AS "metrics_heap (heap + btree)",
       (SELECT count(DISTINCT series) FROM metrics) AS series;
\echo ==== Both tables hold exactly the same rows (EXCEPT ALL both ways)
SELECT (SELECT count(*) FROM (SELECT * FROM metrics EXCEPT ALL SELECT * FROM metrics_heap) a) AS only_in_tsdb,
       (SELECT count(*) FROM (SELECT * FROM metrics_heap EXCEPT ALL SELECT * FROM metrics) b) AS only_in_heap;

\echo ==== Storage and load, measured around each COPY (on disk as loaded, before VACUUM)
SELECT CASE l.tbl WHEN 'metrics'::regclass THEN 'metrics (tsdb)' ELSE 'metrics_heap (heap + btree)' END AS "table",
       pg_size_pretty(l.total_bytes) AS "on disk",
       round(l.total_bytes / 184320.0, 1) AS "bytes/sample",
       round(l.wal_bytes / 184320.0, 1) AS "WAL bytes/sample",
       round(l.seconds::numeric, 2) AS "COPY s",
       round(184320 / l.seconds) AS "samples/s"
  FROM demo_load l ORDER BY 1 DESC;
\echo (heap: table + btree; tsdb as loaded: samples in head pages, 20 bytes each plus run headers)
\echo
\echo ==== Compaction: the head moved into compressed column segments, then VACUUM FULL
\timing on
SELECT tsdb.compact('metrics') AS samples_compacted;
\timing off
VACUUM FULL metrics;
SELECT CASE t WHEN 'metrics'::regclass THEN 'metrics (tsdb, compacted)' ELSE 'metrics_heap (heap + btree)' END AS "table",
       pg_size_pretty(pg_total_relation_size(t)) AS "on disk",
       round(pg_total_relation_size(t) / 184320.0, 3) AS "bytes/sample"
  FROM unnest(ARRAY['metrics'::regclass, 'metrics_heap'::regclass]) t;
\echo ==== tsdb.stats(): where the bytes go (per sample) and the value codecs chosen
SELECT segments, segment_pages, dictionary_pages, chunks, shared_ts_chunks,
       round(ts_bytes_per_sample::numeric, 4) AS ts_bps, round(value_bytes_per_sample::numeric, 3) AS value_bps,
       round(index_bytes_per_sample::numeric, 3) AS index_bps, round(bytes_per_sample::numeric, 3) AS total_bps
  FROM tsdb.stats('metrics');
SELECT key AS codec, (value ->> 'chunks')::int AS chunks, (value ->> 'samples')::int AS samples,
       (value ->> 'bytes')::int AS bytes
  FROM tsdb.stats('metrics'), jsonb_each(value_codecs) ORDER BY samples DESC;
\echo ==== Still exactly the same rows, bit for bit
SELECT (SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM metrics
                              EXCEPT ALL SELECT series, ts, float8send(value) FROM metrics_heap) a) AS only_in_tsdb,
       (SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM metrics_heap
                              EXCEPT ALL SELECT series, ts, float8send(value) FROM metrics) b) AS only_in_heap;
\echo

\echo ==== Example queries on the tsdb table (each query is shown before its result)
\set ECHO queries
-- One series over ten minutes: all 120 samples of node_load1, 12 a minute.
SELECT date_trunc('minute', ts) AS minute, count(*) AS n,
       string_agg(value::text, ' ' ORDER BY ts) AS "node_load1, every 5 s"
  FROM metrics
 WHERE series = 'node_load1{instance="127.0.0.1:19100",job="node"}'
   AND ts >= '2026-11-24 01:00+00' AND ts < '2026-11-24 01:10+00'
 GROUP BY 1 ORDER BY 1;

-- 5-minute buckets: rate of the counter node_cpu_seconds_total per CPU and
-- mode, then averaged over the CPUs (CPU seconds per second).
SELECT bucket,
       round(avg(rate) FILTER (WHERE mode = 'user')::numeric, 3) AS "user",
       round(avg(rate) FILTER (WHERE mode = 'system')::numeric, 3) AS "system",
       round(avg(rate) FILTER (WHERE mode = 'iowait')::numeric, 3) AS iowait,
       round(avg(rate) FILTER (WHERE mode = 'idle')::numeric, 3) AS idle
  FROM (SELECT date_bin('5 min', ts, 'epoch') AS bucket, series -> 'cpu' AS cpu, series -> 'mode' AS mode,
               (max(value) - min(value)) / extract(epoch FROM max(ts) - min(ts)) AS rate
          FROM metrics
         WHERE series @@ '{__name__="node_cpu_seconds_total", mode=~"user|system|iowait|idle"}'
         GROUP BY 1, 2, 3) r
 GROUP BY 1 ORDER BY 1;

-- Latest sample of each series of one metric.
SELECT DISTINCT ON (series) series -> 'device' AS device, ts, value AS bytes_received
  FROM metrics
 WHERE series @@ '{__name__="node_network_receive_bytes_total"}'
 ORDER BY series, ts DESC;

-- A Prometheus matcher with two regexes: disk bytes read and written.
SELECT series, count(*) AS samples,
       round(((max(value) - min(value)) / 1e6)::numeric, 1) AS "MB in window"
  FROM metrics
 WHERE series @@ '{__name__=~"node_disk_(read|written)_bytes_total", device=~"(sd|vd|xvd|nvme).*"}'
 GROUP BY 1 ORDER BY 1;

-- Series and samples per metric name, biggest families first.
SELECT series -> '__name__' AS metric, count(DISTINCT series) AS series, count(*) AS samples
  FROM metrics GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 8;
SELECT count(DISTINCT series -> '__name__') AS metric_names, count(DISTINCT series) AS series FROM metrics;
SQL

cat <<MSG

The demo server keeps running with both tables loaded (metrics: tsdb,
metrics_heap: heap + btree).  Connect as the postgres user over its socket:
  sudo -u postgres psql -h $DIR -p $PORT -d postgres
Stop it with either of:
  sudo bash scripts/demo.sh --stop
  sudo -u postgres $PGBIN/pg_ctl -D $DIR/data stop
Server log: $DIR/server.log.  Running this script again starts over.
MSG
