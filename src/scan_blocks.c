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
 * segment, per relation and storage id: a chain is walked once per backend,
 * and a query only reads the blocks of segments new to it.
 *
 * Chunks are ordered by (series, min_ts) across a segment's chain, so with
 * the first series of every page (the series of its base), the pages that
 * can hold a series are known without reading them: a directory, kept in
 * the same place.
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
	BlockNumber *blocks;		/* in chain order */
	uint32	   *first_series;	/* of each page */
	uint32		nblocks;
} SegPages;

typedef struct RelSegPages
{
	RelFileNode node;			/* hash key */
	uint64		storage_id;
	MemoryContext cxt;
	SegPages   *segs;
	int			nsegs;
} RelSegPages;

static HTAB *seg_pages = NULL;

typedef struct Collect
{
	BlockNumber *blocks;
	uint32	   *first_series;
	uint32		n;
	uint32		cap;
} Collect;

static bool
collect_page(Relation rel, Page page, BlockNumber blkno,
			 const uint16 *offsets, int n, void *arg)
{
	Collect    *c = arg;
	uint32		first;

	if (c->n >= c->cap)
	{
		c->cap = Max(c->cap * 2, 16);
		c->blocks = repalloc(c->blocks, sizeof(BlockNumber) * c->cap);
		c->first_series = repalloc(c->first_series, sizeof(uint32) * c->cap);
	}
	if (n > 0)
	{
		TsdbChunkInfo info;

		tsdb_chunk_info(rel, page, blkno, offsets[0], &info);
		first = info.series_id;
	}
	else
		first = c->n > 0 ? c->first_series[c->n - 1] : 0;	/* keeps order */
	c->blocks[c->n] = blkno;
	c->first_series[c->n] = first;
	c->n++;
	return true;
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
	}
	return e;
}

/*
 * A bitmap of nblocks bits (palloc'd in the current context): set for the
 * pages of every segment the metapage lists now.
 */
bits8 *
tsdb_segment_page_map(Relation rel, BlockNumber nblocks)
{
	TsdbMetaPageData *meta = palloc(sizeof(TsdbMetaPageData));
	bits8	   *map = palloc0(nblocks / 8 + 1);
	RelSegPages *e;
	SegPages   *segs;
	MemoryContext old;
	uint32		i;

	tsdb_read_meta(rel, meta);
	e = rel_entry(rel, meta->storage_id);

	/* the listed segments' pages: remembered, or read from their chains */
	segs = MemoryContextAllocZero(e->cxt,
								  sizeof(SegPages) * Max(meta->nsegments, 1));
	for (i = 0; i < meta->nsegments; i++)
	{
		const TsdbSegmentEntry *seg = &meta->segments[i];
		int			j;

		segs[i].segment_id = seg->segment_id;
		for (j = 0; j < e->nsegs; j++)
			if (e->segs[j].segment_id == seg->segment_id &&
				e->segs[j].blocks != NULL)
			{
				segs[i] = e->segs[j];
				e->segs[j].blocks = NULL;	/* moved */
				break;
			}
		if (j == e->nsegs && BlockNumberIsValid(seg->first_block))
		{
			Collect		c = {NULL, NULL, 0, 16};

			old = MemoryContextSwitchTo(e->cxt);
			c.blocks = palloc(sizeof(BlockNumber) * c.cap);
			c.first_series = palloc(sizeof(uint32) * c.cap);
			MemoryContextSwitchTo(old);
			tsdb_segment_foreach_page(rel, seg, NULL, InvalidBlockNumber,
									  collect_page, &c);
			segs[i].blocks = c.blocks;
			segs[i].first_series = c.first_series;
			segs[i].nblocks = c.n;
		}
	}
	/* forget the segments that left the list */
	for (i = 0; i < (uint32) e->nsegs; i++)
		if (e->segs[i].blocks)
		{
			pfree(e->segs[i].blocks);
			pfree(e->segs[i].first_series);
		}
	if (e->segs)
		pfree(e->segs);
	e->segs = segs;
	e->nsegs = meta->nsegments;

	for (i = 0; i < (uint32) e->nsegs; i++)
	{
		uint32		k;

		for (k = 0; k < segs[i].nblocks; k++)
		{
			BlockNumber b = segs[i].blocks[k];

			if (b < nblocks)
				map[b / 8] |= (bits8) (1 << (b % 8));
		}
	}
	pfree(meta);
	return map;
}

/*
 * The directory of a segment listed when tsdb_segment_page_map() last ran
 * for this relation: its pages in chain order and the first series of
 * each.  False if it is not known.
 */
bool
tsdb_segment_directory(Relation rel, uint32 segment_id, uint32 *npages,
					   const BlockNumber **blocks, const uint32 **first_series)
{
	RelSegPages *e;
	int			i;

	if (seg_pages == NULL)
		return false;
	e = hash_search(seg_pages, &rel->rd_node, HASH_FIND, NULL);
	if (e == NULL)
		return false;
	for (i = 0; i < e->nsegs; i++)
		if (e->segs[i].segment_id == segment_id && e->segs[i].blocks != NULL)
		{
			*npages = e->segs[i].nblocks;
			*blocks = e->segs[i].blocks;
			*first_series = e->segs[i].first_series;
			return true;
		}
	return false;
}
