#!/usr/bin/env bash
# Memory of an ingesting backend over a long run (issue 6): one pgbench
# client writes a mix of every ingest path into a tsdb table for
# TSDB_MEM_SECS seconds (default 600) while the background worker compacts;
# every 30 s the backend's memory contexts are logged
# (pg_log_backend_memory_contexts) and their grand total read back from the
# server log, with the backend's private resident memory (RssAnon).
#
#   sudo bash bench/memory_figures.sh     writes bench/results/memory_figures.md
#
# Environment: TSDB_BENCH_DIR, TSDB_BENCH_PORT, TSDB_MEM_SECS, TSDB_BENCH_OUT.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/cluster.sh"

DIR=${TSDB_BENCH_DIR:-/tmp/tsdb-memory-bench}
PORT=${TSDB_BENCH_PORT:-54342}
SECS=${TSDB_MEM_SECS:-600}
OUT=${TSDB_BENCH_OUT:-$here/bench/results/memory_figures.md}
EVERY=30

bench_install_tsdb "bench/memory_figures.sh"

cluster_remove "$DIR"
cluster_start "$DIR" "$PORT" "tsdb.worker_naptime = 5s
tsdb.compact_min_samples = 20000"
trap 'cluster_stop "$DIR"' EXIT
psql() { cluster_psql "$DIR" "$PORT" "$@"; }

# 1000 series, one COPY file of a scrape of them
psql -q <<'SQL'
CREATE EXTENSION tsdb;
CREATE TABLE w (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;
SQL
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "node_cpu_seconds_total{host=\"h%d\",cpu=\"%d\"}\t2026-01-01 00:00:00+00\t%d\n", i % 50, i, i }' > "$DIR/scrape.sql"
chown postgres:postgres "$DIR/scrape.sql"
cat > "$DIR/single.sql" <<'SQL'
\set k random(0, 999)
INSERT INTO w VALUES ('node_cpu_seconds_total{host="h' || :k % 50 || '",cpu="' || :k || '"}', now(), random());
SQL
{
	echo 'BEGIN;'
	for i in $(seq 0 9 999); do
		echo "INSERT INTO w VALUES ('node_cpu_seconds_total{host=\"h$((i % 50))\",cpu=\"$i\"}', now(), random());"
	done
	echo 'SAVEPOINT s;'
	echo "INSERT INTO w VALUES ('node_cpu_seconds_total{host=\"h0\",cpu=\"0\"}', now(), -1);"
	echo 'ROLLBACK TO SAVEPOINT s;'
	echo 'COMMIT;'
} > "$DIR/txn.sql"
cat > "$DIR/select.sql" <<'SQL'
INSERT INTO w SELECT ('node_cpu_seconds_total{host="h' || i % 50 || '",cpu="' || i || '"}')::tsdb.labels, now(), i FROM generate_series(0, 999) i;
SELECT count(*) FROM w WHERE series = 'node_cpu_seconds_total{host="h1",cpu="1"}' AND ts > now() - interval '1 minute';
SQL
echo "COPY w FROM '$DIR/scrape.sql';" > "$DIR/copy.sql"
chown postgres:postgres "$DIR"/*.sql

as_pg "$PGBIN/pgbench" -h "$DIR" -p "$PORT" -n -M prepared -c 1 -T "$SECS" \
	-f "$DIR/single.sql@20" -f "$DIR/txn.sql@2" -f "$DIR/select.sql@1" -f "$DIR/copy.sql@1" \
	postgres > "$DIR/pgbench.out" 2>&1 &
bench_pid=$!
pid=""
for _ in $(seq 1 50); do
	pid=$(psql -At -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench' LIMIT 1")
	[ -n "$pid" ] && break
	sleep 0.2
done
[ -n "$pid" ] || { echo "pgbench did not connect" >&2; cat "$DIR/pgbench.out" >&2; exit 1; }

samples="$DIR/memory.tsv"
: > "$samples"
start=$(date +%s)
while kill -0 "$bench_pid" 2>/dev/null; do
	sleep "$EVERY"
	kill -0 "$bench_pid" 2>/dev/null || break
	psql -At -c "SELECT pg_log_backend_memory_contexts($pid)" >/dev/null || break
	sleep 1
	total=$(grep "\[$pid\] LOG:  Grand total" "$DIR/server.log" | tail -n 1 | sed 's/.*Grand total: \([0-9]*\) bytes.*/\1/')
	anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo -)
	rows=$(psql -At -c "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'w'")
	echo "$(( $(date +%s) - start ))	$total	$anon	$rows" >> "$samples"
done
wait "$bench_pid" || { cat "$DIR/pgbench.out" >&2; exit 1; }

first=$(sed -n 2p "$samples")    # after a minute: the caches are filled
last=$(tail -n 1 "$samples")
mkdir -p "$(dirname "$OUT")"
{
	echo "# Memory of an ingesting backend"
	echo
	echo "\`bash bench/memory_figures.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) vCPU, $SECS s."
	echo "One pgbench client (-M prepared) writing 1000 series into a tsdb table: single-row INSERT transactions"
	echo "(weight 20), transactions of 112 single-row INSERTs with a savepoint rolled back (2), INSERT ... SELECT of"
	echo "1000 rows plus a one-series read (1), COPY of 1000 rows (1); the background worker compacting"
	echo "(tsdb.worker_naptime = 5s, tsdb.compact_min_samples = 20000). Every $EVERY s: the backend's memory"
	echo "contexts (grand total of pg_log_backend_memory_contexts) and its private resident memory (RssAnon)."
	echo
	echo "$(grep -E '^(number of transactions actually processed|tps)' "$DIR/pgbench.out" | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
	echo
	echo "| seconds | memory contexts, bytes | RssAnon, kB | rows inserted |"
	echo "| ---: | ---: | ---: | ---: |"
	sed 's/^/| /; s/\t/ | /g; s/$/ |/' "$samples"
	echo
	set -- $first
	f_total=$2 f_anon=$3
	set -- $last
	echo "From $(echo "$first" | cut -f1) s to $1 s: memory contexts $f_total -> $2 bytes ($(( $2 - f_total )) bytes), RssAnon $f_anon -> $3 kB, while $(( $4 - $(echo "$first" | cut -f4) )) more rows were inserted."
} > "$OUT"
echo "== wrote $OUT" >&2
cat "$OUT"
