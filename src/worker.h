/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  Background maintenance: a launcher and per-database workers that
 *	  compact tsdb tables, as autovacuum does for heap.
 *
 * The launcher is a static background worker registered when tsdb is
 * preloaded.  It connects to no database; every tsdb.worker_naptime it lists
 * the databases that allow connections and starts, at most
 * tsdb.max_workers at a time, one dynamic worker per database.  A worker
 * finds the tsdb tables of its database and compacts each whose head holds
 * at least tsdb.compact_min_samples committed samples, in a transaction of
 * its own, skipping tables it cannot lock at once.  What it counted is
 * remembered in shared memory (worker_estimate.c), so the next visit reads
 * no page while few samples have been inserted since.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_WORKER_H
#define TSDB_WORKER_H

#include "fmgr.h"
#include "nodes/pg_list.h"

extern bool tsdb_worker_enabled;
extern int	tsdb_worker_naptime;
extern int	tsdb_max_workers;
extern int	tsdb_compact_min_samples;

/* _PG_init: GUCs, and the launcher when loaded by the postmaster */
extern void tsdb_worker_init(void);

/* worker_estimate.c: head sizes remembered between visits */
extern void tsdb_estimate_shmem_init(void);
extern bool tsdb_estimate_head(Oid relid, int64 inserted, int64 *head);
extern void tsdb_estimate_remember(Oid relid, int64 inserted, int64 head);
extern void tsdb_estimate_prune(Oid dboid, List *keep);

/* background worker entry points (bgw_function_name) */
extern PGDLLEXPORT void tsdb_launcher_main(Datum main_arg);
extern PGDLLEXPORT void tsdb_worker_main(Datum main_arg);

#endif							/* TSDB_WORKER_H */
