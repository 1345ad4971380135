/*-------------------------------------------------------------------------
 *
 * retention.h
 *	  Removing old samples (tsdb.drop_before) and the per-table retention
 *	  option (tsdb.retention).
 *
 * For a background worker applying retention, per table, in a transaction
 * of its own:
 *
 *		rel = table_open(relid, ShareUpdateExclusiveLock);
 *		if (tsdb_relation_is_tsdb(rel) &&
 *			tsdb_retention_cutoff(rel, GetCurrentTimestamp(), &cutoff))
 *			tsdb_drop_before_relation(rel, cutoff, &stats);
 *		table_close(rel, NoLock);
 *
 * A table's segments are rewritten at most once per transaction, so
 * tsdb_drop_before_relation() refuses a table the transaction already
 * compacted (as tsdb.compact() and tsdb.drop_before() do).  To compact and
 * apply retention in one transaction, call
 * tsdb_compact_drop_before_relation() instead of tsdb_compact_relation():
 * one rewrite that moves the whole head and drops what is older than the
 * cutoff.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_RETENTION_H
#define TSDB_RETENTION_H

#include "datatype/timestamp.h"
#include "utils/relcache.h"

#include "compaction.h"

/* options.c: the tsdb.retention storage parameter */
extern bool tsdb_relation_retention(Relation rel, Interval *retention);
extern int64 tsdb_interval_usecs(const Interval *interval);

/* retention.c */
extern bool tsdb_retention_cutoff(Relation rel, TimestampTz now,
								  TimestampTz *cutoff);
extern bool tsdb_retention_due(Relation rel, TimestampTz cutoff);
extern void tsdb_drop_before_relation(Relation rel, TimestampTz cutoff,
									  TsdbCompactStats *stats);
extern void tsdb_compact_drop_before_relation(Relation rel, bool merge_all,
											  TimestampTz cutoff,
											  TsdbCompactStats *stats);

#endif							/* TSDB_RETENTION_H */
