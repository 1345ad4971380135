/*-------------------------------------------------------------------------
 *
 * wal.c
 *	  Redo and masking for the tsdb WAL resource manager.
 *
 * Redo runs in the startup process: no catalogs, no GUCs, ERROR is FATAL.
 * Everything comes from the record, and the page changes are made by the
 * same functions the inserting backend used, so primary and standby end up
 * with identical pages (wal_consistency_checking = 'tsdb' checks it).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/bufmask.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xlogutils.h"
#include "storage/bufmgr.h"
#include "storage/standby.h"

#include "head.h"
#include "meta.h"
#include "recycle.h"
#include "segment.h"
#include "series.h"
#include "tsdb.h"
#include "wal.h"

static void
redo_init_meta(XLogReaderState *record)
{
	xl_tsdb_init_meta *xlrec = (xl_tsdb_init_meta *) XLogRecGetData(record);
	Buffer		buf;
	Page		page;

	buf = XLogInitBufferForRedo(record, 0);
	page = BufferGetPage(buf);
	tsdb_meta_page_init(page, xlrec->storage_id);
	PageSetLSN(page, record->EndRecPtr);
	MarkBufferDirty(buf);
	UnlockReleaseBuffer(buf);
}

/*
 * The dictionary page first, then the link from the old tail, then the
 * metapage: a hot-standby reader following the chain sees a consistent
 * dictionary at every step.
 */
static void
redo_new_series(XLogReaderState *record)
{
	xl_tsdb_new_series *xlrec = (xl_tsdb_new_series *) XLogRecGetData(record);
	Buffer		buf;
	BlockNumber dict_blkno;

	XLogRecGetBlockTag(record, 1, NULL, NULL, &dict_blkno);

	if (xlrec->flags & XLH_NEW_SERIES_INIT_PAGE)
	{
		Size		len;
		char	   *data;
		Page		page;

		buf = XLogInitBufferForRedo(record, 1);
		page = BufferGetPage(buf);
		tsdb_dict_page_init(page);
		data = XLogRecGetBlockData(record, 1, &len);
		tsdb_dict_apply_entry(page, data, len);
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}
	else if (XLogReadBufferForRedo(record, 1, &buf) == BLK_NEEDS_REDO)
	{
		Size		len;
		char	   *data = XLogRecGetBlockData(record, 1, &len);
		Page		page = BufferGetPage(buf);

		tsdb_dict_apply_entry(page, data, len);
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}
	else if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);

	if (xlrec->flags & XLH_NEW_SERIES_LINK_PREV)
	{
		if (XLogReadBufferForRedo(record, 2, &buf) == BLK_NEEDS_REDO)
		{
			Page		page = BufferGetPage(buf);

			TsdbPageGetOpaque(page)->next = dict_blkno;
			PageSetLSN(page, record->EndRecPtr);
			MarkBufferDirty(buf);
		}
		if (BufferIsValid(buf))
			UnlockReleaseBuffer(buf);
	}

	if (XLogReadBufferForRedo(record, 0, &buf) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		TsdbMetaPage meta = TsdbPageGetMeta(page);

		if (meta->next_series_id <= xlrec->series_id)
			meta->next_series_id = xlrec->series_id + 1;
		if (xlrec->flags & XLH_NEW_SERIES_INIT_PAGE)
		{
			if (!BlockNumberIsValid(meta->dict_first))
				meta->dict_first = dict_blkno;
			meta->dict_last = dict_blkno;
		}
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
}

static void
redo_head_append(XLogReaderState *record)
{
	xl_tsdb_head_append *xlrec = (xl_tsdb_head_append *) XLogRecGetData(record);
	Buffer		buf;
	Page		page;
	Size		len;
	char	   *data;
	static PGAlignedBlock unpacked;

	if (xlrec->flags & XLH_APPEND_INIT_PAGE)
	{
		buf = XLogInitBufferForRedo(record, 0);
		page = BufferGetPage(buf);
		tsdb_head_page_init(page);
	}
	else if (XLogReadBufferForRedo(record, 0, &buf) != BLK_NEEDS_REDO)
	{
		if (BufferIsValid(buf))
			UnlockReleaseBuffer(buf);
		return;
	}
	page = BufferGetPage(buf);
	data = XLogRecGetBlockData(record, 0, &len);
	if (xlrec->flags & XLH_APPEND_PACKED)
	{
		len = tsdb_head_unpack_append(xlrec, data, len, unpacked.data);
		data = unpacked.data;
	}
	tsdb_head_apply_append(page, xlrec, data, len);
	PageSetLSN(page, record->EndRecPtr);
	MarkBufferDirty(buf);
	UnlockReleaseBuffer(buf);
}

static void
redo_freeze(XLogReaderState *record)
{
	xl_tsdb_freeze *xlrec = (xl_tsdb_freeze *) XLogRecGetData(record);
	Buffer		buf;

	/*
	 * Frozen runs become visible to every snapshot, and compacted runs
	 * marked dead vanish; a standby query whose snapshot still thinks the
	 * xmin, or the compaction's xmax, is running must not see that happen.
	 */
	if (InHotStandby && TransactionIdIsValid(xlrec->conflict_xid))
	{
		RelFileNode rnode;

		XLogRecGetBlockTag(record, 0, &rnode, NULL, NULL);
		ResolveRecoveryConflictWithSnapshot(xlrec->conflict_xid, rnode);
	}

	if (XLogReadBufferForRedo(record, 0, &buf) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		Size		len;
		xl_tsdb_freeze_run *runs;
		int			i;

		runs = (xl_tsdb_freeze_run *) XLogRecGetBlockData(record, 0, &len);
		if (len != sizeof(xl_tsdb_freeze_run) * xlrec->nruns)
			elog(PANIC, "tsdb freeze record has %zu bytes for %u runs",
				 len, xlrec->nruns);
		for (i = 0; i < xlrec->nruns; i++)
		{
			TsdbRunHeader *run;

			if (runs[i].offset < MAXALIGN(SizeOfPageHeaderData) ||
				runs[i].offset + TSDB_RUN_HEADER_SIZE > ((PageHeader) page)->pd_lower)
				elog(PANIC, "tsdb freeze record points past the page's runs");
			run = (TsdbRunHeader *) ((char *) page + runs[i].offset);
			tsdb_run_apply_freeze(run, runs[i].set_flags);
		}
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
}

static void
redo_segment_page(XLogReaderState *record)
{
	Buffer		buf;

	if (XLogReadBufferForRedo(record, 0, &buf) != BLK_RESTORED)
		elog(PANIC, "tsdb segment page record without its page image");
	UnlockReleaseBuffer(buf);
}

static void
redo_head_consume(XLogReaderState *record)
{
	xl_tsdb_head_consume *xlrec = (xl_tsdb_head_consume *) XLogRecGetData(record);
	Buffer		buf;

	if (XLogReadBufferForRedo(record, 0, &buf) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		Size		len;
		uint16	   *offsets = (uint16 *) XLogRecGetBlockData(record, 0, &len);

		if (len != sizeof(uint16) * xlrec->nruns)
			elog(PANIC, "tsdb consume record has %zu bytes for %u runs",
				 len, xlrec->nruns);
		tsdb_head_apply_consume(page, xlrec->xmax, offsets, xlrec->nruns);
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
}

static void
redo_segment_list(XLogReaderState *record)
{
	xl_tsdb_segment_list *xlrec = (xl_tsdb_segment_list *) XLogRecGetData(record);
	Buffer		buf;

	/* removed segments' pages may be reused: queries that see them must go */
	if (InHotStandby && TransactionIdIsValid(xlrec->latest_removed_xid))
	{
		RelFileNode rnode;

		XLogRecGetBlockTag(record, 0, &rnode, NULL, NULL);
		ResolveRecoveryConflictWithSnapshot(xlrec->latest_removed_xid, rnode);
	}
	if (XLogReadBufferForRedo(record, 0, &buf) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		Size		len;
		char	   *data = XLogRecGetBlockData(record, 0, &len);

		if (len != sizeof(TsdbSegmentEntry) * xlrec->nsegments ||
			xlrec->nsegments > TSDB_MAX_SEGMENTS)
			elog(PANIC, "tsdb segment list record has %zu bytes for %u segments",
				 len, xlrec->nsegments);
		tsdb_meta_apply_segment_list(page, xlrec->next_segment_id,
									 (TsdbSegmentEntry *) data,
									 xlrec->nsegments);
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
}

/*
 * PAGE_FREE and PAGE_REUSE: the metapage's list head and count, and the
 * page reinitialized from the record alone.  PAGE_REUSE without block 1
 * only empties the list (a rebuild that found nothing to keep).
 */
static void
redo_page_list(XLogReaderState *record, bool is_free)
{
	Buffer		metabuf;
	Buffer		buf = InvalidBuffer;
	Page		metapage = NULL;
	Page		page = NULL;
	BlockNumber blkno = InvalidBlockNumber;

	if (XLogReadBufferForRedo(record, 0, &metabuf) == BLK_NEEDS_REDO)
		metapage = BufferGetPage(metabuf);
	if (XLogRecHasBlockRef(record, 1))
	{
		XLogRecGetBlockTag(record, 1, NULL, NULL, &blkno);
		buf = XLogInitBufferForRedo(record, 1);
		page = BufferGetPage(buf);
	}
	if (is_free)
	{
		xl_tsdb_page_free *xlrec = (xl_tsdb_page_free *) XLogRecGetData(record);

		if (page == NULL)
			elog(PANIC, "tsdb page free record without its page");
		tsdb_page_apply_free(metapage, page, blkno, xlrec->next, xlrec->nfree);
	}
	else
	{
		xl_tsdb_page_reuse *xlrec = (xl_tsdb_page_reuse *) XLogRecGetData(record);

		tsdb_page_apply_reuse(metapage, page, (TsdbPageType) xlrec->page_type,
							  xlrec->next, xlrec->nfree);
	}
	if (metapage)
	{
		PageSetLSN(metapage, record->EndRecPtr);
		MarkBufferDirty(metabuf);
	}
	if (page)
	{
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}
	if (BufferIsValid(metabuf))
		UnlockReleaseBuffer(metabuf);
}

void
tsdb_redo(XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & XLR_RMGR_INFO_MASK;

	switch (info)
	{
		case XLOG_TSDB_INIT_META:
			redo_init_meta(record);
			break;
		case XLOG_TSDB_NEW_SERIES:
			redo_new_series(record);
			break;
		case XLOG_TSDB_HEAD_APPEND:
			redo_head_append(record);
			break;
		case XLOG_TSDB_FREEZE:
			redo_freeze(record);
			break;
		case XLOG_TSDB_SEGMENT_PAGE:
			redo_segment_page(record);
			break;
		case XLOG_TSDB_HEAD_CONSUME:
			redo_head_consume(record);
			break;
		case XLOG_TSDB_SEGMENT_LIST:
			redo_segment_list(record);
			break;
		case XLOG_TSDB_PAGE_FREE:
			redo_page_list(record, true);
			break;
		case XLOG_TSDB_PAGE_REUSE:
			redo_page_list(record, false);
			break;
		default:
			elog(PANIC, "tsdb_redo: unknown record type %u", info);
	}
}

/*
 * Mask what may legitimately differ between primary and standby: LSN and
 * checksum, the unused hole, run hint flags and the metapage's head hint.
 */
void
tsdb_mask(char *pagedata, BlockNumber blkno)
{
	Page		page = (Page) pagedata;
	TsdbPageOpaque opaque;

	mask_page_lsn_and_checksum(page);
	mask_page_hint_bits(page);
	mask_unused_space(page);

	if (PageIsNew(page))
		return;
	opaque = TsdbPageGetOpaque(page);
	if (opaque->page_id != TSDB_PAGE_ID)
		return;
	if (opaque->page_type == TSDB_PAGE_META)
	{
		TsdbMetaPage meta = TsdbPageGetMeta(page);
		uint32		i;

		meta->head_hint = InvalidBlockNumber;
		for (i = 0; i < meta->nsegments && i < TSDB_MAX_SEGMENTS; i++)
			meta->segments[i].flags &= ~TSDB_SEG_HINT_MASK;
	}
	else if (opaque->page_type == TSDB_PAGE_HEAD)
	{
		char	   *p = TsdbHeadFirstRun(page);
		char	   *end = TsdbHeadEnd(page);

		while (p + TSDB_RUN_HEADER_SIZE <= end)
		{
			TsdbRunHeader *run = (TsdbRunHeader *) p;

			run->flags &= ~TSDB_RUN_HINT_MASK;
			p = (char *) TsdbRunNext(run);
		}
	}
}

static RmgrData tsdb_rmgr = {
	.rm_name = TSDB_RMGR_NAME,
	.rm_redo = tsdb_redo,
	.rm_desc = tsdb_desc,
	.rm_identify = tsdb_identify,
	.rm_startup = NULL,
	.rm_cleanup = NULL,
	.rm_mask = tsdb_mask,
	.rm_decode = NULL
};

void
tsdb_rmgr_register(void)
{
	RegisterCustomRmgr(TSDB_RMGR_ID, &tsdb_rmgr);
}
