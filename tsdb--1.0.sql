/* tsdb--1.0.sql: objects of the tsdb extension */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION tsdb" to load this file. \quit

/*
 * Loading the library checks that tsdb is in shared_preload_libraries and
 * raises a clear error otherwise, so do that before anything else is made.
 */
CREATE FUNCTION tsdb.version() RETURNS text
	AS 'MODULE_PATHNAME', 'tsdb_version' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
