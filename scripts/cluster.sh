# Sourced by demo.sh and bench scripts: a throwaway PostgreSQL 15 cluster
# with tsdb preloaded, run as the unprivileged user "postgres", listening on
# 127.0.0.1 and a unix socket in its own directory.  Only the servers these
# functions start are ever stopped, by pg_ctl on their data directory, and a
# directory is only ever removed when it carries the marker file these
# functions wrote into it.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
CLUSTER_MARKER=.tsdb-throwaway-cluster

# as_pg CMD...: run as postgres when we are root, else as ourselves.  From /,
# since postgres may not be allowed into the caller's directory (/root).
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# cluster_looks_ours DIR: a cluster directory from before the marker file
# existed: a data directory plus nothing but the files these scripts write.
cluster_looks_ours() {
	local dir=$1 f
	[ -d "$dir" ] && [ -f "$dir/data/PG_VERSION" ] || return 1
	for f in "$dir"/* "$dir"/.[!.]*; do
		[ -e "$f" ] || continue
		case "${f##*/}" in
		data | server.log | initdb.log | samples.copy | series.txt | *.sql | .s.PGSQL.*) ;;
		*) return 1 ;;
		esac
	done
}

# cluster_remove DIR: stop and delete a cluster an earlier run created.
# Refuses to touch a directory that these functions did not create.
cluster_remove() {
	local dir=$1
	[ -e "$dir" ] || return 0
	if [ ! -f "$dir/$CLUSTER_MARKER" ] && ! cluster_looks_ours "$dir"; then
		echo "cluster.sh: $dir exists and was not created by tsdb's scripts; not touching it" >&2
		return 1
	fi
	cluster_stop "$dir"
	rm -rf "$dir"
}

# cluster_start DIR PORT [extra postgresql.conf lines]: initdb (if needed) and
# start.  On failure, shows the end of the server log.
cluster_start() {
	local dir=$1 port=$2 extra=${3:-}
	if [ ! -e "$dir" ]; then
		mkdir -p "$dir"
		touch "$dir/$CLUSTER_MARKER"
	fi
	[ -f "$dir/$CLUSTER_MARKER" ] || { echo "cluster.sh: $dir is not a tsdb throwaway cluster" >&2; return 1; }
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_pg "$PGBIN/initdb" -D "$dir/data" --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; return 1; }
		cat >> "$dir/data/postgresql.conf" <<CONF
shared_preload_libraries = 'tsdb'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 40
shared_buffers = 1GB
wal_level = replica
max_wal_size = 4GB
checkpoint_timeout = 30min
$extra
CONF
	fi
	if ! as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
		echo "cluster.sh: the server in $dir did not start (port $port busy?); end of $dir/server.log:" >&2
		tail -n 20 "$dir/server.log" >&2 || true
		return 1
	fi
}

# cluster_stop DIR: fast shutdown of the server running on DIR/data, if any.
cluster_stop() {
	local dir=$1
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
	fi
}

# cluster_psql DIR PORT [psql args...]
cluster_psql() {
	local dir=$1 port=$2
	shift 2
	as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -d postgres "$@"
}

# copy_file_for_pg DIR: convert the real data set for COPY into DIR/samples.copy
# (readable by the server, which runs COPY FROM a file as postgres).
copy_file_for_pg() {
	local dir=$1 here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	zstd -q -dc "$here/data/node-exporter-5s.tsv.zst" | perl "$here/scripts/tsv2copy.pl" > "$dir/samples.copy"
	chown postgres:postgres "$dir/samples.copy" 2>/dev/null || true
}

# cluster_free_port START: the first port from START on that nothing listens
# on at 127.0.0.1 (for runs that must not collide with another's server).
cluster_free_port() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

# bench_install_tsdb NAME: what every bench script does first, as root:
# install the Debian packages, then build and install this tsdb into the
# packaged server that its clusters run.
bench_install_tsdb() {
	local root
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	if [ "$(id -u)" -ne 0 ]; then
		echo "$1 installs packages and tsdb: run it as root (sudo bash $1)" >&2
		exit 1
	fi
	bash "$root/scripts/deps.sh"
	echo "== building and installing tsdb" >&2
	make -s -C "$root" PG_CONFIG="$PGBIN/pg_config" >/dev/null
	make -s -C "$root" PG_CONFIG="$PGBIN/pg_config" install >/dev/null
}
