/*-------------------------------------------------------------------------
 *
 * tsdb.c
 *	  Library entry point: _PG_init registers the WAL resource manager,
 *	  the GUCs and the hooks.
 *
 * tsdb writes WAL through its own resource manager, which PostgreSQL can only
 * register while shared_preload_libraries is being processed.  Loading the
 * library any other way (CREATE EXTENSION, or touching a tsdb table, in a
 * server started without it) fails here with a message that says how to fix
 * it, so no backend ever writes tsdb WAL that recovery could not replay.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "block_cache.h"
#include "compaction.h"
#include "debug_points.h"
#include "insert_buffer.h"
#include "label_index.h"
#include "merge_policy.h"
#include "scan.h"
#include "segment.h"
#include "series.h"
#include "tsdb.h"
#include "wal.h"
#include "worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Cached OID of tsdb.labels; reset whenever pg_type changes. */
static Oid	labels_type_oid = InvalidOid;

static void
tsdb_type_cache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	labels_type_oid = InvalidOid;
}

Oid
tsdb_labels_type_oid(void)
{
	if (!OidIsValid(labels_type_oid))
	{
		Oid			nsp = get_namespace_oid("tsdb", true);

		if (OidIsValid(nsp))
			labels_type_oid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
											  CStringGetDatum("labels"),
											  ObjectIdGetDatum(nsp));
	}
	return labels_type_oid;
}

void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("tsdb must be loaded via shared_preload_libraries"),
				 errdetail("tsdb writes WAL through a custom resource manager, which can only be registered at server start."),
				 errhint("Add 'tsdb' to shared_preload_libraries in postgresql.conf and restart the server.")));

	DefineCustomIntVariable("tsdb.head_max_pages",
							"Head size above which an inserting backend compacts the table itself.",
							"Back-pressure for when compaction falls behind the writers; 0 turns it off.",
							&tsdb_head_max_pages,
							131072, 0, INT_MAX / 2,
							PGC_USERSET, GUC_UNIT_BLOCKS,
							NULL, NULL, NULL);

	/*
	 * Compaction's chunk size: a chunk is the unit a query decodes and skips
	 * by its time range; 2048 samples (about 6 hours at a 10 s scrape)
	 * amortize the 56-byte chunk header and keep a decoded chunk at 48 kB.
	 */
	DefineCustomIntVariable("tsdb.chunk_samples",
							"Samples per compressed chunk written by compaction.",
							"Smaller chunks let queries of short time ranges decode less; larger ones compress better.",
							&tsdb_chunk_samples,
							2048, 16, TSDB_CHUNK_MAX_SAMPLES,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	/* the merge policy: merge_policy.c says why these defaults */
	DefineCustomIntVariable("tsdb.merge_min_segments",
							"Segments of one level in one time window that are merged into one of the next level.",
							NULL,
							&tsdb_merge_min_segments,
							4, 2, 16,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("tsdb.merge_base_window",
							"Width of the time windows of level-0 segments.",
							"Each level's windows are tsdb.merge_level_factor times wider than the level below.",
							&tsdb_merge_base_window,
							2 * 60 * 60, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("tsdb.merge_level_factor",
							"How many times wider each merge level's time windows are than the level below.",
							NULL,
							&tsdb_merge_level_factor,
							4, 2, 16,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	/* settings first: reserving the prefix drops unknown tsdb.* ones */
	tsdb_worker_init();
	tsdb_block_cache_init();
	tsdb_debug_points_init();
	tsdb_label_index_init();
	tsdb_scan_init();
	tsdb_insert_buffer_init();
	MarkGUCPrefixReserved("tsdb");

	tsdb_rmgr_register();
	tsdb_guard_init();
	tsdb_series_init();

	CacheRegisterSyscacheCallback(TYPEOID, tsdb_type_cache_callback, (Datum) 0);
}

PG_FUNCTION_INFO_V1(tsdb_version);

/* tsdb.version(): the library's version, for bug reports. */
Datum
tsdb_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text("1.0"));
}

/*
 * Prometheus marks a series that stopped being scraped with a special NaN,
 * bit pattern 0x7ff0000000000002 (value.StaleNaN).  tsdb stores values bit
 * for bit, so the marker survives; these let SQL write and recognize it.
 */
#define PROMETHEUS_STALE_NAN	UINT64CONST(0x7ff0000000000002)

PG_FUNCTION_INFO_V1(tsdb_staleness_marker);
PG_FUNCTION_INFO_V1(tsdb_is_staleness_marker);

Datum
tsdb_staleness_marker(PG_FUNCTION_ARGS)
{
	uint64		bits = PROMETHEUS_STALE_NAN;
	float8		v;

	memcpy(&v, &bits, sizeof(v));
	PG_RETURN_FLOAT8(v);
}

Datum
tsdb_is_staleness_marker(PG_FUNCTION_ARGS)
{
	float8		v = PG_GETARG_FLOAT8(0);
	uint64		bits;

	memcpy(&bits, &v, sizeof(bits));
	PG_RETURN_BOOL(bits == PROMETHEUS_STALE_NAN);
}
