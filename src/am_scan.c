/*-------------------------------------------------------------------------
 *
 * am_scan.c
 *	  Sequential scans, ANALYZE sampling and fetches by tuple id.
 *
 * A scan first reads the chunks of the segments its snapshot sees, one
 * chunk at a time, then every head page, one page at a time: under a share
 * lock it decides visibility per run and copies the visible samples out,
 * then returns them without holding the buffer.  Blocks added after the scan
 * started can only hold samples its snapshot does not see.  Segment pages
 * met in the block walk are skipped: segments are read through the list.
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
#include "block_cache.h"
#include "head.h"
#include "insert_buffer.h"
#include "meta.h"
#include "segment.h"
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

	/* chunks of the visible segments, read before the head pages */
	BlockNumber *chunk_blocks;
	uint16	   *chunk_offsets;
	int			nchunks;
	CommandId	my_compact_cid; /* our own transaction's compaction, if any */

	/*
	 * Position: units 0 .. nchunks-1 are chunks, then head blocks 1 ..
	 * nblocks-1.
	 */
	int64		cur_unit;

	/* samples of the current unit visible to the scan */
	TsdbSample *samples;
	uint16	   *ordinals;
	int			nsamples;
	int			pos;

	/* ANALYZE: dead samples in the current block */
	int			ndead;
	/* ANALYZE of a segment page: a copy of it and its chunks */
	PGAlignedBlock *seg_page;
	uint16	   *seg_offsets;
	int			seg_nchunks;
	int			seg_next;
} TsdbScanDescData;

typedef TsdbScanDescData *TsdbScanDesc;

/* a head page's samples or a chunk's */
#define SCAN_BUFFER_SAMPLES \
	Max((int) TSDB_HEAD_MAX_SAMPLES, TSDB_CHUNK_MAX_SAMPLES)

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

/* Chunk locations of the visible segments, collected in chain order. */
typedef struct ChunkList
{
	TsdbScanDesc scan;
	int			cap;
} ChunkList;

static void
add_chunk(Relation rel, Page page, BlockNumber blkno, uint16 offset, void *arg)
{
	ChunkList  *cl = arg;
	TsdbScanDesc scan = cl->scan;

	if (scan->nchunks >= cl->cap)
	{
		cl->cap = Max(cl->cap * 2, 64);
		scan->chunk_blocks = repalloc_huge(scan->chunk_blocks,
										   sizeof(BlockNumber) * cl->cap);
		scan->chunk_offsets = repalloc_huge(scan->chunk_offsets,
											sizeof(uint16) * cl->cap);
	}
	scan->chunk_blocks[scan->nchunks] = blkno;
	scan->chunk_offsets[scan->nchunks] = offset;
	scan->nchunks++;
}

/*
 * The segments a snapshot sees, with samples, in metapage order (palloc'd;
 * *nsegs gets their count), and the command id of our own transaction's
 * compaction if it made one (else InvalidCommandId), which head-run
 * visibility needs.  Shared by the sequential scan and TsdbScan.
 */
TsdbSegmentEntry *
tsdb_visible_segments(Relation rel, Snapshot snapshot, TsdbXidMemo *memo,
					  int *nsegs, CommandId *my_compact_cid)
{
	TsdbMetaPageData *meta = palloc(sizeof(TsdbMetaPageData));
	TsdbSegmentEntry *segs;
	uint32		i;

	*nsegs = 0;
	*my_compact_cid = InvalidCommandId;
	tsdb_read_meta(rel, meta);
	segs = palloc(sizeof(TsdbSegmentEntry) * Max(meta->nsegments, 1));
	for (i = 0; i < meta->nsegments; i++)
	{
		const TsdbSegmentEntry *seg = &meta->segments[i];

		if (!(seg->flags & TSDB_SEG_FROZEN) &&
			TransactionIdIsCurrentTransactionId(seg->xmin))
			*my_compact_cid = seg->cmin;
	}
	for (i = 0; i < meta->nsegments; i++)
	{
		const TsdbSegmentEntry *seg = &meta->segments[i];

		if (seg->nsamples == 0 ||
			!tsdb_segment_visible(seg, snapshot, memo, *my_compact_cid))
			continue;
		segs[(*nsegs)++] = *seg;
	}
	pfree(meta);
	return segs;
}

/*
 * Decide which segments the snapshot sees and list their chunks.  ANALYZE
 * (no snapshot) reads segment pages block by block instead.
 */
static void
collect_segments(TsdbScanDesc scan)
{
	Relation	rel = scan->rs_base.rs_rd;
	Snapshot	snapshot = scan->rs_base.rs_snapshot;
	TsdbSegmentEntry *segs;
	int			nsegs;
	ChunkList	cl = {scan, 64};
	int			i;

	scan->nchunks = 0;
	scan->my_compact_cid = InvalidCommandId;
	if (snapshot == NULL)
		return;
	segs = tsdb_visible_segments(rel, snapshot, &scan->memo, &nsegs,
								 &scan->my_compact_cid);
	if (scan->chunk_blocks)
	{
		pfree(scan->chunk_blocks);
		pfree(scan->chunk_offsets);
	}
	scan->chunk_blocks = palloc(sizeof(BlockNumber) * cl.cap);
	scan->chunk_offsets = palloc(sizeof(uint16) * cl.cap);
	for (i = 0; i < nsegs; i++)
		tsdb_segment_foreach_chunk(rel, &segs[i], scan->strategy,
								   scan->nblocks, add_chunk, &cl);
	pfree(segs);
}

static void
init_scan_state(TsdbScanDesc scan)
{
	Relation	rel = scan->rs_base.rs_rd;

	scan->nblocks = RelationGetNumberOfBlocks(rel);
	scan->cur_block = InvalidBlockNumber;
	scan->cur_unit = -1;
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

	collect_segments(scan);
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
	/* this transaction's own buffered samples must be on the pages */
	tsdb_insert_buffer_flush(RelationGetRelid(rel));

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
	scan->samples = palloc(sizeof(TsdbSample) * SCAN_BUFFER_SAMPLES);
	scan->ordinals = palloc(sizeof(uint16) * SCAN_BUFFER_SAMPLES);
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
	if (scan->chunk_blocks)
	{
		pfree(scan->chunk_blocks);
		pfree(scan->chunk_offsets);
	}
	if (scan->seg_page)
	{
		pfree(scan->seg_page);
		pfree(scan->seg_offsets);
	}
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
 * Copy the samples of one head page that "snapshot" sees into out[] (room
 * for TSDB_HEAD_MAX_SAMPLES), with their ordinals on the page; returns how
 * many.  With no snapshot (ANALYZE) live samples count, and *ndead gets
 * the aborted ones added.  *nruns (if not NULL) gets the visible runs
 * added.  Pages of other types (metapage, dictionary, segment, free) and
 * never-initialized pages left by a crash during extension hold no samples.
 * Shared by the sequential scan and TsdbScan.
 */
int
tsdb_head_page_read(Relation rel, BlockNumber blkno,
					BufferAccessStrategy strategy, Snapshot snapshot,
					TsdbXidMemo *memo, CommandId my_compact_cid,
					TsdbSample *out, uint16 *ordinals, int *ndead, int *nruns)
{
	Buffer		buf;
	Page		page;
	TsdbRunHeader *run;
	int			ordinal = 0;
	int			n = 0;

	CHECK_FOR_INTERRUPTS();

	buf = ReadBufferExtended(rel, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	if (PageIsNew(page) || TsdbPageIsType(page, TSDB_PAGE_META) ||
		TsdbPageIsType(page, TSDB_PAGE_DICT) ||
		TsdbPageIsType(page, TSDB_PAGE_SEGMENT) ||
		TsdbPageIsType(page, TSDB_PAGE_SEGDIR) ||
		TsdbPageIsType(page, TSDB_PAGE_FREE))
	{
		UnlockReleaseBuffer(buf);
		return 0;
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
				*ndead += run->nsamples;
		}
		else
			visible = tsdb_run_visible(run, buf, snapshot, memo,
									   my_compact_cid);

		if (visible)
		{
			int			i;

			tsdb_run_read_samples(run, &out[n]);
			for (i = 0; i < run->nsamples; i++)
				ordinals[n++] = ordinal + i;
			if (nruns)
				(*nruns)++;
		}
		ordinal += run->nsamples;
	}
	UnlockReleaseBuffer(buf);
	return n;
}

static void
load_page(TsdbScanDesc scan, BlockNumber blkno)
{
	scan->nsamples = tsdb_head_page_read(scan->rs_base.rs_rd, blkno,
										 scan->strategy,
										 scan->rs_base.rs_snapshot,
										 &scan->memo, scan->my_compact_cid,
										 scan->samples, scan->ordinals,
										 &scan->ndead, NULL);
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

/* Decode chunk number "unit" of the scan's list into its sample buffer. */
static void
load_chunk(TsdbScanDesc scan, int64 unit)
{
	Relation	rel = scan->rs_base.rs_rd;
	BlockNumber blkno = scan->chunk_blocks[unit];
	Buffer		buf;
	int			i;

	/* a chunk read once stays in the cache's probationary part */
	TsdbCacheUse use = {0, 0, 0};

	CHECK_FOR_INTERRUPTS();
	buf = ReadBufferExtended(rel, MAIN_FORKNUM, blkno, RBM_NORMAL,
							 scan->strategy);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	scan->nsamples = tsdb_chunk_decode_cached(rel, BufferGetPage(buf), blkno,
											  scan->chunk_offsets[unit],
											  scan->samples, &use);
	UnlockReleaseBuffer(buf);

	/*
	 * Compacted samples have no tuple id of their own to be fetched by;
	 * give them valid-looking ones on their page.
	 */
	for (i = 0; i < scan->nsamples; i++)
		scan->ordinals[i] = i % (TSDB_TID_BLOCKS_PER_PAGE * MaxHeapTuplesPerPage);
}

/* Load unit u: a chunk, or a head block. */
static void
load_unit(TsdbScanDesc scan, int64 u)
{
	scan->cur_unit = u;
	if (u < scan->nchunks)
	{
		scan->cur_block = scan->chunk_blocks[u];
		load_chunk(scan, u);
	}
	else
	{
		scan->cur_block = (BlockNumber) (u - scan->nchunks + 1);
		load_page(scan, scan->cur_block);
	}
}

bool
tsdb_scan_getnextslot(TableScanDesc sscan, ScanDirection direction,
					  TupleTableSlot *slot)
{
	TsdbScanDesc scan = (TsdbScanDesc) sscan;
	bool		backward = ScanDirectionIsBackward(direction);
	/* units: chunks, then head blocks 1 .. nblocks-1 */
	int64		nunits = scan->nchunks + (int64) scan->nblocks - 1;

	if (!scan->inited)
	{
		scan->inited = true;
		scan->nsamples = 0;
		if (backward)
		{
			scan->cur_unit = nunits;
			scan->pos = 0;
		}
		else
		{
			scan->cur_unit = -1;
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
			if (scan->cur_unit + 1 >= nunits)
			{
				scan->pos = scan->nsamples;
				ExecClearTuple(slot);
				return false;
			}
			load_unit(scan, scan->cur_unit + 1);
			scan->pos = -1;
		}
		else
		{
			if (scan->pos - 1 >= 0 && scan->pos - 1 < scan->nsamples)
			{
				scan->pos--;
				break;
			}
			if (scan->cur_unit <= 0)
			{
				scan->pos = -1;
				ExecClearTuple(slot);
				return false;
			}
			load_unit(scan, scan->cur_unit - 1);
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
/*
 * A segment page for ANALYZE: keep a copy of it if its segment is live, so
 * its chunks can be decoded one at a time.
 */
static void
analyze_segment_page(TsdbScanDesc scan, BlockNumber blkno)
{
	Relation	rel = scan->rs_base.rs_rd;
	Buffer		buf;
	Page		page;
	uint32		segment_id;
	TsdbMetaPageData *meta;
	bool		live = false;
	uint32		i;

	scan->seg_nchunks = 0;
	scan->seg_next = 0;
	if (scan->seg_page == NULL)
	{
		scan->seg_page = palloc(sizeof(PGAlignedBlock));
		scan->seg_offsets = palloc(sizeof(uint16) * (TSDB_SEGMENT_MAX_CHUNKS));
	}
	buf = ReadBuffer(rel, blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	if (!TsdbPageIsType(page, TSDB_PAGE_SEGMENT))
	{
		UnlockReleaseBuffer(buf);
		return;
	}
	memcpy(scan->seg_page->data, page, BLCKSZ);
	UnlockReleaseBuffer(buf);

	page = (Page) scan->seg_page->data;
	segment_id = TsdbPageGetOpaque(page)->segment_id;
	meta = palloc(sizeof(TsdbMetaPageData));
	tsdb_read_meta(rel, meta);
	for (i = 0; i < meta->nsegments; i++)
		if (meta->segments[i].segment_id == segment_id)
			live = tsdb_segment_live(&meta->segments[i]);
	pfree(meta);
	/* pages of aborted or retired segments hold no live samples */
	if (live)
		scan->seg_nchunks = tsdb_segment_page_chunks(rel, page, blkno,
													 scan->seg_offsets,
													 TSDB_SEGMENT_MAX_CHUNKS);
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
	scan->seg_nchunks = 0;
	scan->seg_next = 0;
	load_page(scan, blockno);
	if (scan->nsamples == 0)
		analyze_segment_page(scan, blockno);
	scan->pos = 0;
	return true;
}

bool
tsdb_scan_analyze_next_tuple(TableScanDesc sscan, TransactionId OldestXmin,
							 double *liverows, double *deadrows,
							 TupleTableSlot *slot)
{
	TsdbScanDesc scan = (TsdbScanDesc) sscan;

	while (scan->pos >= scan->nsamples && scan->seg_next < scan->seg_nchunks)
	{
		/* a sample of pages, read once: nothing worth keeping */
		TsdbCacheUse use = {TSDB_CACHE_NO_INSERT, 0, 0};
		int			i;

		scan->nsamples = tsdb_chunk_decode_cached(scan->rs_base.rs_rd,
												  (Page) scan->seg_page->data,
												  scan->cur_block,
												  scan->seg_offsets[scan->seg_next++],
												  scan->samples, &use);
		for (i = 0; i < scan->nsamples; i++)
			scan->ordinals[i] = i % (TSDB_TID_BLOCKS_PER_PAGE * MaxHeapTuplesPerPage);
		scan->pos = 0;
	}
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
			visible = tsdb_run_visible(run, buf, snapshot, NULL,
									   InvalidCommandId);
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

	tsdb_insert_buffer_flush(RelationGetRelid(rel));
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

	tsdb_insert_buffer_flush(RelationGetRelid(scan->rs_rd));
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
