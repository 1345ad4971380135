#!/usr/bin/env bash
# Run only the randomized differential test (t/060_differential.pl), the
# way scripts/test.sh runs the TAP tests: as root, copy the tree to a
# scratch directory owned by "postgres", then as "postgres" build, install
# into a private copy of the PostgreSQL 15 installation and run the test.
#
#   sudo bash scripts/difftest.sh                 # the CI setting
#   sudo TSDB_DIFF_SEED=7 TSDB_DIFF_OPS=500000 bash scripts/difftest.sh
#
# The scratch directory is kept when the test fails (its tmp_check/ holds
# the node's workload.sql, COPY files and logs).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" -eq 0 ]; then
	B=$(mktemp -d /tmp/tsdb-difftest.XXXXXX)
	tar -C "$here" --exclude=./.git --exclude=./tmp_install --exclude=./tmp_check -cf - . | tar -C "$B" -xf -
	chown -R postgres:postgres "$B"
	status=0
	runuser -u postgres -- env TSDB_DIFF_SEED="${TSDB_DIFF_SEED:-}" TSDB_DIFF_OPS="${TSDB_DIFF_OPS:-}" \
		TSDB_DIFF_PROFILE="${TSDB_DIFF_PROFILE:-}" PROVE_FLAGS="${PROVE_FLAGS:-}" \
		bash "$B/scripts/difftest.sh" || status=$?
	if [ $status -eq 0 ]; then rm -rf "$B"; else echo "test tree kept in $B (log: $B/tmp_check/log/)"; fi
	exit $status
fi

cd "$here"
PGBIN=/usr/lib/postgresql/15/bin
D="$here/tmp_install"

make -s PG_CONFIG=$PGBIN/pg_config COPT=-Werror
rm -rf "$D"
mkdir -p "$D/usr/lib/postgresql" "$D/usr/share/postgresql"
cp -a /usr/lib/postgresql/15 "$D/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$D/usr/share/postgresql/"
make -s PG_CONFIG=$PGBIN/pg_config install DESTDIR="$D" >/dev/null

export PATH="$D/usr/lib/postgresql/15/bin:$PATH"
# REGRESS and ISOLATION empty: only the TAP test runs
make PG_CONFIG=$PGBIN/pg_config installcheck bindir="$D/usr/lib/postgresql/15/bin" \
	REGRESS= ISOLATION= PROVE_TESTS=t/060_differential.pl PROVE_FLAGS="${PROVE_FLAGS:-}"
