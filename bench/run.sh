#!/usr/bin/env bash
# The benchmark suite: write, read and mixed workloads on a tsdb table and,
# in the same run, on a heap table with a btree on (series, ts).
#
#   sudo bash bench/run.sh            full run: writes doc/benchmarks.md and
#                                     doc/benchmarks-throughput.png
#   sudo bash bench/run.sh --quick    small data, short runs (CI): checks the
#                                     deterministic figures, never a timing
#
# It starts its own throwaway PostgreSQL 15 (scripts/cluster.sh), loads the
# generator's data (bench/gen.c) and the real data (data/), runs every
# pgbench workload in bench/sql at 1, 2, 4 and 8 clients, computes latency
# percentiles from pgbench's per-transaction logs, and reports bytes and WAL
# per sample and memory for both tables.  Environment: TSDB_BENCH_DIR,
# TSDB_BENCH_PORT, TSDB_BENCH_SECS (per workload and client count),
# TSDB_BENCH_CLIENTS, TSDB_BENCH_OUT.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/cluster.sh"

QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1

DIR=${TSDB_BENCH_DIR:-/tmp/tsdb-bench}
PORT=${TSDB_BENCH_PORT:-54331}
if [ $QUICK = 1 ]; then
	HOSTS=5 PER_HOST=20 INTERVAL_MS=10000 DURATION=7200
	SECS=${TSDB_BENCH_SECS:-2}
	CLIENTS=${TSDB_BENCH_CLIENTS:-"1 2"}
	OUT=${TSDB_BENCH_OUT:-$DIR/benchmarks-quick.md}
else
	HOSTS=20 PER_HOST=50 INTERVAL_MS=10000 DURATION=86400
	SECS=${TSDB_BENCH_SECS:-10}
	CLIENTS=${TSDB_BENCH_CLIENTS:-"1 2 4 8"}
	OUT=${TSDB_BENCH_OUT:-$here/doc/benchmarks.md}
fi
START=1796083200			# 2026-12-01 00:00:00 UTC, the generator's default
NSERIES=$((HOSTS * PER_HOST))

bench_install_tsdb "bench/run.sh"

# stop and remove an earlier run's server; never a directory it did not make
cluster_remove "$DIR"
# autovacuum and tsdb's background compaction off: nothing but the measured
# statements may write WAL while a figure is taken
cluster_start "$DIR" "$PORT" "autovacuum = off
tsdb.worker_enabled = off"
trap 'cluster_stop "$DIR"' EXIT
psql() { cluster_psql "$DIR" "$PORT" "$@"; }
log() { echo "== $*" >&2; }

# ---- data --------------------------------------------------------------
log "generating $NSERIES series x $((DURATION / (INTERVAL_MS / 1000))) scrapes"
gcc -O2 -Wall -Wextra -Werror -o "$DIR/gen" "$here/bench/gen.c" -lm
"$DIR/gen" -h $HOSTS -s $PER_HOST -i $INTERVAL_MS -d $DURATION -t $START > "$DIR/gen.copy"
"$DIR/gen" -h $HOSTS -s $PER_HOST -i $INTERVAL_MS -d $DURATION -t $START -o > "$DIR/series.txt"
NGEN=$(wc -l < "$DIR/gen.copy")
zstd -q -dc "$here/data/node-exporter-5s.tsv.zst" | perl "$here/scripts/tsv2copy.pl" > "$DIR/real.copy"
NREAL=$(wc -l < "$DIR/real.copy")
head -n 1000 "$DIR/gen.copy" > "$DIR/chunk.copy"
chown postgres:postgres "$DIR"/*.copy "$DIR"/series.txt

psql <<SQL
CREATE EXTENSION tsdb;
CREATE TABLE bench_series (id serial PRIMARY KEY, labels tsdb.labels NOT NULL);
COPY bench_series (labels) FROM '$DIR/series.txt';
CREATE TABLE results (kind text, workload text, tbl text, clients int, tps float8,
                      rows_per_txn int, p50 float8, p95 float8, p99 float8, extra text);
CREATE TABLE loads (dataset text, tbl text, samples bigint, seconds float8, wal numeric, bytes numeric);
SQL

# load DATASET FILE TABLE: COPY into a fresh table, recording time, WAL, size
load() {
	local dataset=$1 file=$2 tbl=$3 using="" idx=""
	case $tbl in
		*_tsdb) using="USING tsdb" ;;
		*_heap) idx="CREATE INDEX ON $tbl (series, ts);" ;;
	esac
	psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS $tbl;
CREATE TABLE $tbl (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) $using;
$idx
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS l0, clock_timestamp() AS t0 \gset
COPY $tbl FROM '$file';
SELECT pg_current_wal_insert_lsn() AS l1, clock_timestamp() AS t1 \gset
VACUUM ANALYZE $tbl;
INSERT INTO loads SELECT '$dataset', '$tbl', count(*), extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz),
	pg_wal_lsn_diff(:'l1', :'l0'), pg_total_relation_size('$tbl') FROM $tbl;
SQL
}
for t in real_tsdb real_heap; do log "loading real data into $t"; load real "$DIR/real.copy" $t; done
for t in bm_tsdb bm_heap; do log "loading generated data into $t"; load gen "$DIR/gen.copy" $t; done

# ---- workloads -----------------------------------------------------------
# script FILE TABLE: a copy of bench/sql/FILE for one table
mkdir -p "$DIR/scripts" "$DIR/logs"
script() {
	local f=$1 tbl=$2 out="$DIR/scripts/${1%.sql}_$2.sql"
	sed -e "s|@TBL@|$tbl|g" -e "s|@DIR@|$DIR|g" "$here/bench/sql/$f" > "$out"
	echo "$out"
}
# the 100-row multi-row INSERT, with literal series spread over the set
for tbl in bm_tsdb bm_heap; do
	{
		echo "-- write: 100-row multi-row INSERT per transaction"
		echo "INSERT INTO $tbl VALUES"
		awk -v n=100 -v step=$((NSERIES / 100 > 0 ? NSERIES / 100 : 1)) \
			'NR % step == 0 && c < n { gsub(/\x27/, "\x27\x27"); printf "%s(\x27%s\x27, now(), random())", (c ? ",\n" : ""), $0; c++ }
			 END { print ";" }' "$DIR/series.txt"
	} > "$DIR/scripts/write_batch100_$tbl.sql"
done
chown -R postgres:postgres "$DIR/scripts" "$DIR/logs"

T0=$START
T1=$((START + DURATION))
# bench KIND WORKLOAD TABLE CLIENTS ROWS_PER_TXN SCRIPT: one pgbench run
bench() {
	local kind=$1 workload=$2 tbl=$3 clients=$4 rows=$5 sql=$6
	local prefix="$DIR/logs/${workload}_${tbl}_c${clients}"
	local out tps lat
	rm -f "$prefix".*
	out=$(as_pg "$PGBIN/pgbench" -h "$DIR" -p "$PORT" -n -M prepared -c "$clients" -j "$clients" \
		-T "$SECS" -l --log-prefix="$prefix" \
		-D nseries=$NSERIES -D nhosts=$HOSTS -D t0=$T0 -D t1=$T1 -f "$sql" postgres 2>&1) ||
		{ echo "$out" >&2; return 1; }
	tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
	lat=$(perl "$here/bench/latency.pl" "$prefix".*)
	set -- $lat
	psql -c "INSERT INTO results VALUES ('$kind', '$workload', '$tbl', $clients, $tps, $rows,
		NULLIF('$1', '-')::float8, NULLIF('$2', '-')::float8, NULLIF('$3', '-')::float8, NULL)"
	log "$workload $tbl c=$clients: $tps tps, p50/p95/p99 ms $1/$2/$3"
}

for w in read_series_1h read_series_1d_5m read_latest_host read_max_metric_1h; do
	for c in $CLIENTS; do
		for tbl in bm_tsdb bm_heap; do
			bench read $w $tbl $c 1 "$(script $w.sql $tbl)"
		done
	done
done
# reads from disk: each read query right after a restart with the OS page
# cache dropped (shared buffers and OS cache both cold), ROUNDS times
COLD_ROUNDS=$([ $QUICK = 1 ] && echo 1 || echo 5)
COLD_NOTE="server restarted and the OS page cache dropped before each query"
for w in read_series_1h read_series_1d_5m read_latest_host read_max_metric_1h; do
	for tbl in bm_tsdb bm_heap; do
		sql=$(script $w.sql $tbl)
		prefix="$DIR/logs/cold_${w}_${tbl}"
		rm -f "$prefix".*
		for r in $(seq $COLD_ROUNDS); do
			cluster_stop "$DIR"
			sync
			if ! echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then
				COLD_NOTE="server restarted before each query; the OS page cache could not be dropped here (no permission), so these are reads from the OS cache"
			fi
			cluster_start "$DIR" "$PORT"
			as_pg "$PGBIN/pgbench" -h "$DIR" -p "$PORT" -n -M prepared -c 1 -t 1 -l --log-prefix="$prefix.$r" \
				-D nseries=$NSERIES -D nhosts=$HOSTS -D t0=$T0 -D t1=$T1 -f "$sql" postgres >/dev/null 2>&1 ||
				{ echo "bench: cold $w on $tbl failed" >&2; exit 1; }
		done
		lat=$(perl "$here/bench/latency.pl" "$prefix".*)
		set -- $lat
		psql -c "INSERT INTO results VALUES ('cold', '$w', '$tbl', 1, NULL, 1,
			NULLIF('$1', '-')::float8, NULLIF('$2', '-')::float8, NULLIF('$3', '-')::float8, '$COLD_NOTE')"
		log "cold $w $tbl: p50/p95/p99 ms $1/$2/$3 over $COLD_ROUNDS queries"
	done
done

psql -c "CREATE TABLE bm_heapnoidx (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL)"
echo 'SELECT 1;' > "$DIR/scripts/select1.sql"
chown postgres:postgres "$DIR/scripts/select1.sql"
for c in $CLIENTS; do
	# PostgreSQL's per-statement floor for single-row writes
	bench floor select1 none $c 1 "$DIR/scripts/select1.sql"
	bench floor write_single bm_heapnoidx $c 1 "$(script write_single.sql bm_heapnoidx)"
	for tbl in bm_tsdb bm_heap; do
		bench write write_single $tbl $c 1 "$(script write_single.sql $tbl)"
		bench write write_batch100 $tbl $c 100 "$DIR/scripts/write_batch100_$tbl.sql"
		bench write write_copy $tbl $c 1000 "$(script write_copy.sql $tbl)"
	done
done

# mixed: one writer (single-row INSERTs) and N readers (one series, 1 h) at once
for c in $CLIENTS; do
	for tbl in bm_tsdb bm_heap; do
		wsql=$(script write_single.sql $tbl)
		rsql=$(script read_series_1h.sql $tbl)
		bench mixed mixed_writer $tbl $c 1 "$wsql" &
		wpid=$!
		bench mixed mixed_readers $tbl $c 1 "$rsql"
		wait $wpid
	done
done

# ---- resources -----------------------------------------------------------
for tbl in bm_tsdb bm_heap; do
	psql -At <<SQL >/dev/null
SELECT count(*) FROM $tbl WHERE ts >= to_timestamp($T1 - 3600);
SELECT * FROM $tbl WHERE series = (SELECT labels FROM bench_series WHERE id = 1) LIMIT 10;
INSERT INTO results SELECT 'memory', 'backend after reads', '$tbl', 1, NULL, NULL, NULL, NULL, NULL,
	(SELECT pg_size_pretty(sum(total_bytes)) FROM pg_backend_memory_contexts) || ' in memory contexts, RSS '
	|| (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+ kB)'))[1];
SQL
done

# ---- checks (deterministic figures only) ---------------------------------
psql -At <<'SQL'
DO $$
DECLARE
	r record;
	h record;
BEGIN
	FOR r IN SELECT * FROM loads WHERE tbl LIKE '%_tsdb' LOOP
		SELECT * INTO h FROM loads WHERE dataset = r.dataset AND tbl LIKE '%_heap';
		IF r.samples <> h.samples THEN
			RAISE EXCEPTION 'row counts differ on %: tsdb %, heap %', r.dataset, r.samples, h.samples;
		END IF;
		-- head pages: 20-byte samples plus a run header per page, and the dictionary
		IF r.bytes / r.samples > 22.5 THEN
			RAISE EXCEPTION 'tsdb takes % bytes per sample on %', round(r.bytes / r.samples, 2), r.dataset;
		END IF;
		IF r.wal / r.samples > 23 OR r.wal * 3 > h.wal THEN
			RAISE EXCEPTION 'tsdb wrote % WAL bytes per sample on % (heap %)',
				round(r.wal / r.samples, 2), r.dataset, round(h.wal / h.samples, 2);
		END IF;
	END LOOP;
END $$;
SQL
cmp -s <(psql -At -c "SELECT * FROM real_tsdb EXCEPT ALL SELECT * FROM real_heap") /dev/null ||
	{ echo "bench: tsdb and heap hold different real data" >&2; exit 1; }
log "checks passed: equal rows, bytes and WAL per sample within bounds"

# ---- report --------------------------------------------------------------
bash "$here/bench/report.sh" "$DIR" "$PORT" "$OUT" "$QUICK" "$SECS" "$NGEN" "$NREAL" "$NSERIES"
echo "report written to $OUT" >&2
