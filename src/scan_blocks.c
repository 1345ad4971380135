/*-------------------------------------------------------------------------
 *
 * scan_blocks.c
 *	  Which blocks of a relation are pages of its listed segments, so that
 *	  TsdbScan reads only the other blocks when it looks for head pages,
 *	  and each segment page's first series, so that it reads only the
 *	  pages of a segment that can hold the series it wants.
 *
 * Head pages are not listed anywhere: a scan finds them by reading every
 * block that could be one.  Segment pages are most of a compacted table, and
 * reading each of them once per query to find out that it is a segment page
 * would cost a one-series query the whole table.  But a segment's pages
 * never change while the metapage lists it (VACUUM recycles them only after
 * the entry left the list, recycle.c), and segment ids are never reused
 * within a storage, so each backend remembers the pages of each listed
 * segment, per relation and storage id, and a query only reads the
 * directories (or chains) of segments new to it.
 *
 * Chunks are ordered by (series, min_ts) across a segment's chain, so with
 * the series and min_ts of every page's first chunk, the pages that can
 * hold a series in a time range are known without reading them: the
 * segment's directory, read from its directory pages (segment_dir.c) when
 * it has them, else built by walking the chain, and kept in the same place.
 * So a backend's first query of a big segment reads its few directory
 * pages, not all of its pages.
 *
 * A block of a listed segment cannot hold a run a snapshot sees: it became
 * a segment page before it was listed, and a page recycled after the entry
 * left the list gets only runs inserted after the list was read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "meta.h"
#include "scan.h"
#include "segment.h"

typedef struct SegPages
{
	uint32		segment_id;
	TsdbSegmentDirEntry *pages; /* in chain order */
	uint32		npages;
	BlockNumber *dir_blocks;	/* the on-disk directory's own pages */
	uint32		ndir;
} SegPages;

typedef struct RelSegPages
{
	RelFileNode node;			/* hash key */
	uint64		storage_id;
	MemoryContext cxt;
	SegPages   *segs;
	int			nsegs;

	/*
	 * Blocks 1 .. head_nblocks-1 that are not pages of the listed segments,
	 * as of the last call; recomputed when the list or the size changes.
	 */
	BlockNumber *head_blocks;
	uint32		nhead;
	BlockNumber head_nblocks;
	bool		head_valid;
} RelSegPages;

static HTAB *seg_pages = NULL;

typedef struct Collect
{
	TsdbSegmentDirEntry *pages;
	uint32		n;
	uint32		cap;
} Collect;

/* A segment without a directory on disk: note each page as it is walked. */
static bool
collect_page(Relation rel, Page page, BlockNumber blkno,
			 const uint16 *offsets, int n, void *arg)
{
	Collect    *c = arg;
	TsdbSegmentDirEntry *e;

	if (c->n >= c->cap)
	{
		c->cap = Max(c->cap * 2, 16);
		c->pages = repalloc_huge(c->pages, sizeof(TsdbSegmentDirEntry) * c->cap);
	}
	e = &c->pages[c->n];
	e->blkno = blkno;
	if (n > 0)
	{
		TsdbChunkInfo info;

		tsdb_chunk_info(rel, page, blkno, offsets[0], &info);
		e->series_id = info.series_id;
		e->min_ts = info.min_ts;
	}
	else
	{
		/* keeps the keys in order */
		e->series_id = c->n > 0 ? c->pages[c->n - 1].series_id : 0;
		e->min_ts = c->n > 0 ? c->pages[c->n - 1].min_ts : PG_INT64_MIN;
	}
	c->n++;
	return true;
}

/* Read a segment's directory, or build it by walking its chain. */
static void
load_segment(Relation rel, const TsdbSegmentEntry *seg, BlockNumber nblocks,
			 MemoryContext cxt, SegPages *sp)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);

	sp->segment_id = seg->segment_id;
	if (seg->dir_pages > 0)
	{
		sp->dir_blocks = palloc(sizeof(BlockNumber) * seg->dir_pages);
		sp->pages = tsdb_segment_dir_read(rel, seg, nblocks, sp->dir_blocks);
		sp->npages = seg->npages;
		sp->ndir = seg->dir_pages;
	}
	else
	{
		Collect		c = {NULL, 0, 16};

		c.pages = palloc(sizeof(TsdbSegmentDirEntry) * c.cap);
		MemoryContextSwitchTo(old);
		tsdb_segment_foreach_page(rel, seg, NULL, nblocks, collect_page, &c);
		sp->pages = c.pages;
		sp->npages = c.n;
		sp->dir_blocks = NULL;
		sp->ndir = 0;
	}
	MemoryContextSwitchTo(old);
}

static RelSegPages *
rel_entry(Relation rel, uint64 storage_id)
{
	RelSegPages *e;
	bool		found;

	if (seg_pages == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(RelFileNode);
		ctl.entrysize = sizeof(RelSegPages);
		seg_pages = hash_create("tsdb segment pages", 16, &ctl,
								HASH_ELEM | HASH_BLOBS);
	}
	e = hash_search(seg_pages, &rel->rd_node, HASH_ENTER, &found);
	if (!found || e->storage_id != storage_id)
	{
		if (found)
			MemoryContextDelete(e->cxt);
		e->storage_id = storage_id;
		e->cxt = AllocSetContextCreate(TopMemoryContext, "tsdb segment pages",
									   ALLOCSET_SMALL_SIZES);
		e->segs = NULL;
		e->nsegs = 0;
		e->head_blocks = NULL;
		e->nhead = 0;
		e->head_valid = false;
	}
	return e;
}

/* Bring e's segments in line with the metapage's list; true if it changed. */
static bool
sync_segments(Relation rel, RelSegPages *e, const TsdbMetaPageData *meta,
			  BlockNumber nblocks)
{
	SegPages   *segs;
	bool		changed;
	uint32		i;

	changed = (uint32) e->nsegs != meta->nsegments;
	for (i = 0; !changed && i < meta->nsegments; i++)
		changed = e->segs[i].segment_id != meta->segments[i].segment_id ||
			(e->segs[i].pages == NULL &&
			 BlockNumberIsValid(meta->segments[i].first_block));
	if (!changed)
		return false;

	/* the listed segments' pages: remembered, or read */
	segs = MemoryContextAllocZero(e->cxt,
								  sizeof(SegPages) * Max(meta->nsegments, 1));
	for (i = 0; i < meta->nsegments; i++)
	{
		const TsdbSegmentEntry *seg = &meta->segments[i];
		int			j;

		segs[i].segment_id = seg->segment_id;
		for (j = 0; j < e->nsegs; j++)
			if (e->segs[j].segment_id == seg->segment_id &&
				e->segs[j].pages != NULL)
			{
				segs[i] = e->segs[j];
				e->segs[j].pages = NULL;	/* moved */
				break;
			}
		if (j == e->nsegs && BlockNumberIsValid(seg->first_block))
			load_segment(rel, seg, nblocks, e->cxt, &segs[i]);
	}
	/* forget the segments that left the list */
	for (i = 0; i < (uint32) e->nsegs; i++)
		if (e->segs[i].pages)
		{
			pfree(e->segs[i].pages);
			if (e->segs[i].dir_blocks)
				pfree(e->segs[i].dir_blocks);
		}
	if (e->segs)
		pfree(e->segs);
	e->segs = segs;
	e->nsegs = meta->nsegments;
	return true;
}

/* The blocks below nblocks that are not pages of e's segments. */
static void
compute_head_blocks(RelSegPages *e, BlockNumber nblocks)
{
	bits8	   *map = palloc0(nblocks / 8 + 1);
	BlockNumber b;
	int			i;

	for (i = 0; i < e->nsegs; i++)
	{
		uint32		k;

		for (k = 0; k < e->segs[i].npages; k++)
		{
			b = e->segs[i].pages[k].blkno;
			if (b < nblocks)
				map[b / 8] |= (bits8) (1 << (b % 8));
		}
		for (k = 0; k < e->segs[i].ndir; k++)
		{
			b = e->segs[i].dir_blocks[k];
			if (b < nblocks)
				map[b / 8] |= (bits8) (1 << (b % 8));
		}
	}
	if (e->head_blocks)
		pfree(e->head_blocks);
	e->nhead = 0;
	e->head_blocks = MemoryContextAlloc(e->cxt,
										sizeof(BlockNumber) * Max(nblocks, 1));
	for (b = 1; b < nblocks; b++)
		if (!(map[b / 8] & (1 << (b % 8))))
			e->head_blocks[e->nhead++] = b;
	pfree(map);
	e->head_nblocks = nblocks;
	e->head_valid = true;
}

/*
 * The blocks 1 .. nblocks-1 that can hold head runs: every block but the
 * pages of the segments the metapage lists now, directories included, in
 * block order.  Also brings the directories of those segments up to date
 * for tsdb_segment_directory().  The array belongs to this module and
 * lasts until the next call for the same relation: callers copy it.
 */
const BlockNumber *
tsdb_head_candidates(Relation rel, BlockNumber nblocks, uint32 *n)
{
	TsdbMetaPageData *meta = palloc(sizeof(TsdbMetaPageData));
	RelSegPages *e;

	tsdb_read_meta(rel, meta);
	e = rel_entry(rel, meta->storage_id);
	if (sync_segments(rel, e, meta, nblocks) || !e->head_valid ||
		e->head_nblocks != nblocks)
		compute_head_blocks(e, nblocks);
	pfree(meta);
	*n = e->nhead;
	return e->head_blocks;
}

/*
 * The directory of a segment listed when tsdb_head_candidates() last ran
 * for this relation: its pages in chain order with the key of each one's
 * first chunk.  False if it is not known.
 */
bool
tsdb_segment_directory(Relation rel, uint32 segment_id, uint32 *npages,
					   const TsdbSegmentDirEntry **pages)
{
	RelSegPages *e;
	int			i;

	if (seg_pages == NULL)
		return false;
	e = hash_search(seg_pages, &rel->rd_node, HASH_FIND, NULL);
	if (e == NULL)
		return false;
	for (i = 0; i < e->nsegs; i++)
		if (e->segs[i].segment_id == segment_id && e->segs[i].pages != NULL)
		{
			*npages = e->segs[i].npages;
			*pages = e->segs[i].pages;
			return true;
		}
	return false;
}
