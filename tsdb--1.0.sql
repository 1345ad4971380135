/* tsdb--1.0.sql: objects of the tsdb extension */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION tsdb" to load this file. \quit

/*
 * Loading the library checks that tsdb is in shared_preload_libraries and
 * raises a clear error otherwise, so do that before anything else is made.
 */
CREATE FUNCTION tsdb.version() RETURNS text
	AS 'MODULE_PATHNAME', 'tsdb_version' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- ---------------------------------------------------------------------------
-- The table access method
-- ---------------------------------------------------------------------------

CREATE FUNCTION tsdb.tsdb_am_handler(internal) RETURNS table_am_handler
	AS 'MODULE_PATHNAME' LANGUAGE C;

CREATE ACCESS METHOD tsdb TYPE TABLE HANDLER tsdb.tsdb_am_handler;
COMMENT ON ACCESS METHOD tsdb IS 'time-series samples: (tsdb.labels, timestamptz, float8)';

-- Storage inspection
CREATE FUNCTION tsdb.head_runs(rel regclass,
	OUT blkno int8, OUT run_offset int4, OUT xmin xid, OUT cmin cid,
	OUT nsamples int4, OUT state text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tsdb_head_runs' LANGUAGE C STRICT;

CREATE FUNCTION tsdb.series(rel regclass, OUT series_id int8, OUT labels tsdb.labels)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tsdb_series_list' LANGUAGE C STRICT;

-- Prometheus' staleness marker, a NaN with its own bit pattern.
CREATE FUNCTION tsdb.staleness_marker() RETURNS float8
	AS 'MODULE_PATHNAME', 'tsdb_staleness_marker' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION tsdb.is_staleness_marker(float8) RETURNS bool
	AS 'MODULE_PATHNAME', 'tsdb_is_staleness_marker' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
