/*-------------------------------------------------------------------------
 *
 * am.h
 *	  The tsdb table access method: callbacks shared between the handler,
 *	  insert, scan and vacuum files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_AM_H
#define TSDB_AM_H

#include "access/relscan.h"
#include "access/tableam.h"
#include "commands/vacuum.h"
#include "executor/tuptable.h"
#include "utils/relcache.h"

/* Where the three columns of a tsdb table are (0-based attribute indexes). */
typedef struct TsdbColumns
{
	int			labels;
	int			ts;
	int			value;
} TsdbColumns;

extern const TableAmRoutine *tsdb_table_am_routine(void);
extern const TsdbColumns *tsdb_columns(Relation rel);
extern void tsdb_check_shape(TupleDesc desc, const char *relname);

/* am_insert.c */
extern void tsdb_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid,
							  int options, struct BulkInsertStateData *bistate);
extern void tsdb_multi_insert(Relation rel, TupleTableSlot **slots, int nslots,
							  CommandId cid, int options,
							  struct BulkInsertStateData *bistate);

/* am_scan.c */
extern TableScanDesc tsdb_scan_begin(Relation rel, Snapshot snapshot, int nkeys,
									 struct ScanKeyData *key,
									 ParallelTableScanDesc pscan, uint32 flags);
extern void tsdb_scan_end(TableScanDesc scan);
extern void tsdb_scan_rescan(TableScanDesc scan, struct ScanKeyData *key,
							 bool set_params, bool allow_strat,
							 bool allow_sync, bool allow_pagemode);
extern bool tsdb_scan_getnextslot(TableScanDesc scan, ScanDirection direction,
								  TupleTableSlot *slot);
extern bool tsdb_scan_analyze_next_block(TableScanDesc scan, BlockNumber blockno,
										 BufferAccessStrategy bstrategy);
extern bool tsdb_scan_analyze_next_tuple(TableScanDesc scan,
										 TransactionId OldestXmin,
										 double *liverows, double *deadrows,
										 TupleTableSlot *slot);
extern bool tsdb_fetch_row_version(Relation rel, ItemPointer tid,
								   Snapshot snapshot, TupleTableSlot *slot);
extern bool tsdb_tuple_tid_valid(TableScanDesc scan, ItemPointer tid);
extern bool tsdb_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot,
										  Snapshot snapshot);

/* am_scan.c, shared with TsdbScan (scan_read.c): what a snapshot sees */
struct TsdbXidMemo;
struct TsdbSegmentEntry;
struct TsdbSample;
extern struct TsdbSegmentEntry *tsdb_visible_segments(Relation rel,
													  Snapshot snapshot,
													  struct TsdbXidMemo *memo,
													  int *nsegs,
													  CommandId *my_compact_cid);
extern int	tsdb_head_page_read(Relation rel, BlockNumber blkno,
								BufferAccessStrategy strategy,
								Snapshot snapshot, struct TsdbXidMemo *memo,
								CommandId my_compact_cid,
								struct TsdbSample *out, uint16 *ordinals,
								int *ndead, int *nruns);

/* am_vacuum.c */
extern void tsdb_relation_vacuum(Relation rel, struct VacuumParams *params,
								 BufferAccessStrategy bstrategy);

#endif							/* TSDB_AM_H */
