/*-------------------------------------------------------------------------
 *
 * backpressure.c
 *	  Compaction run by an inserting backend when the head grows too big.
 *
 * The background worker and tsdb.compact() normally keep the head small.
 * When writers outpace them, the head would grow without bound; instead,
 * a backend whose insert finds the head above tsdb.head_max_pages compacts
 * it itself, inside its own transaction (an ordinary one with an xid, as
 * the hand-over requires), and so pays for the load it creates.  The
 * compaction commits or aborts with the inserting transaction.
 *
 * The head is estimated from the metapage without reading it: pages that
 * are neither the metapage, free, nor pages of listed segments (dictionary
 * pages count as head; there are few).  Consumed head pages count until
 * VACUUM recycles them; compaction reports the consumed samples as dead
 * tuples, which brings autovacuum.  So that a head waiting for VACUUM does
 * not make every insert compact again for nothing, a backend retries on a
 * table only after the estimate grew by an eighth of the bound.
 *
 * A compaction already running (or VACUUM) holds the lock that compaction
 * needs; the backend then does not wait but goes on inserting, since the
 * other one is draining the head.  Data a transaction inserts itself
 * cannot be compacted before it commits: one huge transaction can exceed
 * the bound.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/rel.h"

#include "compaction.h"
#include "meta.h"

/* GUC tsdb.head_max_pages: 0 disables */
int			tsdb_head_max_pages = 131072;

/* Check the estimate every this many inserted samples, not on every row. */
#define BACKPRESSURE_CHECK_SAMPLES	1024

static int64 samples_since_check = 0;
static RelFileNode last_node;
static BlockNumber last_estimate = InvalidBlockNumber;

void
tsdb_backpressure(Relation rel, int nsamples)
{
	TsdbMetaPageData *meta;
	BlockNumber estimate;
	int64		moved;

	if (tsdb_head_max_pages <= 0)
		return;
	samples_since_check += nsamples;
	if (samples_since_check < BACKPRESSURE_CHECK_SAMPLES)
		return;
	samples_since_check = 0;

	meta = palloc(sizeof(TsdbMetaPageData));
	tsdb_read_meta(rel, meta);
	estimate = tsdb_meta_head_pages(rel, meta);
	if (estimate <= (BlockNumber) tsdb_head_max_pages &&
		RelFileNodeEquals(last_node, rel->rd_node))
		last_estimate = InvalidBlockNumber;
	if (estimate <= (BlockNumber) tsdb_head_max_pages ||
		tsdb_compacted_in_xact(meta) ||
		(RelFileNodeEquals(last_node, rel->rd_node) &&
		 BlockNumberIsValid(last_estimate) &&
		 estimate < last_estimate + (BlockNumber) tsdb_head_max_pages / 8))
	{
		pfree(meta);
		return;
	}
	pfree(meta);
	last_node = rel->rd_node;
	last_estimate = estimate;

	if (!ConditionalLockRelation(rel, ShareUpdateExclusiveLock))
		return;
	moved = tsdb_compact_relation(rel, false);
	ereport(DEBUG1,
			(errmsg("tsdb table \"%s\": head of about %u pages is over tsdb.head_max_pages (%d), compacted %lld samples",
					RelationGetRelationName(rel), estimate,
					tsdb_head_max_pages, (long long) moved)));
	/* the lock is kept until the end of the transaction, like table_open's */
}
