/*-------------------------------------------------------------------------
 *
 * recycle.c
 *	  The free list of recycled pages: allocation, and VACUUM's recycling
 *	  and truncation.
 *
 * A page goes on the free list only from VACUUM, once no snapshot can need
 * what it held: a head page whose runs are all dead (aborted, or compacted
 * by a transaction older than every snapshot), a page of a segment entry
 * that left the list (tsdb_segment_removable), a segment page no entry
 * owns (an aborted or crashed compaction's), or a page left uninitialized
 * by a crash.  Those rules make a recycled page invisible to every scan:
 * scans find segment pages only through entries they can see, and skip
 * head runs that are dead.  Standby queries that could still see the
 * contents were cancelled by the record that killed them (FREEZE's and
 * SEGMENT_LIST's conflict xids).
 *
 * The list lives in the metapage (free_head, nfree) and links pages through
 * their opaque "next".  Pushing (VACUUM) and popping (new head or segment
 * pages) lock the metapage, then the page, and log both in one record, so
 * the list and the pages always agree after a crash.  VACUUM finds every
 * free page in its pass anyway, so a page that was freed but is not on the
 * list (a crash during a rebuild) is found again and pushed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xloginsert.h"
#include "catalog/storage.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/rel.h"

#include "head.h"
#include "recycle.h"
#include "segment.h"
#include "tsdb.h"
#include "wal.h"

struct TsdbRecycle
{
	Relation	rel;
	BlockNumber nblocks;		/* relation size when VACUUM began */
	bits8	   *in_segment;		/* pages of listed segments */
	bits8	   *on_list;		/* pages on the free list */
	bool		list_broken;
	BlockNumber *cand;			/* pages to put on the list */
	uint32		ncand;
	uint32		cap;
};

#define BIT_SET(map, b)		((map)[(b) / 8] |= (bits8) (1 << ((b) % 8)))
#define BIT_TEST(map, b)	(((map)[(b) / 8] & (1 << ((b) % 8))) != 0)

/* ---------------------------------------------------------------------
 * Page changes, shared by the backends and redo (either page may be NULL
 * in redo when its change is already on disk).
 * ---------------------------------------------------------------------
 */
void
tsdb_page_apply_free(Page metapage, Page page, BlockNumber blkno,
					 BlockNumber next, uint32 nfree)
{
	if (page)
	{
		tsdb_page_init(page, TSDB_PAGE_FREE);
		TsdbPageGetOpaque(page)->next = next;
	}
	if (metapage)
	{
		TsdbPageGetMeta(metapage)->free_head = blkno;
		TsdbPageGetMeta(metapage)->nfree = nfree;
	}
}

void
tsdb_page_apply_reuse(Page metapage, Page page, TsdbPageType type,
					  BlockNumber next, uint32 nfree)
{
	if (page)
		tsdb_page_init(page, type);
	if (metapage)
	{
		TsdbPageGetMeta(metapage)->free_head = next;
		TsdbPageGetMeta(metapage)->nfree = nfree;
	}
}

/* ---------------------------------------------------------------------
 * Allocation
 * ---------------------------------------------------------------------
 */

/*
 * A page for a new head page or segment page, exclusively locked: a
 * recycled one, already initialized as an empty page of "type", or else a
 * new page at the end of the relation (PageIsNew: the caller's first record
 * initializes it).  The caller has an xid (pg15-internals.md 9.1).
 */
Buffer
tsdb_page_alloc(Relation rel, TsdbPageType type)
{
	Buffer		metabuf;
	Page		metapage;
	TsdbMetaPage meta;
	BlockNumber blkno;
	Buffer		buf;
	Page		page;
	xl_tsdb_page_reuse xlrec;

	/* Most of the time the list is empty: look before taking the lock. */
	metabuf = ReadBuffer(rel, TSDB_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_SHARE);
	metapage = BufferGetPage(metabuf);
	tsdb_page_check(rel, metapage, TSDB_METAPAGE_BLKNO, TSDB_PAGE_META);
	blkno = TsdbPageGetMeta(metapage)->free_head;
	LockBuffer(metabuf, BUFFER_LOCK_UNLOCK);
	if (BlockNumberIsValid(blkno))
	{
		LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
		meta = TsdbPageGetMeta(metapage);
		blkno = meta->free_head;
	}
	if (!BlockNumberIsValid(blkno))
	{
		ReleaseBuffer(metabuf);
		LockRelationForExtension(rel, ExclusiveLock);
		buf = ReadBufferExtended(rel, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		UnlockRelationForExtension(rel, ExclusiveLock);
		return buf;
	}

	if (blkno == TSDB_METAPAGE_BLKNO || blkno >= RelationGetNumberOfBlocks(rel))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("free list of tsdb relation \"%s\" points to block %u, past its end",
						RelationGetRelationName(rel), blkno),
				 errhint("VACUUM the table to rebuild the free list.")));
	buf = ReadBuffer(rel, blkno);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	if (!TsdbPageIsType(page, TSDB_PAGE_FREE))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("free list of tsdb relation \"%s\" points to block %u, which is not free",
						RelationGetRelationName(rel), blkno),
				 errhint("VACUUM the table to rebuild the free list.")));
	xlrec.next = TsdbPageGetOpaque(page)->next;
	xlrec.nfree = meta->nfree > 0 ? meta->nfree - 1 : 0;
	xlrec.page_type = type;

	START_CRIT_SECTION();
	tsdb_page_apply_reuse(metapage, page, type, xlrec.next, xlrec.nfree);
	MarkBufferDirty(metabuf);
	MarkBufferDirty(buf);
	if (RelationNeedsWAL(rel))
	{
		XLogRecPtr	lsn;

		XLogBeginInsert();
		XLogRegisterData((char *) &xlrec, sizeof(xlrec));
		XLogRegisterBuffer(0, metabuf, REGBUF_STANDARD);
		XLogRegisterBuffer(1, buf, REGBUF_WILL_INIT | REGBUF_STANDARD);
		lsn = XLogInsert(TSDB_RMGR_ID, XLOG_TSDB_PAGE_REUSE);
		PageSetLSN(metapage, lsn);
		PageSetLSN(page, lsn);
	}
	END_CRIT_SECTION();
	UnlockReleaseBuffer(metabuf);
	return buf;
}

/* ---------------------------------------------------------------------
 * VACUUM
 * ---------------------------------------------------------------------
 */

static void
list_damaged(TsdbRecycle *rc, const char *detail)
{
	ereport(WARNING,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("free list of tsdb relation \"%s\" is damaged",
					RelationGetRelationName(rc->rel)),
			 errdetail("%s", detail),
			 errhint("VACUUM rebuilds it when it can lock the table; no data is lost.")));
	rc->list_broken = true;
	memset(rc->on_list, 0, rc->nblocks / 8 + 1);
}

/*
 * Note which pages the listed segments use and which are on the free list.
 * Call after the segment list was cleaned (removed entries' pages become
 * free), holding ShareUpdateExclusiveLock, which keeps compactions out.
 */
TsdbRecycle *
tsdb_recycle_begin(Relation rel, BlockNumber nblocks)
{
	TsdbRecycle *rc = palloc0(sizeof(TsdbRecycle));
	TsdbMetaPageData *meta = palloc(sizeof(TsdbMetaPageData));
	BlockNumber blkno;
	uint32		steps;
	uint32		i;

	rc->rel = rel;
	rc->nblocks = nblocks;
	rc->in_segment = palloc0(nblocks / 8 + 1);
	rc->on_list = palloc0(nblocks / 8 + 1);
	rc->cap = 64;
	rc->cand = palloc(sizeof(BlockNumber) * rc->cap);

	tsdb_read_meta(rel, meta);
	for (i = 0; i < meta->nsegments; i++)
	{
		const TsdbSegmentEntry *seg = &meta->segments[i];

		steps = 0;
		for (blkno = seg->first_block; BlockNumberIsValid(blkno);)
		{
			Buffer		buf;
			Page		page;

			if (++steps > seg->npages || blkno >= nblocks ||
				blkno == TSDB_METAPAGE_BLKNO)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("segment %u of tsdb relation \"%s\" has a broken page chain",
								seg->segment_id, RelationGetRelationName(rel))));
			BIT_SET(rc->in_segment, blkno);
			buf = ReadBuffer(rel, blkno);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(buf);
			tsdb_page_check(rel, page, blkno, TSDB_PAGE_SEGMENT);
			blkno = TsdbPageGetOpaque(page)->next;
			UnlockReleaseBuffer(buf);
		}
		/* and its directory's pages */
		if (seg->dir_pages > 0)
		{
			BlockNumber *dir = palloc(sizeof(BlockNumber) * seg->dir_pages);
			uint32		k;

			pfree(tsdb_segment_dir_read(rel, seg, nblocks, dir));
			for (k = 0; k < seg->dir_pages; k++)
				BIT_SET(rc->in_segment, dir[k]);
			pfree(dir);
		}
	}

	steps = 0;
	for (blkno = meta->free_head; BlockNumberIsValid(blkno);)
	{
		Buffer		buf;
		Page		page;
		bool		ok;

		if (blkno == TSDB_METAPAGE_BLKNO || blkno >= nblocks ||
			++steps > meta->nfree || BIT_TEST(rc->on_list, blkno))
		{
			list_damaged(rc, "Its chain leaves the relation, loops or is longer than its count.");
			break;
		}
		BIT_SET(rc->on_list, blkno);
		buf = ReadBuffer(rel, blkno);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		ok = TsdbPageIsType(page, TSDB_PAGE_FREE);
		blkno = TsdbPageGetOpaque(page)->next;
		UnlockReleaseBuffer(buf);
		if (!ok)
		{
			list_damaged(rc, "It links a page that is not free.");
			break;
		}
	}
	pfree(meta);
	return rc;
}

/* Are all of a head page's runs dead?  (An empty one counts.) */
static bool
head_page_all_dead(Page page)
{
	TsdbRunHeader *run;

	TsdbForEachRun(run, page)
	{
		if (!(run->flags & TSDB_RUN_DEAD))
			return false;
	}
	return true;
}

/*
 * May this page (locked by the caller, head pages already vacuumed) go on
 * the free list?
 */
bool
tsdb_recycle_page_is_free(TsdbRecycle *rc, Page page, BlockNumber blkno)
{
	if (blkno == TSDB_METAPAGE_BLKNO)
		return false;
	if (PageIsNew(page))
		return true;
	if (TsdbPageIsType(page, TSDB_PAGE_HEAD))
		return head_page_all_dead(page);
	if (TsdbPageIsType(page, TSDB_PAGE_SEGMENT) ||
		TsdbPageIsType(page, TSDB_PAGE_SEGDIR))
		return blkno >= rc->nblocks || !BIT_TEST(rc->in_segment, blkno);
	if (TsdbPageIsType(page, TSDB_PAGE_FREE))
		return blkno >= rc->nblocks || !BIT_TEST(rc->on_list, blkno);
	return false;
}

void
tsdb_recycle_add(TsdbRecycle *rc, BlockNumber blkno)
{
	if (rc->ncand >= rc->cap)
	{
		rc->cap *= 2;
		rc->cand = repalloc_huge(rc->cand, sizeof(BlockNumber) * rc->cap);
	}
	rc->cand[rc->ncand++] = blkno;
}

/*
 * Put one page on the list, after checking again under the locks that it is
 * free (inserters may have written to a head page since the pass).  In a
 * rebuild, pages already free are accepted, and the first one starts a new
 * list ("reset").
 */
static bool
push_page(TsdbRecycle *rc, BlockNumber blkno, bool rebuild, bool reset)
{
	Relation	rel = rc->rel;
	Buffer		metabuf;
	Buffer		buf;
	Page		metapage;
	Page		page;
	TsdbMetaPage meta;
	xl_tsdb_page_free xlrec;

	metabuf = ReadBuffer(rel, TSDB_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	metapage = BufferGetPage(metabuf);
	meta = TsdbPageGetMeta(metapage);
	buf = ReadBuffer(rel, blkno);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	if (!(tsdb_recycle_page_is_free(rc, page, blkno) ||
		  (rebuild && TsdbPageIsType(page, TSDB_PAGE_FREE))))
	{
		UnlockReleaseBuffer(buf);
		UnlockReleaseBuffer(metabuf);
		return false;
	}
	xlrec.next = reset ? InvalidBlockNumber : meta->free_head;
	xlrec.nfree = reset ? 1 : meta->nfree + 1;

	START_CRIT_SECTION();
	tsdb_page_apply_free(metapage, page, blkno, xlrec.next, xlrec.nfree);
	MarkBufferDirty(metabuf);
	MarkBufferDirty(buf);
	if (RelationNeedsWAL(rel))
	{
		XLogRecPtr	lsn;

		XLogBeginInsert();
		XLogRegisterData((char *) &xlrec, sizeof(xlrec));
		XLogRegisterBuffer(0, metabuf, REGBUF_STANDARD);
		XLogRegisterBuffer(1, buf, REGBUF_WILL_INIT | REGBUF_STANDARD);
		lsn = XLogInsert(TSDB_RMGR_ID, XLOG_TSDB_PAGE_FREE);
		PageSetLSN(metapage, lsn);
		PageSetLSN(page, lsn);
	}
	END_CRIT_SECTION();
	UnlockReleaseBuffer(buf);
	UnlockReleaseBuffer(metabuf);
	return true;
}

static int
block_cmp_desc(const void *a, const void *b)
{
	BlockNumber x = *(const BlockNumber *) a;
	BlockNumber y = *(const BlockNumber *) b;

	return (x < y) ? 1 : (x > y) ? -1 : 0;
}

/*
 * Under AccessExclusiveLock: no reader, inserter or pop runs.  Find where
 * the trailing free pages begin, rebuild the list from the free pages below
 * it (lowest first) and cut the relation there.  Returns the new size.
 */
static BlockNumber
rebuild_and_truncate(TsdbRecycle *rc, bits8 *freeable, uint32 *recycled,
					 uint32 *truncated)
{
	Relation	rel = rc->rel;
	BlockNumber nblocks = RelationGetNumberOfBlocks(rel);
	BlockNumber end = nblocks;
	BlockNumber blkno;
	bool		first = true;

	/* the relation cannot have grown: we hold the lock since we looked */
	while (end > TSDB_METAPAGE_BLKNO + 1 && end <= rc->nblocks &&
		   BIT_TEST(freeable, end - 1))
	{
		Buffer		buf = ReadBuffer(rel, end - 1);
		Page		page;
		bool		ok;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		ok = tsdb_recycle_page_is_free(rc, page, end - 1) ||
			TsdbPageIsType(page, TSDB_PAGE_FREE);
		UnlockReleaseBuffer(buf);
		if (!ok)
			break;
		end--;
	}

	for (blkno = end; blkno-- > TSDB_METAPAGE_BLKNO + 1;)
	{
		if (!BIT_TEST(freeable, blkno))
			continue;
		CHECK_FOR_INTERRUPTS();
		if (push_page(rc, blkno, true, first))
		{
			first = false;
			if (!BIT_TEST(rc->on_list, blkno))
				(*recycled)++;
		}
	}
	if (first)
	{
		/* nothing free below the cut: the list becomes empty */
		Buffer		metabuf = ReadBuffer(rel, TSDB_METAPAGE_BLKNO);
		Page		metapage;

		LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
		metapage = BufferGetPage(metabuf);
		if (BlockNumberIsValid(TsdbPageGetMeta(metapage)->free_head))
		{
			xl_tsdb_page_reuse xlrec;

			/* a "reuse" of no page: the list head and count only */
			xlrec.next = InvalidBlockNumber;
			xlrec.nfree = 0;
			xlrec.page_type = 0;
			START_CRIT_SECTION();
			tsdb_page_apply_reuse(metapage, NULL, 0, InvalidBlockNumber, 0);
			MarkBufferDirty(metabuf);
			if (RelationNeedsWAL(rel))
			{
				XLogRecPtr	lsn;

				XLogBeginInsert();
				XLogRegisterData((char *) &xlrec, sizeof(xlrec));
				XLogRegisterBuffer(0, metabuf, REGBUF_STANDARD);
				lsn = XLogInsert(TSDB_RMGR_ID, XLOG_TSDB_PAGE_REUSE);
				PageSetLSN(metapage, lsn);
			}
			END_CRIT_SECTION();
		}
		UnlockReleaseBuffer(metabuf);
	}
	if (end < nblocks)
	{
		*truncated = nblocks - end;
		RelationTruncate(rel, end);
	}
	return end;
}

/*
 * Put the candidates on the free list and, when the table can be locked
 * without waiting, truncate the free pages at its end.  Returns the
 * relation's size afterwards.
 */
BlockNumber
tsdb_recycle_finish(TsdbRecycle *rc, uint32 *recycled, uint32 *truncated)
{
	Relation	rel = rc->rel;
	bits8	   *freeable = palloc0(rc->nblocks / 8 + 1);
	BlockNumber nblocks = RelationGetNumberOfBlocks(rel);
	BlockNumber tail = rc->nblocks;
	uint32		i;

	*recycled = 0;
	*truncated = 0;
	memcpy(freeable, rc->on_list, rc->nblocks / 8 + 1);
	for (i = 0; i < rc->ncand; i++)
		BIT_SET(freeable, rc->cand[i]);
	while (tail > TSDB_METAPAGE_BLKNO + 1 && BIT_TEST(freeable, tail - 1))
		tail--;

	/*
	 * Truncating, or rebuilding a damaged list, needs the table to itself.
	 * Like heap's VACUUM, do not wait for it: the next VACUUM tries again.
	 */
	if (((tail < rc->nblocks && nblocks == rc->nblocks) || rc->list_broken) &&
		ConditionalLockRelation(rel, AccessExclusiveLock))
	{
		nblocks = rebuild_and_truncate(rc, freeable, recycled, truncated);
		UnlockRelation(rel, AccessExclusiveLock);
	}
	else
	{
		/* descending, so that the lowest block ends at the head */
		qsort(rc->cand, rc->ncand, sizeof(BlockNumber), block_cmp_desc);
		for (i = 0; i < rc->ncand; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (push_page(rc, rc->cand[i], false, false))
				(*recycled)++;
		}
	}
	pfree(freeable);
	return nblocks;
}
