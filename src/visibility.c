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
	if (hint == TSDB_RUN_XMIN_COMMITTED)
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
 * Is the run visible to an MVCC snapshot?  The caller holds at least a share
 * lock on the buffer.  The memo may be NULL.
 */
bool
tsdb_run_visible(TsdbRunHeader *run, Buffer buf, Snapshot snapshot,
				 TsdbXidMemo *memo)
{
	uint16		flags = run->flags;
	TransactionId xmin = run->xmin;

	if (flags & TSDB_RUN_DEAD)
		return false;
	if (flags & TSDB_RUN_FROZEN)
		return true;
	if (snapshot->snapshot_type == SNAPSHOT_ANY)
		return true;
	if (flags & TSDB_RUN_XMIN_INVALID)
		return false;

	/* A committed hint proves nothing about this snapshot by itself. */
	if (flags & TSDB_RUN_XMIN_COMMITTED)
		return !XidInMVCCSnapshot(xmin, snapshot);

	if (TransactionIdIsCurrentTransactionId(xmin))
		return run->cmin < snapshot->curcid;

	switch (xid_fate(xmin, snapshot, memo))
	{
		case TSDB_XID_COMMITTED:
			set_hint(run, buf, TSDB_RUN_XMIN_COMMITTED, xmin);
			return true;
		case TSDB_XID_ABORTED:
			set_hint(run, buf, TSDB_RUN_XMIN_INVALID, xmin);
			return false;
		case TSDB_XID_IN_SNAPSHOT:
			break;
	}
	return false;
}

/*
 * Status of a run for VACUUM and ANALYZE, which look at no snapshot.  In
 * progress is tested before commit, as heap does: clog is set before the
 * proc array is cleared.
 */
TsdbRunStatus
tsdb_run_status(TsdbRunHeader *run, Buffer buf)
{
	uint16		flags = run->flags;
	TransactionId xmin = run->xmin;

	if (flags & TSDB_RUN_DEAD)
		return TSDB_RUN_DEAD_STATUS;
	if (flags & (TSDB_RUN_FROZEN | TSDB_RUN_XMIN_COMMITTED))
		return TSDB_RUN_LIVE;
	if (flags & TSDB_RUN_XMIN_INVALID)
		return TSDB_RUN_DEAD_STATUS;
	if (TransactionIdIsCurrentTransactionId(xmin))
		return TSDB_RUN_LIVE;
	if (TransactionIdIsInProgress(xmin))
		return TSDB_RUN_IN_PROGRESS;
	if (TransactionIdDidCommit(xmin))
	{
		set_hint(run, buf, TSDB_RUN_XMIN_COMMITTED, xmin);
		return TSDB_RUN_LIVE;
	}
	set_hint(run, buf, TSDB_RUN_XMIN_INVALID, xmin);
	return TSDB_RUN_DEAD_STATUS;
}
