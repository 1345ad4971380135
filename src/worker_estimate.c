/*-------------------------------------------------------------------------
 *
 * worker_estimate.c
 *	  What the maintenance workers remember about a table between visits,
 *	  so that a visit to a table with little new in its head reads no page.
 *
 * Counting the committed samples in a head means reading the table's pages
 * (worker.c), and a table whose head is below tsdb.compact_min_samples would
 * be read whole at every visit.  Instead, each count is remembered in
 * shared memory with the table's cumulative insert count from the
 * statistics system (pg_stat_user_tables.n_tup_ins, which counts every
 * sample inserted, committed or not).  At the next visit the head holds at
 * most the samples counted then plus those inserted since, so while that
 * sum is below the threshold the pages are not read.  The sum can only be
 * too high (aborted inserts, compactions by others, TRUNCATE), which costs
 * a count, never a missed compaction; except after the table's statistics
 * were reset, when the insert count starts again from zero and the first
 * inserts after the reset go unseen until the count passes the remembered
 * one.  A crash resets both the statistics and this memory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/hsearch.h"

#include "worker.h"

/*
 * Tables remembered, over all databases.  Past it a table is counted at
 * every visit, as with no memory at all; entries of dropped tables and
 * databases are pruned at each visit.
 */
#define TSDB_ESTIMATE_TABLES	4096

typedef struct EstimateKey
{
	Oid			dboid;
	Oid			relid;
} EstimateKey;

typedef struct Estimate
{
	EstimateKey key;
	int64		inserted;		/* the table's insert count at the count */
	int64		head;			/* committed head samples counted then */
} Estimate;

static HTAB *estimates = NULL;
static LWLock *estimates_lock = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
estimate_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(hash_estimate_size(TSDB_ESTIMATE_TABLES,
											  sizeof(Estimate)));
	RequestNamedLWLockTranche("tsdb worker estimates", 1);
}

static void
estimate_shmem_startup(void)
{
	HASHCTL		ctl;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ctl.keysize = sizeof(EstimateKey);
	ctl.entrysize = sizeof(Estimate);
	estimates = ShmemInitHash("tsdb worker estimates",
							  TSDB_ESTIMATE_TABLES, TSDB_ESTIMATE_TABLES,
							  &ctl, HASH_ELEM | HASH_BLOBS);
	estimates_lock = &(GetNamedLWLockTranche("tsdb worker estimates"))->lock;
	LWLockRelease(AddinShmemInitLock);
}

/* _PG_init, while shared_preload_libraries is processed. */
void
tsdb_estimate_shmem_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = estimate_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = estimate_shmem_startup;
}

/*
 * An upper bound of the committed samples in the head of a table of this
 * database, given its insert count now; false when there is none.
 */
bool
tsdb_estimate_head(Oid relid, int64 inserted, int64 *head)
{
	EstimateKey key = {MyDatabaseId, relid};
	Estimate   *e;
	bool		found = false;

	LWLockAcquire(estimates_lock, LW_SHARED);
	e = hash_search(estimates, &key, HASH_FIND, NULL);
	/* an insert count that went down was reset: the memory is worthless */
	if (e != NULL && inserted >= e->inserted)
	{
		*head = e->head + (inserted - e->inserted);
		found = true;
	}
	LWLockRelease(estimates_lock);
	return found;
}

/* Remember a count (after the transaction that made it committed). */
void
tsdb_estimate_remember(Oid relid, int64 inserted, int64 head)
{
	EstimateKey key = {MyDatabaseId, relid};
	Estimate   *e;

	LWLockAcquire(estimates_lock, LW_EXCLUSIVE);
	e = hash_search(estimates, &key, HASH_ENTER_NULL, NULL);
	if (e != NULL)
	{
		e->inserted = inserted;
		e->head = head;
	}
	LWLockRelease(estimates_lock);
}

/* Is oid in a list sorted by list_oid_cmp? */
static bool
sorted_member_oid(List *list, Oid oid)
{
	int			lo = 0;
	int			hi = list_length(list) - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		Oid			x = list_nth_oid(list, mid);

		if (x == oid)
			return true;
		if (x < oid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

/*
 * Forget what is not in "keep" (sorted by list_oid_cmp): the tables of this
 * database no longer there (dboid = MyDatabaseId, keep = relids), or from
 * the launcher, the databases no longer there (dboid = InvalidOid, keep =
 * database oids).
 */
void
tsdb_estimate_prune(Oid dboid, List *keep)
{
	HASH_SEQ_STATUS status;
	Estimate   *e;

	LWLockAcquire(estimates_lock, LW_EXCLUSIVE);
	hash_seq_init(&status, estimates);
	while ((e = hash_seq_search(&status)) != NULL)
	{
		bool		gone;

		if (OidIsValid(dboid))
			gone = e->key.dboid == dboid && !sorted_member_oid(keep, e->key.relid);
		else
			gone = !sorted_member_oid(keep, e->key.dboid);
		/* removing the entry just returned is allowed during a scan */
		if (gone)
			hash_search(estimates, &e->key, HASH_REMOVE, NULL);
	}
	LWLockRelease(estimates_lock);
}
