/*-------------------------------------------------------------------------
 *
 * meta.h
 *	  Page layout shared by every tsdb page, and the metapage (block 0).
 *
 * A tsdb relation's main fork holds these kinds of pages, told apart by the
 * special space at the end of each page:
 *
 *	- block 0, the metapage: format version, storage id, the series
 *	  dictionary's first and last pages and the next series id;
 *	- series dictionary pages: append-only (series_id, labels) entries,
 *	  chained from the metapage;
 *	- head pages: runs of samples as inserted (see head.h);
 *	- segment pages: compressed chunks written by compaction (segment.h),
 *	  chained per segment; the metapage lists the segments;
 *	- segment directory pages: the block and first chunk of each page of
 *	  a big segment, chained from its entry (segment.h).
 *
 * All page contents sit between the page header and pd_lower, and pd_upper
 * stays at the special space, so full-page images taken with REGBUF_STANDARD
 * drop only the unused hole.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_META_H
#define TSDB_META_H

#include "storage/block.h"
#include "storage/bufpage.h"
#include "storage/relfilenode.h"
#include "utils/relcache.h"

#define TSDB_PAGE_ID			0xFD51	/* lets pg_filedump and checks tell our pages */
#define TSDB_META_MAGIC			0x54534442	/* "TSDB" */
#define TSDB_FORMAT_VERSION		5
#define TSDB_METAPAGE_BLKNO		0

typedef enum TsdbPageType
{
	TSDB_PAGE_META = 1,
	TSDB_PAGE_DICT = 2,
	TSDB_PAGE_HEAD = 3,
	TSDB_PAGE_SEGMENT = 4,
	TSDB_PAGE_FREE = 5,			/* recycled, on the free list (recycle.c) */
	TSDB_PAGE_SEGDIR = 6		/* a segment's directory (segment_dir.c) */
} TsdbPageType;

typedef struct TsdbPageOpaqueData
{
	BlockNumber next;			/* dictionary, segment and free pages: next
								 * one in the chain */
	uint16		nitems;			/* entries (dictionary) or samples (head) */
	uint16		page_type;		/* a TsdbPageType */
	uint16		last_run;		/* head pages: offset of the last run, or 0 */
	uint16		page_id;		/* TSDB_PAGE_ID */
	uint32		segment_id;		/* segment and directory pages: the
								 * segment's id */
} TsdbPageOpaqueData;

typedef TsdbPageOpaqueData *TsdbPageOpaque;

#define TsdbPageGetOpaque(page) \
	((TsdbPageOpaque) PageGetSpecialPointer(page))

/* Is this an initialized tsdb page of the given type?  (No error if not.) */
static inline bool
TsdbPageIsType(Page page, TsdbPageType type)
{
	return !PageIsNew(page) &&
		TsdbPageGetOpaque(page)->page_id == TSDB_PAGE_ID &&
		TsdbPageGetOpaque(page)->page_type == type;
}

/*
 * A segment, as listed in the metapage.  Its visibility follows MVCC like a
 * tuple's: created by the compaction with xid xmin at command cmin, retired
 * (merged into a newer segment) by xmax.
 */
typedef struct TsdbSegmentEntry
{
	uint32		segment_id;		/* never reused within a storage */
	BlockNumber first_block;	/* chain of segment pages */
	uint32		npages;
	uint16		flags;			/* TSDB_SEG_* */
	uint16		level;			/* merges it went through */
	TransactionId xmin;
	CommandId	cmin;
	TransactionId xmax;
	uint32		nseries;		/* chunks' distinct series */
	int64		min_ts;
	int64		max_ts;
	uint64		nsamples;
	BlockNumber dir_block;		/* its directory's chain, if dir_pages > 0 */
	uint32		dir_pages;		/* 0: no directory (a small segment) */
} TsdbSegmentEntry;

#define TSDB_SEG_XMIN_COMMITTED	0x0001	/* hints, masked for consistency */
#define TSDB_SEG_XMIN_INVALID	0x0002
#define TSDB_SEG_XMAX_COMMITTED	0x0004
#define TSDB_SEG_XMAX_INVALID	0x0008
#define TSDB_SEG_HINT_MASK		0x000F
#define TSDB_SEG_FROZEN			0x0010	/* WAL-logged: visible to everyone */

/*
 * The metapage lists at most this many segments; compaction merges every
 * live segment into its new one rather than go past it (compaction.c).
 */
#define TSDB_MAX_SEGMENTS		48

typedef struct TsdbMetaPageData
{
	uint32		magic;
	uint32		version;
	uint64		storage_id;		/* new for every new storage: keys caches */
	uint32		next_series_id;
	BlockNumber dict_first;		/* InvalidBlockNumber while there is none */
	BlockNumber dict_last;

	/*
	 * A head page that probably has room, for backends that have no
	 * insertion page of their own yet.  A hint only: not WAL-logged, masked
	 * for consistency checks, validated before use.
	 */
	BlockNumber head_hint;

	/* recycled pages, linked through their "next", lowest block first */
	BlockNumber free_head;
	uint32		nfree;

	uint32		next_segment_id;
	uint32		nsegments;
	TsdbSegmentEntry segments[TSDB_MAX_SEGMENTS];
} TsdbMetaPageData;

typedef TsdbMetaPageData *TsdbMetaPage;

#define TsdbPageGetMeta(page) ((TsdbMetaPage) PageGetContents(page))

extern void tsdb_page_init(Page page, TsdbPageType type);
extern void tsdb_meta_page_init(Page page, uint64 storage_id);
extern void tsdb_page_check(Relation rel, Page page, BlockNumber blkno,
							TsdbPageType type);
extern void tsdb_init_metapage(RelFileNode rnode, bool needs_wal);
extern void tsdb_read_meta(Relation rel, TsdbMetaPageData *meta);
extern void tsdb_meta_set_head_hint(Relation rel, BlockNumber blkno);
extern BlockNumber tsdb_meta_head_pages(Relation rel,
									   const TsdbMetaPageData *meta);
extern uint64 tsdb_new_storage_id(void);
extern void tsdb_meta_apply_segment_list(Page page, uint32 next_segment_id,
										 const TsdbSegmentEntry *segments,
										 uint32 nsegments);
extern void tsdb_meta_set_segment_list(Relation rel, uint32 next_segment_id,
									   const TsdbSegmentEntry *segments,
									   uint32 nsegments,
									   TransactionId latest_removed_xid);

#endif							/* TSDB_META_H */
