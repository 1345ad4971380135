/*-------------------------------------------------------------------------
 *
 * am_vacuum.c
 *	  VACUUM of a tsdb table: freeze old runs, mark aborted runs dead,
 *	  advance relfrozenxid, report statistics.
 *
 * Head samples are never deleted, so VACUUM has no tuples to remove; its job
 * is to make sure no run's xmin can outlive clog.  Committed runs older than
 * the freeze limit get the FROZEN flag and aborted runs the DEAD flag, both
 * through a WAL record that needs no xid (a database near wraparound can
 * assign none).  Afterwards the oldest xmin still needed is the new
 * relfrozenxid.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/multixact.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/xloginsert.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/procarray.h"
#include "utils/rel.h"

#include "am.h"
#include "head.h"
#include "meta.h"
#include "recycle.h"
#include "segment.h"
#include "tsdb.h"
#include "visibility.h"
#include "wal.h"

typedef struct VacuumCounts
{
	double		live;
	double		dead;
	double		frozen_runs;
	double		dead_runs;
	double		consumed_runs;
	double		frozen_segments;
	double		removed_segments;
	TransactionId min_unfrozen;
} VacuumCounts;

/* An xid that stays on disk: relfrozenxid must not pass it. */
static void
keep_xid(VacuumCounts *counts, TransactionId xid)
{
	if (TransactionIdIsNormal(xid) &&
		TransactionIdPrecedes(xid, counts->min_unfrozen))
		counts->min_unfrozen = xid;
}

/* Freeze and mark one head page (exclusively locked). */
static void
vacuum_page(Relation rel, Buffer buf, BlockNumber blkno,
			TransactionId OldestXmin, TransactionId FreezeLimit,
			VacuumCounts *counts)
{
	Page		page = BufferGetPage(buf);
	TsdbRunHeader *run;
	xl_tsdb_freeze_run *changes;
	xl_tsdb_freeze xlrec;
	int			i;

	tsdb_head_page_validate(rel, page, blkno);
	changes = palloc(sizeof(xl_tsdb_freeze_run) *
					 (TsdbPageGetOpaque(page)->nitems + 1));
	xlrec.nruns = 0;
	xlrec.conflict_xid = InvalidTransactionId;

	TsdbForEachRun(run, page)
	{
		uint16		set = 0;
		bool		frozen = (run->flags & TSDB_RUN_FROZEN) != 0;

		if (run->flags & TSDB_RUN_DEAD)
			continue;
		switch (tsdb_run_status(run, buf))
		{
			case TSDB_RUN_LIVE:
				counts->live += run->nsamples;
				if (!frozen && TransactionIdIsNormal(run->xmin) &&
					TransactionIdPrecedes(run->xmin, FreezeLimit))
				{
					set |= TSDB_RUN_FROZEN;
					if (!TransactionIdIsValid(xlrec.conflict_xid) ||
						TransactionIdFollows(run->xmin, xlrec.conflict_xid))
						xlrec.conflict_xid = run->xmin;
					counts->frozen_runs++;
				}
				else if (!frozen)
					keep_xid(counts, run->xmin);
				/* live with an xmax: a running compaction's, or an aborted one's */
				if (TransactionIdIsValid(run->xmax))
				{
					if (TransactionIdIsCurrentTransactionId(run->xmax) ||
						TransactionIdIsInProgress(run->xmax))
						keep_xid(counts, run->xmax);
					else
						set |= XLH_FREEZE_CLEAR_XMAX;
				}
				break;
			case TSDB_RUN_CONSUMED:
				/* in a segment now; once no snapshot can see the run, drop it */
				if (TransactionIdPrecedes(run->xmax, OldestXmin))
				{
					set |= TSDB_RUN_DEAD;
					counts->consumed_runs++;
					/* a standby query that sees xmax running reads this run */
					if (!TransactionIdIsValid(xlrec.conflict_xid) ||
						TransactionIdFollows(run->xmax, xlrec.conflict_xid))
						xlrec.conflict_xid = run->xmax;
				}
				else
				{
					keep_xid(counts, run->xmax);
					if (!frozen)
						keep_xid(counts, run->xmin);
				}
				break;
			case TSDB_RUN_DEAD_STATUS:
				counts->dead += run->nsamples;
				set |= TSDB_RUN_DEAD;
				counts->dead_runs++;
				break;
			case TSDB_RUN_IN_PROGRESS:
				keep_xid(counts, run->xmin);
				break;
		}
		if (set)
		{
			changes[xlrec.nruns].offset = TsdbRunOffset(run, page);
			changes[xlrec.nruns].set_flags = set;
			xlrec.nruns++;
		}
	}

	if (xlrec.nruns > 0)
	{
		START_CRIT_SECTION();
		for (i = 0; i < xlrec.nruns; i++)
		{
			TsdbRunHeader *run = (TsdbRunHeader *) ((char *) page + changes[i].offset);

			tsdb_run_apply_freeze(run, changes[i].set_flags);
		}
		MarkBufferDirty(buf);
		if (RelationNeedsWAL(rel))
		{
			XLogRecPtr	lsn;

			XLogBeginInsert();
			XLogRegisterData((char *) &xlrec, sizeof(xlrec));
			XLogRegisterBuffer(0, buf, REGBUF_STANDARD);
			XLogRegisterBufData(0, (char *) changes,
								sizeof(xl_tsdb_freeze_run) * xlrec.nruns);
			lsn = XLogInsert(TSDB_RMGR_ID, XLOG_TSDB_FREEZE);
			PageSetLSN(page, lsn);
		}
		END_CRIT_SECTION();
	}
	pfree(changes);
}

/*
 * The segment list: count live samples, freeze old creators, forget aborted
 * compactions' xmax, and drop entries no snapshot can see (aborted, or
 * retired by a merge older than every snapshot).  One xid-free record.
 */
static void
vacuum_segments(Relation rel, TransactionId FreezeLimit, VacuumCounts *counts)
{
	TsdbMetaPageData *meta = palloc(sizeof(TsdbMetaPageData));
	TsdbSegmentEntry *list = palloc(sizeof(TsdbSegmentEntry) * TSDB_MAX_SEGMENTS);
	uint32		n = 0;
	uint32		i;
	bool		changed = false;
	TransactionId latest_removed = InvalidTransactionId;
	GlobalVisState *vis = GlobalVisTestFor(rel);

	tsdb_read_meta(rel, meta);
	for (i = 0; i < meta->nsegments; i++)
	{
		TsdbSegmentEntry seg = meta->segments[i];
		bool		frozen;
		bool		xmin_running;

		if (tsdb_segment_removable(&seg, vis, &latest_removed))
		{
			changed = true;
			counts->removed_segments++;
			continue;
		}
		frozen = (seg.flags & TSDB_SEG_FROZEN) != 0;
		xmin_running = !frozen &&
			(TransactionIdIsCurrentTransactionId(seg.xmin) ||
			 TransactionIdIsInProgress(seg.xmin));
		/* forget the xmax of an aborted merge or retention */
		if (TransactionIdIsValid(seg.xmax) &&
			!TransactionIdIsCurrentTransactionId(seg.xmax) &&
			!TransactionIdIsInProgress(seg.xmax) &&
			!TransactionIdDidCommit(seg.xmax))
		{
			seg.xmax = InvalidTransactionId;
			seg.flags &= ~(TSDB_SEG_XMAX_COMMITTED | TSDB_SEG_XMAX_INVALID);
			changed = true;
		}
		if (!frozen && !xmin_running &&
			TransactionIdPrecedes(seg.xmin, FreezeLimit))
		{
			seg.flags |= TSDB_SEG_FROZEN;
			changed = true;
			counts->frozen_segments++;
			frozen = true;
		}
		if (!frozen)
			keep_xid(counts, seg.xmin);
		if (TransactionIdIsValid(seg.xmax))
			keep_xid(counts, seg.xmax);
		if (tsdb_segment_live(&seg))
			counts->live += seg.nsamples;
		list[n++] = seg;
	}
	if (changed)
		tsdb_meta_set_segment_list(rel, meta->next_segment_id, list, n,
								   latest_removed);
	pfree(list);
	pfree(meta);
}

void
tsdb_relation_vacuum(Relation rel, struct VacuumParams *params,
					 BufferAccessStrategy bstrategy)
{
	TransactionId OldestXmin;
	TransactionId FreezeLimit;
	MultiXactId OldestMxact;
	MultiXactId MultiXactCutoff;
	BlockNumber nblocks;
	BlockNumber blkno;
	VacuumCounts counts;
	bool		frozenxid_updated;
	bool		minmulti_updated;
	TsdbRecycle *rc;
	uint32		recycled;
	uint32		truncated;

	vacuum_set_xid_limits(rel, params->freeze_min_age, params->freeze_table_age,
						  params->multixact_freeze_min_age,
						  params->multixact_freeze_table_age,
						  &OldestXmin, &OldestMxact, &FreezeLimit,
						  &MultiXactCutoff);

	memset(&counts, 0, sizeof(counts));
	counts.min_unfrozen = OldestXmin;

	/*
	 * The segment list first: the pages of the entries it drops are
	 * recycled in the same pass.
	 */
	vacuum_segments(rel, FreezeLimit, &counts);

	nblocks = RelationGetNumberOfBlocks(rel);
	rc = tsdb_recycle_begin(rel, nblocks);
	for (blkno = TSDB_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;

		vacuum_delay_point();
		buf = ReadBufferExtended(rel, MAIN_FORKNUM, blkno, RBM_NORMAL, bstrategy);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		page = BufferGetPage(buf);
		if (TsdbPageIsType(page, TSDB_PAGE_HEAD))
			vacuum_page(rel, buf, blkno, OldestXmin, FreezeLimit, &counts);
		if (tsdb_recycle_page_is_free(rc, page, blkno))
			tsdb_recycle_add(rc, blkno);
		UnlockReleaseBuffer(buf);
	}
	nblocks = tsdb_recycle_finish(rc, &recycled, &truncated);

	vac_update_relstats(rel, nblocks, counts.live, 0, false,
						counts.min_unfrozen, OldestMxact,
						&frozenxid_updated, &minmulti_updated, false);
	pgstat_report_vacuum(RelationGetRelid(rel), rel->rd_rel->relisshared,
						 (PgStat_Counter) counts.live,
						 (PgStat_Counter) counts.dead);

	ereport((params->options & VACOPT_VERBOSE) ? INFO : DEBUG2,
			(errmsg("vacuuming tsdb table \"%s\": %u pages, %.0f live samples, %.0f aborted samples",
					RelationGetRelationName(rel), nblocks, counts.live,
					counts.dead),
			 errdetail("%.0f runs frozen, %.0f aborted and %.0f compacted runs marked dead, %.0f segments frozen, %.0f removed, %u pages recycled, %u truncated; relfrozenxid %s to %u.",
					   counts.frozen_runs, counts.dead_runs,
					   counts.consumed_runs, counts.frozen_segments,
					   counts.removed_segments, recycled, truncated,
					   frozenxid_updated ? "advanced" : "stays",
					   counts.min_unfrozen)));
}
