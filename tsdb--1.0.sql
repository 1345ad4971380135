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
-- tsdb.labels: a canonical, sorted Prometheus label set
-- ---------------------------------------------------------------------------

CREATE TYPE tsdb.labels;

CREATE FUNCTION tsdb.labels_in(cstring) RETURNS tsdb.labels
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tsdb.labels_out(tsdb.labels) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tsdb.labels_recv(internal) RETURNS tsdb.labels
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tsdb.labels_send(tsdb.labels) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE tsdb.labels (
	INPUT = tsdb.labels_in,
	OUTPUT = tsdb.labels_out,
	RECEIVE = tsdb.labels_recv,
	SEND = tsdb.labels_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);
-- Text converts on assignment, so INSERT ... SELECT of built strings works.
CREATE CAST (text AS tsdb.labels) WITH INOUT AS ASSIGNMENT;
CREATE CAST (tsdb.labels AS text) WITH INOUT;

COMMENT ON TYPE tsdb.labels IS 'Prometheus label set, e.g. http_requests_total{job="api",code="200"}';

CREATE FUNCTION tsdb.labels_eq(tsdb.labels, tsdb.labels) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION tsdb.labels_ne(tsdb.labels, tsdb.labels) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION tsdb.labels_lt(tsdb.labels, tsdb.labels) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION tsdb.labels_le(tsdb.labels, tsdb.labels) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION tsdb.labels_gt(tsdb.labels, tsdb.labels) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION tsdb.labels_ge(tsdb.labels, tsdb.labels) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION tsdb.labels_cmp(tsdb.labels, tsdb.labels) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION tsdb.labels_sortsupport(internal) RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tsdb.labels_hash(tsdb.labels) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION tsdb.labels_hash_extended(tsdb.labels, int8) RETURNS int8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION tsdb.labels_get(tsdb.labels, text) RETURNS text
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tsdb.labels_contains(tsdb.labels, tsdb.labels) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tsdb.labels_contained(tsdb.labels, tsdb.labels) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tsdb.labels_match(tsdb.labels, text) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

/*
 * The operators live in pg_catalog so that "series = '...'" and
 * "series @@ '...'" resolve whatever the search_path is; the functions,
 * type and operator classes stay in schema tsdb.
 */
CREATE OPERATOR pg_catalog.= (
	LEFTARG = tsdb.labels, RIGHTARG = tsdb.labels, FUNCTION = tsdb.labels_eq,
	COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR pg_catalog.<> (
	LEFTARG = tsdb.labels, RIGHTARG = tsdb.labels, FUNCTION = tsdb.labels_ne,
	COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
	RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR pg_catalog.< (
	LEFTARG = tsdb.labels, RIGHTARG = tsdb.labels, FUNCTION = tsdb.labels_lt,
	COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR pg_catalog.<= (
	LEFTARG = tsdb.labels, RIGHTARG = tsdb.labels, FUNCTION = tsdb.labels_le,
	COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR pg_catalog.> (
	LEFTARG = tsdb.labels, RIGHTARG = tsdb.labels, FUNCTION = tsdb.labels_gt,
	COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR pg_catalog.>= (
	LEFTARG = tsdb.labels, RIGHTARG = tsdb.labels, FUNCTION = tsdb.labels_ge,
	COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR pg_catalog.-> (
	LEFTARG = tsdb.labels, RIGHTARG = text, FUNCTION = tsdb.labels_get);
COMMENT ON OPERATOR pg_catalog.->(tsdb.labels, text) IS 'value of one label, NULL if absent';
CREATE OPERATOR pg_catalog.@> (
	LEFTARG = tsdb.labels, RIGHTARG = tsdb.labels, FUNCTION = tsdb.labels_contains,
	COMMUTATOR = OPERATOR(pg_catalog.<@), RESTRICT = contsel, JOIN = contjoinsel);
COMMENT ON OPERATOR pg_catalog.@>(tsdb.labels, tsdb.labels) IS 'contains every label of';
CREATE OPERATOR pg_catalog.<@ (
	LEFTARG = tsdb.labels, RIGHTARG = tsdb.labels, FUNCTION = tsdb.labels_contained,
	COMMUTATOR = OPERATOR(pg_catalog.@>), RESTRICT = contsel, JOIN = contjoinsel);
COMMENT ON OPERATOR pg_catalog.<@(tsdb.labels, tsdb.labels) IS 'every label is contained in';
CREATE OPERATOR pg_catalog.@@ (
	LEFTARG = tsdb.labels, RIGHTARG = text, FUNCTION = tsdb.labels_match,
	RESTRICT = contsel, JOIN = contjoinsel);
COMMENT ON OPERATOR pg_catalog.@@(tsdb.labels, text) IS 'matches Prometheus label matchers {k="v", k!="v", k=~"re", k!~"re"}';

CREATE OPERATOR CLASS tsdb.labels_ops DEFAULT FOR TYPE tsdb.labels USING btree AS
	OPERATOR 1 pg_catalog.< ,
	OPERATOR 2 pg_catalog.<= ,
	OPERATOR 3 pg_catalog.= ,
	OPERATOR 4 pg_catalog.>= ,
	OPERATOR 5 pg_catalog.> ,
	FUNCTION 1 tsdb.labels_cmp(tsdb.labels, tsdb.labels),
	FUNCTION 2 tsdb.labels_sortsupport(internal),
	-- equal labels are equal bytes: btree may deduplicate
	FUNCTION 4 btequalimage(oid);

CREATE OPERATOR CLASS tsdb.labels_hash_ops DEFAULT FOR TYPE tsdb.labels USING hash AS
	OPERATOR 1 pg_catalog.= ,
	FUNCTION 1 tsdb.labels_hash(tsdb.labels),
	FUNCTION 2 tsdb.labels_hash_extended(tsdb.labels, int8);

-- ---------------------------------------------------------------------------
-- The table access method
-- ---------------------------------------------------------------------------

CREATE FUNCTION tsdb.tsdb_am_handler(internal) RETURNS table_am_handler
	AS 'MODULE_PATHNAME' LANGUAGE C;

CREATE ACCESS METHOD tsdb TYPE TABLE HANDLER tsdb.tsdb_am_handler;
COMMENT ON ACCESS METHOD tsdb IS 'time-series samples: (tsdb.labels, timestamptz, float8)';

-- Storage inspection
CREATE FUNCTION tsdb.page_types(rel regclass, OUT page_type text, OUT pages int8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tsdb_page_types' LANGUAGE C STRICT;

CREATE FUNCTION tsdb.head_runs(rel regclass,
	OUT blkno int8, OUT run_offset int4, OUT xmin xid, OUT cmin cid,
	OUT nsamples int4, OUT state text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tsdb_head_runs' LANGUAGE C STRICT;

CREATE FUNCTION tsdb.series(rel regclass, OUT series_id int8, OUT labels tsdb.labels)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tsdb_series_list' LANGUAGE C STRICT;

-- Move committed head samples into a new compressed segment and merge
-- segments as the merge policy says (tsdb.merge_* settings); with merge,
-- rewrite every live segment into one; with drop_before, remove the samples
-- older than it in the same step.  Returns the head samples moved.
CREATE FUNCTION tsdb.compact(rel regclass, merge bool DEFAULT false,
	drop_before timestamptz DEFAULT '-infinity') RETURNS bigint
	AS 'MODULE_PATHNAME', 'tsdb_compact' LANGUAGE C STRICT VOLATILE;

-- Remove the samples older than a cutoff: segments entirely older are
-- retired, the segments and committed head runs that straddle it are
-- rewritten without the old samples.  Same MVCC hand-over as compaction.
CREATE FUNCTION tsdb.drop_before(rel regclass, older_than timestamptz,
	OUT samples_removed int8, OUT segments_dropped int4, OUT segments_rewritten int4)
	RETURNS record
	AS 'MODULE_PATHNAME', 'tsdb_drop_before' LANGUAGE C STRICT VOLATILE;

-- The table's tsdb.retention storage parameter, NULL when it has none.
CREATE FUNCTION tsdb.retention(rel regclass) RETURNS interval
	AS 'MODULE_PATHNAME', 'tsdb_retention' LANGUAGE C STRICT STABLE;

-- Where applying the table's retention at "now" cuts: now - retention,
-- rounded down to the widest merge window so whole segments go.
CREATE FUNCTION tsdb.retention_cutoff(rel regclass, now timestamptz DEFAULT now())
	RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'tsdb_retention_cutoff_sql' LANGUAGE C STRICT STABLE;

CREATE FUNCTION tsdb.segments(rel regclass,
	OUT segment_id int8, OUT first_block int8, OUT pages int8,
	OUT directory_pages int8, OUT level int4,
	OUT xmin xid, OUT xmax xid, OUT frozen bool, OUT series int8,
	OUT samples int8, OUT min_ts timestamptz, OUT max_ts timestamptz,
	OUT state text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tsdb_segments' LANGUAGE C STRICT;

-- One row summing up a table's storage (doc/observability.md).  Samples and
-- segments are those the current snapshot sees; pages and bytes are physical.
CREATE FUNCTION tsdb.stats(rel regclass,
	OUT series int8, OUT samples int8, OUT head_samples int8, OUT head_pages int8,
	OUT segments int8, OUT segment_pages int8, OUT segment_samples int8,
	OUT chunks int8, OUT shared_ts_chunks int8, OUT dictionary_pages int8,
	OUT free_pages int8,
	OUT ts_bytes_per_sample float8, OUT value_bytes_per_sample float8,
	OUT index_bytes_per_sample float8, OUT segment_bytes_per_sample float8,
	OUT total_bytes int8, OUT bytes_per_sample float8, OUT compression_ratio float8,
	OUT value_codecs jsonb)
	RETURNS record
	AS 'MODULE_PATHNAME', 'tsdb_stats' LANGUAGE C STRICT STABLE;

CREATE FUNCTION tsdb.chunks(rel regclass,
	OUT segment_id int8, OUT blkno int8, OUT chunk_offset int4, OUT series_id int8,
	OUT samples int4, OUT min_ts timestamptz, OUT max_ts timestamptz,
	OUT min float8, OUT max float8, OUT sum float8, OUT shared_ts bool,
	OUT header_bytes int4, OUT bytes int4)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tsdb_chunks' LANGUAGE C STRICT;

-- Prometheus' staleness marker, a NaN with its own bit pattern.
CREATE FUNCTION tsdb.staleness_marker() RETURNS float8
	AS 'MODULE_PATHNAME', 'tsdb_staleness_marker' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION tsdb.is_staleness_marker(float8) RETURNS bool
	AS 'MODULE_PATHNAME', 'tsdb_is_staleness_marker' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- ---- label index (src/label_index.c, doc/read-path.md "Label index") ----

-- A row per relation in the shared-memory label index (any database), then
-- a row with state 'total': memory accounted against the cap, and counters
-- since the server started.
CREATE FUNCTION tsdb.label_index_stats(
	OUT datid oid, OUT relid oid, OUT state text, OUT series int8,
	OUT postings int8, OUT bytes int8, OUT max_bytes int8, OUT lookups int8,
	OUT hits int8, OUT fallbacks int8, OUT evictions int8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tsdb_label_index_stats' LANGUAGE C STRICT;

-- The series ids a scan gets for a matcher: from the label index, or with
-- use_index => false from a walk of the series dictionary.
CREATE FUNCTION tsdb.label_index_match(rel regclass, matcher text,
	use_index bool DEFAULT true)
	RETURNS SETOF int8
	AS 'MODULE_PATHNAME', 'tsdb_label_index_match_sql' LANGUAGE C STRICT;

-- The series id of a label set, NULL when the table has no such series.
CREATE FUNCTION tsdb.label_index_lookup(rel regclass, labels tsdb.labels)
	RETURNS int8
	AS 'MODULE_PATHNAME', 'tsdb_label_index_lookup_sql' LANGUAGE C STRICT;

-- A series' newest-sample hint (not MVCC: doc/read-path.md says what it is).
CREATE FUNCTION tsdb.label_index_newest(rel regclass, series_id int8,
	OUT ts timestamptz, OUT value float8)
	RETURNS record
	AS 'MODULE_PATHNAME', 'tsdb_label_index_newest_sql' LANGUAGE C STRICT;

-- Microseconds per matcher lookup through the label index and through a
-- walk of the series dictionary (bench/label_index.sh).
CREATE FUNCTION tsdb.label_index_bench(rel regclass, matcher text, loops int4 DEFAULT 1000,
	OUT path text, OUT us_per_call float8, OUT series int8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tsdb_label_index_bench' LANGUAGE C STRICT;

-- ---- block cache (src/block_cache.c, doc/read-path.md "Block cache") ----

-- Block cache: decoded segment chunks in shared memory (doc/read-path.md,
-- "Block cache").  Sizes in bytes; hits and misses count lookups since the
-- server started or the last reset, session_* those of this session.
CREATE FUNCTION tsdb.block_cache_stats(
	OUT size_bytes int8, OUT used_bytes int8, OUT entries int8,
	OUT protected_bytes int8, OUT hits int8, OUT misses int8,
	OUT inserts int8, OUT evictions int8, OUT stale int8,
	OUT hit_rate float8, OUT session_hits int8, OUT session_misses int8)
	RETURNS record
	AS 'MODULE_PATHNAME', 'tsdb_block_cache_stats' LANGUAGE C VOLATILE;

-- Empty the cache and zero its counters (tests, measurements).
CREATE FUNCTION tsdb.block_cache_reset() RETURNS void
	AS 'MODULE_PATHNAME', 'tsdb_block_cache_reset' LANGUAGE C VOLATILE;
REVOKE EXECUTE ON FUNCTION tsdb.block_cache_reset() FROM PUBLIC;
