#!/usr/bin/env bash
# Segment figures: what compaction makes of the real data and of the
# benchmark generator's data, next to heap + btree (series, ts), in one run
# on one throwaway server (autovacuum off, so only the measured statements
# write WAL).  For each data set:
#
#  1. Compaction throughput: the data is COPYed into a fresh tsdb table
#     (in its time order), then `SELECT tsdb.compact(...)` is timed; samples/s
#     and WAL bytes per sample of the compaction, and WAL bytes per byte of
#     segment written.  Two cases: a CHECKPOINT between the load and the
#     compaction (the worst case: stamping each head page's runs is the
#     page's first change since the checkpoint and logs its full image), and
#     none (the head pages were written in the same checkpoint cycle, as with
#     a compaction every few seconds).  Median of 3 runs each, a fresh table
#     each.
#  2. Bytes per sample, lossless: after compaction and VACUUM FULL (which
#     keeps segments and leaves no head), pg_total_relation_size / samples;
#     the segment's timestamps, values and index (chunk headers and series
#     dictionary) apart when tsdb.stats() exists; heap + btree: table and
#     index apart.
#  3. Decode speed through SQL: `SELECT count(*), sum(value)` over the whole
#     table, tsdb (all in segments) against heap, hot, median of 5, and the
#     samples per second it implies.
#
# The codecs alone (no server) are measured by `make bench-codecs`.
#
# As root on Debian 12 (installs what it needs, builds and installs tsdb):
#   sudo bash bench/segment_figures.sh
# Writes markdown to stdout and to bench/results/segment_figures.md.  About
# 3 minutes.  TSDB_BENCH_DIR (/tmp/tsdb-bench-seg) and TSDB_BENCH_PORT
# (first free from 54340) override the defaults.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/cluster.sh"
DIR=${TSDB_BENCH_DIR:-/tmp/tsdb-bench-seg}
PORT=${TSDB_BENCH_PORT:-$(cluster_free_port 54340)}

bench_install_tsdb "bench/segment_figures.sh"

cluster_remove "$DIR"
trap 'cluster_remove "$DIR" || true' EXIT
trap 'exit 130' INT TERM
cluster_start "$DIR" "$PORT" "autovacuum = off"
psql() { cluster_psql "$DIR" "$PORT" "$@"; }

copy_file_for_pg "$DIR"
mv "$DIR/samples.copy" "$DIR/real.copy"
# generator: 20 hosts x 50 series, 10 s scrapes, 2 hours (720,000 samples,
# with the generator's share of full-entropy floats)
gcc -O2 -Wall -Wextra -Werror -o "$DIR/gen" "$here/bench/gen.c" -lm
"$DIR/gen" -h 20 -s 50 -i 10000 -d 7200 -t 1796083200 > "$DIR/gen.copy"
chown postgres:postgres "$DIR"/*.copy

psql -q -c "CREATE EXTENSION tsdb" \
	-c "CREATE TABLE runs (data text, ckpt bool, run int, samples bigint, seconds float8, wal numeric, seg_bytes numeric)" \
	-c "CREATE TABLE scans (data text, tbl text, run int, seconds float8)"
have_stats=$(psql -At -c "SELECT to_regproc('tsdb.stats') IS NOT NULL")

for data in real gen; do
	echo "== $data: compaction, 3 runs with and without a checkpoint before" >&2
	for run in 1 2 3; do
		for ckpt in true false; do
			psql -q <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS c_$data;
CHECKPOINT;
CREATE TABLE c_$data (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
COPY c_$data FROM '$DIR/$data.copy';
$([ $ckpt = true ] && echo "CHECKPOINT;" || true)
SELECT pg_current_wal_insert_lsn() AS l0, clock_timestamp() AS t0 \gset
SELECT tsdb.compact('c_$data') AS moved \gset
SELECT pg_current_wal_insert_lsn() AS l1, clock_timestamp() AS t1 \gset
INSERT INTO runs SELECT '$data', $ckpt, $run, :moved,
	extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz),
	pg_wal_lsn_diff(:'l1', :'l0'),
	(SELECT sum(pages) * current_setting('block_size')::int FROM tsdb.segments('c_$data'));
SQL
		done
	done
	echo "== $data: sizes and scans" >&2
	psql -q <<SQL
SET client_min_messages = warning;
VACUUM FULL c_$data;
DROP TABLE IF EXISTS h_$data;
CREATE TABLE h_$data (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL);
COPY h_$data FROM '$DIR/$data.copy';
CREATE INDEX h_${data}_idx ON h_$data (series, ts);
VACUUM ANALYZE h_$data;
SQL
	same=$(psql -At -c "SELECT (SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM c_$data EXCEPT ALL SELECT series, ts, float8send(value) FROM h_$data) a)
		+ (SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM h_$data EXCEPT ALL SELECT series, ts, float8send(value) FROM c_$data) b)")
	[ "$same" = 0 ] || { echo "segment_figures.sh: tsdb and heap differ on $data ($same rows)" >&2; exit 1; }
	for run in 1 2 3 4 5 6; do
		for t in c_$data h_$data; do
			psql -q <<SQL
SET max_parallel_workers_per_gather = 0;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*), sum(value) FROM $t \gset
SELECT clock_timestamp() AS t1 \gset
INSERT INTO scans SELECT '$data', '${t%%_*}', $run, extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz) WHERE $run > 1;
SQL
		done
	done
done

mkdir -p "$here/bench/results"
out="$here/bench/results/segment_figures.md"
{
	echo "# Segment figures"
	echo
	echo "\`sudo bash bench/segment_figures.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) vCPU, load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "real = data/node-exporter-5s.tsv.zst (512 series, 184,320 samples); gen = bench/gen.c -h 20 -s 50 -i 10000 -d 7200 (1,000 series, 720,000 samples)."
	echo
	echo "## Compaction (median of 3 runs, the whole head into one segment)"
	echo
	psql -A -F ' | ' -P footer=off <<'SQL' | sed -e 's/^/| /' -e 's/$/ |/' | sed '2i| --- | --- | ---: | ---: | ---: | ---: |'
SELECT data, CASE WHEN ckpt THEN 'yes' ELSE 'no' END AS "checkpoint before", max(samples) AS samples,
       round(max(samples) / percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds))::bigint AS "samples/s",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY wal / samples)::numeric, 3) AS "WAL bytes/sample",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY wal / seg_bytes)::numeric, 3) AS "WAL / segment bytes"
  FROM runs GROUP BY data, ckpt ORDER BY data DESC, ckpt DESC;
SQL
	echo
	echo "## Bytes per sample after compaction and VACUUM FULL (lossless)"
	echo
	echo "| data | tsdb whole relation | heap + btree total | heap table | btree index |"
	echo "| --- | ---: | ---: | ---: | ---: |"
	for data in real gen; do
		psql -At -F ' | ' <<SQL | sed -e "s/^/| $data | /" -e 's/$/ |/'
SELECT round(pg_total_relation_size('c_$data')::numeric / n, 3),
       round(pg_total_relation_size('h_$data')::numeric / n, 2),
       round(pg_table_size('h_$data')::numeric / n, 2),
       round(pg_indexes_size('h_$data')::numeric / n, 2)
  FROM (SELECT count(*) AS n FROM h_$data) c;
SQL
	done
	if [ "$have_stats" = t ]; then
		echo
		echo "tsdb.stats() of the compacted tables:"
		echo
		for data in real gen; do
			echo '```'
			psql -x -c "SELECT * FROM tsdb.stats('c_$data')"
			echo '```'
		done
	fi
	echo
	echo "## SELECT count(*), sum(value) over the whole table (hot, median of 5, no parallel workers)"
	echo
	echo "| data | table | ms | samples/s |"
	echo "| --- | --- | ---: | ---: |"
	psql -At -F ' | ' <<'SQL' | sed -e 's/^/| /' -e 's/$/ |/'
SELECT s.data, CASE s.tbl WHEN 'c' THEN 'tsdb (segments)' ELSE 'heap' END,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) * 1000)::numeric, 1),
       round(max(r.samples) / percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds))::bigint
  FROM scans s JOIN (SELECT data, max(samples) AS samples FROM runs GROUP BY data) r USING (data)
 GROUP BY s.data, s.tbl ORDER BY s.data DESC, s.tbl DESC;
SQL
} | tee "$out"
