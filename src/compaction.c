/*-------------------------------------------------------------------------
 *
 * compaction.c
 *	  Moving committed head samples into new immutable segments, merging
 *	  segments and dropping old samples, all through one MVCC hand-over.
 *
 * tsdb.compact(table) and tsdb.drop_before(table, cutoff) run in the
 * caller's ordinary transaction X, with its own xid (never inside lazy
 * VACUUM, whose xid other snapshots leave out).  They copy committed, not
 * yet consumed head runs into a new segment with xmin = X and stamp those
 * runs with xmax = X; segments merged into new ones, or dropped by the
 * cutoff, get xmax = X too.  A snapshot that counts X as committed sees the
 * new segments and none of what they replace, any other snapshot the old
 * state.  Aborted runs are left out.  Which segments are merged is the
 * merge policy's decision (merge_policy.c); when the metapage's segment
 * list would be nearly full, every live segment is merged into one.
 *
 * ShareUpdateExclusiveLock keeps compactions, retention and VACUUM of the
 * table apart while inserts and reads go on.  A crash or an error before
 * commit leaves an aborted X: the runs and old segments stay visible, the
 * new segments never become so.  A table is rewritten at most once per
 * transaction: scans of the transaction itself tell old from new by the
 * one command id that did it.
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
#include "insert_buffer.h"
#include "merge_policy.h"
#include "meta.h"
#include "retention.h"
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

/* Runs of one head page to stamp. */
typedef struct PageRuns
{
	BlockNumber blkno;
	int			nruns;
	uint16	   *offsets;
} PageRuns;

/* Does the run hold a sample older than the cutoff? */
static bool
has_older(const TsdbSample *s, int n, int64 cutoff)
{
	int			i;

	for (i = 0; i < n; i++)
		if (s[i].ts < cutoff)
			return true;
	return false;
}

/*
 * Collect the committed runs nobody has consumed yet: all of them for a
 * compaction (whole_head), only those holding samples older than the cutoff
 * for retention alone.  Runs of transactions still in progress (ours
 * included) stay in the head.
 */
static List *
gather_head(Relation rel, Gathered *g, bool whole_head, int64 cutoff,
			int64 *moved)
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
			tsdb_run_read_samples(run, buf);
			if (!whole_head && !has_older(buf, run->nsamples, cutoff))
				continue;
			if (pr == NULL)
			{
				pr = palloc(sizeof(PageRuns));
				pr->blkno = blkno;
				pr->nruns = 0;
				pr->offsets = palloc(sizeof(uint16) * TsdbPageGetOpaque(page)->nitems);
				pages = lappend(pages, pr);
			}
			pr->offsets[pr->nruns++] = TsdbRunOffset(run, page);
			gather(g, buf, run->nsamples);
			*moved += run->nsamples;
		}
		UnlockReleaseBuffer(b);
	}
	pfree(buf);
	return pages;
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

/* What to do with each entry of the segment list. */
typedef enum EntryAction
{
	ENTRY_REMOVE,				/* no snapshot needs it: leaves the list */
	ENTRY_KEEP,					/* not live (or empty): stays as it is */
	ENTRY_RETIRE,				/* entirely older than the cutoff */
	ENTRY_NODE					/* live: a node of the merge plan */
} EntryAction;

/* The error for a second rewrite of a table in one transaction. */
static void
refuse_second_rewrite(Relation rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("tsdb.compact() or tsdb.drop_before() already ran on table \"%s\" in this transaction",
					RelationGetRelationName(rel)),
			 errdetail("A table's segments are rewritten at most once per transaction."),
			 errhint("Commit, then call it again.")));
}

/*
 * The one engine behind compaction, merges and retention.  In the caller's
 * transaction X (the caller holds ShareUpdateExclusiveLock):
 *
 *	- committed head runs (whole_head: all of them; otherwise, for retention
 *	  alone, only those holding samples older than the cutoff) are read and
 *	  stamped with xmax = X;
 *	- live segments entirely older than the cutoff are retired (xmax = X);
 *	  those that straddle it are rewritten without their old samples;
 *	- the head samples that remain become a level-0 segment, and the merge
 *	  policy (merge_policy.c) decides which segments are merged with it or
 *	  with each other; every new segment gets xmin = X, every segment it
 *	  replaces xmax = X;
 *	- the segment list is written once, with the new entries.
 *
 * A snapshot that counts X as committed sees the new segments and none of
 * what they replace; any other snapshot sees exactly the old state.
 * cutoff is TSDB_NO_CUTOFF for a compaction; a compaction with a cutoff
 * applies retention in the same step.
 */
void
tsdb_rewrite_relation(Relation rel, bool whole_head, bool merge_all,
					  int64 cutoff, TsdbCompactStats *stats)
{
	MemoryContext cxt;
	MemoryContext old;
	TsdbMetaPageData *meta;
	Gathered	g = {0};
	List	   *pages;
	int64		kept;
	int64		head_min = PG_INT64_MAX;
	int64		head_max = PG_INT64_MIN;
	int64		i;
	EntryAction *action;
	int		   *node_of;
	int			head_node = -1;
	TsdbMergePlan plan;
	GlobalVisState *vis = GlobalVisTestFor(rel);
	TransactionId latest_removed = InvalidTransactionId;
	TransactionId xid;
	CommandId	cid;
	TsdbSegmentEntry *list;
	uint32		nlist = 0;
	uint32		nkept = 0;
	uint32		next_segment_id;
	bool		work;
	bool		marker;
	bool		relevel = false;
	int			n;

	memset(stats, 0, sizeof(TsdbCompactStats));
	cxt = AllocSetContextCreate(CurrentMemoryContext, "tsdb compaction",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);

	meta = palloc(sizeof(TsdbMetaPageData));
	tsdb_read_meta(rel, meta);
	if (tsdb_compacted_in_xact(meta))
		refuse_second_rewrite(rel);

	/* the head: committed runs, sorted, less what the cutoff removes */
	g.cap = 4096;
	g.samples = palloc_extended(g.cap * sizeof(TsdbSample), MCXT_ALLOC_HUGE);
	pages = gather_head(rel, &g, whole_head, cutoff, &stats->head_samples);
	kept = 0;
	for (i = 0; i < g.n; i++)
		if (g.samples[i].ts >= cutoff)
		{
			head_min = Min(head_min, g.samples[i].ts);
			head_max = Max(head_max, g.samples[i].ts);
			g.samples[kept++] = g.samples[i];
		}
	stats->samples_removed += g.n - kept;
	g.n = kept;
	pg_qsort(g.samples, g.n, sizeof(TsdbSample), tsdb_sample_cmp);

	/* the segment list: what goes, what stays, what the plan looks at */
	tsdb_merge_plan_init(&plan, rel);
	action = palloc(sizeof(EntryAction) * Max(meta->nsegments, 1));
	node_of = palloc(sizeof(int) * Max(meta->nsegments, 1));
	for (i = 0; i < meta->nsegments; i++)
	{
		const TsdbSegmentEntry *seg = &meta->segments[i];

		node_of[i] = -1;
		if (tsdb_segment_removable(seg, vis, &latest_removed))
		{
			action[i] = ENTRY_REMOVE;
			continue;
		}
		nkept++;
		if (seg->nsamples == 0 || !tsdb_segment_live(seg))
			action[i] = ENTRY_KEEP;
		else if (seg->max_ts < cutoff)
		{
			action[i] = ENTRY_RETIRE;
			stats->segments_dropped++;
			stats->samples_removed += seg->nsamples;
		}
		else
		{
			bool		straddles = seg->min_ts < cutoff;

			action[i] = ENTRY_NODE;
			node_of[i] = tsdb_merge_plan_add(&plan, Max(seg->min_ts, cutoff),
											 seg->max_ts, seg->level,
											 straddles);
			if (straddles)
				stats->segments_rewritten++;
		}
	}
	if (g.n > 0)
		head_node = tsdb_merge_plan_add(&plan, head_min, head_max, 0, true);

	/*
	 * Retention that writes no segment still leaves an entry (see below);
	 * the fallback merges everything when the list would be nearly full.
	 */
	marker = pages != NIL || stats->segments_dropped > 0;
	if (merge_all)
		tsdb_merge_plan_all(&plan);
	else
	{
		tsdb_merge_plan_run(&plan);
		if (nkept + Max(tsdb_merge_plan_outputs(&plan), marker ? 1 : 0) >
			TSDB_MAX_SEGMENTS - 2)
			tsdb_merge_plan_all(&plan);
	}
	if (nkept + Max(tsdb_merge_plan_outputs(&plan), marker ? 1 : 0) >
		TSDB_MAX_SEGMENTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("tsdb table \"%s\" has too many segments that snapshots still need",
						RelationGetRelationName(rel)),
				 errhint("Wait for long-running transactions to finish, then compact again.")));

	/* levels the plan moved up without rewriting */
	for (i = 0; i < meta->nsegments; i++)
		if (action[i] == ENTRY_NODE && plan.nodes[node_of[i]].parent < 0 &&
			plan.nodes[node_of[i]].level != meta->segments[i].level)
			relevel = true;

	work = marker || relevel || tsdb_merge_plan_outputs(&plan) > 0;
	if (!work)
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		return;
	}

	/* an xid before the first byte of WAL (pg15-internals.md 9.1) */
	xid = GetCurrentTransactionId();
	cid = GetCurrentCommandId(true);
	next_segment_id = meta->next_segment_id;
	list = palloc(sizeof(TsdbSegmentEntry) * (TSDB_MAX_SEGMENTS + plan.nnodes + 1));

	/* the entries that stay, stamped when they are replaced */
	for (i = 0; i < meta->nsegments; i++)
	{
		TsdbSegmentEntry seg = meta->segments[i];

		switch (action[i])
		{
			case ENTRY_REMOVE:
				continue;
			case ENTRY_KEEP:
				break;
			case ENTRY_RETIRE:
				seg.xmax = xid;
				seg.flags &= ~(TSDB_SEG_XMAX_COMMITTED | TSDB_SEG_XMAX_INVALID);
				break;
			case ENTRY_NODE:
				if (tsdb_merge_plan_root(&plan, node_of[i]) != node_of[i] ||
					plan.nodes[node_of[i]].dirty)
				{
					seg.xmax = xid;
					seg.flags &= ~(TSDB_SEG_XMAX_COMMITTED | TSDB_SEG_XMAX_INVALID);
					if (tsdb_merge_plan_root(&plan, node_of[i]) != node_of[i])
						stats->segments_merged++;
				}
				else
					seg.level = plan.nodes[node_of[i]].level;
				break;
		}
		list[nlist++] = seg;
	}

	/* the new segments, one per dirty node the plan left standing */
	for (n = 0; n < plan.nnodes; n++)
	{
		const TsdbSegmentEntry **srcs;
		int			nsrcs = 0;
		bool		with_head;
		TsdbSegmentEntry entry;

		if (plan.nodes[n].parent >= 0 || !plan.nodes[n].dirty)
			continue;
		srcs = palloc(sizeof(TsdbSegmentEntry *) * Max(meta->nsegments, 1));
		for (i = 0; i < meta->nsegments; i++)
			if (action[i] == ENTRY_NODE &&
				tsdb_merge_plan_root(&plan, node_of[i]) == n)
				srcs[nsrcs++] = &meta->segments[i];
		with_head = head_node >= 0 && tsdb_merge_plan_root(&plan, head_node) == n;
		tsdb_write_segment(rel, next_segment_id++,
						   with_head ? g.samples : NULL, with_head ? g.n : 0,
						   srcs, nsrcs, cutoff, &stats->samples_removed,
						   &entry);
		entry.xmin = xid;
		entry.cmin = cid;
		entry.xmax = InvalidTransactionId;
		entry.level = plan.nodes[n].level;
		entry.flags = 0;
		list[nlist++] = entry;
		stats->segments_written++;
		pfree(srcs);
	}

	/*
	 * Retention that wrote nothing still hides what it retired from this
	 * transaction's later commands: scans learn the command from an entry
	 * with xmin = X, so leave an empty one (removable once X has ended).
	 */
	if (stats->segments_written == 0 && marker)
	{
		TsdbSegmentEntry empty;

		memset(&empty, 0, sizeof(empty));
		empty.segment_id = next_segment_id++;
		empty.first_block = InvalidBlockNumber;
		empty.dir_block = InvalidBlockNumber;
		empty.xmin = xid;
		empty.cmin = cid;
		empty.xmax = InvalidTransactionId;
		list[nlist++] = empty;
	}

	tsdb_debug_point(TSDB_POINT_SEGMENT_WRITTEN);

	consume_runs(rel, pages, xid);
	/* once committed, the consumed runs are garbage: bring autovacuum */
	if (stats->head_samples > 0)
		pgstat_update_heap_dead_tuples(rel, (int) Min(stats->head_samples, PG_INT32_MAX));
	tsdb_debug_point(TSDB_POINT_RUNS_CONSUMED);

	tsdb_meta_set_segment_list(rel, next_segment_id, list, nlist,
							   latest_removed);
	tsdb_debug_point(TSDB_POINT_LIST_WRITTEN);

	ereport(DEBUG1,
			(errmsg("tsdb table \"%s\": %lld head samples moved, %d segments merged, %d dropped, %d rewritten, %d written, %lld samples removed",
					RelationGetRelationName(rel),
					(long long) stats->head_samples, stats->segments_merged,
					stats->segments_dropped, stats->segments_rewritten,
					stats->segments_written,
					(long long) stats->samples_removed)));

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* Compaction: move the committed head samples, merge as the policy says. */
int64
tsdb_compact_relation(Relation rel, bool merge_all)
{
	TsdbCompactStats stats;

	tsdb_rewrite_relation(rel, true, merge_all, TSDB_NO_CUTOFF, &stats);
	return stats.head_samples;
}

/*
 * Open a table for tsdb.compact() or tsdb.drop_before(): a tsdb table the
 * user owns, locked against other compactions and VACUUM.
 */
Relation
tsdb_open_for_rewrite(Oid relid, const char *what)
{
	Relation	rel;

	PreventCommandDuringRecovery(what);
	/* it writes, like nextval(): refused where writes are */
	PreventCommandIfReadOnly(what);
	rel = table_open(relid, ShareUpdateExclusiveLock);
	if (!tsdb_relation_is_tsdb(rel))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a tsdb table", RelationGetRelationName(rel)),
				 rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE ?
				 errhint("Call %s on each of its tsdb partitions.", what) : 0));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, RelationGetRelationName(rel));
	tsdb_insert_buffer_flush(relid);
	return rel;
}

/*
 * tsdb.compact(rel regclass, merge bool DEFAULT false, drop_before
 * timestamptz DEFAULT '-infinity') RETURNS bigint: the number of head
 * samples moved into new segments.  With drop_before, samples older than
 * it are removed in the same step, as tsdb.drop_before() would.
 */
Datum
tsdb_compact(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	bool		merge = PG_GETARG_BOOL(1);
	TimestampTz cutoff = PG_GETARG_TIMESTAMPTZ(2);
	Relation	rel;
	TsdbCompactStats stats;

	rel = tsdb_open_for_rewrite(relid, "tsdb.compact()");
	tsdb_compact_drop_before_relation(rel, merge, cutoff, &stats);
	table_close(rel, NoLock);
	PG_RETURN_INT64(stats.head_samples);
}
