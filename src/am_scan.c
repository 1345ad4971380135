/*-------------------------------------------------------------------------
 *
 * am_scan.c
 *	  Sequential scans, ANALYZE sampling and fetches by tuple id.
 *
 * A scan reads every head page, one page at a time: under a share lock it
 * decides visibility per run and copies the visible samples out, then
 * returns them without holding the buffer.  Blocks added after the scan
 * started can only hold samples its snapshot does not see.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relscan.h"
#include "access/tableam.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "am.h"
#include "head.h"
#include "meta.h"
#include "series.h"
#include "visibility.h"

typedef struct TsdbScanDescData
{
	TableScanDescData rs_base;	/* must be first */

	BlockNumber nblocks;		/* blocks when the scan (re)started */
	BlockNumber cur_block;
	bool		inited;
	BufferAccessStrategy strategy;
	TsdbSeriesCache *series;
	const TsdbColumns *cols;
	TsdbXidMemo memo;

	/* samples of cur_block visible to the scan */
	TsdbSample *samples;
	uint16	   *ordinals;
	int			nsamples;
	int			pos;

	/* ANALYZE: dead samples in the current block */
	int			ndead;
} TsdbScanDescData;

typedef TsdbScanDescData *TsdbScanDesc;

static void
check_snapshot(Relation rel, Snapshot snapshot)
{
	if (snapshot == NULL || IsMVCCSnapshot(snapshot) ||
		snapshot->snapshot_type == SNAPSHOT_ANY)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("tsdb table \"%s\" cannot be read with a snapshot of type %d",
					RelationGetRelationName(rel), (int) snapshot->snapshot_type)));
}

static void
init_scan_state(TsdbScanDesc scan)
{
	Relation	rel = scan->rs_base.rs_rd;

	scan->nblocks = RelationGetNumberOfBlocks(rel);
	scan->cur_block = InvalidBlockNumber;
	scan->inited = false;
	scan->nsamples = 0;
	scan->pos = 0;
	scan->ndead = 0;
	tsdb_xid_memo_init(&scan->memo);

	/* Like heap: big scans go through a ring so they do not flush the cache. */
	if (scan->strategy == NULL &&
		(scan->rs_base.rs_flags & SO_ALLOW_STRAT) &&
		scan->nblocks > (BlockNumber) (NBuffers / 4))
		scan->strategy = GetAccessStrategy(BAS_BULKREAD);
}

TableScanDesc
tsdb_scan_begin(Relation rel, Snapshot snapshot, int nkeys,
				struct ScanKeyData *key, ParallelTableScanDesc pscan,
				uint32 flags)
{
	TsdbScanDesc scan;

	if (pscan != NULL)
		elog(ERROR, "tsdb tables do not support parallel scans");
	check_snapshot(rel, snapshot);

	RelationIncrementReferenceCount(rel);
	scan = palloc0(sizeof(TsdbScanDescData));
	scan->rs_base.rs_rd = rel;
	scan->rs_base.rs_snapshot = snapshot;
	scan->rs_base.rs_nkeys = nkeys;
	scan->rs_base.rs_key = key;
	scan->rs_base.rs_flags = flags;
	scan->rs_base.rs_parallel = NULL;
	scan->cols = tsdb_columns(rel);
	scan->series = tsdb_series_cache(rel);
	scan->samples = palloc(sizeof(TsdbSample) * TSDB_HEAD_MAX_SAMPLES);
	scan->ordinals = palloc(sizeof(uint16) * TSDB_HEAD_MAX_SAMPLES);
	init_scan_state(scan);

	if (snapshot && IsMVCCSnapshot(snapshot) &&
		(flags & (SO_TYPE_SEQSCAN | SO_TYPE_SAMPLESCAN)))
		PredicateLockRelation(rel, snapshot);
	if (flags & SO_TYPE_SEQSCAN)
		pgstat_count_heap_scan(rel);

	return (TableScanDesc) scan;
}

void
tsdb_scan_end(TableScanDesc sscan)
{
	TsdbScanDesc scan = (TsdbScanDesc) sscan;

	if (scan->strategy)
		FreeAccessStrategy(scan->strategy);
	if (sscan->rs_flags & SO_TEMP_SNAPSHOT)
		UnregisterSnapshot(sscan->rs_snapshot);
	RelationDecrementReferenceCount(sscan->rs_rd);
	pfree(scan->samples);
	pfree(scan->ordinals);
	pfree(scan);
}

void
tsdb_scan_rescan(TableScanDesc sscan, struct ScanKeyData *key, bool set_params,
				 bool allow_strat, bool allow_sync, bool allow_pagemode)
{
	TsdbScanDesc scan = (TsdbScanDesc) sscan;

	if (set_params)
	{
		if (allow_strat)
			sscan->rs_flags |= SO_ALLOW_STRAT;
		else
			sscan->rs_flags &= ~SO_ALLOW_STRAT;
		if (allow_sync)
			sscan->rs_flags |= SO_ALLOW_SYNC;
		else
			sscan->rs_flags &= ~SO_ALLOW_SYNC;
		if (allow_pagemode)
			sscan->rs_flags |= SO_ALLOW_PAGEMODE;
		else
			sscan->rs_flags &= ~SO_ALLOW_PAGEMODE;
	}
	init_scan_state(scan);
}

/*
 * Copy the samples of one head page that the scan's snapshot sees.  Pages of
 * other types (metapage, dictionary) and never-initialized pages left by a
 * crash during extension hold no samples.
 */
static void
load_page(TsdbScanDesc scan, BlockNumber blkno)
{
	Relation	rel = scan->rs_base.rs_rd;
	Snapshot	snapshot = scan->rs_base.rs_snapshot;
	Buffer		buf;
	Page		page;
	TsdbRunHeader *run;
	int			ordinal = 0;

	CHECK_FOR_INTERRUPTS();

	scan->nsamples = 0;
	buf = ReadBufferExtended(rel, MAIN_FORKNUM, blkno, RBM_NORMAL,
							 scan->strategy);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	if (PageIsNew(page) || TsdbPageIsType(page, TSDB_PAGE_META) ||
		TsdbPageIsType(page, TSDB_PAGE_DICT))
	{
		UnlockReleaseBuffer(buf);
		return;
	}
	tsdb_head_page_validate(rel, page, blkno);

	TsdbForEachRun(run, page)
	{
		bool		visible;

		if (snapshot == NULL)
		{
			/* ANALYZE */
			TsdbRunStatus st = tsdb_run_status(run, buf);

			visible = (st == TSDB_RUN_LIVE);
			if (st == TSDB_RUN_DEAD_STATUS)
				scan->ndead += run->nsamples;
		}
		else
			visible = tsdb_run_visible(run, buf, snapshot, &scan->memo);

		if (visible)
		{
			int			i;

			tsdb_run_read_samples(run, &scan->samples[scan->nsamples]);
			for (i = 0; i < run->nsamples; i++)
				scan->ordinals[scan->nsamples++] = ordinal + i;
		}
		ordinal += run->nsamples;
	}
	UnlockReleaseBuffer(buf);
}

static void
store_sample(TsdbScanDesc scan, TupleTableSlot *slot, const TsdbSample *s,
			 BlockNumber blkno, int ordinal)
{
	Relation	rel = scan->rs_base.rs_rd;
	const TsdbColumns *cols = scan->cols;

	ExecClearTuple(slot);
	slot->tts_values[cols->labels] =
		tsdb_series_labels(rel, scan->series, s->series_id);
	slot->tts_values[cols->ts] = TimestampTzGetDatum(s->ts);
	slot->tts_values[cols->value] = Float8GetDatum(s->value);
	slot->tts_isnull[cols->labels] = false;
	slot->tts_isnull[cols->ts] = false;
	slot->tts_isnull[cols->value] = false;
	ExecStoreVirtualTuple(slot);
	tsdb_sample_tid(blkno, ordinal, &slot->tts_tid);
	slot->tts_tableOid = RelationGetRelid(rel);
}

bool
tsdb_scan_getnextslot(TableScanDesc sscan, ScanDirection direction,
					  TupleTableSlot *slot)
{
	TsdbScanDesc scan = (TsdbScanDesc) sscan;
	bool		backward = ScanDirectionIsBackward(direction);

	if (!scan->inited)
	{
		scan->inited = true;
		scan->nsamples = 0;
		if (backward)
		{
			scan->cur_block = scan->nblocks;
			scan->pos = 0;
		}
		else
		{
			scan->cur_block = TSDB_METAPAGE_BLKNO;
			scan->pos = -1;
		}
	}

	for (;;)
	{
		if (!backward)
		{
			if (scan->pos + 1 < scan->nsamples)
			{
				scan->pos++;
				break;
			}
			if (scan->cur_block + 1 >= scan->nblocks)
			{
				scan->pos = scan->nsamples;
				ExecClearTuple(slot);
				return false;
			}
			scan->cur_block++;
			load_page(scan, scan->cur_block);
			scan->pos = -1;
		}
		else
		{
			if (scan->pos - 1 >= 0 && scan->pos - 1 < scan->nsamples)
			{
				scan->pos--;
				break;
			}
			if (scan->cur_block <= TSDB_METAPAGE_BLKNO + 1)
			{
				scan->pos = -1;
				ExecClearTuple(slot);
				return false;
			}
			scan->cur_block--;
			load_page(scan, scan->cur_block);
			scan->pos = scan->nsamples;
		}
	}

	store_sample(scan, slot, &scan->samples[scan->pos], scan->cur_block,
				 scan->ordinals[scan->pos]);
	pgstat_count_heap_getnext(sscan->rs_rd);
	return true;
}

/*
 * ANALYZE samples blocks; return the samples that live in each one, so its
 * row estimate (live rows per sampled block x blocks) comes out right.
 */
bool
tsdb_scan_analyze_next_block(TableScanDesc sscan, BlockNumber blockno,
							 BufferAccessStrategy bstrategy)
{
	TsdbScanDesc scan = (TsdbScanDesc) sscan;

	scan->strategy = NULL;
	scan->ndead = 0;
	scan->cur_block = blockno;
	load_page(scan, blockno);
	scan->pos = 0;
	return true;
}

bool
tsdb_scan_analyze_next_tuple(TableScanDesc sscan, TransactionId OldestXmin,
							 double *liverows, double *deadrows,
							 TupleTableSlot *slot)
{
	TsdbScanDesc scan = (TsdbScanDesc) sscan;

	if (scan->pos < scan->nsamples)
	{
		store_sample(scan, slot, &scan->samples[scan->pos], scan->cur_block,
					 scan->ordinals[scan->pos]);
		scan->pos++;
		*liverows += 1;
		return true;
	}
	*deadrows += scan->ndead;
	scan->ndead = 0;
	ExecClearTuple(slot);
	return false;
}

/*
 * Find sample "ordinal" of a head page; returns its run, or NULL.  The
 * caller holds a lock on the buffer.
 */
static TsdbRunHeader *
find_sample(Relation rel, Page page, BlockNumber blkno, int ordinal,
			TsdbSample *sample)
{
	TsdbRunHeader *run;
	int			base = 0;

	if (!TsdbPageIsType(page, TSDB_PAGE_HEAD))
		return NULL;
	tsdb_head_page_validate(rel, page, blkno);
	TsdbForEachRun(run, page)
	{
		if (ordinal < base + run->nsamples)
		{
			tsdb_sample_read(TsdbRunSamples(run) +
							 (ordinal - base) * TSDB_SAMPLE_SIZE, sample);
			return run;
		}
		base += run->nsamples;
	}
	return NULL;
}

/*
 * Read the sample a tuple id points to and decide whether the snapshot
 * (NULL: "live" as VACUUM sees it) sees it.  Returns false for tids that
 * point nowhere.
 */
static bool
fetch_by_tid(Relation rel, ItemPointer tid, Snapshot snapshot,
			 TsdbSample *sample)
{
	BlockNumber blkno;
	int			ordinal;
	Buffer		buf;
	TsdbRunHeader *run;
	bool		visible = false;

	check_snapshot(rel, snapshot);
	if (!ItemPointerIsValid(tid))
		return false;
	tsdb_tid_sample(tid, &blkno, &ordinal);
	if (blkno == TSDB_METAPAGE_BLKNO || blkno >= RelationGetNumberOfBlocks(rel))
		return false;

	buf = ReadBuffer(rel, blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	run = find_sample(rel, BufferGetPage(buf), blkno, ordinal, sample);
	if (run != NULL)
	{
		if (snapshot == NULL)
			visible = tsdb_run_status(run, buf) == TSDB_RUN_LIVE;
		else
			visible = tsdb_run_visible(run, buf, snapshot, NULL);
	}
	UnlockReleaseBuffer(buf);
	return visible;
}

/*
 * Fetch one sample by tuple id (AFTER triggers, ctid = ..., RETURNING
 * re-fetches).  Samples are never updated, so this is the only version.
 */
bool
tsdb_fetch_row_version(Relation rel, ItemPointer tid, Snapshot snapshot,
					   TupleTableSlot *slot)
{
	TsdbSample	sample;
	const TsdbColumns *cols;
	TsdbSeriesCache *cache;

	if (!fetch_by_tid(rel, tid, snapshot, &sample))
		return false;

	cols = tsdb_columns(rel);
	cache = tsdb_series_cache(rel);
	ExecClearTuple(slot);
	slot->tts_values[cols->labels] =
		tsdb_series_labels(rel, cache, sample.series_id);
	slot->tts_values[cols->ts] = TimestampTzGetDatum(sample.ts);
	slot->tts_values[cols->value] = Float8GetDatum(sample.value);
	memset(slot->tts_isnull, 0, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	ExecStoreVirtualTuple(slot);
	slot->tts_tid = *tid;
	slot->tts_tableOid = RelationGetRelid(rel);
	return true;
}

bool
tsdb_tuple_tid_valid(TableScanDesc scan, ItemPointer tid)
{
	BlockNumber blkno;
	int			ordinal;

	tsdb_tid_sample(tid, &blkno, &ordinal);
	return blkno != TSDB_METAPAGE_BLKNO &&
		blkno < RelationGetNumberOfBlocks(scan->rs_rd) &&
		ordinal < (int) TSDB_HEAD_MAX_SAMPLES;
}

bool
tsdb_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot,
							  Snapshot snapshot)
{
	TsdbSample	sample;

	return fetch_by_tid(rel, &slot->tts_tid, snapshot, &sample);
}
