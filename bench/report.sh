#!/usr/bin/env bash
# Turn the results a bench/run.sh cluster holds into the markdown report and
# the throughput-vs-clients plot.  Called by run.sh:
#   report.sh DIR PORT OUT QUICK SECS NGEN NREAL NSERIES
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/cluster.sh"
DIR=$1 PORT=$2 OUT=$3 QUICK=$4 SECS=$5 NGEN=$6 NREAL=$7 NSERIES=$8
psql() { cluster_psql "$DIR" "$PORT" -At -P pager=off "$@"; }
PNG="${OUT%.md}-throughput.png"

# samples each read query matches, for samples/s (deterministic from the data:
# 10 s scrapes; see bench/sql/*.sql)
psql <<SQL
CREATE TABLE read_rows (workload text PRIMARY KEY, samples numeric, what text);
INSERT INTO read_rows VALUES
 ('read_series_1h', 360, '360 samples (1 series x 1 h)'),
 ('read_series_1d_5m', 8640, '8,640 samples in 288 buckets'),
 ('read_latest_host', (SELECT count(*) FROM bench_series WHERE labels @@ '{instance="host-0000:9100"}'), 'one sample per series of the host'),
 ('read_max_metric_1h', 360 * $NSERIES, '360 samples x $NSERIES series'),
 ('mixed_readers', 360, '360 samples (1 series x 1 h)');
SQL

{
	echo "# Benchmarks: tsdb and heap side by side"
	echo
	if [ "$QUICK" = 1 ]; then
		echo "**Quick mode** (CI): small data and ${SECS}-second runs; timings are not meaningful."
	else
		echo "Produced by \`sudo bash bench/run.sh\` on $(date -u +%Y-%m-%d): $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, every workload ${SECS} s per client count, pgbench -M prepared."
	fi
	echo "Every figure for tsdb was measured in the same run as the heap figure beside it;"
	echo "the heap table has a btree on (series, ts). Samples/s = transactions/s x samples per transaction."
	echo
	echo "## Server settings"
	echo
	echo "| setting | value |"
	echo "|---|---|"
	psql -c "SELECT '| ' || name || ' | ' || setting || coalesce(' ' || unit, '') || ' |' FROM pg_settings
		WHERE name IN ('server_version', 'shared_buffers', 'wal_level', 'synchronous_commit', 'max_wal_size',
		               'checkpoint_timeout', 'autovacuum', 'shared_preload_libraries', 'wal_compression', 'fsync')
		ORDER BY name"
	echo
	echo "## Data and storage"
	echo
	echo "Generated: $NGEN samples of $NSERIES series (bench/gen.c: counters, gauges with few decimals, constants, noisy floats), in scrape order."
	echo "Real: $NREAL samples of 512 series (data/node-exporter-5s.tsv.zst). Loaded with one COPY each, after a checkpoint."
	echo
	echo "| data | table | samples | COPY samples/s | bytes/sample on disk | WAL bytes/sample |"
	echo "|---|---|---:|---:|---:|---:|"
	psql -c "SELECT '| ' || dataset || ' | ' || CASE WHEN tbl LIKE '%tsdb' THEN 'tsdb' ELSE 'heap + btree' END || ' | '
		|| samples || ' | ' || round(samples / seconds) || ' | ' || round(bytes / samples, 2) || ' | '
		|| round(wal / samples, 2) || ' |' FROM loads ORDER BY dataset DESC, tbl DESC"
	echo
	echo "## Writes"
	echo
	echo "| workload | clients | tsdb samples/s | heap samples/s | tsdb / heap | tsdb p50 / p95 / p99 ms | heap p50 / p95 / p99 ms |"
	echo "|---|---:|---:|---:|---:|---|---|"
	psql -c "SELECT '| ' || t.workload || ' | ' || t.clients || ' | ' || round(t.tps * t.rows_per_txn) || ' | '
		|| round(h.tps * h.rows_per_txn) || ' | ' || round((t.tps / h.tps)::numeric, 2) || ' | '
		|| t.p50 || ' / ' || t.p95 || ' / ' || t.p99 || ' | ' || h.p50 || ' / ' || h.p95 || ' / ' || h.p99 || ' |'
		FROM results t JOIN results h USING (kind, workload, clients)
		WHERE t.kind = 'write' AND t.tbl = 'bm_tsdb' AND h.tbl = 'bm_heap'
		ORDER BY array_position(ARRAY['write_single', 'write_batch100', 'write_copy'], t.workload), t.clients"
	echo
	echo "Floors for single-row writes (PostgreSQL's per-statement cost), same run:"
	echo
	echo "| statement | clients | transactions/s | p50 / p95 / p99 ms |"
	echo "|---|---:|---:|---|"
	psql -c "SELECT '| ' || CASE workload WHEN 'select1' THEN 'SELECT 1' ELSE 'INSERT into a heap without index' END
		|| ' | ' || clients || ' | ' || round(tps) || ' | ' || p50 || ' / ' || p95 || ' / ' || p99 || ' |'
		FROM results WHERE kind = 'floor' ORDER BY workload, clients"
	echo
	echo "With two or more clients, pgbench 15 writes a latency of 0 into its per-transaction log for most"
	echo "\`SELECT 1\` transactions (178,567 of 191,207 in a 3-second check): those percentiles are lower bounds,"
	echo "not measurements. Every other workload here takes far longer than that and is logged normally."
	echo
	echo "## Reads"
	echo
	echo "| query | clients | tsdb queries/s | heap queries/s | tsdb / heap | tsdb samples/s | tsdb p50 / p95 / p99 ms | heap p50 / p95 / p99 ms |"
	echo "|---|---:|---:|---:|---:|---:|---|---|"
	psql -c "SELECT '| ' || t.workload || ' | ' || t.clients || ' | ' || round(t.tps::numeric, 1) || ' | '
		|| round(h.tps::numeric, 1) || ' | ' || round((t.tps / h.tps)::numeric, 2) || ' | '
		|| round(t.tps * r.samples) || ' | '
		|| t.p50 || ' / ' || t.p95 || ' / ' || t.p99 || ' | ' || h.p50 || ' / ' || h.p95 || ' / ' || h.p99 || ' |'
		FROM results t JOIN results h USING (kind, workload, clients) JOIN read_rows r ON r.workload = t.workload
		WHERE t.kind = 'read' AND t.tbl = 'bm_tsdb' AND h.tbl = 'bm_heap'
		ORDER BY array_position(ARRAY['read_series_1h', 'read_series_1d_5m', 'read_latest_host', 'read_max_metric_1h'], t.workload), t.clients"
	echo
	echo "Reads from disk: each query run once on a fresh server, $(psql -c "SELECT extra FROM results WHERE kind = 'cold' LIMIT 1")."
	echo "Latency of that one query over $(ls "$DIR"/logs/cold_read_series_1h_bm_tsdb.* | wc -l) rounds (with so few rounds, p99 is the slowest one):"
	echo
	echo "| query | tsdb p50 / p99 ms | heap p50 / p99 ms | tsdb / heap p50 |"
	echo "|---|---|---|---:|"
	psql -c "SELECT '| ' || t.workload || ' | ' || t.p50 || ' / ' || t.p99 || ' | ' || h.p50 || ' / ' || h.p99 || ' | '
		|| round((t.p50 / h.p50)::numeric, 2) || ' |'
		FROM results t JOIN results h USING (kind, workload)
		WHERE t.kind = 'cold' AND t.tbl = 'bm_tsdb' AND h.tbl = 'bm_heap'
		ORDER BY array_position(ARRAY['read_series_1h', 'read_series_1d_5m', 'read_latest_host', 'read_max_metric_1h'], t.workload)"
	echo
	echo "Samples matched per query:"
	psql -c "SELECT '- ' || workload || ': ' || what FROM read_rows WHERE workload LIKE 'read%' ORDER BY workload"
	echo
	echo "## Mixed: one writer and N readers at once"
	echo
	echo "| readers | tsdb writer samples/s | tsdb readers queries/s | heap writer samples/s | heap readers queries/s | tsdb reader p99 ms | heap reader p99 ms |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	psql -c "SELECT '| ' || tr.clients || ' | ' || round(tw.tps) || ' | ' || round(tr.tps::numeric, 1) || ' | '
		|| round(hw.tps) || ' | ' || round(hr.tps::numeric, 1) || ' | ' || tr.p99 || ' | ' || hr.p99 || ' |'
		FROM results tr
		JOIN results tw ON tw.workload = 'mixed_writer' AND tw.tbl = 'bm_tsdb' AND tw.clients = tr.clients
		JOIN results hr ON hr.workload = 'mixed_readers' AND hr.tbl = 'bm_heap' AND hr.clients = tr.clients
		JOIN results hw ON hw.workload = 'mixed_writer' AND hw.tbl = 'bm_heap' AND hw.clients = tr.clients
		WHERE tr.workload = 'mixed_readers' AND tr.tbl = 'bm_tsdb' ORDER BY tr.clients"
	echo
	echo "## Memory"
	echo
	psql -c "SELECT '- shared memory of the server: ' || current_setting('shared_memory_size')
		|| ' (tsdb allocates none of its own yet)'"
	psql -c "SELECT '- ' || CASE tbl WHEN 'bm_tsdb' THEN 'tsdb' ELSE 'heap' END || ', backend after scanning the table: ' || extra
		FROM results WHERE kind = 'memory' ORDER BY tbl DESC"
	echo
	echo "## Targets"
	echo
	echo "Targets from the plan this project grew from, per sample. Single-row and batched writes are kept apart:"
	echo "a single-row INSERT per transaction is bounded by PostgreSQL's per-statement cost (the floors above)."
	echo
	echo "| target | measured (tsdb) | met? |"
	echo "|---|---|---|"
	psql <<'SQL'
WITH w AS (SELECT workload, clients, tps * rows_per_txn AS sps FROM results WHERE kind = 'write' AND tbl = 'bm_tsdb'),
     r AS (SELECT t.workload, t.clients, t.tps * rr.samples AS sps, t.p99 FROM results t JOIN read_rows rr USING (workload)
           WHERE t.kind = 'read' AND t.tbl = 'bm_tsdb')
SELECT '| writes > 50K samples/s, 1 client (' || workload || ') | ' || round(sps) || ' | '
       || CASE WHEN sps > 50000 THEN 'yes' ELSE 'no' END || ' |' FROM w WHERE clients = 1
UNION ALL
SELECT '| writes > 200K samples/s, 4 clients (' || workload || ') | ' || round(sps) || ' | '
       || CASE WHEN sps > 200000 THEN 'yes' ELSE 'no' END || ' |' FROM w WHERE clients = 4
UNION ALL
SELECT '| reads > 100K samples/s, 1 client (' || workload || ') | ' || round(sps) || ' | '
       || CASE WHEN sps > 100000 THEN 'yes' ELSE 'no' END || ' |' FROM r WHERE clients = 1
UNION ALL
SELECT '| reads > 500K samples/s, 4 clients (' || workload || ') | ' || round(sps) || ' | '
       || CASE WHEN sps > 500000 THEN 'yes' ELSE 'no' END || ' |' FROM r WHERE clients = 4
UNION ALL
SELECT '| P99 < 10 ms, cached reads (' || workload || ', ' || clients || ' clients) | ' || p99 || ' ms | '
       || CASE WHEN p99 < 10 THEN 'yes' ELSE 'no' END || ' |' FROM r WHERE clients IN (1, 4)
UNION ALL
SELECT '| P99 < 100 ms, reads from disk (' || workload || ') | ' || p99 || ' ms | '
       || CASE WHEN p99 < 100 THEN 'yes' ELSE 'no' END || ' |' FROM results WHERE kind = 'cold' AND tbl = 'bm_tsdb';
SQL
	echo
	echo "Cached reads run against data in shared buffers after the load; reads from disk are the cold table above."
	echo
	echo "![throughput vs clients]($(basename "$PNG"))"
	if [ -f "$(dirname "$OUT")/profiling.md" ]; then
		echo
		echo "## Bottlenecks"
		echo
		echo "The top five found by profiling the write and read paths (\`bench/profile.sh\`), with the evidence, in [profiling.md](profiling.md):"
		echo
		sed -n 's/^## \([0-9]\)\. \(.*\)/\1. \2/p' "$(dirname "$OUT")/profiling.md"
	fi
} > "$OUT"

# Throughput vs clients: samples/s written, queries/s read, both tables.
psql -F ' ' -c "SELECT workload || '_' || CASE tbl WHEN 'bm_tsdb' THEN 'tsdb' ELSE 'heap' END, clients,
	CASE WHEN kind = 'write' THEN tps * rows_per_txn ELSE tps END
	FROM results WHERE kind IN ('read', 'write') ORDER BY 1, 2" > "$DIR/plot.dat"
if command -v gnuplot >/dev/null; then
	series=$(cut -d' ' -f1 "$DIR/plot.dat" | uniq)
	{
		echo "set terminal pngcairo size 1400,600 font ',10' noenhanced"
		echo "set output '$PNG'"
		echo "set multiplot layout 1,2"
		echo "set logscale y; set xtics (1,2,4,8); set key outside right; set grid"
		echo "set title 'writes (samples/s)'; set xlabel 'clients'"
		printf "plot "
		for s in $series; do case $s in write*) printf "'$DIR/plot.dat' using 2:(strcol(1) eq '%s' ? \$3 : 1/0) with linespoints title '%s', " "$s" "$s" ;; esac; done
		echo "1/0 notitle"
		echo "set title 'reads (queries/s)'"
		printf "plot "
		for s in $series; do case $s in read*) printf "'$DIR/plot.dat' using 2:(strcol(1) eq '%s' ? \$3 : 1/0) with linespoints title '%s', " "$s" "$s" ;; esac; done
		echo "1/0 notitle"
		echo "unset multiplot"
	} > "$DIR/plot.gp"
	gnuplot "$DIR/plot.gp"
fi
