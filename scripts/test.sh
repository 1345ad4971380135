#!/usr/bin/env bash
# Build tsdb with -Werror and run the whole test suite (pg_regress, isolation,
# TAP) against a private copy of the PostgreSQL 15 installation, so nothing
# is written outside the build tree, and the codecs' standalone unit tests
# and fuzzers (TSDB_FUZZ_SECONDS per fuzzer, default 20); then, as root, the benchmark suite's
# quick mode (bench/run.sh --quick), which installs tsdb and asserts the
# deterministic figures.  As root it installs the Debian
# dependencies, then reruns itself as the unprivileged user "postgres" on a
# copy of the tree (initdb and postgres refuse to run as root).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

# Not root and not the unprivileged half below: become root (the packages
# are installed first), through sudo if there is one.
if [ "$(id -u)" -ne 0 ] && [ -z "${TSDB_TEST_INNER:-}" ]; then
	if command -v sudo >/dev/null; then
		exec sudo --preserve-env=PROVE_FLAGS,PROVE_TESTS,TSDB_DIFF_SEED,TSDB_DIFF_OPS,TSDB_SKIP_BENCH,TSDB_FUZZ_SECONDS \
			bash "$0" "$@"
	fi
	echo "test.sh installs packages and runs the tests as the user postgres: run it as root" >&2
	exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
	bash "$here/scripts/deps.sh"
	B=$(mktemp -d /tmp/tsdb-test.XXXXXX)
	tar -C "$here" --exclude=./.git --exclude=./tmp_install -cf - . | tar -C "$B" -xf -
	chown -R postgres:postgres "$B"
	status=0
	runuser -u postgres -- env TSDB_TEST_INNER=1 PROVE_FLAGS="${PROVE_FLAGS:-}" PROVE_TESTS="${PROVE_TESTS:-}" \
		TSDB_DIFF_SEED="${TSDB_DIFF_SEED:-}" TSDB_DIFF_OPS="${TSDB_DIFF_OPS:-}" \
		bash "$B/scripts/test.sh" || status=$?
	if [ $status -ne 0 ]; then
		for f in "$B"/regression.diffs "$B"/output_iso/regression.diffs; do
			[ -f "$f" ] && { echo "==== $f"; head -c 20000 "$f"; }
		done
		for f in "$B"/tmp_check/log/*; do
			[ -f "$f" ] && { echo "==== $f"; tail -n 60 "$f"; }
		done
	fi
	if [ $status -eq 0 ]; then rm -rf "$B"; else echo "test tree kept in $B"; fi
	# The benchmark suite's quick mode checks the deterministic figures
	# (bytes and WAL per sample, equal row counts with heap), never a timing.
	if [ $status -eq 0 ] && [ "${TSDB_SKIP_BENCH:-0}" != 1 ]; then
		# Its own server directory and a free port, so a bench run of
		# someone else's on this machine is never touched.
		. "$here/scripts/cluster.sh"
		QB=$(mktemp -d /tmp/tsdb-bench-quick.XXXXXX)
		chmod 755 "$QB"
		TSDB_BENCH_DIR="$QB/cluster" TSDB_BENCH_PORT=$(cluster_free_port 54400) \
			bash "$here/bench/run.sh" --quick >"$QB/run.log" 2>&1 || status=$?
		if [ $status -eq 0 ]; then
			echo "bench/run.sh --quick: checks passed"
			rm -rf "$QB"
		else
			tail -n 40 "$QB/run.log"
			echo "bench/run.sh --quick failed (log and server directory in $QB)"
		fi
	fi
	exit $status
fi

cd "$here"
PGBIN=/usr/lib/postgresql/15/bin
D="$here/tmp_install"

make -s clean >/dev/null
make -s PG_CONFIG=$PGBIN/pg_config COPT=-Werror

# A private install root: the server finds lib/ and share/ relative to its
# own binary, so a copy of the packaged installation plus our files works.
rm -rf "$D"
mkdir -p "$D/usr/lib/postgresql" "$D/usr/share/postgresql"
cp -a /usr/lib/postgresql/15 "$D/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$D/usr/share/postgresql/"
make -s PG_CONFIG=$PGBIN/pg_config install DESTDIR="$D" >/dev/null

export PATH="$D/usr/lib/postgresql/15/bin:$PATH"
make PG_CONFIG=$PGBIN/pg_config installcheck bindir="$D/usr/lib/postgresql/15/bin"

# The column codecs, standalone: unit tests under ASan/UBSan (including the
# real data), then each libFuzzer target for a bounded time.
make -s PG_CONFIG=$PGBIN/pg_config check-codecs
make -s PG_CONFIG=$PGBIN/pg_config fuzz FUZZ_SECONDS="${TSDB_FUZZ_SECONDS:-20}"
