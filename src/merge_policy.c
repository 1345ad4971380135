/*-------------------------------------------------------------------------
 *
 * merge_policy.c
 *	  Time-partitioned merge levels, after Prometheus' block compaction.
 *
 * A compaction writes its head samples as a level-0 segment.  Level L has
 * windows of width base * factor^L, aligned on the epoch; a segment belongs
 * to the window of its newest sample (so that a few late samples do not
 * push recent data into an old window).  The plan, repeated until nothing
 * changes:
 *
 *	- when tsdb.merge_min_segments segments of level L share a window, they
 *	  become one segment of level L + 1;
 *	- a window that has closed (the newest data, measured by the newest
 *	  segment's oldest sample as Prometheus does, lies past its end) will
 *	  get no more segments but late ones, so its segments move up to level
 *	  L + 1 as they are, without being rewritten, to meet their neighbours
 *	  in the wider window;
 *	- at the top level nothing moves up: a closed window's segments are
 *	  merged into one.
 *
 * So each level holds fewer than merge_min_segments segments in the one
 * window that is still open, closed windows end up with one segment each
 * at the top level, and every sample is rewritten at most once per level.
 * Without a retention the levels go on growing (the top window is wider
 * than all time), so a table holds at most about (merge_min_segments - 1)
 * segments per level in use, a dozen levels for years of data.  With a
 * retention, windows stop growing at a tenth of it, as Prometheus caps its
 * blocks at 10% of the retention: retention then drops whole segments
 * (about ten of them cover the retention) instead of rewriting one huge
 * edge segment.
 *
 * Everything is decided on data time, never on the wall clock, so the same
 * data gives the same segments.  A sample far in the future keeps its
 * segment's window open; a segment of nothing but future samples closes
 * every window up to it and moves the other segments up early (nothing is
 * lost: merges simply happen at higher levels).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "datatype/timestamp.h"
#include "utils/timestamp.h"

#include "merge_policy.h"
#include "retention.h"

/*
 * Four segments of a level trigger a merge: with a factor of 4 as well, a
 * closed window's leftovers (at most three) and the merges made in it meet
 * the next level's trigger, each level holds at most three segments, and
 * a sample is rewritten once per level.  Two would rewrite data twice as
 * often for little gain in reads; eight would leave seven segments per
 * level to read and take up the metapage's 48 entries quickly.
 */
int			tsdb_merge_min_segments = 4;

/*
 * Two hours at level 0: Prometheus' head block range, a span queries of
 * recent data usually cover.  Levels are then 2 h, 8 h, 32 h, 5.3 days,
 * 21 days, 85 days, 341 days: seven levels for a year.
 */
int			tsdb_merge_base_window = 2 * 60 * 60;

/* See above; Prometheus uses 3, which needs one more level per year. */
int			tsdb_merge_level_factor = 4;

/* Set up the policy from the GUCs and the table's retention. */
void
tsdb_merge_plan_init(TsdbMergePlan *plan, Relation rel)
{
	int64		cap = PG_INT64_MAX;
	int64		w;
	int			level = 0;
	Interval	retention;

	memset(plan, 0, sizeof(TsdbMergePlan));
	plan->cap = 64;
	plan->nodes = palloc(sizeof(TsdbMergeNode) * plan->cap);
	plan->min_segments = Max(tsdb_merge_min_segments, 2);

	if (rel != NULL && tsdb_relation_retention(rel, &retention))
		cap = Max(tsdb_interval_usecs(&retention) / TSDB_RETENTION_WINDOW_FRACTION, 1);

	w = Min((int64) tsdb_merge_base_window * USECS_PER_SEC, cap);
	plan->widths[0] = w;
	while (level + 1 < TSDB_MERGE_MAX_LEVELS && w < cap)
	{
		int64		next;

		if (pg_mul_s64_overflow(w, tsdb_merge_level_factor, &next))
			break;
		w = Min(next, cap);
		plan->widths[++level] = w;
	}
	plan->max_level = level;
}

/* Add a segment (or the head samples); returns its node number. */
int
tsdb_merge_plan_add(TsdbMergePlan *plan, int64 min_ts, int64 max_ts,
					uint16 level, bool dirty)
{
	TsdbMergeNode *n;

	if (plan->nnodes >= plan->cap)
	{
		plan->cap *= 2;
		plan->nodes = repalloc(plan->nodes, sizeof(TsdbMergeNode) * plan->cap);
	}
	n = &plan->nodes[plan->nnodes];
	n->min_ts = min_ts;
	n->max_ts = max_ts;
	/* a retention set since may have lowered the top level */
	n->level = Min(level, plan->max_level);
	n->dirty = dirty;
	n->parent = -1;
	return plan->nnodes++;
}

/* Merge the given standing nodes into a new one at "level". */
static void
merge_nodes(TsdbMergePlan *plan, const int *members, int n, int level)
{
	int64		min_ts = PG_INT64_MAX;
	int64		max_ts = PG_INT64_MIN;
	int			id;
	int			i;

	for (i = 0; i < n; i++)
	{
		min_ts = Min(min_ts, plan->nodes[members[i]].min_ts);
		max_ts = Max(max_ts, plan->nodes[members[i]].max_ts);
	}
	id = tsdb_merge_plan_add(plan, min_ts, max_ts, level, true);
	for (i = 0; i < n; i++)
		plan->nodes[members[i]].parent = id;
	plan->nmerges++;
}

/* The window of "ts" at width w (floor division: ts may be negative). */
static int64
window_of(int64 ts, int64 w)
{
	int64		q = ts / w;

	if (ts % w < 0)
		q--;
	return q;
}

/* Has window q of width w ended at or before "horizon"? */
static bool
window_closed(int64 q, int64 w, int64 horizon)
{
	int64		end;

	if (q >= PG_INT64_MAX / w)
		return false;			/* ends past the last timestamp */
	if (pg_mul_s64_overflow(q + 1, w, &end))
		return false;
	return end <= horizon;
}

/* Sort key for the standing nodes of one level. */
typedef struct LevelMember
{
	int64		window;
	int			node;
} LevelMember;

static int
member_cmp(const void *a, const void *b)
{
	const LevelMember *x = a;
	const LevelMember *y = b;

	if (x->window != y->window)
		return x->window < y->window ? -1 : 1;
	return x->node - y->node;
}

/*
 * One pass over level L: merge full windows, move closed windows up (or,
 * at the top, merge them).  Returns whether anything changed.
 */
static bool
plan_level(TsdbMergePlan *plan, int level, int64 horizon)
{
	int64		w = plan->widths[level];
	LevelMember *m = palloc(sizeof(LevelMember) * plan->nnodes);
	int		   *members = palloc(sizeof(int) * plan->nnodes);
	int			n = 0;
	int			start;
	bool		changed = false;
	int			i;

	for (i = 0; i < plan->nnodes; i++)
		if (plan->nodes[i].parent < 0 && plan->nodes[i].level == level)
		{
			m[n].window = window_of(plan->nodes[i].max_ts, w);
			m[n].node = i;
			n++;
		}
	qsort(m, n, sizeof(LevelMember), member_cmp);

	for (start = 0; start < n;)
	{
		int			end = start;
		int			count;

		while (end < n && m[end].window == m[start].window)
			end++;
		count = end - start;
		for (i = 0; i < count; i++)
			members[i] = m[start + i].node;

		if (count >= plan->min_segments)
		{
			merge_nodes(plan, members, count, Min(level + 1, plan->max_level));
			changed = true;
		}
		else if (window_closed(m[start].window, w, horizon))
		{
			if (level < plan->max_level)
			{
				for (i = 0; i < count; i++)
					plan->nodes[members[i]].level = level + 1;
				changed = true;
			}
			else if (count >= 2)
			{
				merge_nodes(plan, members, count, level);
				changed = true;
			}
		}
		start = end;
	}
	pfree(m);
	pfree(members);
	return changed;
}

/* Apply the policy until it has nothing left to do. */
void
tsdb_merge_plan_run(TsdbMergePlan *plan)
{
	bool		changed;

	do
	{
		int64		horizon = PG_INT64_MIN;
		int			level;
		int			i;

		/* how far the data has come: the newest segment's oldest sample */
		for (i = 0; i < plan->nnodes; i++)
			if (plan->nodes[i].parent < 0)
				horizon = Max(horizon, plan->nodes[i].min_ts);

		changed = false;
		for (level = 0; level <= plan->max_level && !changed; level++)
			changed = plan_level(plan, level, horizon);
	} while (changed);
}

/*
 * Merge every standing node into one (tsdb.compact(merge => true), and
 * the fallback when the segment list is nearly full), one level above the
 * highest, unless there is nothing to merge.
 */
void
tsdb_merge_plan_all(TsdbMergePlan *plan)
{
	int		   *members = palloc(sizeof(int) * plan->nnodes);
	int			n = 0;
	int			level = 0;
	int			i;

	for (i = 0; i < plan->nnodes; i++)
		if (plan->nodes[i].parent < 0)
		{
			members[n++] = i;
			level = Max(level, plan->nodes[i].level + 1);
		}
	if (n >= 2)
		merge_nodes(plan, members, n, Min(level, plan->max_level));
	pfree(members);
}

/* The standing node a node ended up in. */
int
tsdb_merge_plan_root(const TsdbMergePlan *plan, int node)
{
	while (plan->nodes[node].parent >= 0)
		node = plan->nodes[node].parent;
	return node;
}

/* How many new segments the plan writes. */
int
tsdb_merge_plan_outputs(const TsdbMergePlan *plan)
{
	int			n = 0;
	int			i;

	for (i = 0; i < plan->nnodes; i++)
		if (plan->nodes[i].parent < 0 && plan->nodes[i].dirty)
			n++;
	return n;
}

/*
 * The widest window of a table's levels: with a retention, a tenth of it.
 * Retention cut at a multiple of it drops whole top-level segments.
 */
int64
tsdb_merge_top_window(Relation rel)
{
	TsdbMergePlan plan;
	int64		w;

	tsdb_merge_plan_init(&plan, rel);
	w = plan.widths[plan.max_level];
	pfree(plan.nodes);
	return w;
}
