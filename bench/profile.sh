#!/usr/bin/env bash
# Profile the write and read paths with perf, on the cluster and the
# generated data set that a full bench/run.sh left behind.
#
#   sudo bash bench/run.sh            (once, to build the data set)
#   sudo bash bench/profile.sh        writes bench/results/profile-*.txt
#
# Each workload runs alone at one client for TSDB_PROFILE_SECS seconds while
# `perf record` samples every CPU (cpu-clock: these machines expose no
# hardware counters), with DWARF call graphs so that callers inside the
# stripped postgres binary are still attributed.  For each workload the
# report keeps the top functions by self time and, for the hottest tsdb
# ones, their callers.  doc/profiling.md reads these files.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/cluster.sh"

DIR=${TSDB_BENCH_DIR:-/tmp/tsdb-bench}
PORT=${TSDB_BENCH_PORT:-54331}
SECS=${TSDB_PROFILE_SECS:-10}
OUT=${TSDB_PROFILE_OUT:-$here/bench/results}
NSERIES=1000 NHOSTS=20 T0=1796083200 T1=$((1796083200 + 86400))

if [ "$(id -u)" -ne 0 ]; then
	echo "bench/profile.sh runs perf system-wide: run it as root" >&2
	exit 1
fi
command -v perf >/dev/null || apt-get install -y -q linux-perf >/dev/null
[ -f "$DIR/data/PG_VERSION" ] || { echo "no bench cluster in $DIR: run bench/run.sh first" >&2; exit 1; }
cluster_stop "$DIR"
cluster_start "$DIR" "$PORT"
trap 'cluster_stop "$DIR"' EXIT
mkdir -p "$OUT"

# The write workloads of run.sh grew bm_tsdb; profile on a fresh table with
# exactly the generated data set the read workloads saw, in shared buffers
# (a warm-up scan), so that the profile shows CPU rather than reads.
cluster_psql "$DIR" "$PORT" -At <<SQL >/dev/null
DROP TABLE IF EXISTS prof_tsdb;
CREATE TABLE prof_tsdb (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;
COPY prof_tsdb FROM '$DIR/gen.copy';
VACUUM ANALYZE prof_tsdb;
SELECT count(*) FROM prof_tsdb;
SQL

# profile NAME SCRIPT: one pgbench client under perf
profile() {
	local name=$1 sql=$2 data="$DIR/perf-$1.data" txt="$OUT/profile-$1.txt"
	perf record -q -F 499 -a --call-graph dwarf,8192 -o "$data" -- \
		runuser -u postgres -- "$PGBIN/pgbench" -h "$DIR" -p "$PORT" -n -M prepared -c 1 -T "$SECS" \
		-D nseries=$NSERIES -D nhosts=$NHOSTS -D t0=$T0 -D t1=$T1 -f "$sql" postgres > "$DIR/pgbench-$name.out" 2>&1
	{
		echo "# $name: $(sed -n 's/^tps = \([0-9.]*\).*/\1 transactions\/s/p' "$DIR/pgbench-$name.out"), ${SECS} s, 1 client"
		echo "# perf record -F 499 -a --call-graph dwarf; postgres processes only; self time in % of their samples, inclusive time in % of all samples of the machine"
		echo
		echo "## self time"
		perf report -i "$data" --comm postgres --percentage relative --no-children --sort dso,symbol \
			--percent-limit 1 --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | sed "s/ *- *- *$//" | head -n 30 || true
		echo
		echo "## inclusive time (the function and what it calls)"
		perf report -i "$data" --comm postgres --children --sort symbol \
			--percent-limit 2 --stdio -g none 2>/dev/null | grep -E "^ +[0-9]" | grep -v "\] 0x0000" | sed "s/ *- *- *$//" | head -n 45 || true
	} > "$txt"
	rm -f "$data"
	echo "== $name: $txt" >&2
}

scripts="$DIR/profile-scripts"
mkdir -p "$scripts"
for f in write_single write_copy read_series_1h read_latest_host read_max_metric_1h; do
	sed -e "s|@TBL@|prof_tsdb|g" -e "s|@DIR@|$DIR|g" "$here/bench/sql/$f.sql" > "$scripts/$f.sql"
done
sed -e "s|bm_tsdb|prof_tsdb|" "$DIR/scripts/write_batch100_bm_tsdb.sql" > "$scripts/write_batch100.sql"
chown -R postgres:postgres "$scripts"

# reads first, on the table as loaded
for f in read_series_1h read_latest_host read_max_metric_1h write_single write_batch100 write_copy; do
	profile "$f" "$scripts/$f.sql"
done
