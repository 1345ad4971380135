/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  Hooks that refuse what an append-only table cannot do, before any
 *	  row is touched.
 *
 * tuple_update/tuple_delete/tuple_lock only run for rows that qualify, so
 * "UPDATE m ... WHERE false" would succeed silently.  The executor hook
 * refuses UPDATE, DELETE, MERGE and row locks on tsdb tables up front, for
 * every result relation (partitions included) and prepared plans alike.
 * ALTER TABLE cannot change the column set the storage depends on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "nodes/parsenodes.h"
#include "optimizer/plancat.h"
#include "parser/parsetree.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "am.h"
#include "options.h"
#include "tsdb.h"

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static get_relation_info_hook_type prev_get_relation_info = NULL;

/*
 * Is relid a tsdb table?  Reads pg_class through the syscache, so it works
 * before the relation is locked or opened.
 */
bool
tsdb_relid_is_tsdb(Oid relid)
{
	HeapTuple	tuple;
	Form_pg_class form;
	bool		result;
	Oid			amoid = get_table_am_oid(TSDB_AM_NAME, true);

	if (!OidIsValid(amoid))
		return false;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return false;
	form = (Form_pg_class) GETSTRUCT(tuple);
	result = form->relkind == RELKIND_RELATION && form->relam == amoid;
	ReleaseSysCache(tuple);
	return result;
}

static void
refuse(Oid relid, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot %s tsdb table \"%s\"", what, get_rel_name(relid)),
			 errdetail("tsdb tables are append-only: samples cannot be updated, deleted or locked."),
			 errhint("Remove old samples with tsdb.drop_before(), or with TRUNCATE, DROP TABLE, or by dropping a partition of a range-partitioned table.")));
}

static void
tsdb_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;
	ListCell   *lc;

	if (stmt->commandType == CMD_UPDATE || stmt->commandType == CMD_DELETE ||
		stmt->commandType == CMD_MERGE)
	{
		foreach(lc, stmt->resultRelations)
		{
			RangeTblEntry *rte = rt_fetch(lfirst_int(lc), stmt->rtable);

			if (rte->rtekind == RTE_RELATION && tsdb_relid_is_tsdb(rte->relid))
				refuse(rte->relid,
					   stmt->commandType == CMD_UPDATE ? "update" :
					   stmt->commandType == CMD_DELETE ? "delete from" :
					   "merge into");
		}
	}
	foreach(lc, stmt->rowMarks)
	{
		PlanRowMark *rc = lfirst(lc);
		RangeTblEntry *rte = rt_fetch(rc->rti, stmt->rtable);

		if (RowMarkRequiresRowShareLock(rc->markType) &&
			rte->rtekind == RTE_RELATION && tsdb_relid_is_tsdb(rte->relid))
			refuse(rte->relid, "lock rows in");
	}

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* ALTER TABLE must keep the one-labels, one-timestamptz, one-float8 shape. */
static void
check_alter_table(AlterTableStmt *stmt)
{
	Oid			relid;
	ListCell   *lc;

	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return;

	/*
	 * SET ACCESS METHOD tsdb would find out about a wrong shape only while
	 * building the new storage, under a transient name: check up front.
	 */
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst(lc);

		if (cmd->subtype == AT_SetAccessMethod && cmd->name != NULL &&
			strcmp(cmd->name, TSDB_AM_NAME) == 0 &&
			get_rel_relkind(relid) == RELKIND_RELATION)
		{
			Relation	rel = relation_open(relid, AccessShareLock);

			tsdb_check_shape(RelationGetDescr(rel), RelationGetRelationName(rel));
			relation_close(rel, AccessShareLock);
		}
	}

	if (!tsdb_relid_is_tsdb(relid))
		return;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst(lc);

		if (cmd->subtype == AT_AddColumn || cmd->subtype == AT_DropColumn ||
			cmd->subtype == AT_AlterColumnType)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot change the columns of tsdb table \"%s\"",
							get_rel_name(relid)),
					 errdetail("tsdb tables have exactly one tsdb.labels, one timestamptz and one float8 column."),
					 errhint("Rename columns with ALTER TABLE ... RENAME COLUMN, or create a new table.")));
	}
}

/* Run a utility statement the way it would run without tsdb's hook. */
static void
next_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
							queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

static void
tsdb_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (IsA(parsetree, AlterTableStmt))
		check_alter_table((AlterTableStmt *) parsetree);

	/* tsdb.* storage parameters, which heap's validation would refuse */
	if (tsdb_options_utility(pstmt, queryString, readOnlyTree, context, params,
							 queryEnv, dest, qc, next_ProcessUtility))
		return;
	next_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
						queryEnv, dest, qc);
}

/* No parallel scans of tsdb tables: every scan reads the whole head itself. */
static void
tsdb_get_relation_info(PlannerInfo *root, Oid relid, bool inhparent,
					   RelOptInfo *rel)
{
	if (prev_get_relation_info)
		prev_get_relation_info(root, relid, inhparent, rel);
	if (!inhparent && tsdb_relid_is_tsdb(relid))
		rel->rel_parallel_workers = 0;
}

void
tsdb_guard_init(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = tsdb_ExecutorStart;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = tsdb_ProcessUtility;
	prev_get_relation_info = get_relation_info_hook;
	get_relation_info_hook = tsdb_get_relation_info;
}
