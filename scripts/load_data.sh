#!/usr/bin/env bash
# Load the real node_exporter samples (data/node-exporter-5s.tsv.zst, 184,320
# samples of 512 series) into an existing table of shape
# (series tsdb.labels, ts timestamptz, value float8), tsdb or heap, through
# psql's \copy, streamed: zstd -dc | tsv2copy.pl | psql.
#
#   bash scripts/load_data.sh TABLE [psql connection options...]
#   sudo -u postgres bash scripts/load_data.sh metrics -h /tmp/tsdb-demo -p 54329 -d postgres
#   bash scripts/load_data.sh --copy-text > samples.copy   # just convert
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
data="$here/data/node-exporter-5s.tsv.zst"

if [ $# -lt 1 ]; then
	sed -n '2,10s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi
if [ "$1" = "--copy-text" ]; then
	zstd -q -dc "$data" | perl "$here/scripts/tsv2copy.pl"
	exit 0
fi
table=$1
shift
zstd -q -dc "$data" | perl "$here/scripts/tsv2copy.pl" |
	psql -X -q -v ON_ERROR_STOP=1 "$@" -c "\\copy $table (series, ts, value) FROM pstdin"
