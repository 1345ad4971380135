/*-------------------------------------------------------------------------
 *
 * visibility.c
 *	  MVCC visibility of head runs, in heapam_visibility.c's order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "storage/bufmgr.h"
#include "storage/procarray.h"
#include "utils/snapmgr.h"

#include "segment.h"
#include "visibility.h"

void
tsdb_xid_memo_init(TsdbXidMemo *memo)
{
	int			i;

	for (i = 0; i < TSDB_XID_MEMO_SIZE; i++)
		memo->xid[i] = InvalidTransactionId;
	memo->next = 0;
}

/*
 * Set a hint flag on a run, as heap's SetHintBits does: a committed hint must
 * not reach disk before the commit record does, so it is skipped while the
 * commit LSN is unflushed and newer than the page.
 */
static void
set_hint(TsdbRunHeader *run, Buffer buf, uint16 hint, TransactionId xid)
{
	if (hint == TSDB_RUN_XMIN_COMMITTED || hint == TSDB_RUN_XMAX_COMMITTED)
	{
		XLogRecPtr	commitLSN = TransactionIdGetCommitLSN(xid);

		if (BufferIsPermanent(buf) && XLogNeedsFlush(commitLSN) &&
			BufferGetLSNAtomic(buf) < commitLSN)
			return;
	}
	run->flags |= hint;
	MarkBufferDirtyHint(buf, true);
}

static void
memo_put(TsdbXidMemo *memo, TransactionId xid, TsdbXidFate fate)
{
	memo->xid[memo->next] = xid;
	memo->fate[memo->next] = fate;
	memo->next = (memo->next + 1) % TSDB_XID_MEMO_SIZE;
}

/* What the snapshot makes of a (non-current) xid, asking clog at most once. */
static TsdbXidFate
xid_fate(TransactionId xmin, Snapshot snapshot, TsdbXidMemo *memo)
{
	TsdbXidFate fate;
	int			i;

	if (memo)
	{
		for (i = 0; i < TSDB_XID_MEMO_SIZE; i++)
			if (memo->xid[i] == xmin)
				return memo->fate[i];
	}
	if (XidInMVCCSnapshot(xmin, snapshot))
		fate = TSDB_XID_IN_SNAPSHOT;
	else if (TransactionIdDidCommit(xmin))
		fate = TSDB_XID_COMMITTED;
	else
		fate = TSDB_XID_ABORTED;	/* not running as of the snapshot, not
									 * committed: aborted or crashed */
	if (memo)
		memo_put(memo, xmin, fate);
	return fate;
}

/*
 * Does a compaction xid "xmax" hide what it consumed from the snapshot?
 * Exactly when the snapshot counts xmax as committed; for our own
 * transaction, when the compaction's command is older than the snapshot's.
 * hint_committed/hint_invalid are set on *flags when they can be.
 */
static bool
xmax_hides(TransactionId xmax, uint16 flags, uint16 committed_hint,
		   uint16 invalid_hint, Snapshot snapshot, CommandId my_compact_cid,
		   TsdbXidMemo *memo, uint16 *new_hint)
{
	*new_hint = 0;
	if (!TransactionIdIsValid(xmax) || (flags & invalid_hint))
		return false;
	if (flags & committed_hint)
		return !XidInMVCCSnapshot(xmax, snapshot);
	if (TransactionIdIsCurrentTransactionId(xmax))
		return my_compact_cid != InvalidCommandId &&
			my_compact_cid < snapshot->curcid;
	switch (xid_fate(xmax, snapshot, memo))
	{
		case TSDB_XID_COMMITTED:
			*new_hint = committed_hint;
			return true;
		case TSDB_XID_ABORTED:
			*new_hint = invalid_hint;
			return false;
		case TSDB_XID_IN_SNAPSHOT:
			break;
	}
	return false;
}

/* Is the xmin side of a run or segment visible? */
static bool
xmin_visible(TransactionId xmin, CommandId cmin, uint16 flags,
			 uint16 committed_hint, uint16 invalid_hint, Snapshot snapshot,
			 TsdbXidMemo *memo, uint16 *new_hint)
{
	*new_hint = 0;
	if (flags & invalid_hint)
		return false;
	/* A committed hint proves nothing about this snapshot by itself. */
	if (flags & committed_hint)
		return !XidInMVCCSnapshot(xmin, snapshot);
	if (TransactionIdIsCurrentTransactionId(xmin))
		return cmin < snapshot->curcid;
	switch (xid_fate(xmin, snapshot, memo))
	{
		case TSDB_XID_COMMITTED:
			*new_hint = committed_hint;
			return true;
		case TSDB_XID_ABORTED:
			*new_hint = invalid_hint;
			return false;
		case TSDB_XID_IN_SNAPSHOT:
			break;
	}
	return false;
}

/*
 * Is the run visible to an MVCC snapshot?  The caller holds at least a share
 * lock on the buffer.  The memo may be NULL.  my_compact_cid is the command
 * of a compaction by our own transaction (InvalidCommandId if none): the runs
 * it consumed disappear for later commands only.
 */
bool
tsdb_run_visible(TsdbRunHeader *run, Buffer buf, Snapshot snapshot,
				 TsdbXidMemo *memo, CommandId my_compact_cid)
{
	uint16		flags = run->flags;
	uint16		hint;
	bool		visible;

	if (flags & TSDB_RUN_DEAD)
		return false;
	if (snapshot->snapshot_type == SNAPSHOT_ANY)
		return true;
	if (!(flags & TSDB_RUN_FROZEN))
	{
		visible = xmin_visible(run->xmin, run->cmin, flags,
							   TSDB_RUN_XMIN_COMMITTED, TSDB_RUN_XMIN_INVALID,
							   snapshot, memo, &hint);
		if (hint)
			set_hint(run, buf, hint, run->xmin);
		if (!visible)
			return false;
	}
	if (xmax_hides(run->xmax, flags, TSDB_RUN_XMAX_COMMITTED,
				   TSDB_RUN_XMAX_INVALID, snapshot, my_compact_cid, memo, &hint))
	{
		if (hint)
			set_hint(run, buf, hint, run->xmax);
		return false;
	}
	if (hint)
		set_hint(run, buf, hint, run->xmax);
	return true;
}

/*
 * Is a segment visible to an MVCC snapshot?  Entries live on the metapage,
 * read from a copy, so no hints are set; the memo keeps clog lookups down.
 */
bool
tsdb_segment_visible(const TsdbSegmentEntry *seg, Snapshot snapshot,
					 TsdbXidMemo *memo, CommandId my_compact_cid)
{
	uint16		hint;

	if (snapshot->snapshot_type == SNAPSHOT_ANY)
		return true;
	if (!(seg->flags & TSDB_SEG_FROZEN) &&
		!xmin_visible(seg->xmin, seg->cmin, seg->flags,
					  TSDB_SEG_XMIN_COMMITTED, TSDB_SEG_XMIN_INVALID,
					  snapshot, memo, &hint))
		return false;
	return !xmax_hides(seg->xmax, seg->flags, TSDB_SEG_XMAX_COMMITTED,
					   TSDB_SEG_XMAX_INVALID, snapshot, my_compact_cid, memo,
					   &hint);
}

/*
 * Status of a run for VACUUM and ANALYZE, which look at no snapshot.  In
 * progress is tested before commit, as heap does: clog is set before the
 * proc array is cleared.
 */
/* Was a consuming compaction committed (vacuum-style test, no snapshot)? */
static bool
xmax_committed(TsdbRunHeader *run, Buffer buf)
{
	TransactionId xmax = run->xmax;

	if (!TransactionIdIsValid(xmax) || (run->flags & TSDB_RUN_XMAX_INVALID))
		return false;
	if (run->flags & TSDB_RUN_XMAX_COMMITTED)
		return true;
	if (TransactionIdIsCurrentTransactionId(xmax) ||
		TransactionIdIsInProgress(xmax))
		return false;
	if (TransactionIdDidCommit(xmax))
	{
		set_hint(run, buf, TSDB_RUN_XMAX_COMMITTED, xmax);
		return true;
	}
	set_hint(run, buf, TSDB_RUN_XMAX_INVALID, xmax);
	return false;
}

TsdbRunStatus
tsdb_run_status(TsdbRunHeader *run, Buffer buf)
{
	uint16		flags = run->flags;
	TransactionId xmin = run->xmin;

	if (flags & TSDB_RUN_DEAD)
		return TSDB_RUN_DEAD_STATUS;
	if (!(flags & (TSDB_RUN_FROZEN | TSDB_RUN_XMIN_COMMITTED)))
	{
		if (flags & TSDB_RUN_XMIN_INVALID)
			return TSDB_RUN_DEAD_STATUS;
		if (TransactionIdIsCurrentTransactionId(xmin))
			return TSDB_RUN_LIVE;
		if (TransactionIdIsInProgress(xmin))
			return TSDB_RUN_IN_PROGRESS;
		if (!TransactionIdDidCommit(xmin))
		{
			set_hint(run, buf, TSDB_RUN_XMIN_INVALID, xmin);
			return TSDB_RUN_DEAD_STATUS;
		}
		set_hint(run, buf, TSDB_RUN_XMIN_COMMITTED, xmin);
	}
	return xmax_committed(run, buf) ? TSDB_RUN_CONSUMED : TSDB_RUN_LIVE;
}

/*
 * Is a segment live, as VACUUM, ANALYZE and compaction see it (no
 * snapshot): created by a committed transaction and not retired by a
 * committed or running one?
 */
bool
tsdb_segment_live(const TsdbSegmentEntry *seg)
{
	if (!(seg->flags & TSDB_SEG_FROZEN) &&
		!TransactionIdIsCurrentTransactionId(seg->xmin) &&
		(TransactionIdIsInProgress(seg->xmin) ||
		 !TransactionIdDidCommit(seg->xmin)))
		return false;
	if (TransactionIdIsValid(seg->xmax) &&
		(TransactionIdIsCurrentTransactionId(seg->xmax) ||
		 TransactionIdIsInProgress(seg->xmax) ||
		 TransactionIdDidCommit(seg->xmax)))
		return false;
	return true;
}

/*
 * May a segment entry leave the list?  When its creator aborted (or crashed),
 * when a committed merge or retention retired it and no snapshot can still
 * see it, or when it is an empty marker whose transaction has ended.
 * latest_removed tracks the newest such retiring xid, for the conflicts a
 * standby must raise when it replays the removal.  Compaction, retention
 * and VACUUM all use this one rule.
 */
bool
tsdb_segment_removable(const TsdbSegmentEntry *seg, GlobalVisState *vis,
					   TransactionId *latest_removed)
{
	/*
	 * An empty entry (retention that wrote no segment leaves one) only tells
	 * its own transaction's scans which command retired what: once that
	 * transaction has ended, there is nothing in it to read.
	 */
	if (seg->nsamples == 0 && seg->npages == 0 &&
		((seg->flags & TSDB_SEG_FROZEN) ||
		 (!TransactionIdIsCurrentTransactionId(seg->xmin) &&
		  !TransactionIdIsInProgress(seg->xmin))))
		return true;
	if (!(seg->flags & TSDB_SEG_FROZEN) &&
		!TransactionIdIsCurrentTransactionId(seg->xmin) &&
		!TransactionIdIsInProgress(seg->xmin) &&
		!TransactionIdDidCommit(seg->xmin))
		return true;
	if (TransactionIdIsValid(seg->xmax) &&
		!TransactionIdIsCurrentTransactionId(seg->xmax) &&
		!TransactionIdIsInProgress(seg->xmax) &&
		TransactionIdDidCommit(seg->xmax) &&
		GlobalVisTestIsRemovableXid(vis, seg->xmax))
	{
		if (!TransactionIdIsValid(*latest_removed) ||
			TransactionIdFollows(seg->xmax, *latest_removed))
			*latest_removed = seg->xmax;
		return true;
	}
	return false;
}
