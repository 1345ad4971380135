/*-------------------------------------------------------------------------
 *
 * insert_buffer.c
 *	  Backend-local buffer of inserted samples, written to head pages (and
 *	  WAL) in batches.
 *
 * Every row an INSERT hands to tuple_insert used to become its own WAL
 * record and its own exclusive lock of a head page.  Instead, the samples of
 * one (sub)transaction are kept here, per relation, and written by one
 * append per head page (one WAL record each, holding several runs when
 * several commands wrote them):
 *
 * - when the buffer reaches tsdb.insert_batch_samples;
 * - when the same relation gets samples of another (sub)transaction, so a
 *   buffer only ever holds one xid;
 * - before this backend reads, rewrites or truncates the relation (the
 *   callers of tsdb_insert_buffer_flush: the scans, TsdbScan, tid fetches,
 *   TRUNCATE, VACUUM FULL/CLUSTER, SET TABLESPACE, tsdb.compact(),
 *   tsdb.drop_before() and the inspection functions), so a transaction
 *   reads its own writes;
 * - at PRE_COMMIT and PRE_PREPARE, so nothing committed is left behind.
 *
 * The buffer is not flushed at the end of each statement: that would cost a
 * record per single-row INSERT, the case this exists for, and buys nothing,
 * because no other backend can see the samples before commit and this one
 * flushes before it reads.
 *
 * A sample keeps the command id of the INSERT that wrote it, and a flush
 * before commit writes it in a run stamped with that id, so visibility is
 * what an immediate write would have given: in PG15 a scan takes its
 * snapshot's command id when the portal starts but may begin reading only
 * later, and a cursor declared before an INSERT must not see that INSERT's
 * samples.  The flush at commit has no such reader left and writes one run
 * per page (flush_buffer).
 *
 * On (sub)transaction abort the samples of the aborted levels are dropped
 * unwritten.  A flush that fails half way (an error while extending the
 * relation, say) remembers how far it got, so a retry under a surviving
 * parent neither loses nor duplicates samples.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "insert_buffer.h"

int			tsdb_insert_batch_samples = 4096;
bool		tsdb_async_commit = false;

typedef struct InsertBuffer
{
	Oid			relid;
	RelFileNode node;			/* storage the series ids belong to */
	TransactionId xid;			/* (sub)transaction of every sample */
	int			nestlevel;		/* its nesting level, for subxact abort */
	int			n;				/* samples buffered */
	int			written;		/* of which already on head pages */
	int			cap;
	TsdbSample *samples;
	CommandId  *cids;
	struct InsertBuffer *next;
} InsertBuffer;

static MemoryContext buffer_cxt = NULL;
static InsertBuffer *buffers = NULL;
static int	nbuffers = 0;

/* Above this many buffers, the context is reset at transaction end. */
#define MAX_KEPT_BUFFERS	32

static InsertBuffer *
find_buffer(Oid relid)
{
	InsertBuffer *b;

	for (b = buffers; b != NULL; b = b->next)
		if (b->relid == relid)
			return b;
	return NULL;
}

static InsertBuffer *
get_buffer(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	InsertBuffer *b = find_buffer(relid);

	if (b != NULL)
		return b;
	if (buffer_cxt == NULL)
		buffer_cxt = AllocSetContextCreate(TopMemoryContext,
										   "tsdb insert buffers",
										   ALLOCSET_DEFAULT_SIZES);
	b = MemoryContextAllocZero(buffer_cxt, sizeof(InsertBuffer));
	b->relid = relid;
	b->cap = 64;
	b->samples = MemoryContextAlloc(buffer_cxt, sizeof(TsdbSample) * b->cap);
	b->cids = MemoryContextAlloc(buffer_cxt, sizeof(CommandId) * b->cap);
	b->next = buffers;
	buffers = b;
	nbuffers++;
	return b;
}

/*
 * Write the unwritten part of a buffer to its relation's head pages.
 *
 * at_commit: the transaction is committing (or preparing) and will run no
 * more queries, so command ids no longer matter to anyone: other backends
 * see a committed run whole whatever its cmin.  The samples then go in one
 * run per page, stamped with the first command's id, instead of one run
 * (and a 16-byte header) per INSERT command.
 */
static void
flush_buffer(InsertBuffer *b, Relation rel, bool at_commit)
{
	if (b->written >= b->n)
	{
		b->n = b->written = 0;
		return;
	}
	if (!RelFileNodeEquals(b->node, rel->rd_node))
		elog(ERROR, "tsdb insert buffer of relation %u was filled for another relfilenode",
			 b->relid);
	tsdb_head_insert_buffered(rel, b->samples, at_commit ? NULL : b->cids,
							  b->cids[b->written], b->n, b->xid,
							  &b->written);
	b->n = b->written = 0;
}

/*
 * Flush by relation id.  A relation dropped by this transaction has no
 * catalog entry any more: its samples went with it.
 */
static void
flush_relid(InsertBuffer *b, bool at_commit)
{
	Relation	rel;

	if (b->written >= b->n)
	{
		b->n = b->written = 0;
		return;
	}
	/* the inserting command's RowExclusiveLock is held until commit */
	rel = try_relation_open(b->relid, NoLock);
	if (rel == NULL)
	{
		b->n = b->written = 0;
		return;
	}
	PG_TRY();
	{
		flush_buffer(b, rel, at_commit);
	}
	PG_FINALLY();
	{
		relation_close(rel, NoLock);
	}
	PG_END_TRY();
}

bool
tsdb_insert_buffer_usable(Relation rel)
{
	if (tsdb_insert_batch_samples <= 0 || IsInParallelMode())
		return false;

	/*
	 * AFTER ROW triggers (foreign keys included) fetch the new row by its
	 * tuple id, which a buffered sample does not have yet.
	 */
	if (rel->trigdesc != NULL && rel->trigdesc->trig_insert_after_row)
		return false;
	return true;
}

void
tsdb_insert_buffer_add(Relation rel, const TsdbSample *sample, CommandId cid)
{
	InsertBuffer *b = get_buffer(rel);
	TransactionId xid = GetCurrentTransactionId();

	if (b->n > 0 && (b->xid != xid || !RelFileNodeEquals(b->node, rel->rd_node)))
		flush_buffer(b, rel, false);
	if (b->n == 0)
	{
		b->xid = xid;
		b->nestlevel = GetCurrentTransactionNestLevel();
		b->node = rel->rd_node;
	}
	if (b->n == b->cap)
	{
		int			newcap = b->cap * 2;

		b->samples = repalloc(b->samples, sizeof(TsdbSample) * newcap);
		b->cids = repalloc(b->cids, sizeof(CommandId) * newcap);
		b->cap = newcap;
	}
	b->samples[b->n] = *sample;
	b->cids[b->n] = cid;
	b->n++;
	if (b->n >= tsdb_insert_batch_samples)
		flush_buffer(b, rel, false);
}

void
tsdb_insert_buffer_flush(Oid relid)
{
	InsertBuffer *b = find_buffer(relid);

	if (b != NULL && b->n > b->written)
		flush_relid(b, false);
}

static void
flush_all(void)
{
	InsertBuffer *b;

	for (b = buffers; b != NULL; b = b->next)
		flush_relid(b, true);
}

static void
discard_all(void)
{
	InsertBuffer *b;

	if (nbuffers > MAX_KEPT_BUFFERS)
	{
		MemoryContextReset(buffer_cxt);
		buffers = NULL;
		nbuffers = 0;
		return;
	}
	for (b = buffers; b != NULL; b = b->next)
		b->n = b->written = 0;
}

static void
insert_buffer_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			flush_all();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			discard_all();
			break;
	}
}

static void
insert_buffer_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
							   SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	InsertBuffer *b;

	for (b = buffers; b != NULL; b = b->next)
	{
		if (b->n == 0 || b->nestlevel < level)
			continue;
		if (event == SUBXACT_EVENT_ABORT_SUB)
			b->n = b->written = 0;
		else if (event == SUBXACT_EVENT_COMMIT_SUB)
			b->nestlevel = level - 1;
	}
}

/*
 * tsdb.async_commit: a transaction that writes a tsdb table commits without
 * waiting for its commit record to reach disk, as if it had run SET LOCAL
 * synchronous_commit = off before its first write.  Setting the variable
 * through the GUC machinery (rather than at commit) keeps it transactional:
 * a subtransaction that wrote and rolled back takes the setting with it, and
 * SHOW synchronous_commit tells the truth inside the transaction.  What a
 * crash can lose is then PostgreSQL's own asynchronous-commit window (up to
 * three times wal_writer_delay); nothing is ever torn, because recovery
 * replays or drops a transaction's WAL whole.
 */
void
tsdb_insert_note_write(void)
{
	if (!tsdb_async_commit || synchronous_commit == SYNCHRONOUS_COMMIT_OFF ||
		IsInParallelMode())
		return;
	(void) set_config_option("synchronous_commit", "off",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
}

void
tsdb_insert_buffer_init(void)
{
	DefineCustomBoolVariable("tsdb.async_commit",
							 "Commits transactions that write tsdb tables asynchronously.",
							 "On: such a transaction runs with synchronous_commit = off from its first "
							 "write on, so a crash may lose the transactions committed in the last "
							 "3 x wal_writer_delay, never part of one.  Off (the default): "
							 "synchronous_commit decides, and nothing acknowledged is lost.",
							 &tsdb_async_commit,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("tsdb.insert_batch_samples",
							"Samples a backend buffers per table before writing them to the head.",
							"Single-row INSERTs of one transaction are written, and WAL-logged, together: "
							"at this many samples, at commit, or before the backend reads the table. "
							"0 writes every row at once.",
							&tsdb_insert_batch_samples,
							4096, 0, 100000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	RegisterXactCallback(insert_buffer_xact_callback, NULL);
	RegisterSubXactCallback(insert_buffer_subxact_callback, NULL);
}
