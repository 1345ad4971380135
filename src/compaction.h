/*-------------------------------------------------------------------------
 *
 * compaction.h
 *	  Moving committed head samples into immutable segments, merging
 *	  segments, and removing old samples: one engine, one MVCC hand-over.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_COMPACTION_H
#define TSDB_COMPACTION_H

#include "utils/relcache.h"

#include "head.h"
#include "meta.h"

/* What one rewrite did. */
typedef struct TsdbCompactStats
{
	int64		head_samples;	/* samples of the head runs consumed */
	int64		samples_removed;	/* samples older than the cutoff, gone */
	int32		segments_dropped;	/* segments retired whole by the cutoff */
	int32		segments_rewritten; /* segments written again without their
									 * samples older than the cutoff */
	int32		segments_merged;	/* segments merged into a new one */
	int32		segments_written;	/* new segments */
} TsdbCompactStats;

/* A compaction's cutoff: every sample is newer. */
#define TSDB_NO_CUTOFF	PG_INT64_MIN

/* compaction.c */
extern void tsdb_rewrite_relation(Relation rel, bool whole_head,
								  bool merge_all, int64 cutoff,
								  TsdbCompactStats *stats);
extern int64 tsdb_compact_relation(Relation rel, bool merge_all);
extern bool tsdb_compacted_in_xact(const TsdbMetaPageData *meta);
extern Relation tsdb_open_for_rewrite(Oid relid, const char *what);

/* compaction_write.c */
extern int	tsdb_sample_cmp(const void *a, const void *b);
extern void tsdb_write_segment(Relation rel, uint32 segment_id,
							   const TsdbSample *head, int64 nhead,
							   const TsdbSegmentEntry *const *segs, int nsegs,
							   int64 cutoff, int64 *removed,
							   TsdbSegmentEntry *entry);

/* backpressure.c */
extern int	tsdb_head_max_pages;
extern void tsdb_backpressure(Relation rel, int nsamples);

#endif							/* TSDB_COMPACTION_H */
