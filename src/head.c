/*-------------------------------------------------------------------------
 *
 * head.c
 *	  Appending samples to head pages.
 *
 * Each backend appends to its own insertion page, remembered as the
 * relation's target block (as heap does).  A backend without one first
 * tries the page the metapage advertises, and otherwise extends the
 * relation.  Insertion pages are only ever locked conditionally: a backend
 * that finds its page busy moves to a new one, so concurrent inserters
 * spread over pages instead of queueing on one buffer lock.
 *
 * Consecutive samples of one command in one (sub)transaction extend the
 * page's last run rather than starting a new one, so a multi-row INSERT
 * pays one 16-byte run header per page, not per row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/rel.h"

#include "head.h"
#include "meta.h"
#include "recycle.h"
#include "tsdb.h"
#include "wal.h"

void
tsdb_head_page_init(Page page)
{
	tsdb_page_init(page, TSDB_PAGE_HEAD);
}

/*
 * Apply an append to a head page: used by the inserting backend and by redo,
 * so both produce the same bytes.
 */
void
tsdb_head_apply_append(Page page, const xl_tsdb_head_append *xlrec,
					   const char *data, Size len)
{
	PageHeader	ph = (PageHeader) page;
	TsdbPageOpaque opaque = TsdbPageGetOpaque(page);

	if (ph->pd_lower + len > ph->pd_upper)
		elog(PANIC, "tsdb head append of %zu bytes does not fit on page", len);
	if (xlrec->flags & XLH_APPEND_NEW_RUN)
	{
		if (xlrec->run_offset != ph->pd_lower)
			elog(PANIC, "tsdb head append at offset %u, page ends at %u",
				 xlrec->run_offset, ph->pd_lower);
		opaque->last_run = xlrec->run_offset;
	}
	else
	{
		TsdbRunHeader *run = (TsdbRunHeader *) ((char *) page + xlrec->run_offset);

		if (xlrec->run_offset != opaque->last_run || opaque->last_run == 0)
			elog(PANIC, "tsdb head append extends run at %u, last run is at %u",
				 xlrec->run_offset, opaque->last_run);
		run->nsamples += xlrec->nsamples;
	}
	memcpy((char *) page + ph->pd_lower, data, len);
	ph->pd_lower += len;
	opaque->nitems += xlrec->nsamples;
}

/*
 * Stamp runs consumed by a compaction (backend and redo).  Offsets were
 * validated against the page's runs by the caller or come from WAL written
 * by a backend that did.
 */
void
tsdb_head_apply_consume(Page page, TransactionId xmax, const uint16 *offsets,
						int nruns)
{
	int			i;

	for (i = 0; i < nruns; i++)
	{
		TsdbRunHeader *run;

		if (offsets[i] < MAXALIGN(SizeOfPageHeaderData) ||
			offsets[i] + TSDB_RUN_HEADER_SIZE > ((PageHeader) page)->pd_lower)
			elog(PANIC, "tsdb consume points past the page's runs");
		run = (TsdbRunHeader *) ((char *) page + offsets[i]);
		run->xmax = xmax;
		run->flags &= ~(TSDB_RUN_XMAX_COMMITTED | TSDB_RUN_XMAX_INVALID);
	}
}

/* Apply one FREEZE change to a run (backend and redo). */
void
tsdb_run_apply_freeze(TsdbRunHeader *run, uint16 set_flags)
{
	if (set_flags & XLH_FREEZE_CLEAR_XMAX)
	{
		run->xmax = InvalidTransactionId;
		run->flags &= ~(TSDB_RUN_XMAX_COMMITTED | TSDB_RUN_XMAX_INVALID);
	}
	run->flags |= set_flags & (TSDB_RUN_FROZEN | TSDB_RUN_DEAD);
}

/* Does this locked page have room for at least one more sample for us? */
static bool
page_has_room(Page page, TransactionId xid, CommandId cid, uint16 run_flags,
			  TransactionId xmax)
{
	Size		free;
	TsdbPageOpaque opaque;

	if (PageIsNew(page))
		return true;
	if (!TsdbPageIsType(page, TSDB_PAGE_HEAD))
		return false;
	opaque = TsdbPageGetOpaque(page);
	free = ((PageHeader) page)->pd_upper - ((PageHeader) page)->pd_lower;
	if (free >= TSDB_RUN_HEADER_SIZE + TSDB_SAMPLE_SIZE)
		return true;
	if (free >= TSDB_SAMPLE_SIZE && opaque->last_run != 0)
	{
		TsdbRunHeader *run = (TsdbRunHeader *) ((char *) page + opaque->last_run);

		return run->xmin == xid && run->cmin == cid &&
			run->flags == run_flags && run->xmax == xmax &&
			run->nsamples < PG_UINT16_MAX;
	}
	return false;
}

/*
 * Find a head page with room and return it exclusively locked.  *is_new
 * tells the caller to initialize it, *fresh that it is a page no other
 * backend uses yet.
 */
static Buffer
get_insert_page(Relation rel, TransactionId xid, CommandId cid,
				uint16 run_flags, TransactionId xmax, bool *is_new, bool *fresh)
{
	BlockNumber target = RelationGetTargetBlock(rel);
	Buffer		buf;

	*fresh = false;

	/*
	 * 1. our own insertion page.  If another backend holds it right now (it
	 * adopted the same page from the metapage hint), do not queue behind it:
	 * move to a page of our own instead.  The target block is reset
	 * whenever the relation's storage changes, so it exists.
	 */
	if (BlockNumberIsValid(target) && target != TSDB_METAPAGE_BLKNO)
	{
		buf = ReadBuffer(rel, target);
		if (ConditionalLockBuffer(buf))
		{
			if (page_has_room(BufferGetPage(buf), xid, cid, run_flags, xmax))
			{
				*is_new = PageIsNew(BufferGetPage(buf));
				return buf;
			}
			LockBuffer(buf, BUFFER_LOCK_UNLOCK);
		}
		ReleaseBuffer(buf);
	}

	/* 2. the page the metapage advertises, if nobody holds it right now */
	if (!BlockNumberIsValid(target))
	{
		TsdbMetaPageData meta;

		tsdb_read_meta(rel, &meta);
		if (BlockNumberIsValid(meta.head_hint) &&
			meta.head_hint != TSDB_METAPAGE_BLKNO &&
			meta.head_hint < RelationGetNumberOfBlocks(rel))
		{
			buf = ReadBuffer(rel, meta.head_hint);
			if (ConditionalLockBuffer(buf))
			{
				if (page_has_room(BufferGetPage(buf), xid, cid, run_flags, xmax))
				{
					RelationSetTargetBlock(rel, meta.head_hint);
					*is_new = PageIsNew(BufferGetPage(buf));
					return buf;
				}
				LockBuffer(buf, BUFFER_LOCK_UNLOCK);
			}
			ReleaseBuffer(buf);
		}
	}

	/* 3. a page of our own: a recycled one, or a new one at the end */
	buf = tsdb_page_alloc(rel, TSDB_PAGE_HEAD);
	RelationSetTargetBlock(rel, BufferGetBlockNumber(buf));
	*is_new = PageIsNew(BufferGetPage(buf));
	*fresh = true;
	return buf;
}

/*
 * Append samples, written by command cid of the current (sub)transaction,
 * to head pages.  Fills tids[i] with each sample's tuple id.
 */
void
tsdb_head_insert(Relation rel, const TsdbSample *samples, int n,
				 CommandId cid, bool frozen, ItemPointer tids)
{
	tsdb_head_append_runs(rel, samples, n, GetCurrentTransactionId(), cid,
						  frozen ? TSDB_RUN_FROZEN : 0, InvalidTransactionId,
						  tids);
}

/*
 * Append samples as runs stamped {xid, cid, run_flags, xmax}; tids may be
 * NULL.  Besides inserts (xmax invalid), VACUUM FULL uses this to copy runs
 * with their original stamps, a compaction's xmax included.
 */
void
tsdb_head_append_runs(Relation rel, const TsdbSample *samples, int n,
					  TransactionId xid, CommandId cid, uint16 run_flags,
					  TransactionId xmax, ItemPointer tids)
{
	char	   *scratch;
	int			done = 0;

	scratch = palloc(BLCKSZ);

	while (done < n)
	{
		bool		is_new;
		bool		fresh;
		Buffer		buf = get_insert_page(rel, xid, cid, run_flags, xmax,
										  &is_new, &fresh);
		Page		page = BufferGetPage(buf);
		BlockNumber blkno = BufferGetBlockNumber(buf);
		xl_tsdb_head_append xlrec;
		int			free;
		Size		len = 0;
		int			k;
		int			i;
		int			first_ordinal;
		bool		extend = false;

		if (is_new)
			free = BLCKSZ - (int) MAXALIGN(SizeOfPageHeaderData) -
				(int) MAXALIGN(sizeof(TsdbPageOpaqueData));
		else
		{
			TsdbPageOpaque opaque = TsdbPageGetOpaque(page);

			free = (int) ((PageHeader) page)->pd_upper -
				(int) ((PageHeader) page)->pd_lower;
			if (opaque->last_run != 0)
			{
				TsdbRunHeader *run = (TsdbRunHeader *) ((char *) page + opaque->last_run);

				extend = run->xmin == xid && run->cmin == cid &&
					run->flags == run_flags && run->xmax == xmax &&
					run->nsamples < PG_UINT16_MAX;
				if (extend)
						k = Min(n - done, Min(free / TSDB_SAMPLE_SIZE,
										  PG_UINT16_MAX - (int) run->nsamples));
			}
		}
		if (!extend)
		{
			TsdbRunHeader hdr;

			k = Min(n - done, (free - TSDB_RUN_HEADER_SIZE) / TSDB_SAMPLE_SIZE);
			k = Min(k, PG_UINT16_MAX);
			hdr.xmin = xid;
			hdr.cmin = cid;
			hdr.xmax = xmax;
			hdr.nsamples = k;
			hdr.flags = run_flags;
			memcpy(scratch, &hdr, TSDB_RUN_HEADER_SIZE);
			len = TSDB_RUN_HEADER_SIZE;
		}
		Assert(k > 0);
		for (i = 0; i < k; i++)
		{
			tsdb_sample_write(scratch + len, &samples[done + i]);
			len += TSDB_SAMPLE_SIZE;
		}

		xlrec.flags = (is_new ? XLH_APPEND_INIT_PAGE : 0) |
			(extend ? 0 : XLH_APPEND_NEW_RUN);
		xlrec.nsamples = k;

		START_CRIT_SECTION();

		if (is_new)
			tsdb_head_page_init(page);
		first_ordinal = TsdbPageGetOpaque(page)->nitems;
		xlrec.run_offset = extend ? TsdbPageGetOpaque(page)->last_run :
			((PageHeader) page)->pd_lower;
		tsdb_head_apply_append(page, &xlrec, scratch, len);
		MarkBufferDirty(buf);

		if (RelationNeedsWAL(rel))
		{
			XLogRecPtr	lsn;

			XLogBeginInsert();
			XLogRegisterData((char *) &xlrec, sizeof(xlrec));
			XLogRegisterBuffer(0, buf, REGBUF_STANDARD |
							   (is_new ? REGBUF_WILL_INIT : 0));
			XLogRegisterBufData(0, scratch, len);
			lsn = XLogInsert(TSDB_RMGR_ID, XLOG_TSDB_HEAD_APPEND);
			PageSetLSN(page, lsn);
		}

		END_CRIT_SECTION();

		UnlockReleaseBuffer(buf);

		if (tids)
			for (i = 0; i < k; i++)
				tsdb_sample_tid(blkno, first_ordinal + i, &tids[done + i]);
		done += k;

		/* Advertise a fresh page to backends that have none yet. */
		if (fresh)
			tsdb_meta_set_head_hint(rel, blkno);
	}

	pfree(scratch);
}

/*
 * Check a head page's run structure before reading it, so damaged data is
 * reported instead of read out of bounds.  The caller holds a lock.
 */
void
tsdb_head_page_validate(Relation rel, Page page, BlockNumber blkno)
{
	char	   *p = TsdbHeadFirstRun(page);
	char	   *end = TsdbHeadEnd(page);
	int			total = 0;

	tsdb_page_check(rel, page, blkno, TSDB_PAGE_HEAD);
	while (p < end)
	{
		TsdbRunHeader *run = (TsdbRunHeader *) p;

		if (p + TSDB_RUN_HEADER_SIZE > end ||
			(char *) TsdbRunNext(run) > end || run->nsamples == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("tsdb relation \"%s\" has a corrupted head page at block %u",
							RelationGetRelationName(rel), blkno),
					 errdetail("Run at offset %d overruns the page.",
							   (int) (p - (char *) page))));
		total += run->nsamples;
		p = (char *) TsdbRunNext(run);
	}
	if (total != TsdbPageGetOpaque(page)->nitems)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("tsdb relation \"%s\" has a corrupted head page at block %u",
						RelationGetRelationName(rel), blkno),
				 errdetail("The page counts %u samples but its runs hold %d.",
						   TsdbPageGetOpaque(page)->nitems, total)));
}
