/*-------------------------------------------------------------------------
 *
 * meta.c
 *	  Page initialization and checks common to all tsdb pages, and the
 *	  metapage.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "access/xloginsert.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "meta.h"
#include "tsdb.h"
#include "wal.h"

/* Format an empty page of the given type. */
void
tsdb_page_init(Page page, TsdbPageType type)
{
	TsdbPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(TsdbPageOpaqueData));
	opaque = TsdbPageGetOpaque(page);
	opaque->next = InvalidBlockNumber;
	opaque->nitems = 0;
	opaque->last_run = 0;
	opaque->page_type = type;
	opaque->page_id = TSDB_PAGE_ID;
	opaque->segment_id = 0;
	((PageHeader) page)->pd_lower = MAXALIGN(SizeOfPageHeaderData);
}

void
tsdb_meta_page_init(Page page, uint64 storage_id)
{
	TsdbMetaPage meta;

	tsdb_page_init(page, TSDB_PAGE_META);
	meta = TsdbPageGetMeta(page);
	memset(meta, 0, sizeof(TsdbMetaPageData));
	meta->magic = TSDB_META_MAGIC;
	meta->version = TSDB_FORMAT_VERSION;
	meta->storage_id = storage_id;
	meta->next_series_id = 1;
	meta->dict_first = InvalidBlockNumber;
	meta->dict_last = InvalidBlockNumber;
	meta->head_hint = InvalidBlockNumber;
	meta->free_head = InvalidBlockNumber;
	meta->nfree = 0;
	meta->next_segment_id = 1;
	meta->nsegments = 0;
	((PageHeader) page)->pd_lower =
		MAXALIGN(SizeOfPageHeaderData) + sizeof(TsdbMetaPageData);
}

/*
 * Check that a page is a tsdb page of the expected type.  Damage here means
 * the relation is unusable, so say which relation and block.
 */
void
tsdb_page_check(Relation rel, Page page, BlockNumber blkno, TsdbPageType type)
{
	TsdbPageOpaque opaque;
	PageHeader	ph = (PageHeader) page;

	if (PageIsNew(page) ||
		ph->pd_special != BLCKSZ - MAXALIGN(sizeof(TsdbPageOpaqueData)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("tsdb relation \"%s\" has a corrupted page at block %u",
						RelationGetRelationName(rel), blkno),
				 errdetail("The page is not a tsdb page.")));
	opaque = TsdbPageGetOpaque(page);
	if (opaque->page_id != TSDB_PAGE_ID || opaque->page_type != type ||
		ph->pd_lower < MAXALIGN(SizeOfPageHeaderData) ||
		ph->pd_lower > ph->pd_upper || ph->pd_upper > ph->pd_special)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("tsdb relation \"%s\" has a corrupted page at block %u",
						RelationGetRelationName(rel), blkno),
				 errdetail("Expected page type %d, found type %d with page id 0x%04X.",
						   (int) type, (int) opaque->page_type, opaque->page_id)));
	if (type == TSDB_PAGE_META)
	{
		TsdbMetaPage meta = TsdbPageGetMeta(page);

		if (meta->magic != TSDB_META_MAGIC)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("tsdb relation \"%s\" has a corrupted metapage",
							RelationGetRelationName(rel))));
		if (meta->version != TSDB_FORMAT_VERSION)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("tsdb relation \"%s\" has storage format version %u, this library reads version %u",
							RelationGetRelationName(rel), meta->version,
							TSDB_FORMAT_VERSION)));
	}
}

/*
 * A storage id that no other storage of this cluster has had, so that caches
 * keyed by it can never serve another relation's (or an earlier truncated
 * incarnation's) data.  Relfilenode numbers are reused; this is not.
 */
uint64
tsdb_new_storage_id(void)
{
	uint64		id;

	if (!pg_strong_random(&id, sizeof(id)))
		id = ((uint64) GetCurrentTimestamp()) ^ ((uint64) MyProcPid << 40);
	return id == 0 ? 1 : id;
}

/*
 * Write a fresh metapage as block 0 of an empty main fork, through shared
 * buffers and WAL.  Works on a relfilenode the relcache does not point at
 * yet (TRUNCATE and rewrites create the new storage before the relcache
 * entry switches to it), so it takes the node, not the relation.  No one
 * else can see the new storage, so no extension lock is needed.
 */
void
tsdb_init_metapage(RelFileNode rnode, bool needs_wal)
{
	Buffer		buf;
	Page		page;
	xl_tsdb_init_meta xlrec;

	xlrec.storage_id = tsdb_new_storage_id();
	xlrec.version = TSDB_FORMAT_VERSION;

	buf = ReadBufferWithoutRelcache(rnode, MAIN_FORKNUM, P_NEW, RBM_NORMAL,
									NULL, true);
	if (BufferGetBlockNumber(buf) != TSDB_METAPAGE_BLKNO)
		elog(ERROR, "tsdb metapage of relfilenode %u is block %u, expected block 0",
			 rnode.relNode, BufferGetBlockNumber(buf));
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);

	START_CRIT_SECTION();
	tsdb_meta_page_init(page, xlrec.storage_id);
	MarkBufferDirty(buf);
	if (needs_wal)
	{
		XLogRecPtr	lsn;

		XLogBeginInsert();
		XLogRegisterData((char *) &xlrec, sizeof(xlrec));
		XLogRegisterBuffer(0, buf, REGBUF_WILL_INIT | REGBUF_STANDARD);
		lsn = XLogInsert(TSDB_RMGR_ID, XLOG_TSDB_INIT_META);
		PageSetLSN(page, lsn);
	}
	END_CRIT_SECTION();

	UnlockReleaseBuffer(buf);
}

/* Copy the metapage's contents under a share lock. */
void
tsdb_read_meta(Relation rel, TsdbMetaPageData *meta)
{
	Buffer		buf;
	Page		page;

	if (RelationGetNumberOfBlocks(rel) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("tsdb relation \"%s\" has no metapage",
						RelationGetRelationName(rel))));
	buf = ReadBuffer(rel, TSDB_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	tsdb_page_check(rel, page, TSDB_METAPAGE_BLKNO, TSDB_PAGE_META);
	memcpy(meta, TsdbPageGetMeta(page), sizeof(TsdbMetaPageData));
	UnlockReleaseBuffer(buf);
}

/*
 * About how many head pages the relation has: every block that is not the
 * metapage, a free page or a listed segment's (or its directory's).  Pages
 * of segments that left the list and wait for VACUUM count as head.
 */
BlockNumber
tsdb_meta_head_pages(Relation rel, const TsdbMetaPageData *meta)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(rel);
	BlockNumber other = 1 + meta->nfree;
	uint32		i;

	for (i = 0; i < meta->nsegments; i++)
		other += meta->segments[i].npages + meta->segments[i].dir_pages;
	return nblocks > other ? nblocks - other : 0;
}

/*
 * Remember a head page with room for backends that start inserting.  A hint:
 * set like a hint bit, without WAL.
 */
void
tsdb_meta_set_head_hint(Relation rel, BlockNumber blkno)
{
	Buffer		buf;
	Page		page;

	buf = ReadBuffer(rel, TSDB_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	tsdb_page_check(rel, page, TSDB_METAPAGE_BLKNO, TSDB_PAGE_META);
	if (TsdbPageGetMeta(page)->head_hint != blkno)
	{
		TsdbPageGetMeta(page)->head_hint = blkno;
		MarkBufferDirtyHint(buf, true);
	}
	UnlockReleaseBuffer(buf);
}

/* Replace the metapage's segment list (backend and redo). */
void
tsdb_meta_apply_segment_list(Page page, uint32 next_segment_id,
							 const TsdbSegmentEntry *segments, uint32 nsegments)
{
	TsdbMetaPage meta = TsdbPageGetMeta(page);

	Assert(nsegments <= TSDB_MAX_SEGMENTS);
	meta->next_segment_id = next_segment_id;
	meta->nsegments = nsegments;
	memcpy(meta->segments, segments, sizeof(TsdbSegmentEntry) * nsegments);
	memset(&meta->segments[nsegments], 0,
		   sizeof(TsdbSegmentEntry) * (TSDB_MAX_SEGMENTS - nsegments));
}

/*
 * WAL-log and install a new segment list.  No xid of its own is needed:
 * entries carry the xids that decide their visibility, and VACUUM freezes
 * through here too.
 */
void
tsdb_meta_set_segment_list(Relation rel, uint32 next_segment_id,
						   const TsdbSegmentEntry *segments, uint32 nsegments,
						   TransactionId latest_removed_xid)
{
	Buffer		buf;
	Page		page;
	xl_tsdb_segment_list xlrec;

	if (nsegments > TSDB_MAX_SEGMENTS)
		elog(ERROR, "tsdb segment list of %u entries exceeds %d",
			 nsegments, TSDB_MAX_SEGMENTS);
	buf = ReadBuffer(rel, TSDB_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	tsdb_page_check(rel, page, TSDB_METAPAGE_BLKNO, TSDB_PAGE_META);

	xlrec.next_segment_id = next_segment_id;
	xlrec.nsegments = nsegments;
	xlrec.latest_removed_xid = latest_removed_xid;

	START_CRIT_SECTION();
	tsdb_meta_apply_segment_list(page, next_segment_id, segments, nsegments);
	MarkBufferDirty(buf);
	if (RelationNeedsWAL(rel))
	{
		XLogRecPtr	lsn;

		XLogBeginInsert();
		XLogRegisterData((char *) &xlrec, sizeof(xlrec));
		XLogRegisterBuffer(0, buf, REGBUF_STANDARD);
		if (nsegments > 0)
			XLogRegisterBufData(0, (char *) segments,
								sizeof(TsdbSegmentEntry) * nsegments);
		lsn = XLogInsert(TSDB_RMGR_ID, XLOG_TSDB_SEGMENT_LIST);
		PageSetLSN(page, lsn);
	}
	END_CRIT_SECTION();
	UnlockReleaseBuffer(buf);
}
