#!/usr/bin/env bash
# Label index figure (issue 5): matchers across 10,000 series,
# {job="x", code=~"5.."}, answered by the shared-memory label index
# (posting list of job="x", the regex run on the 20 values of "code", an
# intersection) against a walk of the series dictionary that evaluates the
# matchers on every label set (the in-memory backend-local cache of the
# dictionary pages, already loaded: the fastest form of that scan, so the
# ratio is a lower bound).  Both are tsdb_series_match() as a scan calls
# it (metapage read included), timed in C by tsdb.label_index_bench() with
# the matcher parsed once: LOOPS calls per path after a warm-up, 5 rounds,
# the median reported; the two answers are checked equal.
#
# As root on Debian 12, from the repository (builds tsdb and installs it
# into a private copy of the PostgreSQL 15 installation under the bench
# directory; nothing is written outside it):
#   sudo bash bench/label_index.sh
# Writes markdown to stdout.  About a minute.  TSDB_BENCH_DIR
# (/tmp/tsdb-bench-lix), TSDB_BENCH_PORT (first free from 54360) and LOOPS
# (2000) override the defaults.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/cluster.sh"
DIR=${TSDB_BENCH_DIR:-/tmp/tsdb-bench-lix}
PORT=${TSDB_BENCH_PORT:-$(cluster_free_port 54360)}
LOOPS=${LOOPS:-2000}

if [ "$(id -u)" -ne 0 ]; then
	echo "label_index.sh builds and installs tsdb privately: run it as root" >&2
	exit 1
fi
SYSBIN=/usr/lib/postgresql/15/bin
cluster_remove "$DIR"
mkdir -p "$DIR/inst/usr/lib/postgresql" "$DIR/inst/usr/share/postgresql"
touch "$DIR/$CLUSTER_MARKER"
cp -a /usr/lib/postgresql/15 "$DIR/inst/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$DIR/inst/usr/share/postgresql/"
echo "== building tsdb" >&2
make -s -C "$here" PG_CONFIG="$SYSBIN/pg_config" >/dev/null
make -s -C "$here" PG_CONFIG="$SYSBIN/pg_config" install DESTDIR="$DIR/inst" >/dev/null
chown -R postgres:postgres "$DIR"
PGBIN="$DIR/inst/usr/lib/postgresql/15/bin"

trap 'cluster_stop "$DIR"; rm -rf "$DIR" || true' EXIT
trap 'exit 130' INT TERM
cluster_start "$DIR" "$PORT" "autovacuum = off
tsdb.worker_enabled = off"
psql() { cluster_psql "$DIR" "$PORT" "$@"; }

# 10,000 series: 20 jobs (one is "x") x 20 codes (5 of them 5xx) x 25
# instances; the matcher selects 125 of them.
psql -c "CREATE EXTENSION tsdb" -c "
CREATE TABLE b (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO b SELECT format('http_requests_total{job=\"%s\",code=\"%s\",instance=\"host-%s:9100\"}',
		CASE WHEN j = 0 THEN 'x' ELSE 'job-' || j END, (2 + c / 5) * 100 + c % 5, i),
	'2026-01-01', 1
	FROM generate_series(0, 19) j, generate_series(0, 19) c, generate_series(0, 24) i;"

psql -At <<SQL >/dev/null
CREATE TABLE t (path text, round int, us float8, series int8);
-- warm-up: the index built, the backend's dictionary cache loaded
SELECT * FROM tsdb.label_index_bench('b', '{job="x", code=~"5.."}', 10);
-- one call per round (LATERAL on the round, so it is not run once)
INSERT INTO t SELECT b.path, r, b.us_per_call, b.series
	FROM generate_series(1, 5) r,
	LATERAL tsdb.label_index_bench('b', '{job="x", code=~"5.."}', $LOOPS + 0 * r) b;
SQL

same=$(psql -At -c "SELECT (SELECT array_agg(x) FROM tsdb.label_index_match('b', '{job=\"x\", code=~\"5..\"}', true) x)
	= (SELECT array_agg(x) FROM tsdb.label_index_match('b', '{job=\"x\", code=~\"5..\"}', false) x)")
[ "$same" = t ] || { echo "the two paths disagree" >&2; exit 1; }
series=$(psql -At -c "SELECT count(*) FROM tsdb.series('b')")
matched=$(psql -At -c "SELECT count(*) FROM tsdb.label_index_match('b', '{job=\"x\", code=~\"5..\"}')")

echo "Matchers \`{job=\"x\", code=~\"5..\"}\` over $series series ($matched matched), $LOOPS calls per round, median of 5 rounds, $(nproc) cores:"
echo
echo "| path | µs per lookup (median) | min | max |"
echo "|---|---:|---:|---:|"
psql -At -F ' | ' -c "SELECT '| ' || path, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY us)::numeric, 1),
	round(min(us)::numeric, 1), round(max(us)::numeric, 1) || ' |'
	FROM t GROUP BY path ORDER BY path DESC"
echo
psql -At -c "SELECT 'Label index is ' || round((percentile_cont(0.5) WITHIN GROUP (ORDER BY us) FILTER (WHERE path = 'dictionary')
	/ percentile_cont(0.5) WITHIN GROUP (ORDER BY us) FILTER (WHERE path = 'index'))::numeric, 1) || 'x faster than the dictionary walk.' FROM t"
psql -At -c "SELECT 'Index memory for the table: ' || pg_size_pretty(bytes) || ' (' || series || ' series, ' || postings || ' posting lists).'
	FROM tsdb.label_index_stats() WHERE relid = 'b'::regclass"
