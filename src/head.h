/*-------------------------------------------------------------------------
 *
 * head.h
 *	  Head pages: the write buffer of a tsdb relation.
 *
 * A head page holds runs, appended in arrival order between the page header
 * and pd_lower.  A run is one inserting (sub)transaction's samples written by
 * one command: a 16-byte header {xmin, cmin, xmax, nsamples,
 * flags} followed by
 * nsamples 20-byte samples {series_id, ts, value}.  Compaction copies
 * committed runs into a segment and stamps them with its xid as xmax: the
 * MVCC hand-over (visibility.c) shows each snapshot exactly one copy.  Everything is 4-byte
 * aligned, so a run header can be read and hinted in place; the 8-byte
 * fields of a sample are read with memcpy.
 *
 * Visibility is decided per run, not per sample (visibility.h).  Each backend
 * appends to its own insertion page (the relation's target block), so
 * concurrent inserters do not queue on one buffer lock.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_HEAD_H
#define TSDB_HEAD_H

#include "access/htup_details.h"
#include "storage/bufmgr.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"

#include "meta.h"
#include "wal.h"

typedef struct TsdbRunHeader
{
	TransactionId xmin;			/* inserting (sub)transaction */
	CommandId	cmin;			/* inserting command */
	TransactionId xmax;			/* compaction that moved the samples into a
								 * segment, or InvalidTransactionId */
	uint16		nsamples;
	uint16		flags;
} TsdbRunHeader;

#define TSDB_RUN_HEADER_SIZE	16

/* hint bits: set without WAL, like heap's, and masked for consistency checks */
#define TSDB_RUN_XMIN_COMMITTED	0x0001
#define TSDB_RUN_XMIN_INVALID	0x0002
#define TSDB_RUN_XMAX_COMMITTED	0x0010
#define TSDB_RUN_XMAX_INVALID	0x0020
#define TSDB_RUN_HINT_MASK		(TSDB_RUN_XMIN_COMMITTED | TSDB_RUN_XMIN_INVALID | \
								 TSDB_RUN_XMAX_COMMITTED | TSDB_RUN_XMAX_INVALID)
/* WAL-logged states */
#define TSDB_RUN_FROZEN			0x0004	/* visible to every snapshot */
#define TSDB_RUN_DEAD			0x0008	/* aborted; skipped by every scan */

/* A sample as the executor sees it; 20 bytes packed on the page. */
typedef struct TsdbSample
{
	uint32		series_id;
	int64		ts;				/* TimestampTz */
	float8		value;
} TsdbSample;

#define TSDB_SAMPLE_SIZE		20

/* The most samples one head page can hold (one run, no other data). */
#define TSDB_HEAD_MAX_SAMPLES \
	((BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - TSDB_RUN_HEADER_SIZE - \
	  MAXALIGN(sizeof(TsdbPageOpaqueData))) / TSDB_SAMPLE_SIZE)

/*
 * Tuple ids.  A head page holds more samples than a heap page holds tuples,
 * and offsets must stay within MaxHeapTuplesPerPage, so every page is seen as
 * TSDB_TID_BLOCKS_PER_PAGE consecutive "tid blocks": sample k (0-based) of
 * page b has tid (b * 2 + k / MaxHeapTuplesPerPage, k % MaxHeapTuplesPerPage + 1).
 */
#define TSDB_TID_BLOCKS_PER_PAGE	2

static inline void
tsdb_sample_tid(BlockNumber blkno, int ordinal, ItemPointer tid)
{
	ItemPointerSet(tid,
				   blkno * TSDB_TID_BLOCKS_PER_PAGE + ordinal / MaxHeapTuplesPerPage,
				   ordinal % MaxHeapTuplesPerPage + 1);
}

static inline void
tsdb_tid_sample(ItemPointer tid, BlockNumber *blkno, int *ordinal)
{
	BlockNumber tb = ItemPointerGetBlockNumberNoCheck(tid);

	*blkno = tb / TSDB_TID_BLOCKS_PER_PAGE;
	*ordinal = (tb % TSDB_TID_BLOCKS_PER_PAGE) * MaxHeapTuplesPerPage +
		ItemPointerGetOffsetNumberNoCheck(tid) - 1;
}

static inline void
tsdb_sample_write(char *dst, const TsdbSample *s)
{
	memcpy(dst, &s->series_id, 4);
	memcpy(dst + 4, &s->ts, 8);
	memcpy(dst + 12, &s->value, 8);
}

static inline void
tsdb_sample_read(const char *src, TsdbSample *s)
{
	memcpy(&s->series_id, src, 4);
	memcpy(&s->ts, src + 4, 8);
	memcpy(&s->value, src + 12, 8);
}

/* Walk the runs of a head page (locked by the caller). */
#define TsdbHeadFirstRun(page)	((char *) (page) + MAXALIGN(SizeOfPageHeaderData))
#define TsdbHeadEnd(page)		((char *) (page) + ((PageHeader) (page))->pd_lower)
#define TsdbRunSamples(run)		((char *) (run) + TSDB_RUN_HEADER_SIZE)
#define TsdbRunNext(run) \
	((TsdbRunHeader *) (TsdbRunSamples(run) + (run)->nsamples * TSDB_SAMPLE_SIZE))
#define TsdbRunOffset(run, page)	((int) ((char *) (run) - (char *) (page)))

/*
 * Iterate over the runs of a head page that tsdb_head_page_validate()
 * accepted; the caller holds a lock on its buffer.
 */
#define TsdbForEachRun(run, page) \
	for ((run) = (TsdbRunHeader *) TsdbHeadFirstRun(page); \
		 (char *) (run) < TsdbHeadEnd(page); \
		 (run) = TsdbRunNext(run))

/* Copy a run's samples out of the page. */
static inline void
tsdb_run_read_samples(const TsdbRunHeader *run, TsdbSample *out)
{
	const char *s = TsdbRunSamples(run);
	int			i;

	for (i = 0; i < run->nsamples; i++)
		tsdb_sample_read(s + i * TSDB_SAMPLE_SIZE, &out[i]);
}

extern void tsdb_head_insert(Relation rel, const TsdbSample *samples, int n,
							 CommandId cid, bool frozen, ItemPointer tids);
extern void tsdb_head_insert_buffered(Relation rel, const TsdbSample *samples,
									  const CommandId *cids, CommandId cid,
									  int n, TransactionId xid, int *done);
extern void tsdb_head_append_runs(Relation rel, const TsdbSample *samples,
								  int n, TransactionId xid, CommandId cid,
								  uint16 run_flags, TransactionId xmax,
								  ItemPointer tids);
extern void tsdb_head_page_validate(Relation rel, Page page, BlockNumber blkno);
extern void tsdb_head_page_init(Page page);
extern void tsdb_head_apply_consume(Page page, TransactionId xmax,
									const uint16 *offsets, int nruns);
extern void tsdb_run_apply_freeze(TsdbRunHeader *run, uint16 set_flags);
extern void tsdb_head_apply_append(Page page, const xl_tsdb_head_append *xlrec,
								   const char *data, Size len);
extern Size tsdb_head_pack_append(const xl_tsdb_head_append *xlrec,
								  const char *raw, Size len, char *out);
extern Size tsdb_head_unpack_append(const xl_tsdb_head_append *xlrec,
									const char *packed, Size plen, char *raw);

#endif							/* TSDB_HEAD_H */
