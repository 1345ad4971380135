#!/usr/bin/env bash
# The README's first command.  As root on Debian 12: install the packages
# tsdb needs, build and install tsdb, start a throwaway PostgreSQL 15 with
# tsdb preloaded, load the real node_exporter data (184,320 samples) by COPY
# into a tsdb table and into a heap table with a btree on (series, ts), and
# show example queries and storage figures for both.
#
#   bash scripts/demo.sh          # (re)create the demo cluster and run
#   bash scripts/demo.sh --stop   # stop the demo cluster
#
# TSDB_DEMO_DIR (default /tmp/tsdb-demo) and TSDB_DEMO_PORT (54329) move it.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
DIR=${TSDB_DEMO_DIR:-/tmp/tsdb-demo}
PORT=${TSDB_DEMO_PORT:-54329}
. "$here/scripts/cluster.sh"

if [ "${1:-}" = "--stop" ]; then
	cluster_stop "$DIR"
	echo "demo cluster in $DIR stopped"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh installs packages and tsdb itself: run it as root (sudo bash scripts/demo.sh)" >&2
	exit 1
fi

bash "$here/scripts/deps.sh"
echo "== building and installing tsdb"
make -s -C "$here" PG_CONFIG="$PGBIN/pg_config" >/dev/null
make -s -C "$here" PG_CONFIG="$PGBIN/pg_config" install >/dev/null

echo "== starting PostgreSQL 15 with tsdb preloaded in $DIR (port $PORT)"
cluster_stop "$DIR"
rm -rf "$DIR"
cluster_start "$DIR" "$PORT"

echo "== converting data/node-exporter-5s.tsv.zst for COPY"
zstd -q -dc "$here/data/node-exporter-5s.tsv.zst" | perl "$here/scripts/tsv2copy.pl" > "$DIR/samples.copy"
chown postgres:postgres "$DIR/samples.copy"

psql() { cluster_psql "$DIR" "$PORT" "$@"; }

psql <<SQL
CREATE EXTENSION tsdb;
CREATE TABLE metrics (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;
CREATE TABLE metrics_heap (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL);
CREATE INDEX ON metrics_heap (series, ts);
CREATE TABLE load (tbl text, seconds float8, wal_bytes numeric);
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS l0, clock_timestamp() AS t0 \gset
COPY metrics FROM '$DIR/samples.copy';
SELECT pg_current_wal_insert_lsn() AS l1, clock_timestamp() AS t1 \gset
INSERT INTO load VALUES ('metrics (tsdb)', extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz), pg_wal_lsn_diff(:'l1', :'l0'));
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS l0, clock_timestamp() AS t0 \gset
COPY metrics_heap FROM '$DIR/samples.copy';
SELECT pg_current_wal_insert_lsn() AS l1, clock_timestamp() AS t1 \gset
INSERT INTO load VALUES ('metrics_heap (heap + btree)', extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz), pg_wal_lsn_diff(:'l1', :'l0'));
VACUUM ANALYZE metrics;
VACUUM ANALYZE metrics_heap;
SQL

psql -P pager=off <<'SQL'
\echo
\echo ==== Storage: the same 184,320 real samples, loaded by COPY
SELECT l.tbl AS "table",
       (SELECT count(*) FROM metrics) AS samples,
       pg_size_pretty(pg_total_relation_size(CASE WHEN l.tbl LIKE 'metrics (%' THEN 'metrics' ELSE 'metrics_heap' END::regclass)) AS "on disk",
       round(pg_total_relation_size(CASE WHEN l.tbl LIKE 'metrics (%' THEN 'metrics' ELSE 'metrics_heap' END::regclass) / 184320.0, 1) AS "bytes/sample",
       round(l.wal_bytes / 184320.0, 1) AS "WAL bytes/sample",
       round(l.seconds::numeric, 3) AS "load s",
       round(184320 / l.seconds) AS "samples/s"
  FROM load l ORDER BY 1;
\echo Head pages are uncompressed at this stage of the project (20 bytes per sample plus run headers);
\echo compressed column segments are the next step.
\echo
\echo ==== Both tables hold exactly the same rows
SELECT (SELECT count(*) FROM (SELECT * FROM metrics EXCEPT ALL SELECT * FROM metrics_heap) a) AS only_in_tsdb,
       (SELECT count(*) FROM (SELECT * FROM metrics_heap EXCEPT ALL SELECT * FROM metrics) b) AS only_in_heap;
\echo
\echo ==== One series over ten minutes (first rows)
SELECT ts, value FROM metrics
 WHERE series = 'node_load1{instance="127.0.0.1:19100",job="node"}'
   AND ts >= '2026-11-24 01:00+00' AND ts < '2026-11-24 01:10+00'
 ORDER BY ts LIMIT 5;
\echo ==== CPU seconds per mode over the window, picked with a Prometheus matcher
SELECT series -> 'cpu' AS cpu, series -> 'mode' AS mode, round((max(value) - min(value))::numeric, 2) AS cpu_seconds
  FROM metrics
 WHERE series @@ '{__name__="node_cpu_seconds_total", mode=~"user|system|iowait"}'
 GROUP BY 1, 2 ORDER BY 1, 2;
\echo ==== 5-minute buckets: average 1-minute load
SELECT date_bin('5 min', ts, 'epoch') AS bucket, round(avg(value)::numeric, 3) AS avg_load1, count(*) AS samples
  FROM metrics WHERE series = 'node_load1{instance="127.0.0.1:19100",job="node"}'
 GROUP BY 1 ORDER BY 1;
\echo ==== Latest sample of each network interface counter
SELECT DISTINCT ON (series) series -> 'device' AS device, ts, value AS bytes_received
  FROM metrics WHERE series @@ 'node_network_receive_bytes_total'
 ORDER BY series, ts DESC;
\echo ==== Biggest metric families
SELECT series -> '__name__' AS metric, count(DISTINCT series) AS series, count(*) AS samples
  FROM metrics GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5;
SQL

cat <<MSG

The demo cluster keeps running with both tables loaded. Connect with:
  sudo -u postgres psql -h $DIR -p $PORT -d postgres
Stop it with:
  sudo bash scripts/demo.sh --stop
MSG
