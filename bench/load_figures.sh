#!/usr/bin/env bash
# Load figures: tsdb next to plain PostgreSQL tables, measured in one run on
# one throwaway server.  Tables (series, ts, value):
#   tsdb        USING tsdb
#   heap        heap, series tsdb.labels, btree (series, ts)  -- the baseline
#   heap_text   heap, series text COLLATE "C", btree (series, ts): the same
#               index over plain text, to separate what the labels type's
#               btree comparison costs from what heap + btree costs
#   heap_noidx  heap, series tsdb.labels, no index: PostgreSQL's own floor
#
#  1. COPY of the real data (data/node-exporter-5s.tsv.zst, 184,320 samples,
#     512 series): samples/s (median of 3 runs, a fresh table each run, the
#     order rotated between runs), WAL bytes per sample (insert LSN around
#     the COPY, which starts right after a CHECKPOINT) and on-disk bytes per
#     sample (pg_total_relation_size right after the COPY).  The loads are
#     checked to hold the same rows.
#  2. Single-row INSERT, one per transaction: pgbench -M prepared, 1 client,
#     a custom script inserting one sample of a random series out of 100 real
#     series names from the data set, ts = now().  Rounds of SECS seconds
#     (default 6), interleaved over the tables so drift hits all alike:
#     with synchronous_commit on (the default; bound by the WAL flush, which
#     is noisy on shared disks, so 5 rounds) and off (shows the CPU cost per
#     row; 3 rounds).  TPS is the median round; WAL bytes per transaction
#     come from the insert LSN around each round.
#
# As root on Debian 12 (installs what it needs, builds and installs tsdb):
#   sudo bash bench/load_figures.sh
# Writes a markdown table to stdout and to bench/results/load_figures.md.
# Takes about 4.5 minutes.  TSDB_BENCH_DIR (/tmp/tsdb-bench-load),
# TSDB_BENCH_PORT (54330), TSDB_BENCH_SECS (6), TSDB_BENCH_ROUNDS (5, with
# synchronous_commit on) and TSDB_BENCH_ASYNC_ROUNDS (3) override them.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
DIR=${TSDB_BENCH_DIR:-/tmp/tsdb-bench-load}
PORT=${TSDB_BENCH_PORT:-54330}
SECS=${TSDB_BENCH_SECS:-6}
ROUNDS=${TSDB_BENCH_ROUNDS:-5}
ASYNC_ROUNDS=${TSDB_BENCH_ASYNC_ROUNDS:-3}
N=184320
. "$here/scripts/cluster.sh"

bench_install_tsdb "bench/load_figures.sh"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
cluster_remove "$DIR"
# The server is this run's alone: stop and remove it however the run ends.
trap 'cluster_remove "$DIR" || true' EXIT
trap 'exit 130' INT TERM
# no background compaction: the figures are those of the head as loaded
cluster_start "$DIR" "$PORT" "tsdb.worker_enabled = off"

copy_file_for_pg "$DIR"
psql() { cluster_psql "$DIR" "$PORT" "$@"; }
psql -c "CREATE EXTENSION tsdb" \
	-c "CREATE TABLE copy_runs (tbl text, run int, seconds float8, wal numeric, bytes numeric)" \
	-c "CREATE TABLE tps_runs (sync text, tbl text, round int, tps float8, lat_ms float8, txns bigint, wal numeric)"

# create_sql KIND NAME: the table of each kind measured.
#   tsdb        the tsdb access method
#   heap        heap, series tsdb.labels, btree (series, ts)
#   heap_text   heap, series text COLLATE "C", btree (series, ts): the same
#               index over plain text, to show what the labels type's
#               comparison costs the heap baseline
#   heap_noidx  heap, series tsdb.labels, no index: PostgreSQL's floor
create_sql() {
	local kind=$1 name=$2 type=tsdb.labels using="" idx=""
	case $kind in
	tsdb) using="USING tsdb" ;;
	heap) idx="CREATE INDEX ON $name (series, ts);" ;;
	heap_text) type='text COLLATE "C"'; idx="CREATE INDEX ON $name (series, ts);" ;;
	heap_noidx) ;;
	esac
	echo "CREATE TABLE $name (series $type NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) $using; $idx"
}
KINDS="tsdb heap heap_text heap_noidx"

echo "== COPY, 3 runs per table" >&2
for run in 1 2 3; do
	# rotate who goes first
	order=$(echo $KINDS $KINDS | cut -d' ' -f$run-$((run + 3)))
	for tbl in $order; do
		psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS m_$tbl;
$(create_sql $tbl m_$tbl)
CHECKPOINT;
SELECT pg_current_wal_insert_lsn() AS l0, clock_timestamp() AS t0 \gset
COPY m_$tbl FROM '$DIR/samples.copy';
SELECT pg_current_wal_insert_lsn() AS l1, clock_timestamp() AS t1 \gset
INSERT INTO copy_runs VALUES ('$tbl', $run, extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz),
	pg_wal_lsn_diff(:'l1', :'l0'), pg_total_relation_size('m_$tbl'));
SQL
	done
done
# All loads hold the same rows (a benchmark of a wrong result is worthless).
diffs=$(psql -At -c "SELECT (SELECT count(*) FROM (TABLE m_tsdb EXCEPT ALL TABLE m_heap) a)
	+ (SELECT count(*) FROM (TABLE m_heap EXCEPT ALL TABLE m_tsdb) b)
	+ (SELECT count(*) FROM (SELECT series::text, ts, value FROM m_tsdb EXCEPT ALL TABLE m_heap_text) c)
	+ abs((SELECT count(*) FROM m_tsdb) - $N) + abs((SELECT count(*) FROM m_heap_text) - $N)
	+ abs((SELECT count(*) FROM m_heap_noidx) - $N)")
[ "$diffs" = 0 ] || { echo "load_figures.sh: the loads differ ($diffs rows)" >&2; exit 1; }
psql -c "DROP TABLE m_tsdb, m_heap, m_heap_text, m_heap_noidx" -c "CHECKPOINT"

# 100 real series names, evenly spread over the sorted 512; one \if branch
# each, so pgbench picks the name on the client and the server sees one
# prepared INSERT per name, the same for every table.
for t in $KINDS; do
	psql -c "$(create_sql $t ins_$t)"
done
cut -f1 "$DIR/samples.copy" | LC_ALL=C sort -u > "$DIR/series.txt"
for t in $KINDS; do
	perl -e '
		my ($table, $file) = @ARGV;
		open(my $fh, "<", $file) or die "$file: $!";
		chomp(my @all = <$fh>);
		die "expected 512 series, got " . scalar(@all) . "\n" unless @all == 512;
		my @pick = map { $all[int($_ * @all / 100)] } 0 .. 99;
		print "\\set s random(1, 100)\n\\set v random(0, 1000000) / 1000.0\n";
		for my $i (0 .. 99)
		{
			# The label text as an E\x27\x27 literal.  pgbench substitutes :name
			# even inside quotes (MAC addresses like "02:fc:..." are in the
			# data), so every colon is written as \x3a.
			(my $lit = $pick[$i]) =~ s/\\\\/\\/g;    # undo the COPY text escape
			$lit =~ s/\\/\\\\/g;
			$lit =~ s/\x27/\x27\x27/g;
			$lit =~ s/:/\\x3a/g;
			print $i == 0 ? "\\if :s = 1\n" : "\\elif :s = " . ($i + 1) . "\n";
			print "INSERT INTO $table VALUES (E\x27$lit\x27, now(), :v);\n";
		}
		print "\\endif\n";
	' "ins_$t" "$DIR/series.txt" > "$DIR/ins_$t.sql"
done
chown postgres:postgres "$DIR"/*.sql

run_pgbench() {
	local sync=$1 rounds=$2 round t out tps lat l0 l1 n0 n1
	for round in $(seq 1 "$rounds"); do
		for t in $KINDS; do
			l0=$(psql -At -c "SELECT pg_current_wal_insert_lsn()")
			n0=$(psql -At -c "SELECT count(*) FROM ins_$t")
			out=$(as_pg env PGOPTIONS="-c synchronous_commit=$sync" "$PGBIN/pgbench" -h "$DIR" -p "$PORT" \
				-n -M prepared -c 1 -T "$SECS" -f "$DIR/ins_$t.sql" postgres 2>&1) ||
				{ echo "$out" >&2; return 1; }
			l1=$(psql -At -c "SELECT pg_current_wal_insert_lsn()")
			n1=$(psql -At -c "SELECT count(*) FROM ins_$t")
			tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
			lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
			psql -c "INSERT INTO tps_runs VALUES ('$sync', '$t', $round, $tps, $lat, $n1 - $n0,
				pg_wal_lsn_diff('$l1', '$l0'))"
		done
	done
}
echo "== single-row INSERT, synchronous_commit = on, $ROUNDS x $SECS s per table" >&2
run_pgbench on "$ROUNDS"
echo "== single-row INSERT, synchronous_commit = off, $ASYNC_ROUNDS x $SECS s per table" >&2
run_pgbench off "$ASYNC_ROUNDS"
# Every sample the pgbench scripts wrote carries one of the chosen real names.
psql -c "CREATE TABLE real_series (series tsdb.labels)" -c "COPY real_series FROM '$DIR/series.txt'"
bad=$(psql -At -c "SELECT count(*) FROM (SELECT series FROM ins_tsdb UNION SELECT series FROM ins_heap
	UNION SELECT series::tsdb.labels FROM ins_heap_text UNION SELECT series FROM ins_heap_noidx) s
	WHERE series NOT IN (SELECT series FROM real_series)")
[ "$bad" = 0 ] || { echo "load_figures.sh: pgbench inserted $bad series that are not in the data set" >&2; exit 1; }

LABEL="CASE tbl WHEN 'tsdb' THEN 'tsdb' WHEN 'heap' THEN 'heap + btree (series, ts)'
	WHEN 'heap_text' THEN 'heap + btree, series as text COLLATE \"C\"' ELSE 'heap, no index (floor)' END"
ORDER="CASE tbl WHEN 'tsdb' THEN 1 WHEN 'heap' THEN 2 WHEN 'heap_text' THEN 3 ELSE 4 END"
mkdir -p "$here/bench/results"
out="$here/bench/results/load_figures.md"
body=$(psql -At <<SQL
SELECT '| COPY of the real data | samples/s (median of 3) | runs, samples/s | WAL bytes/sample | on-disk bytes/sample |';
SELECT '|---|---:|---|---:|---:|';
SELECT '| ' || $LABEL
       || ' | ' || round($N / percentile_disc(0.5) WITHIN GROUP (ORDER BY seconds))
       || ' | ' || string_agg(round($N / seconds)::text, ', ' ORDER BY run)
       || ' | ' || round(percentile_disc(0.5) WITHIN GROUP (ORDER BY wal) / $N, 1)
       || ' | ' || round(percentile_disc(0.5) WITHIN GROUP (ORDER BY bytes) / $N, 1) || ' |'
  FROM copy_runs GROUP BY tbl ORDER BY $ORDER;
SELECT '';
SELECT '| single-row INSERT, pgbench -M prepared -c 1, rounds of $SECS s | synchronous_commit | TPS (median round) | rounds, TPS | avg latency ms | WAL bytes/txn |';
SELECT '|---|---|---:|---|---:|---:|';
SELECT '| ' || $LABEL
       || ' | ' || sync
       || ' | ' || round(percentile_disc(0.5) WITHIN GROUP (ORDER BY tps)::numeric)
       || ' | ' || string_agg(round(tps::numeric)::text, ', ' ORDER BY round)
       || ' | ' || round(percentile_disc(0.5) WITHIN GROUP (ORDER BY lat_ms)::numeric, 3)
       || ' | ' || round(sum(wal) / sum(txns)) || ' |'
  FROM tps_runs GROUP BY sync, tbl
 ORDER BY sync DESC, $ORDER;
SQL
)
{
	echo "# Load figures: tsdb and heap in one run"
	echo
	echo "Command: \`sudo bash bench/load_figures.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), tsdb $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '(no git)')."
	echo "Machine: $(nproc) vCPU $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM;"
	echo "PostgreSQL $(as_pg "$PGBIN/postgres" --version | awk '{print $3}'), shared_buffers 1GB, max_wal_size 4GB, wal_level replica, fsync on."
	echo "Data: data/node-exporter-5s.tsv.zst, $N real samples of 512 series (COPY text made by scripts/tsv2copy.pl)."
	echo "Single-row INSERTs pick one of 100 real series names at random; ts = now()."
	echo "Load average (1/5/15 min) before the run: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg) (anything else running skews the timings)."
	echo "Timings are of this machine on this day; byte figures are deterministic."
	echo
	echo "$body"
} > "$out"
cat "$out"
