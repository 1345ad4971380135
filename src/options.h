/*-------------------------------------------------------------------------
 *
 * options.h
 *	  tsdb.* storage parameters of tsdb tables (WITH (tsdb.retention = ...)).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_OPTIONS_H
#define TSDB_OPTIONS_H

#include "tcop/utility.h"

/*
 * Handle CREATE TABLE / ALTER TABLE statements that carry tsdb.* options;
 * "next" runs the statement, less those options.  Returns false when the
 * statement has nothing for it (the caller runs it as usual).
 */
extern bool tsdb_options_utility(PlannedStmt *pstmt, const char *queryString,
								 bool readOnlyTree,
								 ProcessUtilityContext context,
								 ParamListInfo params,
								 QueryEnvironment *queryEnv,
								 DestReceiver *dest, QueryCompletion *qc,
								 ProcessUtility_hook_type next);

#endif							/* TSDB_OPTIONS_H */
