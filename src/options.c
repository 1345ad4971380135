/*-------------------------------------------------------------------------
 *
 * options.c
 *	  The tsdb.retention storage parameter: CREATE TABLE ... WITH, ALTER
 *	  TABLE ... SET / RESET, kept in pg_class.reloptions.
 *
 * PostgreSQL 15's table access methods cannot declare storage parameters:
 * heap's parser validates the WITH list of every table and refuses an
 * unknown "tsdb." namespace.  So the ProcessUtility hook takes tsdb.*
 * options out of CREATE TABLE, CREATE TABLE AS and ALTER TABLE, runs the
 * statement without them and then writes them into pg_class.reloptions
 * itself, as "tsdb.retention=30 days".  Stored there they show in \d+,
 * are dumped by pg_dump (as WITH ("tsdb.retention"='30 days'), which this
 * hook accepts too) and survive VACUUM FULL, CLUSTER and TRUNCATE.
 * Reading reloptions never validates them, but ALTER TABLE SET/RESET of
 * heap's own parameters re-validates the whole list: for those, the tsdb
 * entries are taken out for the duration of the command and put back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "options.h"
#include "retention.h"
#include "tsdb.h"

PG_FUNCTION_INFO_V1(tsdb_retention);

#define OPTION_PREFIX		"tsdb."
#define RETENTION_OPTION	"retention"

/* The tsdb options of one table. */
typedef struct TsdbOptions
{
	bool		has_retention;
	Interval	retention;
} TsdbOptions;

/* Is def a tsdb.* option, written tsdb.name or (as pg_dump does) "tsdb.name"? */
static bool
tsdb_option_name(const DefElem *def, const char **name)
{
	if (def->defnamespace != NULL)
	{
		if (strcmp(def->defnamespace, "tsdb") != 0)
			return false;
		*name = def->defname;
		return true;
	}
	if (strncmp(def->defname, OPTION_PREFIX, strlen(OPTION_PREFIX)) != 0)
		return false;
	*name = def->defname + strlen(OPTION_PREFIX);
	return true;
}

static bool
has_tsdb_option(List *options)
{
	ListCell   *lc;
	const char *name;

	foreach(lc, options)
		if (tsdb_option_name(lfirst_node(DefElem, lc), &name))
			return true;
	return false;
}

/*
 * A retention is a positive interval with no negative part: what it means
 * then does not depend on IntervalStyle or on how its parts combine.
 */
static void
parse_retention(const char *value, Interval *out)
{
	Interval   *iv;

	iv = DatumGetIntervalP(DirectFunctionCall3(interval_in,
											   CStringGetDatum(value),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
	if (iv->month < 0 || iv->day < 0 || iv->time < 0 ||
		(iv->month == 0 && iv->day == 0 && iv->time == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for tsdb.retention: \"%s\"", value),
				 errdetail("The retention must be a positive interval with no negative part."),
				 errhint("For example: tsdb.retention = '30 days'.")));
	*out = *iv;
}

/* The stored form: PostgreSQL style whatever the session's IntervalStyle. */
static char *
retention_text(const Interval *iv)
{
	struct pg_itm itm;
	char		buf[MAXDATELEN + 1];

	interval2itm(*iv, &itm);
	EncodeInterval(&itm, INTSTYLE_POSTGRES, buf);
	return pstrdup(buf);
}

/* Microseconds in an interval, months as 30 days (as interval comparison does). */
int64
tsdb_interval_usecs(const Interval *interval)
{
	double		us;

	us = (double) interval->month * DAYS_PER_MONTH * USECS_PER_DAY +
		(double) interval->day * USECS_PER_DAY + (double) interval->time;
	if (us >= (double) PG_INT64_MAX)
		return PG_INT64_MAX;
	return (int64) us;
}

/*
 * Apply a SET (set = true) or RESET list to opts; returns the list without
 * its tsdb options.  CREATE TABLE is a SET on empty options.
 */
static List *
take_options(List *defs, bool set, TsdbOptions *opts)
{
	List	   *rest = NIL;
	ListCell   *lc;
	bool		seen = false;

	foreach(lc, defs)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		const char *name;

		if (!tsdb_option_name(def, &name))
		{
			rest = lappend(rest, def);
			continue;
		}
		if (strcmp(name, RETENTION_OPTION) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized parameter \"%s%s\"", OPTION_PREFIX, name),
					 errhint("The storage parameter tsdb tables add is tsdb.retention.")));
		if (seen)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("parameter \"tsdb.retention\" specified more than once")));
		seen = true;
		if (!set)
		{
			opts->has_retention = false;
			continue;
		}
		if (def->arg == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("parameter \"tsdb.retention\" requires a value"),
					 errhint("For example: tsdb.retention = '30 days'.")));
		parse_retention(defGetString(def), &opts->retention);
		opts->has_retention = true;
	}
	return rest;
}

/* Read a relation's tsdb options from pg_class; false if it has none. */
static bool
read_options(Oid relid, TsdbOptions *opts)
{
	HeapTuple	tuple;
	Datum		datum;
	bool		isnull;
	bool		found = false;

	memset(opts, 0, sizeof(TsdbOptions));
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return false;
	datum = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_reloptions, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		int			nelems;
		int			i;

		deconstruct_array(DatumGetArrayTypeP(datum), TEXTOID, -1, false,
						  TYPALIGN_INT, &elems, NULL, &nelems);
		for (i = 0; i < nelems; i++)
		{
			char	   *s = TextDatumGetCString(elems[i]);

			if (strncmp(s, OPTION_PREFIX, strlen(OPTION_PREFIX)) != 0)
				continue;
			found = true;
			if (strncmp(s, OPTION_PREFIX RETENTION_OPTION "=",
						strlen(OPTION_PREFIX RETENTION_OPTION "=")) == 0)
			{
				parse_retention(s + strlen(OPTION_PREFIX RETENTION_OPTION "="),
								&opts->retention);
				opts->has_retention = true;
			}
		}
	}
	ReleaseSysCache(tuple);
	return found;
}

/*
 * Write a relation's tsdb options into pg_class.reloptions (NULL: none),
 * keeping every other entry.  The caller holds a lock that keeps other
 * changes of the relation's options out.
 */
static void
store_options(Oid relid, const TsdbOptions *opts)
{
	Relation	pg_class;
	HeapTuple	tuple;
	HeapTuple	newtuple;
	Datum		datum;
	bool		isnull;
	ArrayBuildState *astate = NULL;
	Datum		values[Natts_pg_class] = {0};
	bool		nulls[Natts_pg_class] = {0};
	bool		replace[Natts_pg_class] = {0};

	pg_class = table_open(RelationRelationId, RowExclusiveLock);
	tuple = SearchSysCacheCopy1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	datum = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_reloptions, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		int			nelems;
		int			i;

		deconstruct_array(DatumGetArrayTypeP(datum), TEXTOID, -1, false,
						  TYPALIGN_INT, &elems, NULL, &nelems);
		for (i = 0; i < nelems; i++)
		{
			char	   *s = TextDatumGetCString(elems[i]);

			if (strncmp(s, OPTION_PREFIX, strlen(OPTION_PREFIX)) != 0)
				astate = accumArrayResult(astate, elems[i], false, TEXTOID,
										  CurrentMemoryContext);
		}
	}
	if (opts != NULL && opts->has_retention)
	{
		char	   *s = psprintf("%s%s=%s", OPTION_PREFIX, RETENTION_OPTION,
								 retention_text(&opts->retention));

		astate = accumArrayResult(astate, CStringGetTextDatum(s), false,
								  TEXTOID, CurrentMemoryContext);
	}
	if (astate != NULL)
		values[Anum_pg_class_reloptions - 1] =
			makeArrayResult(astate, CurrentMemoryContext);
	else
		nulls[Anum_pg_class_reloptions - 1] = true;
	replace[Anum_pg_class_reloptions - 1] = true;

	newtuple = heap_modify_tuple(tuple, RelationGetDescr(pg_class), values,
								 nulls, replace);
	CatalogTupleUpdate(pg_class, &newtuple->t_self, newtuple);
	InvokeObjectPostAlterHook(RelationRelationId, relid, 0);
	heap_freetuple(newtuple);
	heap_freetuple(tuple);
	table_close(pg_class, RowExclusiveLock);
	/* later commands, and the relcache, see the new options */
	CommandCounterIncrement();
}

static bool
same_options(const TsdbOptions *a, const TsdbOptions *b)
{
	if (a->has_retention != b->has_retention)
		return false;
	return !a->has_retention ||
		(a->retention.month == b->retention.month &&
		 a->retention.day == b->retention.day &&
		 a->retention.time == b->retention.time);
}

/* Will CREATE TABLE make a tsdb table? */
static bool
creates_tsdb(const char *access_method, bool partitioned)
{
	if (partitioned)
		return false;
	if (access_method == NULL)
		access_method = default_table_access_method;
	return access_method != NULL && strcmp(access_method, TSDB_AM_NAME) == 0;
}

/* CREATE TABLE and CREATE TABLE AS with tsdb options. */
static bool
create_with_options(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc,
					ProcessUtility_hook_type next)
{
	Node	   *parsetree;
	List	  **options;
	RangeVar   *relation;
	const char *access_method;
	bool		partitioned = false;
	TsdbOptions opts;
	Oid			nspid;
	Oid			relid;

	if (readOnlyTree)
		pstmt = copyObject(pstmt);
	parsetree = pstmt->utilityStmt;
	if (IsA(parsetree, CreateStmt))
	{
		CreateStmt *stmt = (CreateStmt *) parsetree;

		options = &stmt->options;
		relation = stmt->relation;
		access_method = stmt->accessMethod;
		partitioned = stmt->partspec != NULL;
	}
	else
	{
		IntoClause *into = ((CreateTableAsStmt *) parsetree)->into;

		options = &into->options;
		relation = into->rel;
		access_method = into->accessMethod;
	}

	memset(&opts, 0, sizeof(opts));
	*options = take_options(*options, true, &opts);
	if (!creates_tsdb(access_method, partitioned))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tsdb.retention can only be set on tsdb tables"),
				 partitioned ?
				 errhint("Set it on each tsdb partition.") :
				 errhint("Add USING tsdb to the CREATE TABLE.")));

	/* where the table will be, to find it afterwards */
	nspid = RangeVarGetCreationNamespace(relation);
	if (OidIsValid(get_relname_relid(relation->relname, nspid)))
	{
		/* IF NOT EXISTS leaves the existing table alone; else the error */
		next(pstmt, queryString, false, context, params, queryEnv, dest, qc);
		return true;
	}
	next(pstmt, queryString, false, context, params, queryEnv, dest, qc);
	CommandCounterIncrement();
	relid = get_relname_relid(relation->relname, nspid);
	if (!OidIsValid(relid))
		elog(ERROR, "tsdb table \"%s\" not found after its creation",
			 relation->relname);
	store_options(relid, &opts);
	return true;
}

/* ALTER TABLE with tsdb options, or on a table that has them. */
static bool
alter_with_options(PlannedStmt *pstmt, const char *queryString,
				   bool readOnlyTree, ProcessUtilityContext context,
				   ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc,
				   ProcessUtility_hook_type next)
{
	AlterTableStmt *stmt = (AlterTableStmt *) pstmt->utilityStmt;
	bool		mentions = false;
	bool		reloptions = false;
	bool		leaves_tsdb = false;
	TsdbOptions before;
	TsdbOptions opts;
	bool		stored;
	bool		is_tsdb;
	List	   *cmds = NIL;
	ListCell   *lc;
	Oid			relid;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_SetRelOptions || cmd->subtype == AT_ResetRelOptions)
		{
			reloptions = true;
			mentions |= has_tsdb_option((List *) cmd->def);
		}
		if (cmd->subtype == AT_SetAccessMethod && cmd->name != NULL &&
			strcmp(cmd->name, TSDB_AM_NAME) != 0)
			leaves_tsdb = true;
	}
	if (!mentions && !reloptions && !leaves_tsdb)
		return false;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return false;			/* ALTER TABLE reports it, or skips it */
	if (!mentions && !read_options(relid, &opts))
		return false;

	/* the owner only, and one change of the options at a time */
	relid = RangeVarGetRelidExtended(stmt->relation, ShareUpdateExclusiveLock,
									 0, RangeVarCallbackOwnsRelation, NULL);
	stored = read_options(relid, &before);
	opts = before;
	is_tsdb = tsdb_relid_is_tsdb(relid);

	if (readOnlyTree)
	{
		pstmt = copyObject(pstmt);
		stmt = (AlterTableStmt *) pstmt->utilityStmt;
	}
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if ((cmd->subtype == AT_SetRelOptions || cmd->subtype == AT_ResetRelOptions) &&
			has_tsdb_option((List *) cmd->def))
		{
			bool		set = cmd->subtype == AT_SetRelOptions;

			cmd->def = (Node *) take_options((List *) cmd->def, set, &opts);
			if (set && !is_tsdb)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("tsdb.retention can only be set on tsdb tables"),
						 errdetail("\"%s\" is not a tsdb table.",
								   get_rel_name(relid))));
			if (cmd->def == NULL)
				continue;		/* nothing left for ALTER TABLE itself */
		}
		cmds = lappend(cmds, cmd);
	}
	stmt->cmds = cmds;

	if (cmds != NIL)
	{
		/* heap's validation of the whole list must not meet tsdb entries */
		if (stored && reloptions)
			store_options(relid, NULL);
		next(pstmt, queryString, false, context, params, queryEnv, dest, qc);
		CommandCounterIncrement();
		if (!tsdb_relid_is_tsdb(relid))
			opts.has_retention = false;
		if (stored && reloptions)
			memset(&before, 0, sizeof(before));
	}
	if (!same_options(&before, &opts))
		store_options(relid, &opts);
	return true;
}

bool
tsdb_options_utility(PlannedStmt *pstmt, const char *queryString,
					 bool readOnlyTree, ProcessUtilityContext context,
					 ParamListInfo params, QueryEnvironment *queryEnv,
					 DestReceiver *dest, QueryCompletion *qc,
					 ProcessUtility_hook_type next)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (IsA(parsetree, CreateStmt) &&
		has_tsdb_option(((CreateStmt *) parsetree)->options))
		return create_with_options(pstmt, queryString, readOnlyTree, context,
								   params, queryEnv, dest, qc, next);
	if (IsA(parsetree, CreateTableAsStmt) &&
		((CreateTableAsStmt *) parsetree)->objtype == OBJECT_TABLE &&
		has_tsdb_option(((CreateTableAsStmt *) parsetree)->into->options))
		return create_with_options(pstmt, queryString, readOnlyTree, context,
								   params, queryEnv, dest, qc, next);
	if (IsA(parsetree, AlterTableStmt) &&
		((AlterTableStmt *) parsetree)->objtype == OBJECT_TABLE)
		return alter_with_options(pstmt, queryString, readOnlyTree, context,
								  params, queryEnv, dest, qc, next);
	return false;
}

/*
 * The table's retention (tsdb.retention), if it has one.  Reads pg_class
 * through the syscache: cheap enough to call for every compaction.
 */
bool
tsdb_relation_retention(Relation rel, Interval *retention)
{
	TsdbOptions opts;

	if (!read_options(RelationGetRelid(rel), &opts) || !opts.has_retention)
		return false;
	*retention = opts.retention;
	return true;
}

/* tsdb.retention(regclass) RETURNS interval: NULL when none is set. */
Datum
tsdb_retention(PG_FUNCTION_ARGS)
{
	TsdbOptions opts;
	Interval   *result;

	if (!read_options(PG_GETARG_OID(0), &opts) || !opts.has_retention)
		PG_RETURN_NULL();
	result = palloc(sizeof(Interval));
	*result = opts.retention;
	PG_RETURN_INTERVAL_P(result);
}
