/*-------------------------------------------------------------------------
 *
 * visibility.h
 *	  MVCC rules for head runs.
 *
 * A run carries its inserting xid and command id, plus hint and frozen
 * flags; its samples are visible exactly when a heap tuple with that xmin
 * (and no xmax) would be.  The checks follow heapam_visibility.c in order.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_VISIBILITY_H
#define TSDB_VISIBILITY_H

#include "storage/buf.h"
#include "utils/snapshot.h"

#include "head.h"

/*
 * Per-scan memo of xids already decided for the scan's snapshot, so a page
 * full of one transaction's runs costs one clog lookup, not one per run.
 */
#define TSDB_XID_MEMO_SIZE 8

typedef enum TsdbXidFate
{
	TSDB_XID_COMMITTED,			/* committed before the snapshot */
	TSDB_XID_ABORTED,			/* aborted or crashed */
	TSDB_XID_IN_SNAPSHOT		/* running as far as the snapshot is concerned */
} TsdbXidFate;

typedef struct TsdbXidMemo
{
	TransactionId xid[TSDB_XID_MEMO_SIZE];
	TsdbXidFate fate[TSDB_XID_MEMO_SIZE];
	int			next;
} TsdbXidMemo;

typedef enum TsdbRunStatus
{
	TSDB_RUN_LIVE,				/* committed (or ours): counts as live */
	TSDB_RUN_DEAD_STATUS,		/* aborted: can be removed */
	TSDB_RUN_IN_PROGRESS,		/* another transaction still inserting */
	TSDB_RUN_CONSUMED			/* moved into a segment by a committed
								 * compaction */
} TsdbRunStatus;

extern void tsdb_xid_memo_init(TsdbXidMemo *memo);
extern bool tsdb_run_visible(TsdbRunHeader *run, Buffer buf, Snapshot snapshot,
							 TsdbXidMemo *memo, CommandId my_compact_cid);
extern TsdbRunStatus tsdb_run_status(TsdbRunHeader *run, Buffer buf);

#endif							/* TSDB_VISIBILITY_H */
