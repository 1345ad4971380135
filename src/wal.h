/*-------------------------------------------------------------------------
 *
 * wal.h
 *	  WAL records of the tsdb resource manager.
 *
 * One record type per logical change.  Redo never reads GUCs or catalogs:
 * everything it needs is in the record.  The record type lives in the high
 * nibble of the info byte (XLR_RMGR_INFO_MASK), so there can be 16.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_WAL_H
#define TSDB_WAL_H

#include "access/xlogreader.h"
#include "lib/stringinfo.h"

#define XLOG_TSDB_INIT_META		0x00
#define XLOG_TSDB_NEW_SERIES	0x10
#define XLOG_TSDB_HEAD_APPEND	0x20
#define XLOG_TSDB_FREEZE		0x30
#define XLOG_TSDB_SEGMENT_PAGE	0x40
#define XLOG_TSDB_HEAD_CONSUME	0x50
#define XLOG_TSDB_SEGMENT_LIST	0x60
#define XLOG_TSDB_PAGE_FREE		0x70
#define XLOG_TSDB_PAGE_REUSE	0x80

/*
 * INIT_META: block 0 is (re)initialized from the record alone (WILL_INIT).
 * Written when storage is created or truncated in place.
 */
typedef struct xl_tsdb_init_meta
{
	uint64		storage_id;
	uint32		version;
} xl_tsdb_init_meta;

/*
 * NEW_SERIES: a series dictionary entry.
 *	block 0: metapage (next_series_id, dict_first/dict_last)
 *	block 1: dictionary page, block data = the entry bytes; WILL_INIT when
 *			 XLH_NEW_SERIES_INIT_PAGE is set
 *	block 2: previous last dictionary page, whose next link now points to
 *			 block 1 (only with XLH_NEW_SERIES_INIT_PAGE and an old tail)
 */
#define XLH_NEW_SERIES_INIT_PAGE	0x01
#define XLH_NEW_SERIES_LINK_PREV	0x02

typedef struct xl_tsdb_new_series
{
	uint32		series_id;
	uint8		flags;
} xl_tsdb_new_series;

/*
 * HEAD_APPEND: samples appended to a head page.
 *	block 0: the head page; block data = the bytes appended at pd_lower:
 *			 first nextend samples that extend the page's last run (at
 *			 run_offset), then nruns complete runs (header, then samples),
 *			 one per command of the appending (sub)transaction.  Without
 *			 nextend, run_offset is where the bytes start.  WILL_INIT with
 *			 XLH_APPEND_INIT_PAGE.  With XLH_APPEND_PACKED, every sample of
 *			 the data is in the packed form of compress_samples.c (one
 *			 stream for the whole record; run headers as they are), which
 *			 redo expands to the page's 20-byte samples.
 */
#define XLH_APPEND_INIT_PAGE	0x01
#define XLH_APPEND_NEW_RUN		0x02	/* nruns > 0 */
#define XLH_APPEND_PACKED		0x04	/* samples packed (compress_samples.c) */

typedef struct xl_tsdb_head_append
{
	uint16		flags;
	uint16		run_offset;		/* the run extended, or where data starts */
	uint16		nsamples;		/* samples in this record */
	uint16		nextend;		/* of them, extending the last run */
	uint16		nruns;			/* new runs in the data */
} xl_tsdb_head_append;

/*
 * FREEZE: run flags set by VACUUM on one head page.  Written without an xid
 * of its own, so VACUUM can freeze when xid assignment is no longer possible.
 *	block 0: head page; block data = nruns x xl_tsdb_freeze_run
 */
typedef struct xl_tsdb_freeze_run
{
	uint16		offset;
	uint16		set_flags;		/* TSDB_RUN_FROZEN, TSDB_RUN_DEAD, and/or
								 * XLH_FREEZE_CLEAR_XMAX */
} xl_tsdb_freeze_run;

/* not a run flag: reset an aborted compaction's xmax */
#define XLH_FREEZE_CLEAR_XMAX	0x8000

typedef struct xl_tsdb_freeze
{
	/*
	 * Newest xmin frozen, or xmax of a compacted run marked dead: standby
	 * snapshots that may still see it running must go.
	 */
	TransactionId conflict_xid;
	uint16		nruns;
} xl_tsdb_freeze;

/*
 * SEGMENT_PAGE: a segment page, written once, complete.
 *	block 0: the page, as a full-page image (REGBUF_FORCE_IMAGE)
 */

/*
 * HEAD_CONSUME: compaction moved runs of one head page into a segment.
 *	block 0: head page; block data = nruns x uint16 run offsets
 */
typedef struct xl_tsdb_head_consume
{
	TransactionId xmax;			/* the compacting (sub)transaction */
	uint16		nruns;
} xl_tsdb_head_consume;

/*
 * SEGMENT_LIST: the metapage's segment list replaced (a segment added,
 * retired entries removed, frozen).
 *	block 0: metapage; block data = nsegments x TsdbSegmentEntry
 */
typedef struct xl_tsdb_segment_list
{
	uint32		next_segment_id;
	uint32		nsegments;
	/* newest xmax of the removed entries: standby snapshots older must go */
	TransactionId latest_removed_xid;
} xl_tsdb_segment_list;

/*
 * PAGE_FREE: VACUUM put a page no snapshot needs on the free list.
 *	block 0: metapage (free_head = block 1, nfree)
 *	block 1: the page, reinitialized as an empty free page linking to
 *			 "next" (WILL_INIT)
 * Also used, under AccessExclusiveLock, to rebuild the list before the
 * relation is truncated: the first such record has next = invalid.
 */
typedef struct xl_tsdb_page_free
{
	BlockNumber next;
	uint32		nfree;
} xl_tsdb_page_free;

/*
 * PAGE_REUSE: a page taken off the free list.
 *	block 0: metapage (free_head = next, nfree)
 *	block 1: the page, reinitialized as an empty page of page_type
 *			 (WILL_INIT)
 */
typedef struct xl_tsdb_page_reuse
{
	BlockNumber next;
	uint32		nfree;
	uint16		page_type;
} xl_tsdb_page_reuse;

/* wal.c */
extern void tsdb_rmgr_register(void);
extern void tsdb_redo(XLogReaderState *record);
extern void tsdb_mask(char *pagedata, BlockNumber blkno);

/* wal_desc.c */
extern void tsdb_desc(StringInfo buf, XLogReaderState *record);
extern const char *tsdb_identify(uint8 info);

#endif							/* TSDB_WAL_H */
