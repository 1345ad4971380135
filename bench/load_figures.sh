#!/usr/bin/env bash
# Load figures for the core storage engine, tsdb next to heap in one run:
#  - COPY of the real data (184,320 samples): samples/s (median of 3, fresh
#    table each time), WAL bytes per sample, on-disk bytes per sample;
#  - single-row INSERT per transaction (pgbench, prepared, 1 client): TPS,
#    median of 3 rounds, against a heap table with a btree on (series, ts)
#    and an unindexed heap table (PostgreSQL's per-statement floor).
# As root on Debian 12 (installs what it needs).  Writes the table to stdout
# and to bench/results/load_figures.md.  Takes about 5 minutes.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
DIR=${TSDB_BENCH_DIR:-/tmp/tsdb-bench-load}
PORT=${TSDB_BENCH_PORT:-54330}
SECS=${TSDB_BENCH_SECS:-10}
. "$here/scripts/cluster.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "load_figures.sh installs packages and tsdb: run it as root" >&2
	exit 1
fi
bash "$here/scripts/deps.sh"
make -s -C "$here" PG_CONFIG="$PGBIN/pg_config" >/dev/null
make -s -C "$here" PG_CONFIG="$PGBIN/pg_config" install >/dev/null

cluster_stop "$DIR"
rm -rf "$DIR"
cluster_start "$DIR" "$PORT"
trap 'cluster_stop "$DIR"' EXIT

zstd -q -dc "$here/data/node-exporter-5s.tsv.zst" | perl "$here/scripts/tsv2copy.pl" > "$DIR/samples.copy"
chown postgres:postgres "$DIR/samples.copy"
psql() { cluster_psql "$DIR" "$PORT" "$@"; }
psql -c "CREATE EXTENSION tsdb" -c "CREATE TABLE copy_runs (tbl text, run int, seconds float8, wal numeric, bytes numeric)"

N=184320
for run in 1 2 3; do
	for tbl in tsdb heap; do
		if [ $tbl = tsdb ]; then using="USING tsdb"; idx=""; else using=""; idx="CREATE INDEX ON m_$tbl (series, ts);"; fi
		psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS m_$tbl;
CREATE TABLE m_$tbl (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) $using;
$idx
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS l0, clock_timestamp() AS t0 \gset
COPY m_$tbl FROM '$DIR/samples.copy';
SELECT pg_current_wal_insert_lsn() AS l1, clock_timestamp() AS t1 \gset
INSERT INTO copy_runs VALUES ('$tbl', $run, extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz),
	pg_wal_lsn_diff(:'l1', :'l0'), pg_total_relation_size('m_$tbl'));
SQL
	done
done

# single-row INSERT per transaction
psql <<'SQL'
CREATE TABLE ins_tsdb (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;
CREATE TABLE ins_heap (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL);
CREATE INDEX ON ins_heap (series, ts);
CREATE TABLE ins_heap_noidx (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL);
CREATE TABLE tps_runs (mode text, tbl text, round int, tps float8);
SQL
for t in tsdb heap heap_noidx; do
	cat > "$DIR/ins_$t.sql" <<SQL
\set s random(1, 100)
INSERT INTO ins_$t VALUES ('node_cpu_seconds_total{cpu="' || :s || '",instance="host-' || (:s % 10) || ':9100",job="node",mode="user"}', now(), :s);
SQL
done
echo 'SELECT 1;' > "$DIR/select1.sql"
chown postgres:postgres "$DIR"/*.sql
# Durable commits (the default) are bound by the WAL flush, which is noisy on
# shared disks: more rounds.  With synchronous_commit = off the per-row CPU
# cost shows.
run_pgbench() {
	local mode=$1 rounds=$2 tables=$3 opts=$4
	for round in $(seq 1 "$rounds"); do
		for t in $tables; do
			f="$DIR/ins_$t.sql"; [ $t = select1 ] && f="$DIR/select1.sql"
			tps=$(as_pg env PGOPTIONS="$opts" "$PGBIN/pgbench" -h "$DIR" -p "$PORT" -n -M prepared -c 1 -T "$SECS" -f "$f" postgres 2>/dev/null |
				sed -n 's/^tps = \([0-9.]*\).*/\1/p')
			psql -c "INSERT INTO tps_runs VALUES ('$mode', '$t', $round, $tps)"
		done
	done
}
run_pgbench sync "${TSDB_BENCH_ROUNDS:-5}" "tsdb heap heap_noidx" ""
run_pgbench async 3 "tsdb heap heap_noidx select1" "-c synchronous_commit=off"

out="$here/bench/results/load_figures.md"
psql -P pager=off -P footer=off -A -F ' | ' -t > "$out.tmp" <<SQL
SELECT '| table | COPY samples/s (median of 3) | WAL bytes/sample | bytes/sample on disk |';
SELECT '|---|---:|---:|---:|';
SELECT '| ' || CASE tbl WHEN 'tsdb' THEN 'tsdb' ELSE 'heap + btree (series, ts)' END || ' | '
       || round($N / percentile_disc(0.5) WITHIN GROUP (ORDER BY seconds)) || ' | '
       || round(percentile_disc(0.5) WITHIN GROUP (ORDER BY wal) / $N, 1) || ' | '
       || round(percentile_disc(0.5) WITHIN GROUP (ORDER BY bytes) / $N, 1) || ' |'
  FROM copy_runs GROUP BY tbl ORDER BY tbl DESC;
SELECT '';
SELECT '| single-row INSERT per transaction, pgbench -M prepared -c 1 -T $SECS | synchronous_commit | TPS (median) | rounds |';
SELECT '|---|---|---:|---|';
SELECT '| ' || CASE tbl WHEN 'tsdb' THEN 'tsdb' WHEN 'heap' THEN 'heap + btree (series, ts)'
                        WHEN 'heap_noidx' THEN 'heap, no index (floor)' ELSE 'SELECT 1 (floor)' END || ' | '
       || CASE mode WHEN 'sync' THEN 'on' ELSE 'off' END || ' | '
       || round(percentile_disc(0.5) WITHIN GROUP (ORDER BY tps)::numeric) || ' | '
       || string_agg(round(tps::numeric)::text, ', ' ORDER BY round) || ' |'
  FROM tps_runs GROUP BY mode, tbl
 ORDER BY mode DESC, CASE tbl WHEN 'tsdb' THEN 1 WHEN 'heap' THEN 2 WHEN 'heap_noidx' THEN 3 ELSE 4 END;
SQL
{
	echo "# Load figures: tsdb and heap in one run"
	echo
	echo "Command: \`sudo bash bench/load_figures.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, PostgreSQL $(as_pg "$PGBIN/postgres" --version | awk '{print $3}'), synchronous_commit on, shared_buffers 1GB)."
	echo "Data: data/node-exporter-5s.tsv.zst, 184,320 real samples, 512 series."
	echo
	cat "$out.tmp"
} > "$out"
rm -f "$out.tmp"
cat "$out"
