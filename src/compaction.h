/*-------------------------------------------------------------------------
 *
 * compaction.h
 *	  Moving committed head samples into immutable segments.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_COMPACTION_H
#define TSDB_COMPACTION_H

#include "utils/relcache.h"

extern int64 tsdb_compact_relation(Relation rel, bool merge_all);

#endif							/* TSDB_COMPACTION_H */
