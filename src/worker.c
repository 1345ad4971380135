/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The maintenance launcher and its per-database workers.
 *
 * Compaction is an ordinary MVCC transaction with an xid of its own
 * (compaction.c), so it cannot run inside autovacuum, whose xid other
 * snapshots leave out.  tsdb therefore has its own pair of background
 * workers, modelled on autovacuum's launcher and workers.
 *
 * The launcher connects to no database: pg_database is a shared catalog.
 * Every tsdb.worker_naptime it lists the databases that allow connections
 * (templates excepted: a session in a template makes CREATE DATABASE from
 * it fail) and starts one dynamic background worker per database, at most
 * tsdb.max_workers at once.  The postmaster sets the launcher's latch when
 * one of them starts or exits (bgw_notify_pid), so it waits on nothing else.
 *
 * A worker connects to its database and, if the tsdb extension is
 * installed there, handles every table of the tsdb access method in a
 * transaction of its own: it takes the lock compaction needs only if it is
 * free at once, so it never queues behind DDL (nor makes DDL queue behind
 * it), counts the committed samples waiting in the head, and compacts when
 * they reach tsdb.compact_min_samples; a table with a tsdb.retention has
 * it applied in the same transaction (with the compaction's rewrite, or
 * alone when a segment is older than the cutoff).  The count is remembered with the
 * table's insert count from the statistics (worker_estimate.c): while the
 * remembered count plus the inserts since stays below the threshold, a
 * visit reads none of the table's pages.  An error on one table is reported
 * with the table named, the transaction is rolled back, and the worker goes
 * on with the next table.
 *
 * Neither ever runs during recovery: the launcher starts once recovery has
 * finished (on a standby, only after promotion), and both check again.
 * SIGTERM stops either at the next interrupt check; an interrupted
 * compaction is an aborted transaction, which leaves the table as it was.
 * The launcher exits with status 1 then, so the postmaster starts it again
 * after five seconds unless the server is shutting down.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/dependency.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "postmaster/postmaster.h"
#include "storage/bufmgr.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "compaction.h"
#include "head.h"
#include "label_index.h"
#include "meta.h"
#include "retention.h"
#include "tsdb.h"
#include "visibility.h"
#include "worker.h"

bool		tsdb_worker_enabled = true;
int			tsdb_worker_naptime = 10;	/* seconds */
int			tsdb_max_workers = 1;
int			tsdb_compact_min_samples = 100000;

#define LAUNCHER_TYPE		"tsdb maintenance launcher"
#define WORKER_TYPE			"tsdb maintenance worker"

/* Seconds before the postmaster restarts a launcher that exited. */
#define LAUNCHER_RESTART_SECONDS	5

/* ---------------------------------------------------------------------
 * Launcher
 * ---------------------------------------------------------------------
 */

/* A worker the launcher started and has not seen exit yet. */
typedef struct WorkerSlot
{
	Oid			dboid;
	BackgroundWorkerHandle *handle;
} WorkerSlot;

/*
 * The databases a worker should visit, in pg_database order, allocated in
 * cxt.  Runs a transaction of its own (catalog scans need one).
 */
static List *
list_databases(MemoryContext cxt)
{
	List	   *dbs = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext old;

		if (!db->datallowconn || db->datistemplate ||
			database_is_invalid_form(db))
			continue;
		old = MemoryContextSwitchTo(cxt);
		dbs = lappend_oid(dbs, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	return dbs;
}

/* Ask the postmaster for a worker for one database. */
static bool
start_worker(Oid dboid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(bgw.bgw_library_name, "tsdb", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "tsdb_worker_main", BGW_MAXLEN);
	snprintf(bgw.bgw_name, BGW_MAXLEN, WORKER_TYPE " for database %u", dboid);
	strlcpy(bgw.bgw_type, WORKER_TYPE, BGW_MAXLEN);
	bgw.bgw_main_arg = ObjectIdGetDatum(dboid);
	bgw.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&bgw, handle);
}

/* Forget the workers that have exited. */
static List *
reap_workers(List *running)
{
	ListCell   *lc;

	foreach(lc, running)
	{
		WorkerSlot *slot = lfirst(lc);
		pid_t		pid;

		if (GetBackgroundWorkerPid(slot->handle, &pid) == BGWH_STOPPED)
		{
			pfree(slot->handle);
			pfree(slot);
			running = foreach_delete_current(running, lc);
		}
	}
	return running;
}

static bool
database_has_worker(List *running, Oid dboid)
{
	ListCell   *lc;

	foreach(lc, running)
		if (((WorkerSlot *) lfirst(lc))->dboid == dboid)
			return true;
	return false;
}

/*
 * Start workers for the queued databases while fewer than tsdb.max_workers
 * run.  A database whose worker from an earlier round still runs waits for
 * the next round.  When the postmaster has no background worker slot left,
 * the rest of the round is dropped; that is reported once, until a start
 * succeeds again.
 */
static List *
start_workers(List *queue, List **running)
{
	static bool warned = false;

	while (queue != NIL && list_length(*running) < tsdb_max_workers)
	{
		Oid			dboid = linitial_oid(queue);
		WorkerSlot *slot;

		queue = list_delete_first(queue);
		if (database_has_worker(*running, dboid))
			continue;
		slot = palloc(sizeof(WorkerSlot));
		slot->dboid = dboid;
		if (!start_worker(dboid, &slot->handle))
		{
			pfree(slot);
			ereport(warned ? DEBUG1 : WARNING,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("tsdb maintenance launcher could not start a worker: no background worker slot is free"),
					 errhint("Raise max_worker_processes, or lower tsdb.max_workers.")));
			warned = true;
			list_free(queue);
			return NIL;
		}
		warned = false;
		ereport(DEBUG1,
				(errmsg("tsdb maintenance launcher started a worker for database %u",
						dboid)));
		*running = lappend(*running, slot);
	}
	return queue;
}

void
tsdb_launcher_main(Datum main_arg)
{
	MemoryContext cxt;
	List	   *queue = NIL;
	List	   *running = NIL;
	TimestampTz round_start = 0;
	bool		active = false;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* no database: only shared catalogs are read */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	cxt = AllocSetContextCreate(TopMemoryContext, "tsdb launcher",
								ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	ereport(DEBUG1, (errmsg("tsdb maintenance launcher started")));

	for (;;)
	{
		long		timeout;
		bool		now_active;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		running = reap_workers(running);

		now_active = tsdb_worker_enabled && !RecoveryInProgress();
		if (now_active != active)
			ereport(DEBUG1,
					(errmsg("tsdb maintenance workers %s",
							now_active ? "enabled" : "disabled")));
		active = now_active;

		if (!active)
		{
			/* workers already running see the setting and stop too */
			list_free(queue);
			queue = NIL;
			timeout = tsdb_worker_naptime * 1000L;
		}
		else
		{
			TimestampTz now = GetCurrentTimestamp();
			TimestampTz next_round = TimestampTzPlusMilliseconds(round_start,
																 tsdb_worker_naptime * 1000L);

			if (queue == NIL && now >= next_round)
			{
				List	   *sorted;

				queue = list_databases(cxt);
				sorted = list_copy(queue);
				list_sort(sorted, list_oid_cmp);
				tsdb_estimate_prune(InvalidOid, sorted);
				list_free(sorted);
				round_start = now;
				next_round = TimestampTzPlusMilliseconds(now, tsdb_worker_naptime * 1000L);
			}
			queue = start_workers(queue, &running);

			/*
			 * With databases still queued, the latch (a worker exited)
			 * wakes us; otherwise the next round does.
			 */
			if (queue != NIL)
				timeout = tsdb_worker_naptime * 1000L;
			else
				timeout = Max(TimestampDifferenceMilliseconds(now, next_round), 1);
		}

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ---------------------------------------------------------------------
 * Per-database worker
 * ---------------------------------------------------------------------
 */

/* This worker's database, for messages (read once, in a transaction). */
static char *worker_dbname = NULL;

/*
 * The tables of this database stored by tsdb, in OID order, allocated in
 * cxt; none if the extension is not installed.  The access method must be
 * the extension's own, not some other one named tsdb.
 */
static List *
list_tsdb_tables(MemoryContext cxt)
{
	List	   *relids = NIL;
	Oid			ext;
	Oid			am = InvalidOid;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	worker_dbname = MemoryContextStrdup(cxt, get_database_name(MyDatabaseId));
	ext = get_extension_oid("tsdb", true);
	if (OidIsValid(ext))
		am = get_table_am_oid(TSDB_AM_NAME, true);
	if (OidIsValid(am) && getExtensionOfObject(AccessMethodRelationId, am) == ext)
	{
		Relation	rel = table_open(RelationRelationId, AccessShareLock);
		TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
		HeapTuple	tup;

		while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
		{
			Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);
			MemoryContext old;

			if (c->relkind != RELKIND_RELATION || c->relam != am)
				continue;
			old = MemoryContextSwitchTo(cxt);
			relids = lappend_oid(relids, c->oid);
			MemoryContextSwitchTo(old);
		}
		table_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	list_sort(relids, list_oid_cmp);
	return relids;
}

/*
 * Committed samples waiting in the head, counted until "enough" is reached.
 * Head pages are often the newest blocks (when the free list was empty as
 * they were taken), so the walk goes backwards from the end and stops early
 * when there is work to do.  It reads through a
 * ring of buffers, so walking a big table does not evict what sessions use.
 * Runs of transactions still in progress do not count: compaction would
 * leave them where they are.
 */
static int64
count_head_samples(Relation rel, int64 enough)
{
	BlockNumber blkno = RelationGetNumberOfBlocks(rel);
	BufferAccessStrategy strategy = GetAccessStrategy(BAS_BULKREAD);
	int64		n = 0;

	while (blkno > TSDB_METAPAGE_BLKNO + 1 && n < enough)
	{
		Buffer		buf;
		Page		page;

		blkno--;
		CHECK_FOR_INTERRUPTS();
		buf = ReadBufferExtended(rel, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (TsdbPageIsType(page, TSDB_PAGE_HEAD))
		{
			TsdbRunHeader *run;

			tsdb_head_page_validate(rel, page, blkno);
			TsdbForEachRun(run, page)
			{
				if (tsdb_run_status(run, buf) == TSDB_RUN_LIVE)
					n += run->nsamples;
			}
		}
		UnlockReleaseBuffer(buf);
	}
	FreeAccessStrategy(strategy);
	return n;
}

/* Names for messages about the table being handled. */
typedef struct TableTarget
{
	char	   *nspname;
	char	   *relname;
} TableTarget;

static void
table_error_callback(void *arg)
{
	TableTarget *t = arg;

	errcontext("automatic maintenance of tsdb table \"%s.%s.%s\"",
			   worker_dbname, t->nspname, t->relname);
}

/* What a visit counted, remembered once its transaction has committed. */
typedef struct VisitResult
{
	bool		remember;
	int64		inserted;		/* the table's insert count before counting */
	int64		head;			/* committed head samples left */
} VisitResult;

/*
 * Compact one table if it is free and its head holds enough.  Runs in the
 * caller's transaction, with an active snapshot, as tsdb.compact() does,
 * and makes its checks: not during recovery (tsdb_worker_main), a tsdb
 * table, the same lock.  There is no ownership check: the worker acts for
 * the system, as autovacuum does, and runs no user code.
 */
static void
maintain_table(Oid relid, VisitResult *result)
{
	Relation	rel;
	TableTarget target;
	ErrorContextCallback errcb;
	PgStat_StatTabEntry *tab;
	int64		inserted = 0;
	int64		head;
	bool		estimated = false;
	int64		moved = -1;
	TimestampTz start = 0;
	TimestampTz cutoff = 0;
	bool		has_cutoff;
	bool		retained = false;
	TsdbCompactStats stats;

	memset(&stats, 0, sizeof(stats));
	result->remember = false;

	/* the lock tsdb.compact() takes, but only if nobody is in the way */
	if (!ConditionalLockRelationOid(relid, ShareUpdateExclusiveLock))
	{
		char	   *name = get_rel_name(relid);

		ereport(DEBUG1,
				(errmsg("tsdb maintenance worker skipped table \"%s\": it is locked",
						name ? name : "(dropped)")));
		return;
	}
	rel = try_relation_open(relid, NoLock);
	if (rel == NULL)
	{
		/* dropped since the list was made */
		UnlockRelationOid(relid, ShareUpdateExclusiveLock);
		return;
	}
	/* its access method may have changed since, too */
	if (!tsdb_relation_is_tsdb(rel))
	{
		relation_close(rel, ShareUpdateExclusiveLock);
		return;
	}

	target.nspname = get_namespace_name(RelationGetNamespace(rel));
	target.relname = pstrdup(RelationGetRelationName(rel));
	errcb.callback = table_error_callback;
	errcb.arg = &target;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	/* where the table's retention cuts now, if it has one */
	has_cutoff = tsdb_retention_cutoff(rel, GetCurrentTimestamp(), &cutoff);

	/*
	 * Few samples inserted since the last count: no need to read a page.
	 * Otherwise count, and compact if there are enough, dropping what the
	 * retention cuts off in the same rewrite.
	 */
	tab = pgstat_fetch_stat_tabentry(relid);
	if (tab != NULL)
		inserted = tab->tuples_inserted;
	if (tab != NULL && tsdb_estimate_head(relid, inserted, &head) &&
		head < tsdb_compact_min_samples)
		estimated = true;
	else
	{
		pgstat_report_activity(STATE_RUNNING,
							   psprintf("compacting tsdb table %s.%s",
										target.nspname, target.relname));
		head = count_head_samples(rel, tsdb_compact_min_samples);
		if (head >= tsdb_compact_min_samples)
		{
			start = GetCurrentTimestamp();
			tsdb_compact_drop_before_relation(rel, false,
											  has_cutoff ? cutoff : DT_NOBEGIN,
											  &stats);
			moved = stats.head_samples;
			retained = has_cutoff;
		}
		result->remember = (tab != NULL);
		result->inserted = inserted;
		result->head = moved >= 0 ? 0 : head;
	}

	/*
	 * Retention without a compaction: only when a segment holds samples
	 * older than the cutoff (one metapage read), so that a visit to a table
	 * with nothing to drop writes nothing.  The cutoff moves in steps of a
	 * tenth of the retention (tsdb_retention_cutoff), so this rewrites
	 * rarely.
	 */
	if (has_cutoff && !retained && tsdb_retention_due(rel, cutoff))
	{
		pgstat_report_activity(STATE_RUNNING,
							   psprintf("applying the retention of tsdb table %s.%s",
										target.nspname, target.relname));
		tsdb_drop_before_relation(rel, cutoff, &stats);
		retained = true;
	}

	error_context_stack = errcb.previous;

	/* the messages name the table themselves: no context line */
	if (retained && (stats.samples_removed > 0 || stats.segments_dropped > 0))
		ereport(DEBUG1,
				(errmsg("tsdb maintenance worker applied the retention of table \"%s.%s\": %lld samples older than %s removed, %d segments dropped, %d rewritten",
						target.nspname, target.relname,
						(long long) stats.samples_removed,
						timestamptz_to_str(cutoff),
						stats.segments_dropped, stats.segments_rewritten)));
	if (moved >= 0)
		ereport(DEBUG1,
				(errmsg("tsdb maintenance worker compacted table \"%s.%s\": %lld head samples moved into a segment in %ld ms",
						target.nspname, target.relname, (long long) moved,
						TimestampDifferenceMilliseconds(start, GetCurrentTimestamp()))));
	else if (estimated)
		ereport(DEBUG1,
				(errmsg("tsdb maintenance worker left table \"%s.%s\" alone: at most %lld committed head samples (the last count plus the inserts since), fewer than tsdb.compact_min_samples (%d)",
						target.nspname, target.relname, (long long) head,
						tsdb_compact_min_samples)));
	else
		ereport(DEBUG1,
				(errmsg("tsdb maintenance worker left table \"%s.%s\" alone: %lld committed head samples, fewer than tsdb.compact_min_samples (%d)",
						target.nspname, target.relname, (long long) head,
						tsdb_compact_min_samples)));
	relation_close(rel, NoLock);	/* the lock goes at commit */
}

/*
 * One table in a transaction of its own.  An error is reported and rolled
 * back, and the caller goes on with the next table, as autovacuum does.
 * FATAL (SIGTERM) is not caught: it ends the process.
 */
static void
process_table(Oid relid, MemoryContext cxt)
{
	StartTransactionCommand();
	PG_TRY();
	{
		VisitResult result;

		PushActiveSnapshot(GetTransactionSnapshot());
		maintain_table(relid, &result);
		PopActiveSnapshot();
		CommitTransactionCommand();
		if (result.remember)
			tsdb_estimate_remember(relid, result.inserted, result.head);
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
}

void
tsdb_worker_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	MemoryContext cxt;
	List	   *relids;
	ListCell   *lc;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);

	/*
	 * As autovacuum does: no timeouts meant for user sessions, and no
	 * waiting for synchronous standbys (a compaction lost to a failover is
	 * an aborted one, which loses nothing).
	 */
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("idle_in_transaction_session_timeout", "0",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_isolation", "read committed",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("synchronous_commit", "local", PGC_SUSET, PGC_S_OVERRIDE);

	cxt = AllocSetContextCreate(TopMemoryContext, "tsdb worker",
								ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);

	if (RecoveryInProgress())
		proc_exit(0);
	relids = list_tsdb_tables(cxt);
	tsdb_estimate_prune(MyDatabaseId, relids);
	tsdb_label_index_prune(MyDatabaseId, relids);
	ereport(DEBUG1,
			(errmsg("tsdb maintenance worker found %d tsdb tables in database \"%s\"",
					list_length(relids), worker_dbname)));

	foreach(lc, relids)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (!tsdb_worker_enabled)
			break;
		process_table(lfirst_oid(lc), cxt);
	}
	proc_exit(0);
}

/* ---------------------------------------------------------------------
 * Settings and registration
 * ---------------------------------------------------------------------
 */

void
tsdb_worker_init(void)
{
	BackgroundWorker bgw;

	DefineCustomBoolVariable("tsdb.worker_enabled",
							 "Compacts tsdb tables in background workers.",
							 NULL,
							 &tsdb_worker_enabled, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("tsdb.worker_naptime",
							"Time between two visits of a database by the tsdb maintenance workers.",
							NULL,
							&tsdb_worker_naptime, 10, 1, INT_MAX / 1000,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("tsdb.max_workers",
							"Maximum number of tsdb maintenance workers running at once.",
							"Each takes one of the max_worker_processes slots while it runs.",
							&tsdb_max_workers, 1, 1, MAX_BACKENDS,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("tsdb.compact_min_samples",
							"Committed head samples a tsdb table needs before a maintenance worker compacts it.",
							NULL,
							&tsdb_compact_min_samples, 100000, 1, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);

	/* _PG_init refuses to load tsdb any other way, but be explicit */
	if (!process_shared_preload_libraries_in_progress)
		return;

	tsdb_estimate_shmem_init();

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = LAUNCHER_RESTART_SECONDS;
	strlcpy(bgw.bgw_library_name, "tsdb", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "tsdb_launcher_main", BGW_MAXLEN);
	strlcpy(bgw.bgw_name, LAUNCHER_TYPE, BGW_MAXLEN);
	strlcpy(bgw.bgw_type, LAUNCHER_TYPE, BGW_MAXLEN);
	RegisterBackgroundWorker(&bgw);
}
