/*-------------------------------------------------------------------------
 *
 * scan_plan.c
 *	  TsdbScan in the planner: which clauses are pushed down, the paths
 *	  offered for a tsdb table (or partition), and the plan made of one.
 *
 * set_rel_pathlist_hook looks at a tsdb relation's restriction clauses and
 * keeps those scan.h lists.  When there is one, it adds a CustomPath costed
 * as the sequential scan scaled by the pushed clauses' selectivity (it
 * never reads more than the sequential scan), and, when "series = v" makes
 * at most one series match, paths in ts order (ascending and descending)
 * that ORDER BY ts and merge joins can use.  Join clauses of the same
 * kinds whose value comes from other relations give parameterized paths,
 * rescanned by a nested loop with the outer row's values.
 *
 * The plan keeps every clause in its qual, so the pushed ones are checked
 * again on each row; custom_exprs holds the pushed clauses (setrefs fixes
 * their Vars and turns outer references into Params), custom_private what
 * each one is: see PRIV_* below.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/plancat.h"
#include "optimizer/planmain.h"
#include "optimizer/prep.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/subselect.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/selfuncs.h"
#include "utils/typcache.h"

#include "am.h"
#include "meta.h"
#include "scan.h"
#include "tsdb.h"

bool		tsdb_enable_pushdown = true;

static set_rel_pathlist_hook_type prev_set_rel_pathlist_hook = NULL;

/*
 * custom_private of the path and of the plan: a list of
 *	PRIV_KINDS	IntList, a TsdbPushKind per pushed clause
 *	PRIV_ARGNOS	IntList, which argument of the clause holds v (0 or 1)
 *	PRIV_NAMES	List of String: the label name of LABEL_EQ, "" otherwise
 *	PRIV_FLAGS	IntList: order (0, 1, -1), labels column needed (0/1),
 *				latest mode (0/1), bound (rows fetched at most, 0: unknown),
 *				value column needed (0/1; plan only)
 * custom_exprs (plan) / PRIV_CLAUSES (path): the pushed clauses.
 */
#define PRIV_KINDS		0
#define PRIV_ARGNOS		1
#define PRIV_NAMES		2
#define PRIV_FLAGS		3
#define PRIV_CLAUSES	4		/* path only */

/* The operators a clause is recognized by, looked up per planning. */
typedef struct PushOps
{
	Oid			labels_type;
	Oid			labels_eq;		/* labels = labels */
	Oid			labels_match;	/* labels @@ text */
	Oid			labels_get;		/* labels -> text */
	Oid			ts_ops[BTMaxStrategyNumber + 1];	/* by strategy */
} PushOps;

/* What one relation's clauses push. */
typedef struct PushSet
{
	List	   *clauses;		/* Expr */
	List	   *kinds;
	List	   *argnos;
	List	   *names;
	bool		one_series;		/* a "series = v" among them */
} PushSet;

static Plan *plan_tsdb_path(PlannerInfo *root, RelOptInfo *rel,
							CustomPath *best_path, List *tlist,
							List *clauses, List *custom_plans);

static const CustomPathMethods tsdb_path_methods = {
	.CustomName = TSDB_SCAN_NAME,
	.PlanCustomPath = plan_tsdb_path,
};

static CustomScanMethods tsdb_plan_methods = {
	.CustomName = TSDB_SCAN_NAME,
	.CreateCustomScanState = tsdb_scan_create_state,
};

static Oid
lookup_op(const char *name, Oid left, Oid right)
{
	return OpernameGetOprid(list_make2(makeString("pg_catalog"),
									   makeString(pstrdup(name))),
							left, right);
}

static bool
push_ops_init(PushOps *ops)
{
	TypeCacheEntry *tc;
	int			s;

	ops->labels_type = tsdb_labels_type_oid();
	if (!OidIsValid(ops->labels_type))
		return false;
	ops->labels_eq = lookup_op("=", ops->labels_type, ops->labels_type);
	ops->labels_match = lookup_op("@@", ops->labels_type, TEXTOID);
	ops->labels_get = lookup_op("->", ops->labels_type, TEXTOID);
	tc = lookup_type_cache(TIMESTAMPTZOID, TYPECACHE_BTREE_OPFAMILY);
	memset(ops->ts_ops, 0, sizeof(ops->ts_ops));
	for (s = 1; s <= BTMaxStrategyNumber; s++)
		ops->ts_ops[s] = get_opfamily_member(tc->btree_opf, TIMESTAMPTZOID,
											 TIMESTAMPTZOID, s);
	return true;
}

/* Is "node" this relation's column attno (0-based index + 1)? */
static bool
is_column(Node *node, Index relid, AttrNumber attno)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node && IsA(node, Var) &&
		((Var *) node)->varno == (int) relid &&
		((Var *) node)->varattno == attno &&
		((Var *) node)->varlevelsup == 0;
}

/*
 * Can "node" be evaluated once when the scan starts?  No column of this
 * relation, nothing volatile, no subplan (an initplan's result is a Param,
 * which is fine).  Other relations' columns are lateral references, which
 * the plan turns into Params.
 */
static bool
is_value(PlannerInfo *root, Node *node, Index relid)
{
	return !contain_volatile_functions(node) &&
		!contain_subplans(node) &&
		!bms_is_member(relid, pull_varnos(root, node));
}

/* Is "node" "series -> 'name'"?  *name gets the name. */
static bool
is_label_get(Node *node, Index relid, AttrNumber labels_attno,
			 const PushOps *ops, char **name)
{
	OpExpr	   *op;
	Const	   *c;

	if (!node || !IsA(node, OpExpr))
		return false;
	op = (OpExpr *) node;
	if (op->opno != ops->labels_get || list_length(op->args) != 2 ||
		!is_column(linitial(op->args), relid, labels_attno) ||
		!IsA(lsecond(op->args), Const))
		return false;
	c = lsecond(op->args);
	if (c->constisnull || c->consttype != TEXTOID)
		return false;
	*name = TextDatumGetCString(c->constvalue);
	return true;
}

static void
push(PushSet *set, Expr *clause, TsdbPushKind kind, int argno,
	 const char *name)
{
	set->clauses = lappend(set->clauses, clause);
	set->kinds = lappend_int(set->kinds, kind);
	set->argnos = lappend_int(set->argnos, argno);
	set->names = lappend(set->names, makeString(pstrdup(name ? name : "")));
	if (kind == TSDB_PUSH_SERIES_EQ)
		set->one_series = true;
}

/* Recognize one restriction clause; push it if it is one of scan.h's. */
static void
consider_clause(PlannerInfo *root, RelOptInfo *rel, Expr *clause,
				const TsdbColumns *cols, const PushOps *ops, PushSet *set)
{
	Index		relid = rel->relid;
	AttrNumber	labels_attno = cols->labels + 1;
	AttrNumber	ts_attno = cols->ts + 1;
	OpExpr	   *op;
	Node	   *a;
	Node	   *b;
	char	   *name;
	int			s;

	if (!IsA(clause, OpExpr))
		return;
	op = (OpExpr *) clause;
	if (list_length(op->args) != 2)
		return;
	a = linitial(op->args);
	b = lsecond(op->args);

	if (op->opno == ops->labels_eq)
	{
		if (is_column(a, relid, labels_attno) && is_value(root, b, relid))
			push(set, clause, TSDB_PUSH_SERIES_EQ, 1, NULL);
		else if (is_column(b, relid, labels_attno) && is_value(root, a, relid))
			push(set, clause, TSDB_PUSH_SERIES_EQ, 0, NULL);
		return;
	}
	if (op->opno == ops->labels_match)
	{
		if (is_column(a, relid, labels_attno) && is_value(root, b, relid))
			push(set, clause, TSDB_PUSH_SERIES_MATCH, 1, NULL);
		return;
	}
	if (op->opno == TextEqualOperator)
	{
		/* label values compare as bytes: only deterministic collations */
		if (OidIsValid(op->inputcollid) &&
			!get_collation_isdeterministic(op->inputcollid))
			return;
		if (is_label_get(a, relid, labels_attno, ops, &name) &&
			is_value(root, b, relid))
			push(set, clause, TSDB_PUSH_LABEL_EQ, 1, name);
		else if (is_label_get(b, relid, labels_attno, ops, &name) &&
				 is_value(root, a, relid))
			push(set, clause, TSDB_PUSH_LABEL_EQ, 0, name);
		return;
	}
	for (s = 1; s <= BTMaxStrategyNumber; s++)
	{
		static const TsdbPushKind kind_of[] = {
			0, TSDB_PUSH_TS_LT, TSDB_PUSH_TS_LE, TSDB_PUSH_TS_EQ,
			TSDB_PUSH_TS_GE, TSDB_PUSH_TS_GT
		};
		/* the same comparison with the column on the right */
		static const TsdbPushKind flipped[] = {
			0, TSDB_PUSH_TS_GT, TSDB_PUSH_TS_GE, TSDB_PUSH_TS_EQ,
			TSDB_PUSH_TS_LE, TSDB_PUSH_TS_LT
		};

		if (op->opno != ops->ts_ops[s])
			continue;
		if (is_column(a, relid, ts_attno) && is_value(root, b, relid))
			push(set, clause, kind_of[s], 1, NULL);
		else if (is_column(b, relid, ts_attno) && is_value(root, a, relid))
			push(set, clause, flipped[s], 0, NULL);
		return;
	}
}

/*
 * System columns other than tableoid have no meaning for samples read from
 * chunks: leave such queries (and join clauses) to the sequential scan.
 */
static bool
uses_system_columns(RelOptInfo *rel, List *join_clauses)
{
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	int			attno = -1;

	pull_varattnos((Node *) rel->reltarget->exprs, rel->relid, &attrs);
	foreach(lc, list_concat_copy(rel->baserestrictinfo, join_clauses))
		pull_varattnos((Node *) ((RestrictInfo *) lfirst(lc))->clause,
					   rel->relid, &attrs);
	while ((attno = bms_next_member(attrs, attno)) >= 0)
	{
		AttrNumber	a = attno + FirstLowInvalidHeapAttributeNumber;

		if (a < 0 && a != TableOidAttributeNumber)
			return true;
	}
	return false;
}

static bool
is_rel_var(Node *node, Index relid, AttrNumber attno)
{
	return node && IsA(node, Var) &&
		((Var *) node)->varno == (int) relid &&
		((Var *) node)->varattno == attno &&
		((Var *) node)->varlevelsup == 0;
}

/*
 * Is the query SELECT DISTINCT ON (series) ... FROM this table alone
 * ORDER BY series, ts DESC [, ...], with a series filter and every clause
 * pushed?  Then a path that returns only each series' samples at its
 * newest timestamp (the "latest" mode of scan_read.c) gives the Unique
 * above the same rows: it keeps, per series, the first row in ORDER BY
 * order, and that row is among them.  A clause that is not pushed would
 * have to drop rows before the newest one is picked, a volatile function
 * in the target list would run on fewer rows, aggregates, windows, SRFs
 * and grouping see every row: none of those.
 */
static bool
latest_query(PlannerInfo *root, RelOptInfo *rel, const TsdbColumns *cols,
			 const PushOps *ops, const PushSet *set)
{
	Query	   *parse = root->parse;
	SortGroupClause *distinct;
	SortGroupClause *first;
	SortGroupClause *second;
	TargetEntry *tle;
	ListCell   *lc;
	bool		series_filter = false;

	if (parse->commandType != CMD_SELECT || !parse->hasDistinctOn ||
		parse->hasAggs || parse->groupClause != NIL ||
		parse->groupingSets != NIL || parse->havingQual != NULL ||
		parse->hasWindowFuncs || parse->hasTargetSRFs ||
		parse->setOperations != NULL || parse->rowMarks != NIL ||
		rel->reloptkind != RELOPT_BASEREL || rel->lateral_relids != NULL ||
		bms_membership(root->all_baserels) != BMS_SINGLETON ||
		list_length(parse->distinctClause) != 1 ||
		list_length(parse->sortClause) < 2)
		return false;
	foreach(lc, set->kinds)
		if (!TSDB_PUSH_IS_TIME((TsdbPushKind) lfirst_int(lc)))
			series_filter = true;
	if (!series_filter)
		return false;

	distinct = linitial(parse->distinctClause);
	first = linitial(parse->sortClause);
	second = lsecond(parse->sortClause);
	if (first->tleSortGroupRef != distinct->tleSortGroupRef ||
		distinct->eqop != ops->labels_eq)
		return false;
	tle = get_sortgroupclause_tle(distinct, parse->targetList);
	if (!is_rel_var((Node *) tle->expr, rel->relid, cols->labels + 1))
		return false;
	tle = get_sortgroupclause_tle(second, parse->targetList);
	if (!is_rel_var((Node *) tle->expr, rel->relid, cols->ts + 1) ||
		second->sortop != ops->ts_ops[BTGreaterStrategyNumber])
		return false;
	return !contain_volatile_functions((Node *) parse->targetList);
}

/*
 * At most how many rows a path in ts order will be asked for: the query's
 * LIMIT (plus OFFSET) when both are constants of this plan (a generic
 * plan's parameters are not, nor is a PL/pgSQL variable, which the
 * planner's limit_tuples only estimates), this table is the query's only
 * one (the rows go straight to the Limit, or to a MergeAppend or Append
 * of partitions below it, which needs no more from each), nothing groups
 * or aggregates them (limit_tuples is -1 then), the path's order is the
 * query's (no Sort above), and every clause is pushed, so the recheck
 * drops none of the rows the reader counts.  0 when unknown.
 */
static int
limit_bound(PlannerInfo *root, List *pathkeys, bool all_pushed)
{
	Query	   *parse = root->parse;
	Const	   *count = (Const *) parse->limitCount;
	Const	   *offset = (Const *) parse->limitOffset;
	int64		n;

	if (!all_pushed || root->limit_tuples <= 0 ||
		parse->limitOption != LIMIT_OPTION_COUNT ||
		bms_membership(root->all_baserels) != BMS_SINGLETON ||
		root->query_pathkeys == NIL ||
		!pathkeys_contained_in(root->query_pathkeys, pathkeys))
		return 0;
	if (count == NULL || !IsA(count, Const) || count->constisnull ||
		count->consttype != INT8OID)
		return 0;
	n = DatumGetInt64(count->constvalue);
	if (offset != NULL)
	{
		if (!IsA(offset, Const) || offset->consttype != INT8OID)
			return 0;
		if (!offset->constisnull)
			n += Max(DatumGetInt64(offset->constvalue), 0);
	}
	return n > 0 && n <= TSDB_SCAN_MAX_BOUND ? (int) n : 0;
}

static CustomPath *
make_path(PlannerInfo *root, RelOptInfo *rel, const PushSet *set,
		  Cost seq_cost, Selectivity sel, int order, List *pathkeys,
		  double latest_rows, int bound)
{
	CustomPath *cpath = makeNode(CustomPath);
	Relids		required_outer = rel->lateral_relids;
	Cost		total;

	cpath->path.pathtype = T_CustomScan;
	cpath->path.parent = rel;
	cpath->path.pathtarget = rel->reltarget;
	cpath->path.param_info = get_baserel_parampathinfo(root, rel,
													   required_outer);
	cpath->path.parallel_aware = false;
	cpath->path.parallel_safe = false;
	cpath->path.parallel_workers = 0;
	cpath->path.rows = cpath->path.param_info ?
		cpath->path.param_info->ppi_rows : rel->rows;

	/*
	 * Pruning reads about the matching fraction of the table, plus the
	 * chunk headers and the head: never more than the sequential scan.
	 */
	total = seq_cost * (0.05 + 0.95 * sel);
	if (latest_rows > 0)
	{
		/*
		 * The head, then about a page and a chunk per series: never more
		 * than reading every matching sample (a little less, so that it
		 * wins a tie), and far fewer rows for the Sort and Unique.
		 */
		Cost		per_series = 2 * random_page_cost + 1000 * cpu_operator_cost;

		cpath->path.rows = latest_rows;
		cpath->path.startup_cost = seq_cost * 0.05;
		cpath->path.total_cost = Min(total * 0.99, cpath->path.startup_cost +
									 latest_rows * per_series);
	}
	else if (order == 0)
	{
		cpath->path.startup_cost = 0;
		cpath->path.total_cost = total;
	}
	else
	{
		/* the head is read first; then chunks are decoded as needed */
		cpath->path.startup_cost = total * 0.05;
		cpath->path.total_cost = total * 1.05;
	}
	cpath->path.pathkeys = pathkeys;
	cpath->flags = CUSTOMPATH_SUPPORT_PROJECTION;
	cpath->custom_paths = NIL;
	cpath->custom_private = list_make5(set->kinds, set->argnos, set->names,
									   list_make4_int(order, 1, latest_rows > 0,
													  bound),
									   set->clauses);
	cpath->methods = &tsdb_path_methods;
	return cpath;
}

/*
 * Paths for the relation's own restriction clauses: any order, the latest
 * mode, and ts order for one series.
 */
static void
add_restriction_paths(PlannerInfo *root, RelOptInfo *rel,
					  const TsdbColumns *cols, const PushOps *ops,
					  const PushSet *set, bool all_pushed, Cost seq_cost)
{
	Selectivity sel;

	sel = clauselist_selectivity(root, set->clauses, rel->relid, JOIN_INNER,
								 NULL);
	add_path(rel, (Path *) make_path(root, rel, set, seq_cost, sel, 0, NIL,
									 0, 0));
	if (all_pushed && latest_query(root, rel, cols, ops, set))
	{
		Var		   *series = makeVar(rel->relid, cols->labels + 1,
									 ops->labels_type, -1, InvalidOid, 0);
		double		groups;

		groups = estimate_num_groups(root, list_make1(series), rel->rows,
									 NULL, NULL);
		add_path(rel, (Path *) make_path(root, rel, set, seq_cost, sel, 0,
										 NIL, Max(groups, 1.0), 0));
	}

	if (set->one_series)
	{
		Var		   *ts = makeVar(rel->relid, cols->ts + 1, TIMESTAMPTZOID, -1,
								 InvalidOid, 0);
		int			order;

		for (order = 1; order >= -1; order -= 2)
		{
			List	   *pathkeys;

			pathkeys = build_expression_pathkey(root, (Expr *) ts, NULL,
												order > 0 ?
												ops->ts_ops[BTLessStrategyNumber] :
												ops->ts_ops[BTGreaterStrategyNumber],
												rel->relids, true);
			pathkeys = truncate_useless_pathkeys(root, rel, pathkeys);
			if (pathkeys != NIL)
				add_path(rel, (Path *) make_path(root, rel, set, seq_cost,
												 sel, order, pathkeys, 0,
												 limit_bound(root, pathkeys,
															 all_pushed)));
		}
	}
}

/* generate_implied_equalities_for_column: members that are the series */
static bool
is_series_member(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
				 EquivalenceMember *em, void *arg)
{
	return is_column((Node *) em->em_expr, rel->relid, *(AttrNumber *) arg);
}

/*
 * What one scan costs when it runs once per outer row of a nested loop:
 * the head is read whole (its runs are filtered by series, not found by
 * them), each listed segment costs a directory probe, and the matching
 * fraction of the segments' pages is read.  A table whose samples are
 * still in the head is thus never rescanned by a loop it cannot win.
 */
static Cost
rescan_cost(Relation relation, Cost seq_cost, Selectivity sel)
{
	TsdbMetaPageData *meta = palloc(sizeof(TsdbMetaPageData));
	BlockNumber nblocks = RelationGetNumberOfBlocks(relation);
	double		head_fraction;
	Cost		cost;

	tsdb_read_meta(relation, meta);
	head_fraction = nblocks > 0 ?
		(double) tsdb_meta_head_pages(relation, meta) / nblocks : 1.0;
	cost = seq_cost * (head_fraction + (1.0 - head_fraction) * sel) +
		meta->nsegments * 2 * random_page_cost;
	pfree(meta);
	return Min(cost, seq_cost);
}

/*
 * Parameterized paths: a join clause of scan.h's kinds whose value comes
 * from other relations ("s.series = h.labels", "s.ts >= w.start") lets a
 * nested loop rescan this table with the outer row's values as Params, so
 * that each rescan reads one series (or one time range) rather than the
 * whole table, as an index scan does for heap.  Equalities with the series
 * column live in equivalence classes; other join clauses in joininfo.  One
 * path per set of outer relations, with every movable join clause of that
 * set that the scan can use (get_baserel_parampathinfo collects them).
 */
static void
add_join_paths(PlannerInfo *root, RelOptInfo *rel, Relation relation,
			   const TsdbColumns *cols, const PushOps *ops,
			   const PushSet *base, Cost seq_cost)
{
	AttrNumber	labels_attno = cols->labels + 1;
	List	   *candidates;
	List	   *outers = NIL;
	ListCell   *lc;

	candidates = generate_implied_equalities_for_column(root, rel,
														is_series_member,
														&labels_attno,
														rel->lateral_referencers);
	foreach(lc, rel->joininfo)
	{
		RestrictInfo *ri = lfirst(lc);

		if (join_clause_is_movable_to(ri, rel))
			candidates = lappend(candidates, ri);
	}

	foreach(lc, candidates)
	{
		RestrictInfo *ri = lfirst(lc);
		PushSet		one = {0};
		Relids		outer;
		ListCell   *lo;
		bool		seen = false;

		consider_clause(root, rel, ri->clause, cols, ops, &one);
		if (one.clauses == NIL)
			continue;
		outer = bms_union(bms_difference(ri->clause_relids, rel->relids),
						  rel->lateral_relids);
		if (bms_is_empty(outer) || bms_overlap(outer, rel->relids))
			continue;
		foreach(lo, outers)
			if (bms_equal(lfirst(lo), outer))
				seen = true;
		if (!seen)
			outers = lappend(outers, outer);
	}

	foreach(lc, outers)
	{
		ParamPathInfo *ppi = get_baserel_parampathinfo(root, rel, lfirst(lc));
		PushSet		set;
		ListCell   *lj;
		int			before;
		CustomPath *cpath;
		Selectivity sel;

		if (uses_system_columns(rel, ppi->ppi_clauses))
			continue;
		/* the restriction clauses' pushes, copied: the base paths keep theirs */
		set.clauses = list_copy(base->clauses);
		set.kinds = list_copy(base->kinds);
		set.argnos = list_copy(base->argnos);
		set.names = list_copy(base->names);
		set.one_series = base->one_series;
		before = list_length(set.clauses);
		foreach(lj, ppi->ppi_clauses)
			consider_clause(root, rel, ((RestrictInfo *) lfirst(lj))->clause,
							cols, ops, &set);
		if (list_length(set.clauses) == before)
			continue;

		sel = clauselist_selectivity(root, set.clauses, rel->relid,
									 JOIN_INNER, NULL);
		cpath = make_path(root, rel, &set, seq_cost, sel, 0, NIL, 0, 0);
		cpath->path.param_info = ppi;
		cpath->path.rows = ppi->ppi_rows;
		cpath->path.startup_cost = 0;
		cpath->path.total_cost = rescan_cost(relation, seq_cost, sel);
		add_path(rel, (Path *) cpath);
	}
}

static void
tsdb_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti,
					  RangeTblEntry *rte)
{
	PushOps		ops;
	PushSet		set = {0};
	Relation	relation;
	TsdbColumns cols;
	ListCell   *lc;
	Cost		seq_cost = -1;
	int			nclauses = 0;
	int			npushed = 0;

	if (prev_set_rel_pathlist_hook)
		prev_set_rel_pathlist_hook(root, rel, rti, rte);

	if (!tsdb_enable_pushdown || rte->rtekind != RTE_RELATION || rte->inh ||
		rel->reloptkind == RELOPT_JOINREL ||
		rte->relkind != RELKIND_RELATION ||
		!tsdb_relid_is_tsdb(rte->relid))
		return;
	if (rel->baserestrictinfo == NIL && rel->joininfo == NIL &&
		!rel->has_eclass_joins)
		return;
	/* samples cannot be locked or modified: leave those to the core */
	if (rti == (Index) root->parse->resultRelation ||
		get_plan_rowmark(root->rowMarks, rti) != NULL)
		return;
	if (!push_ops_init(&ops) || uses_system_columns(rel, NIL))
		return;

	foreach(lc, rel->pathlist)
	{
		Path	   *p = lfirst(lc);

		/* a lateral rel's sequential scan is parameterized by its outer rels */
		if (p->pathtype == T_SeqScan &&
			(seq_cost < 0 || p->total_cost < seq_cost))
			seq_cost = p->total_cost;
	}
	if (seq_cost < 0)
		return;

	relation = table_open(rte->relid, NoLock);
	cols = *tsdb_columns(relation);

	foreach(lc, rel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst(lc);
		int			before = list_length(set.clauses);

		if (ri->pseudoconstant)
			continue;
		nclauses++;
		consider_clause(root, rel, ri->clause, &cols, &ops, &set);
		if (list_length(set.clauses) > before)
			npushed++;
	}
	if (set.clauses != NIL)
		add_restriction_paths(root, rel, &cols, &ops, &set,
							  npushed == nclauses, seq_cost);
	add_join_paths(root, rel, relation, &cols, &ops, &set, seq_cost);
	table_close(relation, NoLock);
}

/*
 * Is column attno needed above the scan or by its qual?  The rel's target,
 * not the plan's tlist: a projection above may have asked for no tlist
 * (CP_IGNORE_TLIST) and set it afterwards.  A whole-row reference needs
 * every column.
 */
static bool
needs_column(Index relid, AttrNumber attno, List *tlist, List *qual)
{
	Bitmapset  *attrs = NULL;

	pull_varattnos((Node *) tlist, relid, &attrs);
	pull_varattnos((Node *) qual, relid, &attrs);
	return bms_is_member(attno - FirstLowInvalidHeapAttributeNumber, attrs) ||
		bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
}

static Plan *
plan_tsdb_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
			   List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	List	   *priv = best_path->custom_private;
	List	   *flags = list_nth(priv, PRIV_FLAGS);
	RangeTblEntry *rte = planner_rt_fetch(rel->relid, root);
	Relation	relation;
	TsdbColumns cols;
	List	   *needed;

	relation = table_open(rte->relid, NoLock);
	cols = *tsdb_columns(relation);
	table_close(relation, NoLock);

	cscan->scan.plan.targetlist = tlist;
	/* everything is checked again: pruning only saves work */
	cscan->scan.plan.qual = extract_actual_clauses(clauses, false);
	cscan->scan.scanrelid = rel->relid;
	cscan->flags = best_path->flags;
	cscan->custom_plans = NIL;
	cscan->custom_exprs = copyObject(list_nth(priv, PRIV_CLAUSES));
	needed = list_concat_copy(rel->reltarget->exprs, tlist);
	cscan->custom_private =
		list_make4(list_nth(priv, PRIV_KINDS), list_nth(priv, PRIV_ARGNOS),
				   list_nth(priv, PRIV_NAMES),
				   list_make5_int(linitial_int(flags),
								  needs_column(rel->relid, cols.labels + 1,
											   needed, cscan->scan.plan.qual),
								  lthird_int(flags), lfourth_int(flags),
								  needs_column(rel->relid, cols.value + 1,
											   needed, cscan->scan.plan.qual)));
	cscan->custom_scan_tlist = NIL;
	cscan->methods = &tsdb_plan_methods;
	return &cscan->scan.plan;
}

void
tsdb_scan_init(void)
{
	DefineCustomBoolVariable("tsdb.enable_pushdown",
							 "Lets the planner use TsdbScan, which reads only the series and time range a query asks for.",
							 "Off: tsdb tables are read by sequential scans only.",
							 &tsdb_enable_pushdown,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	RegisterCustomScanMethods(&tsdb_plan_methods);
	prev_set_rel_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = tsdb_set_rel_pathlist;
}
