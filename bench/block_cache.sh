#!/usr/bin/env bash
# Block cache figures: `SELECT count(*), sum(value)` over the real data set
# (data/node-exporter-5s.tsv.zst, all of it in segments), cold and warm,
# with the block cache (tsdb.block_cache_size = 64MB) and without (0), in
# one run on one throwaway server.
#
#  - cold: the first query of a new session right after a server restart:
#    shared buffers and the block cache are empty (the OS page cache is
#    not dropped, so the pages come from memory, not disk);
#  - warm: the same query repeated in that session;
#  - new session: then the query once in a new session: shared buffers and
#    the cache are filled, but a new backend's first touch of each page of
#    shared memory is a page fault.
#
# For each setting: 5 restarts (the settings alternating), each giving one cold and 5 warm timings
# and one "new session" timing (psql's \timing, client side); the medians
# are reported, with the cache's
# hit rate over the run.  Also "x10": the data set loaded ten times with
# its time shifted by 30 minutes each, the same queries.  Parallel workers
# off, so one backend decodes.
#
# As root on Debian 12 (installs what it needs; builds tsdb and installs it
# into a private directory under TSDB_BENCH_DIR, not into the system):
#   sudo bash bench/block_cache.sh
# Writes markdown to stdout and to bench/results/block_cache.md.  About 3
# minutes.  TSDB_BENCH_DIR (/tmp/tsdb-bench-cache) and TSDB_BENCH_PORT
# (first free from 54360) override the defaults.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
DIR=${TSDB_BENCH_DIR:-/tmp/tsdb-bench-cache}
SYS_PGBIN=/usr/lib/postgresql/15/bin

if [ "$(id -u)" -ne 0 ]; then
	echo "block_cache.sh installs packages and tsdb: run it as root" >&2
	exit 1
fi
bash "$here/scripts/deps.sh"

# the private installation: a copy of the packaged server plus this tsdb
ROOT="$DIR.install"
echo "== building tsdb and installing it into $ROOT" >&2
make -s -C "$here" PG_CONFIG="$SYS_PGBIN/pg_config" >/dev/null
rm -rf "$ROOT"
mkdir -p "$ROOT/usr/lib/postgresql" "$ROOT/usr/share/postgresql"
cp -a /usr/lib/postgresql/15 "$ROOT/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$ROOT/usr/share/postgresql/"
make -s -C "$here" PG_CONFIG="$SYS_PGBIN/pg_config" install DESTDIR="$ROOT" >/dev/null
PGBIN="$ROOT/usr/lib/postgresql/15/bin"
. "$here/scripts/cluster.sh"
PORT=${TSDB_BENCH_PORT:-$(cluster_free_port 54360)}

cluster_remove "$DIR"
trap 'cluster_remove "$DIR" || true; rm -rf "$ROOT"' EXIT
trap 'exit 130' INT TERM
cluster_start "$DIR" "$PORT" "autovacuum = off
tsdb.worker_enabled = off
max_parallel_workers_per_gather = 0
include_if_exists = 'cache.conf'"
psql() { cluster_psql "$DIR" "$PORT" "$@"; }

copy_file_for_pg "$DIR"
psql -q <<SQL
CREATE EXTENSION tsdb;
CREATE TABLE real (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
COPY real FROM '$DIR/samples.copy';
SELECT tsdb.compact('real');
CREATE TABLE x10 (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO x10 SELECT series, ts + k * interval '30 min', value FROM real, generate_series(0, 9) k
  ORDER BY k, ts;
SELECT tsdb.compact('x10');
-- only segment pages left: scans read no consumed head page
VACUUM FULL real, x10;
CREATE TABLE timings (tbl text, cache text, kind text, ms float8);
CREATE TABLE rates (tbl text, cache text, hit_rate float8, used_bytes int8);
SQL

restart() {
	as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 restart >/dev/null
}

# settings alternate within each run, so both meet the same machine load
for run in 1 2 3 4 5; do
	echo "== run $run" >&2
	for tbl in real x10; do
		for cache in 64MB 0; do
			echo "tsdb.block_cache_size = '$cache'" > "$DIR/data/cache.conf"
			chown postgres:postgres "$DIR/data/cache.conf"
			restart
			out=$(psql -At <<SQL
\\timing on
SELECT count(*), sum(value) FROM $tbl;
SELECT count(*), sum(value) FROM $tbl;
SELECT count(*), sum(value) FROM $tbl;
SELECT count(*), sum(value) FROM $tbl;
SELECT count(*), sum(value) FROM $tbl;
SELECT count(*), sum(value) FROM $tbl;
SQL
)
			i=0
			for ms in $(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'); do
				kind=warm
				[ $i -eq 0 ] && kind=cold
				psql -q -c "INSERT INTO timings VALUES ('$tbl', '$cache', '$kind', $ms)"
				i=$((i + 1))
			done
			# a new backend: shared buffers and the cache are filled, but
			# its first touch of each shared page is a page fault
			ms=$(printf '\\timing on\nSELECT count(*), sum(value) FROM %s;\n' "$tbl" | psql -At |
				sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
			psql -q -c "INSERT INTO timings VALUES ('$tbl', '$cache', 'new session', $ms)"
			if [ $run -eq 5 ]; then
				psql -q -c "INSERT INTO rates SELECT '$tbl', '$cache', hit_rate, used_bytes FROM tsdb.block_cache_stats()"
			fi
		done
	done
done

report() {
	echo "## SELECT count(*), sum(value): cold and warm, with and without the block cache"
	echo
	echo "Median ms (cold: 5 runs, each the first query after a restart; new session: 5 runs,"
	echo "the first query of another session right after; warm: 25 runs)."
	echo "\`real\`: the real data set, $(psql -At -c 'SELECT count(*) FROM real') samples;"
	echo "\`x10\`: ten time-shifted copies of it, $(psql -At -c 'SELECT count(*) FROM x10') samples."
	echo
	psql -P footer=off <<SQL
SELECT t.tbl AS "table", t.cache AS "tsdb.block_cache_size",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE kind = 'cold')::numeric, 1) AS "cold ms",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE kind = 'new session')::numeric, 1) AS "new session ms",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE kind = 'warm')::numeric, 1) AS "warm ms",
       round(max(r.hit_rate)::numeric, 3) AS "hit rate",
       pg_size_pretty(max(r.used_bytes)) AS "cache used"
  FROM timings t JOIN rates r USING (tbl, cache)
 GROUP BY t.tbl, t.cache ORDER BY t.tbl DESC, t.cache DESC;
SQL
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r); \`sudo bash bench/block_cache.sh\`"
}
mkdir -p "$here/bench/results"
report | tee "$here/bench/results/block_cache.md"
