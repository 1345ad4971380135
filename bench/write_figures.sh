#!/usr/bin/env bash
# Write-path figures (issue 6): every ingest path on a tsdb table against a
# heap table with a btree on (series, ts) and an unindexed heap table (the
# floor of an INSERT), in the same run, with WAL bytes per sample and the
# wait events of the inserting backends.
#
#   sudo bash bench/write_figures.sh      about 15 minutes; writes
#                                         bench/results/write_figures.md
#
# Workloads (pgbench -M prepared, TSDB_BENCH_SECS seconds each, default 8):
#   single      one single-row INSERT per transaction, at 1, 2, 4, 8 clients
#   batch100    one 100-row INSERT per transaction
#   copy        COPY of a 1000-row file per transaction
#   txn1000     1000 single-row INSERTs in one transaction, pipelined
#               (pgbench \startpipeline), so the client's round trips do not
#               hide the server's cost
#   loop1000    1000 single-row INSERTs in one transaction from a PL/pgSQL
#               loop (no client at all)
# the multi-client ones at 1 and 4 clients.  Durability modes: the default
# (synchronous commit), tsdb.async_commit = on when it exists, and
# commit_delay = 200 us (group commit) for the single-row INSERT.
# Environment: TSDB_BENCH_DIR, TSDB_BENCH_PORT, TSDB_BENCH_SECS,
# TSDB_BENCH_OUT.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/cluster.sh"

DIR=${TSDB_BENCH_DIR:-/tmp/tsdb-write-bench}
PORT=${TSDB_BENCH_PORT:-54341}
SECS=${TSDB_BENCH_SECS:-8}
OUT=${TSDB_BENCH_OUT:-$here/bench/results/write_figures.md}
HOSTS=20 PER_HOST=50
NSERIES=$((HOSTS * PER_HOST))

bench_install_tsdb "bench/write_figures.sh"

cluster_remove "$DIR"
# autovacuum and background compaction off, checkpoints far apart: the WAL
# of a run is the WAL of its statements
cluster_start "$DIR" "$PORT" "autovacuum = off
tsdb.worker_enabled = off
max_wal_size = 40GB
checkpoint_timeout = 1h"
trap 'cluster_stop "$DIR"' EXIT
psql() { cluster_psql "$DIR" "$PORT" "$@"; }
log() { echo "== $*" >&2; }

gcc -O2 -Wall -Wextra -Werror -o "$DIR/gen" "$here/bench/gen.c" -lm
"$DIR/gen" -h $HOSTS -s $PER_HOST -i 10000 -d 10 -o > "$DIR/series.txt"
"$DIR/gen" -h $HOSTS -s $PER_HOST -i 10000 -d 10 | head -n 1000 > "$DIR/chunk.copy"
chown postgres:postgres "$DIR/series.txt" "$DIR/chunk.copy"

HAS_ASYNC=$(psql -At -c "SELECT count(*) FROM pg_settings WHERE name = 'tsdb.async_commit'" 2>/dev/null || echo 0)
HAS_BUFFER=$(psql -At -c "SELECT count(*) FROM pg_settings WHERE name = 'tsdb.insert_batch_samples'" 2>/dev/null || echo 0)

psql <<SQL
CREATE EXTENSION tsdb;
CREATE TABLE bench_series (id serial PRIMARY KEY, labels tsdb.labels NOT NULL);
COPY bench_series (labels) FROM '$DIR/series.txt';
CREATE TABLE results (workload text, tbl text, mode text, clients int, tps float8, rows_per_txn int,
                      p50 float8, p95 float8, p99 float8, wal numeric, waits text);
CREATE TABLE waits (run text, wait text);
-- sample the wait events of the other client backends every 20 ms
CREATE PROCEDURE sample_waits(run text, seconds float8) LANGUAGE plpgsql AS \$\$
DECLARE
	stop timestamptz := clock_timestamp() + seconds * interval '1 s';
BEGIN
	WHILE clock_timestamp() < stop LOOP
		INSERT INTO waits SELECT run, coalesce(wait_event_type || ':' || wait_event, 'CPU')
		  FROM pg_stat_activity
		 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
		   AND state = 'active' AND application_name = 'pgbench';
		COMMIT;
		PERFORM pg_stat_clear_snapshot();
		PERFORM pg_sleep(0.02);
	END LOOP;
END \$\$;
SQL

# tables: tsdb, heap + btree, heap without an index (the floor)
for tbl in w_tsdb w_heap w_heapnoidx; do
	using=""
	[ $tbl = w_tsdb ] && using="USING tsdb"
	psql -c "CREATE TABLE $tbl (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) $using"
	[ $tbl = w_heap ] && psql -c "CREATE INDEX ON w_heap (series, ts)"
	# the server-side loop of 1000 single-row INSERTs
	psql <<SQL
CREATE FUNCTION loop1000_$tbl() RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE
	l tsdb.labels[] := ARRAY(SELECT labels FROM bench_series ORDER BY id);
	n int := array_length(l, 1);
	s int := (random() * n)::int;
BEGIN
	FOR i IN 1..1000 LOOP
		INSERT INTO $tbl VALUES (l[(s + i) % n + 1], now(), random());
	END LOOP;
END \$\$;
SQL
done
mkdir -p "$DIR/scripts" "$DIR/logs"
for tbl in w_tsdb w_heap w_heapnoidx; do
	cat > "$DIR/scripts/single_$tbl.sql" <<SQL
\\set sid random(1, $NSERIES)
INSERT INTO $tbl VALUES ((SELECT labels FROM bench_series WHERE id = :sid), now(), random());
SQL
	awk -v t=$tbl -v n=100 'NR <= n { gsub(/\x27/, "\x27\x27"); printf "%s(\x27%s\x27, now(), random())", (NR > 1 ? ",\n" : "INSERT INTO " t " VALUES\n"), $0 } END { print ";" }' \
		<(awk -v step=$((NSERIES / 100)) 'NR % step == 0' "$DIR/series.txt") > "$DIR/scripts/batch100_$tbl.sql"
	echo "COPY $tbl FROM '$DIR/chunk.copy';" > "$DIR/scripts/copy_$tbl.sql"
	{
		echo '\startpipeline'
		echo 'BEGIN;'
		awk -v t=$tbl 'NR <= 1000 { gsub(/\x27/, "\x27\x27"); printf "INSERT INTO %s VALUES (\x27%s\x27, now(), random());\n", t, $0 }' "$DIR/series.txt"
		echo 'COMMIT;'
		echo '\endpipeline'
	} > "$DIR/scripts/txn1000_$tbl.sql"
	echo "SELECT loop1000_$tbl();" > "$DIR/scripts/loop1000_$tbl.sql"
done
chown -R postgres:postgres "$DIR/scripts" "$DIR/logs"

# bench WORKLOAD TABLE MODE CLIENTS ROWS: one pgbench run, with its WAL and
# (from 2 clients on) the inserting backends' wait events
bench() {
	local w=$1 tbl=$2 mode=$3 c=$4 rows=$5
	local prefix="$DIR/logs/${w}_${tbl}_${mode}_c$c" out tps lat l0 l1 opts="" spid
	rm -f "$prefix".*
	case $mode in
		async) opts="-c tsdb.async_commit=on" ;;
		delay) opts="-c commit_delay=200 -c commit_siblings=1" ;;
	esac
	l0=$(psql -At -c "SELECT pg_current_wal_insert_lsn()")
	psql -c "CALL sample_waits('$prefix', $SECS - 0.5)" &
	spid=$!
	out=$(as_pg env PGOPTIONS="$opts" "$PGBIN/pgbench" -h "$DIR" -p "$PORT" -n -M prepared -c "$c" -j "$c" \
		-T "$SECS" -l --log-prefix="$prefix" -f "$DIR/scripts/${w}_$tbl.sql" postgres 2>&1) ||
		{ echo "$out" >&2; return 1; }
	wait $spid
	l1=$(psql -At -c "SELECT pg_current_wal_insert_lsn()")
	tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
	lat=$(perl "$here/bench/latency.pl" "$prefix".*)
	set -- $lat
	psql <<SQL
INSERT INTO results SELECT '$w', '$tbl', '$mode', $c, $tps, $rows,
	NULLIF('$1', '-')::float8, NULLIF('$2', '-')::float8, NULLIF('$3', '-')::float8,
	pg_wal_lsn_diff('$l1', '$l0') / nullif($4::numeric * $rows, 0),
	(SELECT string_agg(wait || ' ' || round(100.0 * n / total) || '%', ', ' ORDER BY n DESC)
	   FROM (SELECT wait, count(*) AS n, sum(count(*)) OVER () AS total
	           FROM waits WHERE run = '$prefix' GROUP BY wait ORDER BY n DESC LIMIT 4) x);
SQL
	log "$w $tbl $mode c=$c: $tps tps, p50/p95/p99 ms $1/$2/$3"
}

for c in 1 2 4 8; do
	for tbl in w_tsdb w_heap w_heapnoidx; do
		bench single $tbl default $c 1
	done
	[ "$HAS_ASYNC" = 1 ] && bench single w_tsdb async $c 1
	bench single w_tsdb delay $c 1
	bench single w_heap delay $c 1
done
for c in 1 4; do
	for w in batch100:100 copy:1000 txn1000:1000 loop1000:1000; do
		for tbl in w_tsdb w_heap w_heapnoidx; do
			bench ${w%%:*} $tbl default $c ${w##*:}
		done
	done
done

SAMPLES=$(psql -At -c "SELECT count(*) FROM w_tsdb")
MEM=$(psql -At -c "SELECT pg_size_pretty(pg_total_relation_size('w_tsdb')) || ' tsdb, ' || pg_size_pretty(pg_total_relation_size('w_heap')) || ' heap + btree'")

mkdir -p "$(dirname "$OUT")"
{
	echo "# Write-path figures"
	echo
	echo "\`bash bench/write_figures.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) vCPU, load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "pgbench -M prepared, $SECS s per run; latencies from its per-transaction logs; WAL per sample = WAL bytes of the run / samples written."
	echo "tsdb.insert_batch_samples: $([ "$HAS_BUFFER" = 1 ] && echo exists || echo 'does not exist (before the insert buffer)'); tsdb.async_commit: $([ "$HAS_ASYNC" = 1 ] && echo exists || echo 'does not exist')."
	echo "At the end the tsdb table held $SAMPLES samples ($MEM)."
	echo
	echo "| workload | table | mode | clients | tps | samples/s | P50 ms | P99 ms | WAL B/sample | wait events (sampled) |"
	echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	psql -At -F ' | ' <<'SQL' | sed 's/^/| /; s/$/ |/'
SELECT workload,
       CASE tbl WHEN 'w_tsdb' THEN 'tsdb' WHEN 'w_heap' THEN 'heap + btree' ELSE 'heap, no index' END,
       mode, clients, round(tps::numeric, 1), round((tps * rows_per_txn)::numeric), p50, p99,
       round(wal, 1), coalesce(waits, '')
  FROM results ORDER BY workload, clients, tbl DESC, mode;
SQL
	echo
	echo "Ratios (tsdb default mode against heap + btree, same workload and clients):"
	echo
	psql -At <<'SQL'
SELECT format('- %s, %s client(s): tsdb %s samples/s, heap %s (x%s); WAL %s B/sample against %s (x%s)',
              t.workload, t.clients, round((t.tps * t.rows_per_txn)::numeric), round((h.tps * h.rows_per_txn)::numeric),
              round((t.tps / h.tps)::numeric, 2), round(t.wal, 1), round(h.wal, 1), round(t.wal / h.wal, 3))
  FROM results t JOIN results h USING (workload, clients, mode)
 WHERE t.tbl = 'w_tsdb' AND h.tbl = 'w_heap' AND mode = 'default'
 ORDER BY t.workload, t.clients;
SQL
} > "$OUT"
log "wrote $OUT"
