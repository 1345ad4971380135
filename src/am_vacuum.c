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
#include "access/xloginsert.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"

#include "am.h"
#include "head.h"
#include "meta.h"
#include "tsdb.h"
#include "visibility.h"
#include "wal.h"

typedef struct VacuumCounts
{
	double		live;
	double		dead;
	double		frozen_runs;
	double		dead_runs;
	TransactionId min_unfrozen;
} VacuumCounts;

/* Freeze and mark one head page (exclusively locked). */
static void
vacuum_page(Relation rel, Buffer buf, BlockNumber blkno,
			TransactionId FreezeLimit, VacuumCounts *counts)
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
	xlrec.latest_frozen_xid = InvalidTransactionId;

	TsdbForEachRun(run, page)
	{
		if (!(run->flags & (TSDB_RUN_FROZEN | TSDB_RUN_DEAD)))
		{
			switch (tsdb_run_status(run, buf))
			{
				case TSDB_RUN_LIVE:
					counts->live += run->nsamples;
					if (TransactionIdIsNormal(run->xmin) &&
						TransactionIdPrecedes(run->xmin, FreezeLimit))
					{
						changes[xlrec.nruns].offset = TsdbRunOffset(run, page);
						changes[xlrec.nruns].set_flags = TSDB_RUN_FROZEN;
						xlrec.nruns++;
						if (!TransactionIdIsValid(xlrec.latest_frozen_xid) ||
							TransactionIdFollows(run->xmin, xlrec.latest_frozen_xid))
							xlrec.latest_frozen_xid = run->xmin;
						counts->frozen_runs++;
					}
					else if (TransactionIdPrecedes(run->xmin, counts->min_unfrozen))
						counts->min_unfrozen = run->xmin;
					break;
				case TSDB_RUN_DEAD_STATUS:
					counts->dead += run->nsamples;
					changes[xlrec.nruns].offset = TsdbRunOffset(run, page);
					changes[xlrec.nruns].set_flags = TSDB_RUN_DEAD;
					xlrec.nruns++;
					counts->dead_runs++;
					break;
				case TSDB_RUN_IN_PROGRESS:
					if (TransactionIdPrecedes(run->xmin, counts->min_unfrozen))
						counts->min_unfrozen = run->xmin;
					break;
			}
		}
		else if (run->flags & TSDB_RUN_FROZEN)
			counts->live += run->nsamples;
	}

	if (xlrec.nruns > 0)
	{
		START_CRIT_SECTION();
		for (i = 0; i < xlrec.nruns; i++)
		{
			TsdbRunHeader *run = (TsdbRunHeader *) ((char *) page + changes[i].offset);

			run->flags |= changes[i].set_flags;
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

	vacuum_set_xid_limits(rel, params->freeze_min_age, params->freeze_table_age,
						  params->multixact_freeze_min_age,
						  params->multixact_freeze_table_age,
						  &OldestXmin, &OldestMxact, &FreezeLimit,
						  &MultiXactCutoff);

	memset(&counts, 0, sizeof(counts));
	counts.min_unfrozen = OldestXmin;

	nblocks = RelationGetNumberOfBlocks(rel);
	for (blkno = TSDB_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;

		vacuum_delay_point();
		buf = ReadBufferExtended(rel, MAIN_FORKNUM, blkno, RBM_NORMAL, bstrategy);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		page = BufferGetPage(buf);
		if (TsdbPageIsType(page, TSDB_PAGE_HEAD))
			vacuum_page(rel, buf, blkno, FreezeLimit, &counts);
		UnlockReleaseBuffer(buf);
	}

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
			 errdetail("%.0f runs frozen, %.0f aborted runs marked dead; relfrozenxid %s to %u.",
					   counts.frozen_runs, counts.dead_runs,
					   frozenxid_updated ? "advanced" : "stays",
					   counts.min_unfrozen)));
}
