/*-------------------------------------------------------------------------
 *
 * merge_policy.h
 *	  Which segments a compaction merges: time-partitioned levels.
 *
 * The planner works on descriptors only (time range, level), one per
 * live segment plus one for the head samples a compaction moves; it says
 * which of them become one new segment and at which level.  compaction.c
 * reads and writes the data.  doc/compaction.md explains the policy.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_MERGE_POLICY_H
#define TSDB_MERGE_POLICY_H

#include "utils/relcache.h"

/* GUCs (tsdb.c defines them) */
extern int	tsdb_merge_min_segments;
extern int	tsdb_merge_base_window;	/* seconds */
extern int	tsdb_merge_level_factor;

/* Levels beyond this are never reached: windows would overflow first. */
#define TSDB_MERGE_MAX_LEVELS	64

/* Retention / this is the widest window once a table has a retention. */
#define TSDB_RETENTION_WINDOW_FRACTION	10

typedef struct TsdbMergeNode
{
	int64		min_ts;
	int64		max_ts;
	uint16		level;
	bool		dirty;			/* to be written: head samples, a rewrite
								 * without old samples, or a merge */
	int			parent;			/* node it was merged into, or -1 */
} TsdbMergeNode;

typedef struct TsdbMergePlan
{
	TsdbMergeNode *nodes;
	int			nnodes;
	int			cap;

	/* the policy, fixed when the plan starts */
	int			min_segments;
	int			max_level;
	int64		widths[TSDB_MERGE_MAX_LEVELS];	/* window of each level, us */

	int			nmerges;		/* merges the plan made */
} TsdbMergePlan;

extern void tsdb_merge_plan_init(TsdbMergePlan *plan, Relation rel);
extern int	tsdb_merge_plan_add(TsdbMergePlan *plan, int64 min_ts, int64 max_ts,
								uint16 level, bool dirty);
extern void tsdb_merge_plan_run(TsdbMergePlan *plan);
extern void tsdb_merge_plan_all(TsdbMergePlan *plan);
extern int	tsdb_merge_plan_root(const TsdbMergePlan *plan, int node);
extern int	tsdb_merge_plan_outputs(const TsdbMergePlan *plan);
extern int64 tsdb_merge_top_window(Relation rel);

#endif							/* TSDB_MERGE_POLICY_H */
