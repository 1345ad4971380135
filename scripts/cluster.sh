# Sourced by demo.sh and bench scripts: a throwaway PostgreSQL 15 cluster
# with tsdb preloaded, run as the unprivileged user "postgres", listening on
# 127.0.0.1 and a unix socket in its own directory.  Only the servers these
# functions start are ever stopped, by pg_ctl on their data directory.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

# as_pg CMD...: run as postgres when we are root, else as ourselves
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# cluster_start DIR PORT [extra postgresql.conf lines]
cluster_start() {
	local dir=$1 port=$2 extra=${3:-}
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
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
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
}

# cluster_stop DIR
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
