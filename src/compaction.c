/*-------------------------------------------------------------------------
 *
 * compaction.c
 *	  Moving committed head samples into a new immutable segment.
 *
 * tsdb.compact(table) runs in the caller's ordinary transaction C, with its
 * own xid (never inside lazy VACUUM, whose xid other snapshots leave out).
 * It copies every committed, not yet consumed head run into a new segment
 * with xmin = C and stamps those runs with xmax = C: a snapshot that counts
 * C as committed sees the segment and not the runs, any other snapshot the
 * runs and not the segment.  Aborted runs are left out.  When the metapage's
 * segment list has no room left, every live segment is merged into the new
 * one as well (retired with xmax = C).
 *
 * ShareUpdateExclusiveLock keeps compactions and VACUUM of the table apart
 * while inserts and reads go on.  A crash or an error before commit leaves
 * an aborted C: the runs stay visible, the segment never becomes so.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/procarray.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "compaction.h"
#include "debug_points.h"
#include "head.h"
#include "meta.h"
#include "segment.h"
#include "tsdb.h"
#include "visibility.h"
#include "wal.h"

PG_FUNCTION_INFO_V1(tsdb_compact);

/* Samples gathered for the new segment. */
typedef struct Gathered
{
	TsdbSample *samples;
	int64		n;
	int64		cap;
	TsdbSample *chunkbuf;		/* one decoded chunk, when merging */
} Gathered;

static void
gather(Gathered *g, const TsdbSample *s, int n)
{
	if (g->n + n > g->cap)
	{
		int64		cap = Max(g->cap * 2, g->n + n + 4096);

		if ((Size) cap * sizeof(TsdbSample) > MaxAllocHugeSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many head samples to compact at once")));
		g->samples = repalloc_huge(g->samples, cap * sizeof(TsdbSample));
		g->cap = cap;
	}
	memcpy(&g->samples[g->n], s, n * sizeof(TsdbSample));
	g->n += n;
}

static int
sample_cmp(const void *a, const void *b)
{
	const TsdbSample *x = a;
	const TsdbSample *y = b;

	if (x->series_id != y->series_id)
		return x->series_id < y->series_id ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	/* duplicates: any order is right; make it deterministic */
	return memcmp(&x->value, &y->value, sizeof(float8));
}

/* Runs of one head page to stamp. */
typedef struct PageRuns
{
	BlockNumber blkno;
	int			nruns;
	uint16	   *offsets;
} PageRuns;

/*
 * Collect the committed runs nobody has consumed yet.  Runs of transactions
 * still in progress (ours included) stay in the head.
 */
static List *
gather_head(Relation rel, Gathered *g, int64 *moved)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(rel);
	BlockNumber blkno;
	List	   *pages = NIL;
	TsdbSample *buf = palloc(sizeof(TsdbSample) * PG_UINT16_MAX);

	for (blkno = TSDB_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		b = ReadBuffer(rel, blkno);
		Page		page;
		TsdbRunHeader *run;
		PageRuns   *pr = NULL;

		CHECK_FOR_INTERRUPTS();
		LockBuffer(b, BUFFER_LOCK_SHARE);
		page = BufferGetPage(b);
		if (!TsdbPageIsType(page, TSDB_PAGE_HEAD))
		{
			UnlockReleaseBuffer(b);
			continue;
		}
		tsdb_head_page_validate(rel, page, blkno);
		TsdbForEachRun(run, page)
		{
			if (TransactionIdIsCurrentTransactionId(run->xmin) &&
				!(run->flags & TSDB_RUN_FROZEN))
				continue;
			if (tsdb_run_status(run, b) != TSDB_RUN_LIVE)
				continue;
			/* consumed by an aborted compaction: take it again */
			if (pr == NULL)
			{
				pr = palloc(sizeof(PageRuns));
				pr->blkno = blkno;
				pr->nruns = 0;
				pr->offsets = palloc(sizeof(uint16) * TsdbPageGetOpaque(page)->nitems);
				pages = lappend(pages, pr);
			}
			pr->offsets[pr->nruns++] = TsdbRunOffset(run, page);
			tsdb_run_read_samples(run, buf);
			gather(g, buf, run->nsamples);
			*moved += run->nsamples;
		}
		UnlockReleaseBuffer(b);
	}
	pfree(buf);
	return pages;
}

/* Decode one chunk of a segment being merged into the gathered samples. */
static void
gather_chunk(Relation rel, Page page, BlockNumber blkno, uint16 offset,
			 void *arg)
{
	Gathered   *g = arg;
	int			n = tsdb_chunk_decode(rel, page, blkno, offset, g->chunkbuf);

	gather(g, g->chunkbuf, n);
}

/* Stamp the consumed runs of each page with xmax = xid, with WAL. */
static void
consume_runs(Relation rel, List *pages, TransactionId xid)
{
	ListCell   *lc;

	foreach(lc, pages)
	{
		PageRuns   *pr = lfirst(lc);
		Buffer		b = ReadBuffer(rel, pr->blkno);
		Page		page;
		xl_tsdb_head_consume xlrec;

		LockBuffer(b, BUFFER_LOCK_EXCLUSIVE);
		page = BufferGetPage(b);
		xlrec.xmax = xid;
		xlrec.nruns = pr->nruns;

		START_CRIT_SECTION();
		tsdb_head_apply_consume(page, xid, pr->offsets, pr->nruns);
		MarkBufferDirty(b);
		if (RelationNeedsWAL(rel))
		{
			XLogRecPtr	lsn;

			XLogBeginInsert();
			XLogRegisterData((char *) &xlrec, sizeof(xlrec));
			XLogRegisterBuffer(0, b, REGBUF_STANDARD);
			XLogRegisterBufData(0, (char *) pr->offsets,
								sizeof(uint16) * pr->nruns);
			lsn = XLogInsert(TSDB_RMGR_ID, XLOG_TSDB_HEAD_CONSUME);
			PageSetLSN(page, lsn);
		}
		END_CRIT_SECTION();
		UnlockReleaseBuffer(b);
	}
}

/* Did the current transaction already compact this table? */
bool
tsdb_compacted_in_xact(const TsdbMetaPageData *meta)
{
	uint32		i;

	for (i = 0; i < meta->nsegments; i++)
		if (TransactionIdIsCurrentTransactionId(meta->segments[i].xmin) &&
			!(meta->segments[i].flags & TSDB_SEG_FROZEN))
			return true;
	return false;
}

int64
tsdb_compact_relation(Relation rel, bool merge_all)
{
	TsdbMetaPageData meta;
	TransactionId xid;
	CommandId	cid;
	Gathered	g = {0};
	List	   *pages;
	int64		moved = 0;
	TsdbSegmentEntry list[TSDB_MAX_SEGMENTS];
	uint32		nlist = 0;
	uint32		nlive = 0;
	uint16		level = 0;
	TsdbSegmentEntry entry;
	TsdbSegmentWriter *w;
	TransactionId latest_removed = InvalidTransactionId;
	GlobalVisState *vis = GlobalVisTestFor(rel);
	uint32		i;
	int64		start;

	tsdb_read_meta(rel, &meta);
	if (tsdb_compacted_in_xact(&meta))
		ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("tsdb table \"%s\" was already compacted in this transaction",
							RelationGetRelationName(rel)),
					 errhint("Commit, then compact again.")));

	/* an xid before the first byte of WAL (pg15-internals.md 9.1) */
	xid = GetCurrentTransactionId();
	cid = GetCurrentCommandId(true);

	g.cap = 4096;
	g.chunkbuf = palloc(sizeof(TsdbSample) * TSDB_CHUNK_MAX_SAMPLES);
	g.samples = palloc_extended(g.cap * sizeof(TsdbSample), MCXT_ALLOC_HUGE);
	pages = gather_head(rel, &g, &moved);

	/* keep what stays; merge everything live if there is no room left */
	for (i = 0; i < meta.nsegments; i++)
		if (tsdb_segment_live(&meta.segments[i]))
			nlive++;
	if (nlive + 1 > TSDB_MAX_SEGMENTS - 1)
		merge_all = true;
	if (moved == 0 && (!merge_all || nlive < 2))
		return 0;

	for (i = 0; i < meta.nsegments; i++)
	{
		TsdbSegmentEntry seg = meta.segments[i];

		if (tsdb_segment_removable(&seg, vis, &latest_removed))
			continue;
		if (merge_all && tsdb_segment_live(&seg))
		{
			tsdb_segment_foreach_chunk(rel, &seg, NULL, InvalidBlockNumber,
									   gather_chunk, &g);
			seg.xmax = xid;
			seg.flags &= ~(TSDB_SEG_XMAX_COMMITTED | TSDB_SEG_XMAX_INVALID);
			level = Max(level, seg.level + 1);
		}
		list[nlist++] = seg;
	}
	if (nlist >= TSDB_MAX_SEGMENTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("tsdb table \"%s\" has too many segments that snapshots still need",
						RelationGetRelationName(rel)),
				 errhint("Wait for long-running transactions to finish, then compact again.")));

	pg_qsort(g.samples, g.n, sizeof(TsdbSample), sample_cmp);

	w = tsdb_segment_writer_begin(rel, meta.next_segment_id);
	start = 0;
	while (start < g.n)
	{
		int64		end = start;
		int64		k;
		int64	   *ts;
		float8	   *values;

		while (end < g.n && g.samples[end].series_id == g.samples[start].series_id)
			end++;
		ts = palloc_extended((end - start) * sizeof(int64), MCXT_ALLOC_HUGE);
		values = palloc_extended((end - start) * sizeof(float8), MCXT_ALLOC_HUGE);
		for (k = start; k < end; k++)
		{
			ts[k - start] = g.samples[k].ts;
			values[k - start] = g.samples[k].value;
		}
		for (k = start; k < end; k += INT_MAX / 2)
			tsdb_segment_writer_add(w, g.samples[start].series_id,
									ts + (k - start), values + (k - start),
									(int) Min(end - k, INT_MAX / 2));
		pfree(ts);
		pfree(values);
		start = end;
	}
	tsdb_segment_writer_finish(w, &entry);
	entry.xmin = xid;
	entry.cmin = cid;
	entry.xmax = InvalidTransactionId;
	entry.level = level;
	entry.flags = 0;
	tsdb_debug_point(TSDB_POINT_SEGMENT_WRITTEN);

	consume_runs(rel, pages, xid);
	/* once committed, the consumed runs are garbage: bring autovacuum */
	pgstat_update_heap_dead_tuples(rel, (int) Min(moved, PG_INT32_MAX));
	tsdb_debug_point(TSDB_POINT_RUNS_CONSUMED);

	list[nlist++] = entry;
	tsdb_meta_set_segment_list(rel, meta.next_segment_id + 1, list, nlist,
							   latest_removed);
	tsdb_debug_point(TSDB_POINT_LIST_WRITTEN);
	pfree(g.samples);
	pfree(g.chunkbuf);
	return moved;
}

/*
 * tsdb.compact(rel regclass, merge bool DEFAULT false) RETURNS bigint: the
 * number of head samples moved into the new segment.
 */
Datum
tsdb_compact(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	bool		merge = PG_GETARG_BOOL(1);
	Relation	rel;
	int64		moved;

	PreventCommandDuringRecovery("tsdb.compact()");
	rel = table_open(relid, ShareUpdateExclusiveLock);
	if (!tsdb_relation_is_tsdb(rel))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a tsdb table", RelationGetRelationName(rel))));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, RelationGetRelationName(rel));
	moved = tsdb_compact_relation(rel, merge);
	table_close(rel, NoLock);
	PG_RETURN_INT64(moved);
}
