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

#include "meta.h"

extern int64 tsdb_compact_relation(Relation rel, bool merge_all);
extern bool tsdb_compacted_in_xact(const TsdbMetaPageData *meta);

/* backpressure.c */
extern int	tsdb_head_max_pages;
extern void tsdb_backpressure(Relation rel, int nsamples);

#endif							/* TSDB_COMPACTION_H */
