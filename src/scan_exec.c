/*-------------------------------------------------------------------------
 *
 * scan_exec.c
 *	  TsdbScan in the executor: evaluating the pushed clauses' values,
 *	  returning rows, rescans and EXPLAIN.
 *
 * The values the pushed clauses compare with (constants, Params, stable
 * expressions such as now() - interval '1 h') are evaluated when the scan
 * first runs, and again after every rescan, since a Param may have changed.
 * They become a TsdbReadSpec: series ids (the intersection over the series
 * clauses, looked up or matched in the series dictionary at that moment, so
 * series created after the plan was made are found) and inclusive time
 * bounds.  A NULL value matches nothing, as it does in the recheck.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "storage/predicate.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/timestamp.h"

#include "am.h"
#include "insert_buffer.h"
#include "labels.h"
#include "scan.h"
#include "series.h"

typedef struct TsdbScanState
{
	CustomScanState css;

	/* from the plan */
	int			npushed;
	TsdbPushKind *kinds;
	char	  **names;			/* LABEL_EQ: the label */
	ExprState **values;			/* each clause's other side */
	int			order;
	bool		latest;			/* DISTINCT ON (series) ... ts DESC */
	int			bound;			/* in ts order: the LIMIT, 0 if unknown */
	bool		need_labels;
	bool		need_values;
	const TsdbColumns *cols;

	/* made once: its buffers outlive rescans */
	TsdbReader *reader;

	/* per (re)scan, in scan_cxt */
	MemoryContext scan_cxt;
	bool		started;
	TsdbSeriesCache *series;

	TsdbScanCounters counters;
} TsdbScanState;

static void begin_scan(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *exec_scan(CustomScanState *node);
static void end_scan(CustomScanState *node);
static void rescan(CustomScanState *node);
static void explain_scan(CustomScanState *node, List *ancestors,
						 ExplainState *es);

static const CustomExecMethods tsdb_exec_methods = {
	.CustomName = TSDB_SCAN_NAME,
	.BeginCustomScan = begin_scan,
	.ExecCustomScan = exec_scan,
	.EndCustomScan = end_scan,
	.ReScanCustomScan = rescan,
	.ExplainCustomScan = explain_scan,
};

Node *
tsdb_scan_create_state(CustomScan *cscan)
{
	TsdbScanState *st = (TsdbScanState *) newNode(sizeof(TsdbScanState),
												  T_CustomScanState);

	st->css.methods = &tsdb_exec_methods;
	return (Node *) st;
}

static void
begin_scan(CustomScanState *node, EState *estate, int eflags)
{
	TsdbScanState *st = (TsdbScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *kinds = linitial(cscan->custom_private);
	List	   *argnos = lsecond(cscan->custom_private);
	List	   *names = lthird(cscan->custom_private);
	List	   *flags = lfourth(cscan->custom_private);
	int			i;

	st->npushed = list_length(cscan->custom_exprs);
	st->kinds = palloc(sizeof(TsdbPushKind) * st->npushed);
	st->names = palloc(sizeof(char *) * st->npushed);
	st->values = palloc(sizeof(ExprState *) * st->npushed);
	for (i = 0; i < st->npushed; i++)
	{
		OpExpr	   *op = list_nth(cscan->custom_exprs, i);

		st->kinds[i] = (TsdbPushKind) list_nth_int(kinds, i);
		st->names[i] = strVal(list_nth(names, i));
		st->values[i] = ExecInitExpr(list_nth(op->args, list_nth_int(argnos, i)),
									 &node->ss.ps);
	}
	st->order = linitial_int(flags);
	st->need_labels = lsecond_int(flags) != 0;
	st->latest = lthird_int(flags) != 0;
	st->bound = lfourth_int(flags);
	st->need_values = list_nth_int(flags, 4) != 0;
	st->cols = tsdb_columns(node->ss.ss_currentRelation);
	st->scan_cxt = AllocSetContextCreate(estate->es_query_cxt, "TsdbScan",
										 ALLOCSET_DEFAULT_SIZES);
	st->started = false;
	/* this transaction's own buffered samples must be on the pages */
	tsdb_insert_buffer_flush(RelationGetRelid(node->ss.ss_currentRelation));
	st->reader = tsdb_reader_create(node->ss.ss_currentRelation,
									&st->counters);
}

/* Keep in ids[] (sorted) only those also in other[] (sorted). */
static int
intersect(uint32 *ids, int n, const uint32 *other, int m)
{
	int			i = 0;
	int			j = 0;
	int			k = 0;

	while (i < n && j < m)
	{
		if (ids[i] < other[j])
			i++;
		else if (ids[i] > other[j])
			j++;
		else
		{
			ids[k++] = ids[i];
			i++;
			j++;
		}
	}
	return k;
}

/* The series ids one series clause allows, sorted. */
static uint32 *
series_of(TsdbScanState *st, int i, Datum value, int *n)
{
	Relation	rel = st->css.ss.ss_currentRelation;
	uint32	   *ids;
	char	   *str;
	StringInfoData sel;

	switch (st->kinds[i])
	{
		case TSDB_PUSH_SERIES_EQ:
			ids = palloc(sizeof(uint32));
			ids[0] = tsdb_series_lookup(rel, (struct varlena *)
										PG_DETOAST_DATUM_PACKED(value));
			*n = ids[0] != 0 ? 1 : 0;
			return ids;
		case TSDB_PUSH_SERIES_MATCH:
			str = TextDatumGetCString(value);
			return tsdb_series_match(rel, labels_matcher_parse(str), n);
		case TSDB_PUSH_LABEL_EQ:
			str = TextDatumGetCString(value);

			/*
			 * "->" gives NULL for an absent label and label values are
			 * never empty, so "= ''" and invalid names match nothing.
			 */
			if (str[0] == '\0' ||
				!labels_valid_label_name(st->names[i], strlen(st->names[i])))
			{
				*n = 0;
				return NULL;
			}
			initStringInfo(&sel);
			appendStringInfo(&sel, "{%s=", st->names[i]);
			labels_append_quoted(&sel, str);
			appendStringInfoChar(&sel, '}');
			return tsdb_series_match(rel, labels_matcher_parse(sel.data), n);
		default:
			elog(ERROR, "tsdb pushed clause %d is not about series",
				 (int) st->kinds[i]);
	}
	return NULL;				/* keep compiler quiet */
}

/* Narrow [lo, hi] by one time clause; false if nothing can match. */
static bool
narrow_time(TsdbPushKind kind, int64 v, int64 *lo, int64 *hi)
{
	switch (kind)
	{
		case TSDB_PUSH_TS_LT:
			if (v == PG_INT64_MIN)
				return false;
			*hi = Min(*hi, v - 1);
			break;
		case TSDB_PUSH_TS_LE:
			*hi = Min(*hi, v);
			break;
		case TSDB_PUSH_TS_GT:
			if (v == PG_INT64_MAX)
				return false;
			*lo = Max(*lo, v + 1);
			break;
		case TSDB_PUSH_TS_GE:
			*lo = Max(*lo, v);
			break;
		case TSDB_PUSH_TS_EQ:
			*lo = Max(*lo, v);
			*hi = Min(*hi, v);
			break;
		default:
			elog(ERROR, "tsdb pushed clause %d is not about time", (int) kind);
	}
	return *lo <= *hi;
}

/* Evaluate the pushed values and start reading. */
static void
start_scan(TsdbScanState *st)
{
	ScanState  *ss = &st->css.ss;
	Relation	rel = ss->ss_currentRelation;
	EState	   *estate = ss->ps.state;
	ExprContext *econtext = ss->ps.ps_ExprContext;
	MemoryContext old = MemoryContextSwitchTo(st->scan_cxt);
	TsdbReadSpec spec;
	uint32	   *ids = NULL;
	int			nids = 0;
	bool		none = false;
	int			i;

	spec.all_series = true;
	spec.lo = PG_INT64_MIN;
	spec.hi = PG_INT64_MAX;
	spec.order = st->order;
	spec.latest = st->latest;
	spec.bound = st->bound;
	spec.values = st->need_values;
	st->series = tsdb_series_cache(rel);

	for (i = 0; i < st->npushed && !none; i++)
	{
		bool		isnull;
		Datum		value;

		value = ExecEvalExprSwitchContext(st->values[i], econtext, &isnull);
		if (isnull)
		{
			none = true;
			break;
		}
		if (TSDB_PUSH_IS_TIME(st->kinds[i]))
		{
			if (!narrow_time(st->kinds[i], DatumGetTimestampTz(value),
							 &spec.lo, &spec.hi))
				none = true;
		}
		else
		{
			int			n;
			uint32	   *these = series_of(st, i, value, &n);

			if (spec.all_series)
			{
				ids = these;
				nids = n;
				spec.all_series = false;
			}
			else
				nids = intersect(ids, nids, these, n);
			if (nids == 0)
				none = true;
		}
	}
	ResetExprContext(econtext);
	if (none)
	{
		/* an empty range: nothing is read */
		spec.all_series = false;
		nids = 0;
		spec.lo = 1;
		spec.hi = 0;
	}
	spec.series = ids;
	spec.nseries = nids;

	if (IsMVCCSnapshot(estate->es_snapshot))
		PredicateLockRelation(rel, estate->es_snapshot);
	pgstat_count_heap_scan(rel);
	tsdb_reader_start(st->reader, estate->es_snapshot, &spec);
	st->started = true;
	MemoryContextSwitchTo(old);
}

static TupleTableSlot *
next_row(ScanState *ss)
{
	TsdbScanState *st = (TsdbScanState *) ss;
	TupleTableSlot *slot = ss->ss_ScanTupleSlot;
	const TsdbColumns *cols = st->cols;
	MemoryContext old;
	TsdbSample	s;
	bool		found;

	if (!st->started)
		start_scan(st);
	old = MemoryContextSwitchTo(st->scan_cxt);
	found = tsdb_reader_next(st->reader, &s);
	MemoryContextSwitchTo(old);

	ExecClearTuple(slot);
	if (!found)
		return slot;
	if (st->need_labels)
	{
		slot->tts_values[cols->labels] =
			tsdb_series_labels(ss->ss_currentRelation, st->series, s.series_id);
		slot->tts_isnull[cols->labels] = false;
	}
	else
	{
		/* neither returned nor tested: not looked up */
		slot->tts_values[cols->labels] = (Datum) 0;
		slot->tts_isnull[cols->labels] = true;
	}
	slot->tts_values[cols->ts] = TimestampTzGetDatum(s.ts);
	slot->tts_values[cols->value] = Float8GetDatum(s.value);
	slot->tts_isnull[cols->ts] = false;
	slot->tts_isnull[cols->value] = false;
	ExecStoreVirtualTuple(slot);
	slot->tts_tableOid = RelationGetRelid(ss->ss_currentRelation);
	pgstat_count_heap_getnext(ss->ss_currentRelation);
	return slot;
}

static bool
recheck_row(ScanState *ss, TupleTableSlot *slot)
{
	/* no row locking: the qual is the whole check */
	return true;
}

static TupleTableSlot *
exec_scan(CustomScanState *node)
{
	return ExecScan(&node->ss, next_row, recheck_row);
}

static void
end_scan(CustomScanState *node)
{
	TsdbScanState *st = (TsdbScanState *) node;

	MemoryContextDelete(st->scan_cxt);
}

static void
rescan(CustomScanState *node)
{
	TsdbScanState *st = (TsdbScanState *) node;

	/* Params may have changed: evaluate everything again */
	MemoryContextReset(st->scan_cxt);
	st->started = false;
	ExecScanReScan(&node->ss);
}

/* Deparse the pushed clauses of one group, ANDed. */
static char *
deparse_pushed(CustomScanState *node, List *ancestors, ExplainState *es,
			   bool time)
{
	TsdbScanState *st = (TsdbScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *context;
	List	   *clauses = NIL;
	int			i;

	for (i = 0; i < st->npushed; i++)
		if (TSDB_PUSH_IS_TIME(st->kinds[i]) == time)
			clauses = lappend(clauses, list_nth(cscan->custom_exprs, i));
	if (clauses == NIL)
		return NULL;
	context = set_deparse_context_plan(es->deparse_cxt, node->ss.ps.plan,
									   ancestors);
	return deparse_expression((Node *) make_ands_explicit(clauses), context,
							  es->verbose,
							  false);
}

static void
explain_pair(ExplainState *es, const char *label, const char *a, int64 x,
			 const char *b, int64 y)
{
	if (es->format == EXPLAIN_FORMAT_TEXT)
	{
		char	   *s = psprintf("%s=" INT64_FORMAT " %s=" INT64_FORMAT,
								 a, x, b, y);

		ExplainPropertyText(label, s, es);
	}
	else
	{
		ExplainPropertyInteger(psprintf("%s %s", label, a), NULL, x, es);
		ExplainPropertyInteger(psprintf("%s %s", label, b), NULL, y, es);
	}
}

static void
explain_scan(CustomScanState *node, List *ancestors, ExplainState *es)
{
	TsdbScanState *st = (TsdbScanState *) node;
	const TsdbScanCounters *c = &st->counters;
	char	   *series = deparse_pushed(node, ancestors, es, false);
	char	   *time = deparse_pushed(node, ancestors, es, true);

	if (series)
		ExplainPropertyText("Series Filter", series, es);
	if (time)
		ExplainPropertyText("Time Filter", time, es);
	if (st->order != 0)
		ExplainPropertyText("Order", st->order > 0 ? "ts" : "ts DESC", es);
	if (st->bound > 0)
		ExplainPropertyInteger("Rows Needed", NULL, st->bound, es);
	if (st->latest)
		ExplainPropertyText("Latest", "per series", es);
	if (es->verbose)
		ExplainPropertyText("Chunk Columns", st->need_values ? "ts, value" : "ts", es);
	if (!es->analyze)
		return;
	if (series)
		ExplainPropertyInteger("Series Matched", NULL, c->series_matched, es);
	explain_pair(es, "Segments", "read", c->segments_read,
				 "skipped", c->segments_skipped);
	explain_pair(es, "Segment Pages", "read", c->pages_read,
				 "skipped", c->pages_skipped);
	explain_pair(es, "Chunks", "read", c->chunks_read,
				 "skipped", c->chunks_skipped);
	explain_pair(es, "Head", "pages", c->head_pages_read,
				 "runs", c->head_runs_read);
	if (c->cache_hits + c->cache_misses > 0)
		explain_pair(es, "Cache", "hits", c->cache_hits,
					 "misses", c->cache_misses);
}
