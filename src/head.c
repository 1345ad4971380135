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

#include "compress.h"
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
 * so both produce the same bytes.  The record's structure is checked
 * against the page and against itself before anything is copied.
 */
void
tsdb_head_apply_append(Page page, const xl_tsdb_head_append *xlrec,
					   const char *data, Size len)
{
	PageHeader	ph = (PageHeader) page;
	TsdbPageOpaque opaque = TsdbPageGetOpaque(page);
	Size		pos = (Size) xlrec->nextend * TSDB_SAMPLE_SIZE;
	uint16		last_run = opaque->last_run;
	int			total = xlrec->nextend;
	int			nruns = 0;

	if (ph->pd_lower + len > ph->pd_upper || pos > len)
		elog(PANIC, "tsdb head append of %zu bytes does not fit on page", len);
	if (xlrec->nextend > 0)
	{
		TsdbRunHeader *run = (TsdbRunHeader *) ((char *) page + xlrec->run_offset);

		if (xlrec->run_offset != opaque->last_run || opaque->last_run == 0 ||
			(char *) TsdbRunNext(run) != (char *) page + ph->pd_lower ||
			(int) run->nsamples + xlrec->nextend > PG_UINT16_MAX)
			elog(PANIC, "tsdb head append extends run at %u, last run is at %u",
				 xlrec->run_offset, opaque->last_run);
	}
	else if (xlrec->run_offset != ph->pd_lower)
		elog(PANIC, "tsdb head append at offset %u, page ends at %u",
			 xlrec->run_offset, ph->pd_lower);

	/* the new runs: each header, then as many samples as it says */
	while (pos < len)
	{
		TsdbRunHeader hdr;

		if (pos + TSDB_RUN_HEADER_SIZE > len)
			elog(PANIC, "tsdb head append has a truncated run header");
		memcpy(&hdr, data + pos, TSDB_RUN_HEADER_SIZE);
		if (hdr.nsamples == 0 ||
			pos + TSDB_RUN_HEADER_SIZE + (Size) hdr.nsamples * TSDB_SAMPLE_SIZE > len)
			elog(PANIC, "tsdb head append has a run of %u samples overrunning its data",
				 hdr.nsamples);
		last_run = ph->pd_lower + pos;
		total += hdr.nsamples;
		nruns++;
		pos += TSDB_RUN_HEADER_SIZE + (Size) hdr.nsamples * TSDB_SAMPLE_SIZE;
	}
	if (total != xlrec->nsamples || nruns != xlrec->nruns || total == 0)
		elog(PANIC, "tsdb head append of %d samples in %d runs, record says %u in %u",
			 total, nruns, xlrec->nsamples, xlrec->nruns);

	if (xlrec->nextend > 0)
		((TsdbRunHeader *) ((char *) page + xlrec->run_offset))->nsamples +=
			xlrec->nextend;
	memcpy((char *) page + ph->pd_lower, data, len);
	ph->pd_lower += len;
	opaque->last_run = last_run;
	opaque->nitems += xlrec->nsamples;
}

/*
 * The samples of an append's data (as tsdb_head_apply_append takes it) in
 * the packed form of compress_samples.c, run headers kept as they are; the
 * WAL record carries this when it is smaller (XLH_APPEND_PACKED).  "out"
 * needs TSDB_PACKED_SAMPLE_MAX bytes per sample plus the headers.
 */
static TsdbSampleStream pack_stream;

Size
tsdb_head_pack_append(const xl_tsdb_head_append *xlrec, const char *raw,
					  Size len, char *out)
{
	Size		pos = (Size) xlrec->nextend * TSDB_SAMPLE_SIZE;
	char	   *p = out;

	tsdb_sample_stream_init(&pack_stream);
	p += tsdb_samples_pack(&pack_stream, (const uint8 *) raw, xlrec->nextend,
						   (uint8 *) p);
	while (pos < len)
	{
		TsdbRunHeader hdr;

		memcpy(&hdr, raw + pos, TSDB_RUN_HEADER_SIZE);
		memcpy(p, raw + pos, TSDB_RUN_HEADER_SIZE);
		p += TSDB_RUN_HEADER_SIZE;
		pos += TSDB_RUN_HEADER_SIZE;
		p += tsdb_samples_pack(&pack_stream, (const uint8 *) raw + pos,
							   hdr.nsamples, (uint8 *) p);
		pos += (Size) hdr.nsamples * TSDB_SAMPLE_SIZE;
	}
	Assert(pos == len);
	return p - out;
}

/*
 * The inverse, in redo: rebuild the raw bytes (at most BLCKSZ) from a packed
 * record.  The record passed its CRC, so damage here means a bug or a torn
 * write that the CRC missed; either way replay must not go on.
 */
Size
tsdb_head_unpack_append(const xl_tsdb_head_append *xlrec, const char *packed,
						Size plen, char *raw)
{
	const uint8 *p = (const uint8 *) packed;
	const uint8 *end = p + plen;
	Size		len = (Size) xlrec->nextend * TSDB_SAMPLE_SIZE;
	int			nruns = 0;
	TsdbCodecStatus status;

	if (len > BLCKSZ)
		elog(PANIC, "tsdb packed head append extends a run by %u samples",
			 xlrec->nextend);
	tsdb_sample_stream_init(&pack_stream);
	status = tsdb_samples_unpack(&pack_stream, &p, end, xlrec->nextend,
								 (uint8 *) raw);
	while (status == TSDB_CODEC_OK && p < end)
	{
		TsdbRunHeader hdr;

		if (end - p < TSDB_RUN_HEADER_SIZE)
		{
			status = TSDB_CODEC_E_TRUNCATED;
			break;
		}
		memcpy(&hdr, p, TSDB_RUN_HEADER_SIZE);
		if (hdr.nsamples == 0 || ++nruns > xlrec->nruns ||
			len + TSDB_RUN_HEADER_SIZE + (Size) hdr.nsamples * TSDB_SAMPLE_SIZE > BLCKSZ)
		{
			status = TSDB_CODEC_E_COUNT;
			break;
		}
		memcpy(raw + len, p, TSDB_RUN_HEADER_SIZE);
		p += TSDB_RUN_HEADER_SIZE;
		len += TSDB_RUN_HEADER_SIZE;
		status = tsdb_samples_unpack(&pack_stream, &p, end, hdr.nsamples,
									 (uint8 *) raw + len);
		len += (Size) hdr.nsamples * TSDB_SAMPLE_SIZE;
	}
	if (status != TSDB_CODEC_OK)
		elog(PANIC, "tsdb packed head append record is corrupted: %s",
			 tsdb_codec_strerror(status));
	return len;
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

/* Does run describe samples stamped {xid, cid, run_flags, xmax}? */
static inline bool
run_matches(const TsdbRunHeader *run, TransactionId xid, CommandId cid,
			uint16 run_flags, TransactionId xmax)
{
	return run->xmin == xid && run->cmin == cid &&
		run->flags == run_flags && run->xmax == xmax;
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

		return run_matches(run, xid, cid, run_flags, xmax) &&
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
 * The core of every append: samples[*done .. n) written as runs stamped
 * {xid, the sample's command id, run_flags, xmax}, with one WAL record per
 * head page.  cids gives each sample's command id (the insert buffer
 * holds samples of several commands), or is NULL when all have cid.
 * *done advances after each page, so a caller whose append fails half way
 * knows which samples reached a page.  tids, when given, is filled from
 * index *done on.
 */
static void
append_samples(Relation rel, const TsdbSample *samples, const CommandId *cids,
			   CommandId cid, int n, TransactionId xid, uint16 run_flags,
			   TransactionId xmax, ItemPointer tids, int *done)
{
	char	   *scratch = palloc(BLCKSZ);
	/* packed samples: at most TSDB_PACKED_SAMPLE_MAX bytes for each 20 */
	char	   *packed = palloc(BLCKSZ * 2);
	Size		plen;

#define SAMPLE_CID(i) (cids ? cids[i] : cid)

	while (*done < n)
	{
		int			start = *done;
		CommandId	first_cid = SAMPLE_CID(start);
		bool		is_new;
		bool		fresh;
		Buffer		buf = get_insert_page(rel, xid, first_cid, run_flags, xmax,
										  &is_new, &fresh);
		Page		page = BufferGetPage(buf);
		BlockNumber blkno = BufferGetBlockNumber(buf);
		xl_tsdb_head_append xlrec;
		int			free;
		Size		len = 0;
		int			i = start;
		int			first_ordinal;

		xlrec.nextend = 0;
		xlrec.nruns = 0;
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

				/* samples of the page's last run's command extend it */
				if (run_matches(run, xid, first_cid, run_flags, xmax))
				{
					int			room = PG_UINT16_MAX - (int) run->nsamples;

					while (i < n && xlrec.nextend < room &&
						   free >= TSDB_SAMPLE_SIZE &&
						   SAMPLE_CID(i) == first_cid)
					{
						tsdb_sample_write(scratch + len, &samples[i++]);
						len += TSDB_SAMPLE_SIZE;
						free -= TSDB_SAMPLE_SIZE;
						xlrec.nextend++;
					}
				}
			}
		}

		/* then one new run per command, while the page has room */
		while (i < n && free >= TSDB_RUN_HEADER_SIZE + TSDB_SAMPLE_SIZE)
		{
			TsdbRunHeader hdr;
			Size		hdrpos = len;
			CommandId	c = SAMPLE_CID(i);

			hdr.xmin = xid;
			hdr.cmin = c;
			hdr.xmax = xmax;
			hdr.nsamples = 0;
			hdr.flags = run_flags;
			len += TSDB_RUN_HEADER_SIZE;
			free -= TSDB_RUN_HEADER_SIZE;
			while (i < n && SAMPLE_CID(i) == c && free >= TSDB_SAMPLE_SIZE &&
				   hdr.nsamples < PG_UINT16_MAX)
			{
				tsdb_sample_write(scratch + len, &samples[i++]);
				len += TSDB_SAMPLE_SIZE;
				free -= TSDB_SAMPLE_SIZE;
				hdr.nsamples++;
			}
			memcpy(scratch + hdrpos, &hdr, TSDB_RUN_HEADER_SIZE);
			xlrec.nruns++;
		}
		if (i == start)
			elog(ERROR, "tsdb found no room on head page %u", blkno);

		xlrec.flags = (is_new ? XLH_APPEND_INIT_PAGE : 0) |
			(xlrec.nruns > 0 ? XLH_APPEND_NEW_RUN : 0);
		xlrec.nsamples = i - start;

		/* WAL carries the packed form when it is smaller (nearly always) */
		plen = 0;
		if (RelationNeedsWAL(rel))
		{
			plen = tsdb_head_pack_append(&xlrec, scratch, len, packed);
			if (plen < len)
				xlrec.flags |= XLH_APPEND_PACKED;
#ifdef USE_ASSERT_CHECKING
			if (plen < len)
			{
				char	   *check = palloc(BLCKSZ);

				Assert(tsdb_head_unpack_append(&xlrec, packed, plen, check) == len &&
					   memcmp(check, scratch, len) == 0);
				pfree(check);
			}
#endif
		}

		START_CRIT_SECTION();

		if (is_new)
			tsdb_head_page_init(page);
		first_ordinal = TsdbPageGetOpaque(page)->nitems;
		xlrec.run_offset = xlrec.nextend > 0 ? TsdbPageGetOpaque(page)->last_run :
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
			if (xlrec.flags & XLH_APPEND_PACKED)
				XLogRegisterBufData(0, packed, plen);
			else
				XLogRegisterBufData(0, scratch, len);
			lsn = XLogInsert(TSDB_RMGR_ID, XLOG_TSDB_HEAD_APPEND);
			PageSetLSN(page, lsn);
		}

		END_CRIT_SECTION();

		UnlockReleaseBuffer(buf);

		if (tids)
		{
			int			j;

			for (j = start; j < i; j++)
				tsdb_sample_tid(blkno, first_ordinal + (j - start), &tids[j]);
		}
		*done = i;

		/* Advertise a fresh page to backends that have none yet. */
		if (fresh)
			tsdb_meta_set_head_hint(rel, blkno);
	}
#undef SAMPLE_CID

	pfree(scratch);
	pfree(packed);
}

/*
 * Append samples, written by command cid of the current (sub)transaction,
 * to head pages.  Fills tids[i] with each sample's tuple id.
 */
void
tsdb_head_insert(Relation rel, const TsdbSample *samples, int n,
				 CommandId cid, bool frozen, ItemPointer tids)
{
	int			done = 0;

	append_samples(rel, samples, NULL, cid, n, GetCurrentTransactionId(),
				   frozen ? TSDB_RUN_FROZEN : 0, InvalidTransactionId, tids,
				   &done);
}

/*
 * Append samples of (sub)transaction xid for the insert buffer: each with
 * its command id cids[i], or all stamped cid when cids is NULL; *done as in
 * append_samples.
 */
void
tsdb_head_insert_buffered(Relation rel, const TsdbSample *samples,
						  const CommandId *cids, CommandId cid, int n,
						  TransactionId xid, int *done)
{
	append_samples(rel, samples, cids, cid, n, xid, 0,
				   InvalidTransactionId, NULL, done);
}

/*
 * Append samples as runs stamped {xid, cid, run_flags, xmax}; tids may be
 * NULL.  VACUUM FULL uses this to copy runs with their original stamps, a
 * compaction's xmax included.
 */
void
tsdb_head_append_runs(Relation rel, const TsdbSample *samples, int n,
					  TransactionId xid, CommandId cid, uint16 run_flags,
					  TransactionId xmax, ItemPointer tids)
{
	int			done = 0;

	append_samples(rel, samples, NULL, cid, n, xid, run_flags, xmax, tids,
				   &done);
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
