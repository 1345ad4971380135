#!/usr/bin/env bash
# Read-path figures (issue 5): a 30-day table of the benchmark generator's
# data, compacted into segments, against a heap table with a btree on
# (series, ts), in one run on one throwaway server (autovacuum and tsdb's
# background worker off).  pgbench -M prepared, TSDB_BENCH_SECS per run:
#
#   series_1h        one series over a 1 h window (~360 samples), 1 and 4
#                    clients; P50/P95/P99 from pgbench's per-transaction logs
#   latest_1         ORDER BY ts DESC LIMIT 1 of one series
#   latest_host      the latest sample of each series of one host, written
#                    as DISTINCT ON and as a LATERAL ... LIMIT 1 per series
#   host_1h_join     the series of one host (a heap table of label sets)
#                    joined to their samples over 1 h: a nested loop over a
#                    parameterized TsdbScan or heap's index scan
#   series_1d_rows   every sample of one series over 1 day, sent to the
#                    client: samples returned per second
#   series_1d_agg    count(*), sum(value) of one series over 1 day: samples
#                    read per second inside the server
#   cold series_1h   each query right after a restart with the OS page cache
#                    dropped, COLD_ROUNDS times
#   rows_floor       the rows of series_1d_rows from a small heap table read
#                    whole: what one backend sends when finding them is free
#   select1          SELECT 1: the per-query floor of pgbench and the server
#
# When tsdb.enable_pushdown exists, every tsdb workload also runs with it
# off (the plain sequential scan), and EXPLAIN ANALYZE of the 1 h query is
# printed for both tables.
#
# As root on Debian 12 (installs what it needs, builds and installs tsdb):
#   bash bench/read_figures.sh            100 series x 30 days (25.9M samples)
#   bash bench/read_figures.sh --quick    10 series x 3 days, short runs
# Writes markdown to stdout and to bench/results/read_figures.md (not with
# --quick).  Environment: TSDB_BENCH_DIR (/tmp/tsdb-bench-read),
# TSDB_BENCH_PORT (first free from 54350), TSDB_BENCH_SECS (10).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/cluster.sh"
DIR=${TSDB_BENCH_DIR:-/tmp/tsdb-bench-read}
PORT=${TSDB_BENCH_PORT:-$(cluster_free_port 54350)}
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
if [ $QUICK = 1 ]; then
	HOSTS=2 PER_HOST=5 DAYS=3 SECS=${TSDB_BENCH_SECS:-2} COLD_ROUNDS=1
else
	HOSTS=4 PER_HOST=25 DAYS=30 SECS=${TSDB_BENCH_SECS:-10} COLD_ROUNDS=5
fi
INTERVAL_MS=10000
START=1796083200			# 2026-12-01 00:00:00 UTC
DURATION=$((DAYS * 86400))
T0=$START
T1=$((START + DURATION))
NSERIES=$((HOSTS * PER_HOST))

bench_install_tsdb "bench/read_figures.sh"

cluster_remove "$DIR"
trap 'cluster_remove "$DIR" || true' EXIT
trap 'exit 130' INT TERM
CONF="autovacuum = off
tsdb.worker_enabled = off
max_wal_size = 8GB
shared_buffers = 2GB"
cluster_start "$DIR" "$PORT" "$CONF"
psql() { cluster_psql "$DIR" "$PORT" "$@"; }
log() { echo "== $*" >&2; }

log "generating $NSERIES series x $DAYS days at 10 s"
gcc -O2 -Wall -Wextra -Werror -o "$DIR/gen" "$here/bench/gen.c" -lm
"$DIR/gen" -h $HOSTS -s $PER_HOST -i $INTERVAL_MS -d $DURATION -t $START > "$DIR/gen.copy"
"$DIR/gen" -h $HOSTS -s $PER_HOST -i $INTERVAL_MS -d $DURATION -t $START -o > "$DIR/series.txt"
NSAMPLES=$(wc -l < "$DIR/gen.copy")
chown postgres:postgres "$DIR"/gen.copy "$DIR"/series.txt

log "loading $NSAMPLES samples into tsdb (then compacted) and heap + btree"
psql -q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION tsdb;
CREATE TABLE bench_series (id serial PRIMARY KEY, labels tsdb.labels NOT NULL);
COPY bench_series (labels) FROM '$DIR/series.txt';
CREATE TABLE results (workload text, tbl text, pushdown bool, clients int, tps float8,
                      rows_per_txn float8, p50 float8, p95 float8, p99 float8);
CREATE TABLE rd_tsdb (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;
COPY rd_tsdb FROM '$DIR/gen.copy';
SELECT tsdb.compact('rd_tsdb');
VACUUM FULL rd_tsdb;
ANALYZE rd_tsdb;
CREATE TABLE rd_heap (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL);
COPY rd_heap FROM '$DIR/gen.copy';
CREATE INDEX ON rd_heap (series, ts);
VACUUM ANALYZE rd_heap;
SQL
rm -f "$DIR/gen.copy"
have_pushdown=$(psql -At -c "SELECT count(*) > 0 FROM pg_settings WHERE name = 'tsdb.enable_pushdown'")

# ---- workloads -----------------------------------------------------------
mkdir -p "$DIR/scripts" "$DIR/logs"
w() { cat > "$DIR/scripts/$1.sql"; }
w series_1h <<'SQL'
\set sid random(1, :nseries)
\set t random(:t0, :t1 - 3600)
SELECT ts, value FROM @TBL@
 WHERE series = (SELECT labels FROM bench_series WHERE id = :sid)
   AND ts >= to_timestamp(:t) AND ts < to_timestamp(:t + 3600);
SQL
w latest_1 <<'SQL'
\set sid random(1, :nseries)
SELECT ts, value FROM @TBL@
 WHERE series = (SELECT labels FROM bench_series WHERE id = :sid)
 ORDER BY ts DESC LIMIT 1;
SQL
w latest_host <<'SQL'
\set h random(0, :nhosts - 1)
SELECT DISTINCT ON (series) series, ts, value
  FROM @TBL@
 WHERE series @@ ('{instance="host-' || lpad(:h::text, 4, '0') || ':9100"}')
 ORDER BY series, ts DESC;
SQL
w latest_host_lateral <<'SQL'
\set h random(0, :nhosts - 1)
SELECT s.labels, l.ts, l.value
  FROM bench_series s,
       LATERAL (SELECT ts, value FROM @TBL@ WHERE series = s.labels ORDER BY ts DESC LIMIT 1) l
 WHERE s.labels @@ ('{instance="host-' || lpad(:h::text, 4, '0') || ':9100"}');
SQL
w host_1h_join <<'SQL'
\set h random(0, :nhosts - 1)
\set t random(:t0, :t1 - 3600)
SELECT s.id, t.ts, t.value FROM bench_series s JOIN @TBL@ t ON t.series = s.labels
 WHERE s.labels @@ ('{instance="host-' || lpad(:h::text, 4, '0') || ':9100"}')
   AND t.ts >= to_timestamp(:t) AND t.ts < to_timestamp(:t + 3600);
SQL
w series_1d_rows <<'SQL'
\set sid random(1, :nseries)
\set t random(:t0, :t1 - 86400)
SELECT ts, value FROM @TBL@
 WHERE series = (SELECT labels FROM bench_series WHERE id = :sid)
   AND ts >= to_timestamp(:t) AND ts < to_timestamp(:t + 86400);
SQL
w series_1d_agg <<'SQL'
\set sid random(1, :nseries)
\set t random(:t0, :t1 - 86400)
SELECT count(*), sum(value) FROM @TBL@
 WHERE series = (SELECT labels FROM bench_series WHERE id = :sid)
   AND ts >= to_timestamp(:t) AND ts < to_timestamp(:t + 86400);
SQL
# floors: what one backend sends when the rows cost nothing to find (one
# day of one series copied into a small heap table, read whole), and a
# query that reads nothing
w rows_floor <<'SQL'
SELECT ts, value FROM @TBL@;
SQL
w select1 <<'SQL'
SELECT 1;
SQL
chown -R postgres:postgres "$DIR/scripts" "$DIR/logs"

script() {
	local out="$DIR/scripts/$1_$2.run.sql"
	sed -e "s|@TBL@|$2|g" "$DIR/scripts/$1.sql" > "$out"
	chown postgres:postgres "$out"
	echo "$out"
}
# bench WORKLOAD TABLE PUSHDOWN CLIENTS ROWS: one pgbench run
bench() {
	local workload=$1 tbl=$2 pd=$3 clients=$4 rows=$5
	local prefix="$DIR/logs/${workload}_${tbl}_${pd}_c${clients}"
	local sql out tps lat opts=""
	sql=$(script "$workload" "$tbl")
	[ "$pd" = off ] && opts="-c tsdb.enable_pushdown=off"
	rm -f "$prefix".*
	out=$(as_pg env PGOPTIONS="$opts" "$PGBIN/pgbench" -h "$DIR" -p "$PORT" -n -M prepared \
		-c "$clients" -j "$clients" -T "$SECS" -l --log-prefix="$prefix" \
		-D nseries=$NSERIES -D nhosts=$HOSTS -D t0=$T0 -D t1=$T1 -f "$sql" postgres 2>&1) ||
		{ echo "$out" >&2; return 1; }
	tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
	lat=$(perl "$here/bench/latency.pl" "$prefix".*)
	set -- $lat
	psql -q -c "INSERT INTO results VALUES ('$workload', '$tbl', $([ "$pd" = on ] && echo true || echo false),
		$clients, $tps, $rows, NULLIF('$1', '-')::float8, NULLIF('$2', '-')::float8, NULLIF('$3', '-')::float8)"
	log "$workload $tbl pushdown=$pd c=$clients: $tps tps, p50/p95/p99 ms $1/$2/$3"
}

PER_HOUR=360
PER_DAY=8640
modes="on"
[ "$have_pushdown" = t ] && modes="on off"
for c in 1 4; do
	bench series_1h rd_heap on $c $PER_HOUR
	for pd in $modes; do bench series_1h rd_tsdb $pd $c $PER_HOUR; done
done
for wl in latest_1 latest_host latest_host_lateral; do
	rows=1
	[ $wl != latest_1 ] && rows=$PER_HOST
	bench $wl rd_heap on 1 $rows
	for pd in $modes; do bench $wl rd_tsdb $pd 1 $rows; done
done
bench host_1h_join rd_heap on 1 $((PER_HOST * PER_HOUR))
for pd in $modes; do bench host_1h_join rd_tsdb $pd 1 $((PER_HOST * PER_HOUR)); done
for wl in series_1d_rows series_1d_agg; do
	bench $wl rd_heap on 1 $PER_DAY
	for pd in $modes; do bench $wl rd_tsdb $pd 1 $PER_DAY; done
done
psql -q -c "CREATE TABLE rd_floor AS SELECT ts, value FROM rd_heap
	WHERE series = (SELECT labels FROM bench_series WHERE id = 1)
	  AND ts >= to_timestamp($T0) AND ts < to_timestamp($T0 + 86400)" -c "VACUUM ANALYZE rd_floor"
bench rows_floor rd_floor on 1 $PER_DAY
bench select1 none on 1 1

# cold: each query on a restarted server with the OS page cache dropped
COLD_NOTE="server restarted and the OS page cache dropped before each query"
for tbl in rd_heap rd_tsdb; do
	sql=$(script series_1h $tbl)
	prefix="$DIR/logs/cold_series_1h_$tbl"
	rm -f "$prefix".*
	for r in $(seq $COLD_ROUNDS); do
		cluster_stop "$DIR"
		sync
		echo 3 > /proc/sys/vm/drop_caches 2>/dev/null ||
			COLD_NOTE="server restarted before each query; the OS page cache could not be dropped (no permission)"
		cluster_start "$DIR" "$PORT" "$CONF"
		as_pg "$PGBIN/pgbench" -h "$DIR" -p "$PORT" -n -M prepared -c 1 -t 1 -l --log-prefix="$prefix.$r" \
			-D nseries=$NSERIES -D nhosts=$HOSTS -D t0=$T0 -D t1=$T1 -f "$sql" postgres >/dev/null 2>&1 ||
			{ echo "read_figures.sh: cold query on $tbl failed" >&2; exit 1; }
	done
	lat=$(perl "$here/bench/latency.pl" "$prefix".*)
	set -- $lat
	psql -q -c "INSERT INTO results VALUES ('cold series_1h', '$tbl', true, 1, NULL, $PER_HOUR,
		NULLIF('$1', '-')::float8, NULLIF('$2', '-')::float8, NULLIF('$3', '-')::float8)"
	log "cold series_1h $tbl: p50/p95/p99 ms $1/$2/$3"
done

# ---- report --------------------------------------------------------------
report() {
	echo "# Read-path figures"
	echo
	echo "\`bash bench/read_figures.sh$([ $QUICK = 1 ] && echo ' --quick')\`, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) vCPU, load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "Data: bench/gen.c, $HOSTS hosts x $PER_HOST series, 10 s scrapes, $DAYS days: $NSAMPLES samples; tsdb compacted (tsdb.compact + VACUUM FULL), heap with a btree on (series, ts). pgbench -M prepared, $SECS s per run; latencies from its per-transaction logs."
	echo "tsdb.enable_pushdown: $([ "$have_pushdown" = t ] && echo 'exists; "plain" rows ran with it off' || echo 'does not exist in this build (no TsdbScan): tsdb rows are the plain sequential scan')."
	echo
	echo "| workload | table | clients | tps | samples/s | P50 ms | P95 ms | P99 ms |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	psql -At -F ' | ' <<'SQL' | sed -e 's/^/| /' -e 's/$/ |/'
SELECT workload,
       CASE WHEN tbl = 'rd_heap' THEN 'heap + btree' WHEN tbl = 'rd_floor' THEN 'floor: heap of 1 day of 1 series, read whole'
            WHEN tbl = 'none' THEN 'floor: no table' WHEN pushdown THEN 'tsdb' ELSE 'tsdb, pushdown off' END,
       clients, round(tps::numeric, 1), round((tps * rows_per_txn)::numeric), p50, p95, p99
  FROM results ORDER BY workload, clients, tbl, pushdown DESC;
SQL
	echo
	echo "Cold: $COLD_NOTE, $COLD_ROUNDS queries per table."
	echo
	echo "Ratios (tsdb with pushdown against heap):"
	echo
	psql -At <<'SQL' | sed 's/^/- /'
SELECT format('%s, %s client(s): tsdb P99 %s ms, heap P99 %s ms; tsdb %s tps, heap %s tps (x%s)',
              t.workload, t.clients, t.p99, h.p99, round(t.tps::numeric, 1), round(h.tps::numeric, 1),
              round((t.tps / nullif(h.tps, 0))::numeric, 2))
  FROM results t JOIN results h USING (workload, clients)
 WHERE t.tbl = 'rd_tsdb' AND t.pushdown AND h.tbl = 'rd_heap' AND t.tps IS NOT NULL
 ORDER BY 1;
SQL
	echo
	echo "EXPLAIN ANALYZE of one series over 1 h:"
	echo
	local labels
	labels=$(psql -At -c "SELECT labels FROM bench_series WHERE id = 1")
	for tbl in rd_tsdb rd_heap; do
		echo '```'
		psql -c "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT ts, value FROM $tbl
			WHERE series = '${labels//\'/\'\'}' AND ts >= to_timestamp($T0 + 86400) AND ts < to_timestamp($T0 + 90000)"
		echo '```'
	done
	echo
	echo "EXPLAIN ANALYZE of the latest sample of each series of one host (DISTINCT ON):"
	echo
	for tbl in rd_tsdb rd_heap; do
		echo '```'
		psql -c "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT DISTINCT ON (series) series, ts, value FROM $tbl
			WHERE series @@ '{instance=\"host-0000:9100\"}' ORDER BY series, ts DESC"
		echo '```'
	done
	echo
	echo "EXPLAIN ANALYZE of the series of one host joined to their samples over 1 h:"
	echo
	for tbl in rd_tsdb rd_heap; do
		echo '```'
		psql -c "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT s.id, t.ts, t.value FROM bench_series s
			JOIN $tbl t ON t.series = s.labels WHERE s.labels @@ '{instance=\"host-0000:9100\"}'
			AND t.ts >= to_timestamp($T0 + 86400) AND t.ts < to_timestamp($T0 + 90000)"
		echo '```'
	done
}
if [ $QUICK = 1 ]; then
	report
else
	mkdir -p "$here/bench/results"
	report | tee "$here/bench/results/read_figures.md"
fi
