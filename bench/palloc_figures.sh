#!/usr/bin/env bash
# Allocations per inserted row (issue 6): the calls of PostgreSQL's
# allocation entry points made by one backend while it inserts, counted by
# gdb breakpoints, for a tsdb table against heap tables of the same rows.
# The executor allocates the same per row whatever the table, so the
# difference is the table access method's own.
#
#   sudo bash bench/palloc_figures.sh     about a minute; writes
#                                         bench/results/palloc_figures.md
#
# Counted: palloc, palloc0, palloc_extended, repalloc, MemoryContextAlloc,
# MemoryContextAllocZero, MemoryContextAllocZeroAligned,
# MemoryContextAllocExtended (the exported entry points; the server binary
# has no symbols for its static functions).  Needs gdb and ptrace.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/cluster.sh"

DIR=${TSDB_BENCH_DIR:-/tmp/tsdb-palloc-bench}
PORT=${TSDB_BENCH_PORT:-54343}
OUT=${TSDB_BENCH_OUT:-$here/bench/results/palloc_figures.md}
N=2000
FUNCS="palloc palloc0 palloc_extended repalloc MemoryContextAlloc MemoryContextAllocZero MemoryContextAllocZeroAligned MemoryContextAllocExtended"

bench_install_tsdb "bench/palloc_figures.sh"
command -v gdb >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q gdb >/dev/null

cluster_remove "$DIR"
cluster_start "$DIR" "$PORT" "tsdb.worker_enabled = off
autovacuum = off"
trap 'cluster_stop "$DIR"' EXIT
psql() { cluster_psql "$DIR" "$PORT" "$@"; }

psql -q <<'SQL'
CREATE EXTENSION tsdb;
CREATE TABLE t (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;
CREATE TABLE h (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL);
CREATE INDEX ON h (series, ts);
CREATE TABLE hn (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL);
SQL

# workloads: N single-row INSERT statements in one transaction; one
# INSERT ... SELECT of N rows; a COPY of N rows.  Each first runs once
# untraced (caches, plans, the series dictionary), then traced.
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) printf "m{k=\"%d\"}\t2026-01-01 00:00:00+00\t%d\n", i % 100, i }' > "$DIR/rows.copy"
chown postgres:postgres "$DIR/rows.copy"
workload_sql() {
	local w=$1 tbl=$2 r=$3
	case $w in
		single)
			echo "BEGIN;"
			awk -v n=$N -v t=$tbl -v r=$r 'BEGIN { for (i = 0; i < n; i++) printf "INSERT INTO %s VALUES (\x27m{k=\"%d\"}\x27, \x272026-01-0%d\x27::timestamptz + interval \x27%d ms\x27, %d);\n", t, i % 100, r, i, i }'
			echo "COMMIT;" ;;
		select)
			echo "INSERT INTO $tbl SELECT ('m{k=\"' || i % 100 || '\"}')::tsdb.labels, '2026-01-0$r'::timestamptz + i * interval '1 ms', i FROM generate_series(1, $N) i;" ;;
		copy)
			echo "COPY $tbl FROM '$DIR/rows.copy';" ;;
	esac
}

count_allocs() {
	local w=$1 tbl=$2 f
	local script="$DIR/$w.$tbl.sql" gdbcmd="$DIR/gdb.cmd"
	{
		workload_sql "$w" "$tbl" 1
		# psql does not interpolate variables into \! commands: pass the pid by file
		echo "SELECT pg_backend_pid() \\g $DIR/backend.pid"
		echo "\\! $DIR/attach.sh"
		workload_sql "$w" "$tbl" 2
		echo "\\! $DIR/detach.sh"
	} > "$script"
	chown postgres:postgres "$script"
	: > "$gdbcmd"
	for f in $FUNCS; do
		echo "break $f" >> "$gdbcmd"
	done
	{
		echo "ignore 1 1000000000"
		for i in $(seq 2 "$(echo $FUNCS | wc -w)"); do echo "ignore $i 1000000000"; done
		echo "continue"
		echo "info breakpoints"
		echo "detach"
		echo "quit"
	} >> "$gdbcmd"
	psql -q -f "$script" >/dev/null
}

# attach: gdb in the background, stopped at nothing until detach interrupts it
cat > "$DIR/attach.sh" <<EOF
#!/bin/sh
gdb -q -batch -p "\$(grep -Eo "^ *[0-9]+ *\$" "$DIR/backend.pid" | tr -d " ")" -x "$DIR/gdb.cmd" > "$DIR/current.gdb" 2>&1 &
echo \$! > "$DIR/gdb.pid"
# wait until every breakpoint is set and the backend runs again
for i in \$(seq 1 100); do grep -q '^Will ignore next' "$DIR/current.gdb" 2>/dev/null &&
	[ "\$(grep -c '^Will ignore next' "$DIR/current.gdb")" -ge $(echo $FUNCS | wc -w) ] && break; sleep 0.1; done
sleep 0.5
EOF
cat > "$DIR/detach.sh" <<EOF
#!/bin/sh
kill -INT "\$(cat "$DIR/gdb.pid")"
while kill -0 "\$(cat "$DIR/gdb.pid")" 2>/dev/null; do sleep 0.1; done
EOF
chmod 755 "$DIR/attach.sh" "$DIR/detach.sh"

results="$DIR/results.tsv"
: > "$results"
for w in single select copy; do
	for tbl in t h hn; do
		count_allocs "$w" "$tbl"
		mv "$DIR/current.gdb" "$DIR/$w.$tbl.gdb"
		n=$(awk '/already hit/ { n += $4 } END { print n + 0 }' "$DIR/$w.$tbl.gdb")
		[ "$n" -gt 0 ] || { echo "gdb counted nothing for $w $tbl:" >&2; tail -n 20 "$DIR/$w.$tbl.gdb" >&2; exit 1; }
		echo "$w	$tbl	$n" >> "$results"
		echo "== $w $tbl: $n allocations for $N rows" >&2
	done
done

mkdir -p "$(dirname "$OUT")"
{
	echo "# Allocations per inserted row"
	echo
	echo "\`bash bench/palloc_figures.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'). Calls of palloc, palloc0, palloc_extended,"
	echo "repalloc and MemoryContextAlloc* made by one backend while it inserts $N rows (100 series, known"
	echo "already: each workload ran once before), counted with gdb breakpoints."
	echo
	echo "| workload | tsdb | heap + btree | heap, no index | tsdb per row | heap + btree per row | heap, no index per row |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for w in single select copy; do
		t=$(awk -v w=$w '$1 == w && $2 == "t" { print $3 }' "$results")
		h=$(awk -v w=$w '$1 == w && $2 == "h" { print $3 }' "$results")
		hn=$(awk -v w=$w '$1 == w && $2 == "hn" { print $3 }' "$results")
		awk -v w=$w -v t=$t -v h=$h -v hn=$hn -v n=$N 'BEGIN { printf "| %s | %d | %d | %d | %.2f | %.2f | %.2f |\n", w, t, h, hn, t / n, h / n, hn / n }'
	done
	echo
	echo "single: $N single-row INSERT statements in one transaction; select: one INSERT ... SELECT of $N rows;"
	echo "copy: one COPY of $N rows."
} > "$OUT"
echo "== wrote $OUT" >&2
cat "$OUT"
