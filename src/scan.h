/*-------------------------------------------------------------------------
 *
 * scan.h
 *	  TsdbScan: a CustomScan that pushes series and time filters down.
 *
 * The planner hook (scan_plan.c) recognizes, among a tsdb table's
 * restriction clauses,
 *
 *	series = v				v a label set
 *	series @@ v				v the text of label matchers
 *	series -> 'name' = v	v text
 *	ts < v, ts <= v, ts > v, ts >= v, ts = v	(and BETWEEN, which is two)
 *
 * (and the join clauses of those kinds, for parameterized paths) where v
 * is a constant, a Param, another relation's columns or any stable
 * expression of them without this table's columns, and offers a
 * CustomPath that reads only what can match
 * (scan_exec.c evaluates the v's when the scan starts or restarts,
 * scan_read.c reads): series ids from the series dictionary, segments and
 * chunks whose time range overlaps, chunks of the matched series only, and
 * the head's visible samples filtered the same way.  Every pushed clause
 * also stays in the plan's qual, so pruning can only ever save work, never
 * change a result.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_SCAN_H
#define TSDB_SCAN_H

#include "storage/block.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

#include "head.h"

#define TSDB_SCAN_NAME		"TsdbScan"

/* What a pushed clause says; kept in the plan as integers. */
typedef enum TsdbPushKind
{
	TSDB_PUSH_SERIES_EQ,		/* series = v */
	TSDB_PUSH_SERIES_MATCH,		/* series @@ v */
	TSDB_PUSH_LABEL_EQ,			/* series -> 'name' = v */
	TSDB_PUSH_TS_LT,			/* ts < v */
	TSDB_PUSH_TS_LE,			/* ts <= v */
	TSDB_PUSH_TS_GT,			/* ts > v */
	TSDB_PUSH_TS_GE,			/* ts >= v */
	TSDB_PUSH_TS_EQ				/* ts = v */
} TsdbPushKind;

#define TSDB_PUSH_IS_TIME(k)	((k) >= TSDB_PUSH_TS_LT)

/*
 * What a scan read and skipped, for EXPLAIN ANALYZE.  Summed over rescans.
 * The block cache fills cache_hits and cache_misses when chunks are decoded
 * through it.
 */
typedef struct TsdbScanCounters
{
	int64		series_matched;
	int64		segments_read;
	int64		segments_skipped;	/* by time range */
	int64		pages_read;		/* segment pages */
	int64		pages_skipped;	/* segment pages never read */
	int64		chunks_read;	/* decoded */
	int64		chunks_skipped; /* by series or time range, from headers */
	int64		head_pages_read;
	int64		head_runs_read; /* visible runs examined */
	int64		cache_hits;
	int64		cache_misses;
} TsdbScanCounters;

/* The greatest LIMIT a scan in ts order is told of (scan_plan.c). */
#define TSDB_SCAN_MAX_BOUND		1000000

/* What to read, as scan_exec.c works it out from the pushed clauses. */
typedef struct TsdbReadSpec
{
	bool		all_series;		/* no series filter */
	const uint32 *series;		/* else: sorted distinct ids */
	int			nseries;
	int64		lo;				/* inclusive time bounds */
	int64		hi;
	int			order;			/* 0: any, 1: ts ascending, -1: descending
								 * (at most one series then) */
	bool		latest;			/* only each series' samples at its newest
								 * ts in range, by series (not all_series) */
	int			bound;			/* in ts order: at most this many samples
								 * will be fetched (0: no bound known) */
	bool		values;			/* the value column is needed (else a chunk
								 * not in the cache has only its timestamps
								 * decoded) */
} TsdbReadSpec;

typedef struct TsdbReader TsdbReader;

/*
 * scan_read.c.  A reader is made once per scan node, in a context that
 * outlives rescans, and started again for every (re)scan: its buffers are
 * kept.  The spec's series array must last until the next start.
 */
extern TsdbReader *tsdb_reader_create(Relation rel, TsdbScanCounters *counters);
extern void tsdb_reader_start(TsdbReader *r, Snapshot snapshot,
							  const TsdbReadSpec *spec);
extern bool tsdb_reader_next(TsdbReader *r, TsdbSample *out);

/* scan_blocks.c */
extern const BlockNumber *tsdb_head_candidates(Relation rel,
											   BlockNumber nblocks,
											   uint32 *n);
struct TsdbSegmentDirEntry;
extern bool tsdb_segment_directory(Relation rel, uint32 segment_id,
								   uint32 *npages,
								   const struct TsdbSegmentDirEntry **pages);

/* scan_plan.c */
extern bool tsdb_enable_pushdown;
extern void tsdb_scan_init(void);

/* scan_exec.c */
struct CustomScan;
extern struct Node *tsdb_scan_create_state(struct CustomScan *cscan);

#endif							/* TSDB_SCAN_H */
