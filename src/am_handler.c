/*-------------------------------------------------------------------------
 *
 * am_handler.c
 *	  The TableAmRoutine of tsdb: storage life cycle, table shape, sizes,
 *	  and clear refusals for what an append-only sample store cannot do.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/multixact.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "catalog/pg_type.h"
#include "catalog/storage.h"
#include "catalog/storage_xlog.h"
#include "commands/vacuum.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/smgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "am.h"
#include "head.h"
#include "insert_buffer.h"
#include "meta.h"
#include "segment.h"
#include "series.h"
#include "tsdb.h"
#include "visibility.h"

PG_FUNCTION_INFO_V1(tsdb_am_handler);

static void
shape_error(const char *relname, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
			 errmsg("tsdb table \"%s\" must have exactly three columns: one of type tsdb.labels, one timestamptz and one float8",
					relname),
			 errdetail_internal("%s", detail),
			 errhint("For example: CREATE TABLE m (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;")));
}

/*
 * Refuse any table that is not one labels, one timestamptz and one float8
 * column, in any order and with any names.
 */
void
tsdb_check_shape(TupleDesc desc, const char *relname)
{
	Oid			labels_oid = tsdb_labels_type_oid();
	int			nlabels = 0,
				nts = 0,
				nvalue = 0;
	int			i;

	if (!OidIsValid(labels_oid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the tsdb extension is not installed in this database"),
				 errhint("Run CREATE EXTENSION tsdb;")));
	if (desc->natts != 3)
		shape_error(relname, psprintf("The table has %d columns.", desc->natts));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			shape_error(relname, "The table has a dropped column.");
		if (att->atttypid == labels_oid)
			nlabels++;
		else if (att->atttypid == TIMESTAMPTZOID)
			nts++;
		else if (att->atttypid == FLOAT8OID)
			nvalue++;
		else
			shape_error(relname,
						psprintf("Column \"%s\" has type %s.",
								 NameStr(att->attname),
								 format_type_be(att->atttypid)));
	}
	if (nlabels != 1 || nts != 1 || nvalue != 1)
		shape_error(relname,
					psprintf("The table has %d tsdb.labels, %d timestamptz and %d float8 columns.",
							 nlabels, nts, nvalue));
}

/* Column positions, cached in rd_amcache (reset by any relcache inval). */
const TsdbColumns *
tsdb_columns(Relation rel)
{
	TsdbColumns *cols = rel->rd_amcache;

	if (cols == NULL)
	{
		TupleDesc	desc = RelationGetDescr(rel);
		Oid			labels_oid = tsdb_labels_type_oid();
		int			i;

		tsdb_check_shape(desc, RelationGetRelationName(rel));
		cols = MemoryContextAlloc(CacheMemoryContext, sizeof(TsdbColumns));
		for (i = 0; i < desc->natts; i++)
		{
			Oid			typid = TupleDescAttr(desc, i)->atttypid;

			if (typid == labels_oid)
				cols->labels = i;
			else if (typid == TIMESTAMPTZOID)
				cols->ts = i;
			else
				cols->value = i;
		}
		rel->rd_amcache = cols;
	}
	return cols;
}

static const TupleTableSlotOps *
tsdb_slot_callbacks(Relation rel)
{
	return &TTSOpsVirtual;
}

static void
append_only_error(Relation rel, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot %s tsdb table \"%s\"", what,
					RelationGetRelationName(rel)),
			 errdetail("tsdb tables are append-only: samples cannot be updated, deleted or locked."),
			 errhint("Remove samples with TRUNCATE, DROP TABLE, or by dropping a partition of a range-partitioned table.")));
}

/* ---- unsupported paths: each a clear error ---- */

static IndexFetchTableData *
tsdb_index_fetch_begin(Relation rel)
{
	elog(ERROR, "tsdb tables have no indexes");
	return NULL;
}

static void
tsdb_index_fetch_reset(IndexFetchTableData *scan)
{
	elog(ERROR, "tsdb tables have no indexes");
}

static void
tsdb_index_fetch_end(IndexFetchTableData *scan)
{
	elog(ERROR, "tsdb tables have no indexes");
}

static bool
tsdb_index_fetch_tuple(struct IndexFetchTableData *scan, ItemPointer tid,
					   Snapshot snapshot, TupleTableSlot *slot,
					   bool *call_again, bool *all_dead)
{
	elog(ERROR, "tsdb tables have no indexes");
	return false;
}

static TransactionId
tsdb_index_delete_tuples(Relation rel, TM_IndexDeleteOp *delstate)
{
	elog(ERROR, "tsdb tables have no indexes");
	return InvalidTransactionId;
}

static void
tsdb_get_latest_tid(TableScanDesc sscan, ItemPointer tid)
{
	/* samples are never updated: every tid is already the latest */
}

static void
tsdb_tuple_insert_speculative(Relation rel, TupleTableSlot *slot,
							  CommandId cid, int options,
							  struct BulkInsertStateData *bistate,
							  uint32 specToken)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("INSERT ... ON CONFLICT is not supported on tsdb table \"%s\"",
					RelationGetRelationName(rel))));
}

static void
tsdb_tuple_complete_speculative(Relation rel, TupleTableSlot *slot,
								uint32 specToken, bool succeeded)
{
	elog(ERROR, "speculative insertion is not supported by tsdb");
}

static TM_Result
tsdb_tuple_delete(Relation rel, ItemPointer tid, CommandId cid,
				  Snapshot snapshot, Snapshot crosscheck, bool wait,
				  TM_FailureData *tmfd, bool changingPart)
{
	append_only_error(rel, "delete from");
	return TM_Ok;
}

static TM_Result
tsdb_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot,
				  CommandId cid, Snapshot snapshot, Snapshot crosscheck,
				  bool wait, TM_FailureData *tmfd, LockTupleMode *lockmode,
				  bool *update_indexes)
{
	append_only_error(rel, "update");
	return TM_Ok;
}

static TM_Result
tsdb_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot,
				TupleTableSlot *slot, CommandId cid, LockTupleMode mode,
				LockWaitPolicy wait_policy, uint8 flags,
				TM_FailureData *tmfd)
{
	append_only_error(rel, "lock rows in");
	return TM_Ok;
}

static void
index_error(Relation rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot create an index on tsdb table \"%s\"",
					RelationGetRelationName(rel)),
			 errdetail("tsdb tables do not support indexes, primary keys or unique constraints."),
			 errhint("Filter on the series and time columns instead; tsdb organizes samples by series and time itself.")));
}

static double
tsdb_index_build_range_scan(Relation table_rel, Relation index_rel,
							struct IndexInfo *index_info, bool allow_sync,
							bool anyvisible, bool progress,
							BlockNumber start_blockno, BlockNumber numblocks,
							IndexBuildCallback callback, void *callback_state,
							TableScanDesc scan)
{
	index_error(table_rel);
	return 0;
}

static void
tsdb_index_validate_scan(Relation table_rel, Relation index_rel,
						 struct IndexInfo *index_info, Snapshot snapshot,
						 struct ValidateIndexState *state)
{
	index_error(table_rel);
}

static bool
tsdb_scan_sample_next_block(TableScanDesc scan,
							struct SampleScanState *scanstate)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("TABLESAMPLE is not supported on tsdb table \"%s\"",
					RelationGetRelationName(scan->rs_rd))));
	return false;
}

static bool
tsdb_scan_sample_next_tuple(TableScanDesc scan,
							struct SampleScanState *scanstate,
							TupleTableSlot *slot)
{
	elog(ERROR, "TABLESAMPLE is not supported on tsdb tables");
	return false;
}

/* ---- storage life cycle ---- */

/*
 * New storage for CREATE TABLE, TRUNCATE, VACUUM FULL and rewrites: check
 * the table's shape, create the file and write the metapage.
 */
static void
tsdb_relation_set_new_filenode(Relation rel, const RelFileNode *newrnode,
							   char persistence, TransactionId *freezeXid,
							   MultiXactId *minmulti)
{
	SMgrRelation srel;

	tsdb_check_shape(RelationGetDescr(rel), RelationGetRelationName(rel));
	/* TRUNCATE: the label index of the storage replaced is garbage */
	if (!RelFileNodeEquals(rel->rd_node, *newrnode))
	{
		/*
		 * Samples buffered before TRUNCATE go to the old storage, so a
		 * rolled-back TRUNCATE (a savepoint) gives them back.
		 */
		tsdb_insert_buffer_flush(RelationGetRelid(rel));
		tsdb_series_storage_replaced(rel);
	}
	if (persistence != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("tsdb tables must be permanent: %s tables are not supported",
						persistence == RELPERSISTENCE_TEMP ? "temporary" : "unlogged"),
				 errhint("Create the table without TEMPORARY or UNLOGGED.")));

	*freezeXid = RecentXmin;
	*minmulti = GetOldestMultiXactId();

	srel = RelationCreateStorage(*newrnode, persistence, true);
	smgrclose(srel);

	/*
	 * With wal_level = minimal the new file is synced at commit instead of
	 * WAL-logged (RelationCreateStorage registered that), as for heap.
	 */
	tsdb_init_metapage(*newrnode, XLogIsNeeded());
}

/*
 * TRUNCATE of a table created (or given new storage) in this transaction:
 * cut the file and start over with a fresh metapage and storage id.
 */
static void
tsdb_relation_nontransactional_truncate(Relation rel)
{
	/* written, then cut with the rest: one path for every storage change */
	tsdb_insert_buffer_flush(RelationGetRelid(rel));
	tsdb_series_cache_forget(rel);
	RelationTruncate(rel, 0);
	tsdb_init_metapage(rel->rd_node, RelationNeedsWAL(rel));
	RelationSetTargetBlock(rel, InvalidBlockNumber);
}

/* ALTER TABLE SET TABLESPACE: copy the files as they are (heap's way). */
static void
tsdb_relation_copy_data(Relation rel, const RelFileNode *newrnode)
{
	SMgrRelation dstrel;

	tsdb_insert_buffer_flush(RelationGetRelid(rel));
	FlushRelationBuffers(rel);
	dstrel = RelationCreateStorage(*newrnode, rel->rd_rel->relpersistence, true);
	RelationCopyStorage(RelationGetSmgr(rel), dstrel, MAIN_FORKNUM,
						rel->rd_rel->relpersistence);
	smgrclose(dstrel);
}

/*
 * VACUUM FULL, the segments: every segment some snapshot may still see is
 * copied page for page, with its MVCC stamps (its xmin frozen when older
 * than the cutoff, as for runs), so an older snapshot that reads the new
 * storage sees what it saw before, like heap's rewrite keeping recently
 * dead tuples.  Entries of aborted compactions and merged-away segments no
 * snapshot needs stay behind.
 */
static void
copy_segments_for_cluster(Relation OldTable, Relation NewTable,
						  TransactionId xid_cutoff, double *num_tuples)
{
	TsdbMetaPageData *meta = palloc(sizeof(TsdbMetaPageData));
	TsdbSegmentEntry *list = palloc(sizeof(TsdbSegmentEntry) * TSDB_MAX_SEGMENTS);
	GlobalVisState *vis = GlobalVisTestFor(OldTable);
	TransactionId latest_removed = InvalidTransactionId;
	uint32		n = 0;
	uint32		i;

	tsdb_read_meta(OldTable, meta);
	for (i = 0; i < meta->nsegments; i++)
	{
		TsdbSegmentEntry seg = meta->segments[i];

		if (tsdb_segment_removable(&seg, vis, &latest_removed))
			continue;
		seg.flags &= ~TSDB_SEG_HINT_MASK;
		if (TransactionIdIsValid(seg.xmax) && !TransactionIdDidCommit(seg.xmax))
			seg.xmax = InvalidTransactionId;	/* an aborted merge's */
		if (!(seg.flags & TSDB_SEG_FROZEN) &&
			TransactionIdIsNormal(seg.xmin) &&
			TransactionIdPrecedes(seg.xmin, xid_cutoff))
			seg.flags |= TSDB_SEG_FROZEN;
		if (tsdb_segment_live(&meta->segments[i]))
			*num_tuples += seg.nsamples;
		tsdb_segment_copy(OldTable, &meta->segments[i], NewTable, &list[n]);
		list[n].flags = seg.flags;
		list[n].xmax = seg.xmax;
		n++;
	}
	if (n > 0 || meta->next_segment_id > 1)
		tsdb_meta_set_segment_list(NewTable, meta->next_segment_id, list, n,
								   InvalidTransactionId);
	pfree(list);
	pfree(meta);
}

/*
 * VACUUM FULL: copy the series dictionary (ids stay the same, since they are
 * dense and created in order) and every run that is not dead, with its
 * original xmin, cmin and frozen state, into the new storage.  Aborted runs
 * are left behind, and head pages come out full.
 */
static void
tsdb_relation_copy_for_cluster(Relation OldTable, Relation NewTable,
							   Relation OldIndex, bool use_sort,
							   TransactionId OldestXmin,
							   TransactionId *xid_cutoff,
							   MultiXactId *multi_cutoff,
							   double *num_tuples, double *tups_vacuumed,
							   double *tups_recently_dead)
{
	TsdbSeriesCache *oldcache;
	TsdbSeriesCache *newcache;
	uint32		nseries;
	uint32		id;
	BlockNumber nblocks;
	BlockNumber blkno;
	TsdbSample *samples;

	if (OldIndex != NULL)
		elog(ERROR, "tsdb tables have no indexes to cluster on");
	tsdb_insert_buffer_flush(RelationGetRelid(OldTable));

	oldcache = tsdb_series_cache(OldTable);
	newcache = tsdb_series_cache(NewTable);
	nseries = tsdb_series_count(oldcache);
	for (id = 1; id <= nseries; id++)
	{
		Datum		labels = tsdb_series_labels(OldTable, oldcache, id);

		if (tsdb_series_get_or_create(NewTable, newcache,
									  (struct varlena *) DatumGetPointer(labels)) != id)
			elog(ERROR, "series ids of \"%s\" are not dense",
				 RelationGetRelationName(OldTable));
	}

	*num_tuples = 0;
	*tups_vacuumed = 0;
	*tups_recently_dead = 0;
	samples = palloc(sizeof(TsdbSample) * TSDB_HEAD_MAX_SAMPLES);
	nblocks = RelationGetNumberOfBlocks(OldTable);
	for (blkno = TSDB_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf = ReadBuffer(OldTable, blkno);
		Page		page;
		TsdbRunHeader *run;

		CHECK_FOR_INTERRUPTS();
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (!TsdbPageIsType(page, TSDB_PAGE_HEAD))
		{
			UnlockReleaseBuffer(buf);
			continue;
		}
		tsdb_head_page_validate(OldTable, page, blkno);
		TsdbForEachRun(run, page)
		{
			TsdbRunHeader hdr = *run;
			TsdbRunStatus status = tsdb_run_status(run, buf);

			if (status == TSDB_RUN_DEAD_STATUS)
				*tups_vacuumed += hdr.nsamples;
			else if (status == TSDB_RUN_CONSUMED &&
					 TransactionIdPrecedes(hdr.xmax, OldestXmin))
				continue;		/* only in its segment now, for everyone */
			else if (status == TSDB_RUN_CONSUMED)
			{
				/* an older snapshot may still read it instead of the segment */
				uint16		flags = hdr.flags & TSDB_RUN_FROZEN;

				if (TransactionIdIsNormal(hdr.xmin) &&
					TransactionIdPrecedes(hdr.xmin, *xid_cutoff))
					flags = TSDB_RUN_FROZEN;
				tsdb_run_read_samples(run, samples);
				tsdb_head_append_runs(NewTable, samples, hdr.nsamples,
									  hdr.xmin, hdr.cmin, flags, hdr.xmax,
									  NULL);
				*tups_recently_dead += hdr.nsamples;
			}
			else
			{
				uint16		flags = hdr.flags & TSDB_RUN_FROZEN;

				/*
				 * The new relfrozenxid will be *xid_cutoff: freeze what is
				 * older, as heap's rewrite does.  Such runs are committed
				 * and visible to every snapshot.
				 */
				if (status == TSDB_RUN_LIVE &&
					TransactionIdIsNormal(hdr.xmin) &&
					TransactionIdPrecedes(hdr.xmin, *xid_cutoff))
					flags = TSDB_RUN_FROZEN;
				tsdb_run_read_samples(run, samples);
				tsdb_head_append_runs(NewTable, samples, hdr.nsamples,
									  hdr.xmin, hdr.cmin, flags,
									  InvalidTransactionId, NULL);
				*num_tuples += hdr.nsamples;
			}
		}
		UnlockReleaseBuffer(buf);
	}
	pfree(samples);
	copy_segments_for_cluster(OldTable, NewTable, *xid_cutoff, num_tuples);
}

static bool
tsdb_relation_needs_toast_table(Relation rel)
{
	return false;
}

static uint64
tsdb_relation_size(Relation rel, ForkNumber forkNumber)
{
	return table_block_relation_size(rel, forkNumber);
}

/*
 * Planner estimate: pages from the file; samples per page from the density
 * the last VACUUM or ANALYZE saw, or a full head page's before there was
 * one.  Like heap, a never-vacuumed small table is assumed to be 10 pages,
 * so that a freshly created table does not look empty to the planner.
 */
static void
tsdb_relation_estimate_size(Relation rel, int32 *attr_widths,
							BlockNumber *pages, double *tuples,
							double *allvisfrac)
{
	BlockNumber curpages = RelationGetNumberOfBlocks(rel);
	BlockNumber relpages = (BlockNumber) rel->rd_rel->relpages;
	double		reltuples = (double) rel->rd_rel->reltuples;
	double		density;

	if (relpages == 0 && reltuples < 0 && curpages < 10)
		curpages = 10;
	if (reltuples >= 0 && relpages > 0)
		density = reltuples / (double) relpages;
	else
		density = TSDB_HEAD_MAX_SAMPLES;
	*pages = curpages;
	*tuples = rint(density * (double) curpages);
	*allvisfrac = 0;
}

static const TableAmRoutine tsdb_methods = {
	.type = T_TableAmRoutine,

	.slot_callbacks = tsdb_slot_callbacks,

	.scan_begin = tsdb_scan_begin,
	.scan_end = tsdb_scan_end,
	.scan_rescan = tsdb_scan_rescan,
	.scan_getnextslot = tsdb_scan_getnextslot,

	.parallelscan_estimate = table_block_parallelscan_estimate,
	.parallelscan_initialize = table_block_parallelscan_initialize,
	.parallelscan_reinitialize = table_block_parallelscan_reinitialize,

	.index_fetch_begin = tsdb_index_fetch_begin,
	.index_fetch_reset = tsdb_index_fetch_reset,
	.index_fetch_end = tsdb_index_fetch_end,
	.index_fetch_tuple = tsdb_index_fetch_tuple,

	.tuple_fetch_row_version = tsdb_fetch_row_version,
	.tuple_tid_valid = tsdb_tuple_tid_valid,
	.tuple_get_latest_tid = tsdb_get_latest_tid,
	.tuple_satisfies_snapshot = tsdb_tuple_satisfies_snapshot,
	.index_delete_tuples = tsdb_index_delete_tuples,

	.tuple_insert = tsdb_tuple_insert,
	.tuple_insert_speculative = tsdb_tuple_insert_speculative,
	.tuple_complete_speculative = tsdb_tuple_complete_speculative,
	.multi_insert = tsdb_multi_insert,
	.tuple_delete = tsdb_tuple_delete,
	.tuple_update = tsdb_tuple_update,
	.tuple_lock = tsdb_tuple_lock,

	.relation_set_new_filenode = tsdb_relation_set_new_filenode,
	.relation_nontransactional_truncate = tsdb_relation_nontransactional_truncate,
	.relation_copy_data = tsdb_relation_copy_data,
	.relation_copy_for_cluster = tsdb_relation_copy_for_cluster,
	.relation_vacuum = tsdb_relation_vacuum,
	.scan_analyze_next_block = tsdb_scan_analyze_next_block,
	.scan_analyze_next_tuple = tsdb_scan_analyze_next_tuple,
	.index_build_range_scan = tsdb_index_build_range_scan,
	.index_validate_scan = tsdb_index_validate_scan,

	.relation_size = tsdb_relation_size,
	.relation_needs_toast_table = tsdb_relation_needs_toast_table,

	.relation_estimate_size = tsdb_relation_estimate_size,

	.scan_sample_next_block = tsdb_scan_sample_next_block,
	.scan_sample_next_tuple = tsdb_scan_sample_next_tuple
};

const TableAmRoutine *
tsdb_table_am_routine(void)
{
	return &tsdb_methods;
}

Datum
tsdb_am_handler(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(&tsdb_methods);
}

bool
tsdb_relation_is_tsdb(Relation rel)
{
	return rel->rd_tableam == &tsdb_methods;
}
