/*-------------------------------------------------------------------------
 *
 * scan_read.c
 *	  TsdbScan's reading: the samples of some series within a time range,
 *	  deciding from segment directories and chunk headers what not to read.
 *
 * At each (re)start, the segments the snapshot sees (the same rules as the
 * sequential scan: tsdb_visible_segments) are pruned by their time range.
 * A big segment's directory (scan_blocks.c) gives the key, (series,
 * min_ts), of the first chunk of each of its pages; chunks are ordered by
 * that key and one series' chunks do not overlap in time, so the pages
 * that can hold a series wanted in the range are found by binary search,
 * and only they are read.  A small segment has no directory: its chain is
 * walked up to the last series wanted.  The chunks that can match are
 * listed from their headers, without decoding.
 *
 * In any order, the listed chunks are decoded one at a time, then the head
 * pages are read one at a time (visible runs only, tsdb_head_page_read),
 * both filtered sample by sample.
 *
 * In time order (one series), the head's matching samples are read first
 * and sorted.  Segment pages and chunks then wait in a binary heap keyed
 * by the first timestamp, in the scan's direction, that they can hold; the
 * top one is read (a page: its chunks join the heap) or decoded and merged
 * in (a chunk) only while no sample ready to be returned comes strictly
 * before that key.  So the newest sample of a series costs one page and one
 * chunk (or none, when the head has one newer than every chunk), however
 * long the series.
 *
 * "Latest" mode returns, for each series wanted in id order, the samples
 * at its newest timestamp in the range: the head is read once, and each
 * series is then read as in descending order up to its first timestamp.
 * That is SELECT DISTINCT ON (series) ... ORDER BY series, ts DESC.
 *
 * A reader is made once per scan node; its buffers are kept across
 * rescans, since a nested loop restarts it once per outer row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "am.h"
#include "block_cache.h"
#include "scan.h"
#include "segment.h"
#include "visibility.h"

/* A chunk that may hold matching samples. */
typedef struct ChunkCand
{
	BlockNumber blkno;
	uint16		offset;
	int64		min_ts;
	int64		max_ts;
} ChunkCand;

/* Time order: a segment page not read yet, or a chunk listed from one. */
typedef struct OrderCand
{
	int64		bound;			/* nothing in it comes before, in scan order */
	bool		is_page;
	uint32		segment_id;		/* a page: its segment */
	TsdbSegmentDirEntry de;		/* a page: its directory entry */
	ChunkCand	chunk;			/* a chunk */
} OrderCand;

struct TsdbReader
{
	Relation	rel;
	TsdbScanCounters *counters;
	MemoryContext cxt;			/* the buffers, for the reader's life */
	MemoryContext start_cxt;	/* reset at every start */

	Snapshot	snapshot;
	TsdbReadSpec spec;
	TsdbXidMemo memo;
	CommandId	my_compact_cid;
	bool		empty;			/* nothing can match */

	/* the series wanted now: spec's, or in latest mode the current one */
	bool		all_series;
	const uint32 *want;
	int			nwant;

	/* samples that may still be asked for: spec.bound, else INT_MAX */
	int			left;

	/*
	 * What the snapshot sees of the relation: its size, the head blocks and
	 * the visible segments, read at the first start and kept by rescans
	 * with the same snapshot (in layout_cxt).  A rescan under a nested loop
	 * then costs no metapage read and no lseek.  That is what one long scan
	 * does anyway: pages a snapshot can still need are not recycled, and
	 * samples or segments added later are not visible to it.
	 */
	MemoryContext layout_cxt;
	bool		layout_valid;
	Snapshot	layout_snapshot;
	TransactionId layout_xmin;
	TransactionId layout_xmax;
	CommandId	layout_cid;
	uint64		layout_completion;
	TsdbSegmentEntry *visible;
	int			nvisible;
	CommandId	layout_compact_cid;

	/* the visible segments overlapping the range (start_cxt) */
	TsdbSegmentEntry *segs;
	int			nsegs;

	/* any order: listed chunks */
	ChunkCand  *cands;
	int			ncands;
	int			candcap;
	int			next_cand;

	/* head blocks to read, copied from tsdb_head_candidates() */
	BlockNumber nblocks;
	BlockNumber *head_blocks;
	uint32		nhead;
	uint32		layout_nhead;
	uint32		headcap;
	uint32		next_head;

	/* samples of the current chunk or head page */
	TsdbSample *buf;
	int			nbuf;
	int			pos;

	/* time order: samples ready, sorted in output order, from pos */
	TsdbSample *pool;
	int			npool;
	int			poolcap;
	TsdbSample *merge;			/* scratch of poolcap */
	OrderCand  *heap;
	int			nheap;
	int			heapcap;

	/* latest mode: the head's samples by (series, ts descending) */
	TsdbSample *head;
	int			nhead_samples;
	int			headsamplecap;
	int			head_pos;
	int			next_series;
	int64		latest_ts;
	bool		latest_valid;

	/* scratch for a head page */
	TsdbSample *page_samples;
	uint16	   *page_ordinals;
};

/* First index of ids[0..n) whose value is >= v (lower_bound). */
static int
first_at_least(const uint32 *ids, int n, uint32 v)
{
	int			lo = 0;
	int			hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (ids[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static inline bool
series_wanted(const TsdbReader *r, uint32 id)
{
	int			i;

	if (r->all_series)
		return true;
	i = first_at_least(r->want, r->nwant, id);
	return i < r->nwant && r->want[i] == id;
}

static inline bool
sample_wanted(const TsdbReader *r, const TsdbSample *s)
{
	return s->ts >= r->spec.lo && s->ts <= r->spec.hi &&
		series_wanted(r, s->series_id);
}

/* Does a come strictly before b in the scan's order? */
static inline bool
ts_before(int order, int64 a, int64 b)
{
	return order > 0 ? a < b : a > b;
}

/* ---- the heap of time order candidates ---- */

static inline bool
cand_before(const TsdbReader *r, const OrderCand *a, const OrderCand *b)
{
	return ts_before(r->spec.order, a->bound, b->bound);
}

static void
heap_push(TsdbReader *r, const OrderCand *c)
{
	int			i;

	if (r->nheap >= r->heapcap)
	{
		r->heapcap *= 2;
		r->heap = repalloc_huge(r->heap, sizeof(OrderCand) * r->heapcap);
	}
	i = r->nheap++;
	while (i > 0)
	{
		int			parent = (i - 1) / 2;

		if (!cand_before(r, c, &r->heap[parent]))
			break;
		r->heap[i] = r->heap[parent];
		i = parent;
	}
	r->heap[i] = *c;
}

static void
heap_pop(TsdbReader *r, OrderCand *out)
{
	OrderCand	last;
	int			i = 0;

	*out = r->heap[0];
	last = r->heap[--r->nheap];
	for (;;)
	{
		int			child = 2 * i + 1;

		if (child >= r->nheap)
			break;
		if (child + 1 < r->nheap &&
			cand_before(r, &r->heap[child + 1], &r->heap[child]))
			child++;
		if (!cand_before(r, &r->heap[child], &last))
			break;
		r->heap[i] = r->heap[child];
		i = child;
	}
	if (r->nheap > 0)
		r->heap[i] = last;
}

/* ---- listing chunks ---- */

static void
add_chunk(TsdbReader *r, BlockNumber blkno, uint16 offset,
		  const TsdbChunkInfo *info)
{
	if (r->spec.order != 0)
	{
		OrderCand	c;

		c.bound = r->spec.order > 0 ? info->min_ts : info->max_ts;
		c.is_page = false;
		c.chunk.blkno = blkno;
		c.chunk.offset = offset;
		c.chunk.min_ts = info->min_ts;
		c.chunk.max_ts = info->max_ts;
		heap_push(r, &c);
		return;
	}
	if (r->ncands >= r->candcap)
	{
		r->candcap *= 2;
		r->cands = repalloc_huge(r->cands, sizeof(ChunkCand) * r->candcap);
	}
	r->cands[r->ncands].blkno = blkno;
	r->cands[r->ncands].offset = offset;
	r->cands[r->ncands].min_ts = info->min_ts;
	r->cands[r->ncands].max_ts = info->max_ts;
	r->ncands++;
}

/* List the chunks of one segment page that can match. */
static bool
list_page_chunks(Relation rel, Page page, BlockNumber blkno,
				 const uint16 *offsets, int n, void *arg)
{
	TsdbReader *r = arg;
	int			i;

	r->counters->pages_read++;
	for (i = 0; i < n; i++)
	{
		TsdbChunkInfo info;

		tsdb_chunk_info(rel, page, blkno, offsets[i], &info);

		/* the rest of the chain is past every series wanted */
		if (!r->all_series && info.series_id > r->want[r->nwant - 1])
		{
			r->counters->chunks_skipped += n - i;
			return false;
		}
		if (info.max_ts < r->spec.lo || info.min_ts > r->spec.hi ||
			!series_wanted(r, info.series_id))
		{
			r->counters->chunks_skipped++;
			continue;
		}
		add_chunk(r, blkno, offsets[i], &info);
	}
	return true;
}

/*
 * Read one page of a segment found through its directory and list its
 * chunks; the page must be the segment's and start with the directory's key.
 */
static void
read_segment_page(TsdbReader *r, uint32 segment_id,
				  const TsdbSegmentDirEntry *de)
{
	uint16		offsets[TSDB_SEGMENT_MAX_CHUNKS];
	BlockNumber blkno = de->blkno;
	Buffer		buf;
	Page		page;
	int			n;

	CHECK_FOR_INTERRUPTS();
	if (blkno >= r->nblocks)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("directory of segment %u of tsdb relation \"%s\" points past the end of the relation",
						segment_id, RelationGetRelationName(r->rel)),
				 errdetail("Page %u of %u.", blkno, r->nblocks)));
	buf = ReadBuffer(r->rel, blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	n = tsdb_segment_page_chunks(r->rel, page, blkno, offsets,
								 lengthof(offsets));
	if (TsdbPageGetOpaque(page)->segment_id != segment_id)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("segment %u of tsdb relation \"%s\" has a broken page chain",
						segment_id, RelationGetRelationName(r->rel)),
				 errdetail("Page %u belongs to segment %u.", blkno,
						   TsdbPageGetOpaque(page)->segment_id)));
	if (n > 0)
	{
		TsdbChunkInfo info;

		tsdb_chunk_info(r->rel, page, blkno, offsets[0], &info);
		if (info.series_id != de->series_id || info.min_ts != de->min_ts)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("directory of segment %u of tsdb relation \"%s\" does not match page %u",
							segment_id, RelationGetRelationName(r->rel), blkno),
					 errdetail("The page starts with series %u at " INT64_FORMAT ", the directory says series %u at " INT64_FORMAT ".",
							   info.series_id, info.min_ts, de->series_id, de->min_ts)));
	}
	(void) list_page_chunks(r->rel, page, blkno, offsets, n, r);
	UnlockReleaseBuffer(buf);
}

/*
 * Can page "cur", whose chunks run from its key up to "next"'s (NULL for
 * the last page), hold a sample of a series wanted within [lo, hi]?
 * Chunks are ordered by (series, min_ts), and the chunks of one series do
 * not overlap in time (a series' samples are cut into chunks in time
 * order), so a chunk of series s on this page ends at or before the next
 * page's first chunk when that chunk is of s too.
 */
static bool
page_may_match(const TsdbReader *r, const TsdbSegmentDirEntry *cur,
			   const TsdbSegmentDirEntry *next)
{
	uint32		last = next ? next->series_id : PG_UINT32_MAX;
	int			i;

	for (i = first_at_least(r->want, r->nwant, cur->series_id);
		 i < r->nwant && r->want[i] <= last; i++)
	{
		uint32		s = r->want[i];

		/* the page's first series starts after the range */
		if (s == cur->series_id && cur->min_ts > r->spec.hi)
			continue;
		/* the series ends on this page before the range starts */
		if (next && s == next->series_id && next->min_ts < r->spec.lo)
			continue;
		return true;
	}
	return false;
}

/* First directory index whose page starts with a series >= s. */
static uint32
dir_first_at_least(const TsdbSegmentDirEntry *dir, uint32 npages, uint32 s)
{
	uint32		lo = 0;
	uint32		hi = npages;

	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;

		if (dir[mid].series_id < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * A page that can match: read now, or in time order kept in the heap with
 * the first timestamp it can hold in the scan's direction.  Time order has
 * one series wanted.
 */
static void
want_page(TsdbReader *r, const TsdbSegmentEntry *seg,
		  const TsdbSegmentDirEntry *cur, const TsdbSegmentDirEntry *next)
{
	OrderCand	c;

	if (r->spec.order == 0 || r->nwant != 1)
	{
		read_segment_page(r, seg->segment_id, cur);
		return;
	}
	if (r->spec.order > 0)
		c.bound = cur->series_id == r->want[0] ? cur->min_ts : seg->min_ts;
	else
		c.bound = next && next->series_id == r->want[0] ?
			next->min_ts : seg->max_ts;
	c.is_page = true;
	c.segment_id = seg->segment_id;
	c.de = *cur;
	/* counted read when it is; skipped until then */
	r->counters->pages_skipped++;
	heap_push(r, &c);
}

/*
 * The pages of one segment that can match, through its directory: each
 * series wanted lies on the pages from the one before the first page
 * starting with it to the last page starting with it.  False if the
 * segment has no usable directory.
 */
static bool
list_segment_dir(TsdbReader *r, const TsdbSegmentEntry *seg)
{
	uint32		npages;
	const TsdbSegmentDirEntry *dir;
	uint32		done = 0;		/* pages below this were considered */
	uint32		listed = 0;
	int			i;

	if (r->all_series ||
		!tsdb_segment_directory(r->rel, seg->segment_id, &npages, &dir) ||
		npages != seg->npages || npages == 0)
		return false;

	for (i = 0; i < r->nwant; i++)
	{
		uint32		s = r->want[i];
		uint32		k = dir_first_at_least(dir, npages, s);
		uint32		m = k;
		uint32		p;

		while (m < npages && dir[m].series_id == s)
			m++;
		/* every page starts after s: it is not in this segment */
		if (m == 0)
			continue;
		/* pages [k - 1, m - 1]: the one before k may end with s */
		for (p = Max(k > 0 ? k - 1 : 0, done); p < m; p++)
		{
			const TsdbSegmentDirEntry *next = p + 1 < npages ? &dir[p + 1] : NULL;

			if (page_may_match(r, &dir[p], next))
			{
				want_page(r, seg, &dir[p], next);
				listed++;
			}
		}
		done = Max(done, m);
	}
	r->counters->pages_skipped += seg->npages - listed;
	return true;
}

/* List the chunks (or in time order, the pages) of one segment. */
static void
list_segment(TsdbReader *r, const TsdbSegmentEntry *seg)
{
	uint32		pages;

	if (list_segment_dir(r, seg))
		return;
	pages = tsdb_segment_foreach_page(r->rel, seg, NULL, r->nblocks,
									  list_page_chunks, r);
	r->counters->pages_skipped += seg->npages - pages;
}

/* The visible segments overlapping the range, into r->segs. */
static void
find_segments(TsdbReader *r)
{
	int			i;

	r->nsegs = 0;
	r->segs = palloc(sizeof(TsdbSegmentEntry) * Max(r->nvisible, 1));
	for (i = 0; i < r->nvisible; i++)
	{
		const TsdbSegmentEntry *seg = &r->visible[i];

		if (seg->max_ts < r->spec.lo || seg->min_ts > r->spec.hi)
		{
			r->counters->segments_skipped++;
			continue;
		}
		r->counters->segments_read++;
		r->segs[r->nsegs++] = *seg;
	}
}

/*
 * Decode a listed chunk into r->buf, keeping the samples that match.  (The
 * caller sets r->pos: in time order it is the pool's position.)
 */
static void
decode_chunk(TsdbReader *r, const ChunkCand *c)
{
	Buffer		buf;
	TsdbCacheUse use = {0, 0, 0};
	bool		inside = c->min_ts >= r->spec.lo && c->max_ts <= r->spec.hi;
	int			part = 0;
	int			n;
	int			i;

	/*
	 * Under a LIMIT, of a chunk wholly in the range only its first (or
	 * last, descending) r->left samples can be returned: pool_merge_chunk
	 * keeps no more, so they are all that is copied out.
	 */
	if (inside && r->left > 0 && r->left < INT_MAX)
		part = r->spec.order > 0 ? r->left : -r->left;

	CHECK_FOR_INTERRUPTS();
	buf = ReadBuffer(r->rel, c->blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	/* chunks picked by series and time: the reads the cache is for */
	n = tsdb_chunk_decode_part(r->rel, BufferGetPage(buf), c->blkno,
							   c->offset, part, r->spec.values, r->buf, &use);
	UnlockReleaseBuffer(buf);
	r->counters->chunks_read++;
	r->counters->cache_hits += use.hits;
	r->counters->cache_misses += use.misses;

	/*
	 * The chunk is of a series wanted (it was listed for that): only time
	 * can rule samples out, and only when the chunk sticks out of the range.
	 */
	if (inside)
		r->nbuf = n;
	else
	{
		r->nbuf = 0;
		for (i = 0; i < n; i++)
			if (r->buf[i].ts >= r->spec.lo && r->buf[i].ts <= r->spec.hi)
				r->buf[r->nbuf++] = r->buf[i];
	}

	/*
	 * Latest mode returns a series' samples at its newest timestamp only:
	 * of this chunk (ascending), at most its newest ones can be among them.
	 */
	if (r->spec.latest && r->nbuf > 1)
	{
		int			first = r->nbuf - 1;

		while (first > 0 && r->buf[first - 1].ts == r->buf[r->nbuf - 1].ts)
			first--;
		if (first > 0)
		{
			memmove(r->buf, r->buf + first,
					sizeof(TsdbSample) * (r->nbuf - first));
			r->nbuf -= first;
		}
	}
}

/* Read the next head block into r->buf, keeping what matches. */
static void
read_head_block(TsdbReader *r)
{
	int			ndead = 0;
	int			nruns = 0;
	int			n;
	int			i;

	n = tsdb_head_page_read(r->rel, r->head_blocks[r->next_head++], NULL,
							r->snapshot, &r->memo, r->my_compact_cid,
							r->page_samples, r->page_ordinals, &ndead, &nruns);
	if (nruns > 0)
	{
		r->counters->head_pages_read++;
		r->counters->head_runs_read += nruns;
	}
	r->nbuf = 0;
	for (i = 0; i < n; i++)
		if (sample_wanted(r, &r->page_samples[i]))
			r->buf[r->nbuf++] = r->page_samples[i];
	r->pos = 0;
}

/* ---- time order ---- */

static int
cmp_sample_asc(const void *a, const void *b)
{
	int64		x = ((const TsdbSample *) a)->ts;
	int64		y = ((const TsdbSample *) b)->ts;

	return (x > y) - (x < y);
}

static int
cmp_sample_desc(const void *a, const void *b)
{
	return cmp_sample_asc(b, a);
}

/* By series, then newest first: the head in latest mode. */
static int
cmp_sample_series_desc(const void *a, const void *b)
{
	const TsdbSample *x = a;
	const TsdbSample *y = b;

	if (x->series_id != y->series_id)
		return x->series_id < y->series_id ? -1 : 1;
	return (x->ts < y->ts) - (x->ts > y->ts);
}

static void
pool_reserve(TsdbReader *r, int n)
{
	if (n <= r->poolcap)
		return;
	r->poolcap = Max(n, r->poolcap * 2);
	r->pool = repalloc_huge(r->pool, sizeof(TsdbSample) * r->poolcap);
	r->merge = repalloc_huge(r->merge, sizeof(TsdbSample) * r->poolcap);
}

/* Merge r->buf (a decoded chunk, ascending) into the pool's remainder. */
static void
pool_merge_chunk(TsdbReader *r)
{
	int			order = r->spec.order;
	int			i = r->pos;
	int			j = 0;
	int			k = 0;
	TsdbSample *tmp;

	/*
	 * Under a LIMIT only the first r->left samples of the merge can ever
	 * be returned: later chunks can only push the others further back.
	 */
	int			keep = r->left;

	pool_reserve(r, Min(r->npool - r->pos + r->nbuf, keep));
	if (i >= r->npool)
	{
		/*
		 * Nothing left to merge with, as when each rescan of a nested loop
		 * reads a series' newest chunk: copy the chunk in output order.
		 */
		int			n = Min(r->nbuf, keep);

		if (order > 0)
			memcpy(r->merge, r->buf, sizeof(TsdbSample) * n);
		else
			for (j = 0; j < n; j++)
				r->merge[j] = r->buf[r->nbuf - 1 - j];
		k = n;
		j = r->nbuf;
	}
	/* else walk the chunk in output order */
	while ((i < r->npool || j < r->nbuf) && k < keep)
	{
		const TsdbSample *c = NULL;

		if (j < r->nbuf)
			c = order > 0 ? &r->buf[j] : &r->buf[r->nbuf - 1 - j];
		if (c == NULL || (i < r->npool && !ts_before(order, c->ts, r->pool[i].ts)))
			r->merge[k++] = r->pool[i++];
		else
		{
			r->merge[k++] = *c;
			j++;
		}
	}
	tmp = r->pool;
	r->pool = r->merge;
	r->merge = tmp;
	r->npool = k;
	r->pos = 0;
	r->nbuf = 0;
}

/*
 * Read from the heap until the pool's next sample is final: until every
 * candidate left can only hold samples strictly after it.
 */
static void
ordered_fill(TsdbReader *r)
{
	int			order = r->spec.order;

	while (r->nheap > 0)
	{
		OrderCand	c;

		if (r->pos < r->npool &&
			ts_before(order, r->pool[r->pos].ts, r->heap[0].bound))
			break;
		heap_pop(r, &c);
		if (c.is_page)
		{
			r->counters->pages_skipped--;
			read_segment_page(r, c.segment_id, &c.de);
		}
		else
		{
			decode_chunk(r, &c.chunk);
			pool_merge_chunk(r);
		}
	}
}

/* Time order: the head's matching samples, sorted; the segments' pages. */
static void
ordered_start(TsdbReader *r)
{
	int			i;

	while (r->next_head < r->nhead)
	{
		read_head_block(r);
		pool_reserve(r, r->npool + r->nbuf);
		memcpy(r->pool + r->npool, r->buf, sizeof(TsdbSample) * r->nbuf);
		r->npool += r->nbuf;
	}
	r->nbuf = 0;
	r->pos = 0;
	qsort(r->pool, r->npool, sizeof(TsdbSample),
		  r->spec.order > 0 ? cmp_sample_asc : cmp_sample_desc);
	r->npool = Min(r->npool, r->left);
	for (i = 0; i < r->nsegs; i++)
		list_segment(r, &r->segs[i]);
}

static bool
ordered_next(TsdbReader *r, TsdbSample *out)
{
	/* the plan's LIMIT said no more are asked for: the pool has no more */
	if (r->left <= 0)
		elog(ERROR, "TsdbScan asked for more than the %d rows of its LIMIT",
			 r->spec.bound);
	ordered_fill(r);
	if (r->pos >= r->npool)
		return false;
	*out = r->pool[r->pos++];
	r->left--;
	return true;
}

/* ---- latest mode ---- */

/* The head's matching samples, by series and newest first. */
static void
latest_start(TsdbReader *r)
{
	while (r->next_head < r->nhead)
	{
		read_head_block(r);
		if (r->nhead_samples + r->nbuf > r->headsamplecap)
		{
			r->headsamplecap = Max(r->nhead_samples + r->nbuf,
								   r->headsamplecap * 2);
			r->head = repalloc_huge(r->head,
									sizeof(TsdbSample) * r->headsamplecap);
		}
		memcpy(r->head + r->nhead_samples, r->buf,
			   sizeof(TsdbSample) * r->nbuf);
		r->nhead_samples += r->nbuf;
	}
	r->nbuf = 0;
	r->pos = 0;
	qsort(r->head, r->nhead_samples, sizeof(TsdbSample),
		  cmp_sample_series_desc);
}

/* Read series want[next_series] up to its newest sample. */
static void
latest_load(TsdbReader *r)
{
	uint32		s = r->spec.series[r->next_series++];
	int			n = 0;
	int			i;

	r->want = &r->spec.series[r->next_series - 1];
	r->nwant = 1;
	r->nheap = 0;
	r->npool = 0;
	r->pos = 0;

	/* the head's samples of s */
	while (r->head_pos < r->nhead_samples &&
		   r->head[r->head_pos].series_id < s)
		r->head_pos++;
	while (r->head_pos + n < r->nhead_samples &&
		   r->head[r->head_pos + n].series_id == s)
		n++;
	pool_reserve(r, n);
	memcpy(r->pool, r->head + r->head_pos, sizeof(TsdbSample) * n);
	r->npool = n;
	r->head_pos += n;

	for (i = 0; i < r->nsegs; i++)
		list_segment(r, &r->segs[i]);
	ordered_fill(r);
	r->latest_valid = r->pos < r->npool;
	if (r->latest_valid)
		r->latest_ts = r->pool[r->pos].ts;
}

static bool
latest_next(TsdbReader *r, TsdbSample *out)
{
	for (;;)
	{
		if (r->latest_valid && r->pos < r->npool &&
			r->pool[r->pos].ts == r->latest_ts)
		{
			*out = r->pool[r->pos++];
			return true;
		}
		if (r->next_series >= r->spec.nseries)
			return false;
		latest_load(r);
	}
}

/* ---- the interface ---- */

TsdbReader *
tsdb_reader_create(Relation rel, TsdbScanCounters *counters)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "TsdbScan reader",
											  ALLOCSET_DEFAULT_SIZES);
	TsdbReader *r = MemoryContextAllocZero(cxt, sizeof(TsdbReader));

	r->rel = rel;
	r->counters = counters;
	r->cxt = cxt;
	r->start_cxt = AllocSetContextCreate(cxt, "TsdbScan reader start",
										 ALLOCSET_SMALL_SIZES);
	r->layout_cxt = AllocSetContextCreate(cxt, "TsdbScan reader layout",
										  ALLOCSET_SMALL_SIZES);
	r->candcap = 64;
	r->cands = MemoryContextAlloc(cxt, sizeof(ChunkCand) * r->candcap);
	r->headcap = 64;
	r->head_blocks = MemoryContextAlloc(cxt, sizeof(BlockNumber) * r->headcap);
	/*
	 * Room for one chunk from the start: growing by doubling on every scan
	 * (each execution of a prepared query starts a new reader) costs a
	 * copy and fresh pages each time.
	 */
	r->poolcap = Max(256, Min(tsdb_chunk_samples, TSDB_CHUNK_MAX_SAMPLES));
	r->pool = MemoryContextAlloc(cxt, sizeof(TsdbSample) * r->poolcap);
	r->merge = MemoryContextAlloc(cxt, sizeof(TsdbSample) * r->poolcap);
	r->heapcap = 64;
	r->heap = MemoryContextAlloc(cxt, sizeof(OrderCand) * r->heapcap);
	r->headsamplecap = 256;
	r->head = MemoryContextAlloc(cxt, sizeof(TsdbSample) * r->headsamplecap);
	r->buf = MemoryContextAlloc(cxt, sizeof(TsdbSample) *
								Max((int) TSDB_HEAD_MAX_SAMPLES,
									TSDB_CHUNK_MAX_SAMPLES));
	r->page_samples = MemoryContextAlloc(cxt, sizeof(TsdbSample) *
										 TSDB_HEAD_MAX_SAMPLES);
	r->page_ordinals = MemoryContextAlloc(cxt, sizeof(uint16) *
										  TSDB_HEAD_MAX_SAMPLES);
	return r;
}

/* Is what the last start read of the relation still what snapshot sees? */
static bool
same_layout(const TsdbReader *r, Snapshot snapshot)
{
	return r->layout_valid && snapshot == r->layout_snapshot &&
		snapshot->xmin == r->layout_xmin &&
		snapshot->xmax == r->layout_xmax &&
		snapshot->curcid == r->layout_cid &&
		snapshot->snapXactCompletionCount == r->layout_completion;
}

/* Start (again) reading what spec asks for, as snapshot sees it. */
void
tsdb_reader_start(TsdbReader *r, Snapshot snapshot, const TsdbReadSpec *spec)
{
	MemoryContext old;
	const BlockNumber *head;
	uint32		nhead = 0;

	MemoryContextReset(r->start_cxt);
	old = MemoryContextSwitchTo(r->cxt);

	r->snapshot = snapshot;
	r->spec = *spec;
	/* latest mode reads each series newest first */
	if (spec->latest)
		r->spec.order = -1;
	tsdb_xid_memo_init(&r->memo);
	r->my_compact_cid = InvalidCommandId;
	r->empty = spec->lo > spec->hi ||
		(!spec->all_series && spec->nseries == 0);
	if (spec->latest && spec->all_series)
		elog(ERROR, "tsdb latest mode needs a series list");
	r->counters->series_matched += spec->all_series ? 0 : spec->nseries;
	r->all_series = spec->all_series;
	r->want = spec->series;
	r->nwant = spec->nseries;
	r->ncands = r->next_cand = 0;
	r->nbuf = r->pos = 0;
	r->npool = 0;
	r->nheap = 0;
	r->nhead_samples = r->head_pos = 0;
	r->next_series = 0;
	r->latest_valid = false;
	r->left = spec->bound > 0 && spec->order != 0 && !spec->latest ?
		spec->bound : INT_MAX;
	r->segs = NULL;
	r->nsegs = 0;
	r->nhead = r->next_head = 0;

	if (r->empty)
	{
		MemoryContextSwitchTo(old);
		return;
	}

	if (!same_layout(r, snapshot))
	{
		/*
		 * The head blocks and the segments' directories first, then the
		 * segments: a segment that compaction adds in between is not
		 * visible to the snapshot, and its pages, counted as head, have no
		 * visible runs.
		 */
		MemoryContextReset(r->layout_cxt);
		r->layout_valid = false;
		r->nblocks = RelationGetNumberOfBlocks(r->rel);
		head = tsdb_head_candidates(r->rel, r->nblocks, &nhead);
		if (nhead > r->headcap)
		{
			r->headcap = Max(nhead, r->headcap * 2);
			r->head_blocks = repalloc_huge(r->head_blocks,
										   sizeof(BlockNumber) * r->headcap);
		}
		memcpy(r->head_blocks, head, sizeof(BlockNumber) * nhead);
		r->layout_nhead = nhead;

		MemoryContextSwitchTo(r->layout_cxt);
		r->visible = tsdb_visible_segments(r->rel, snapshot, &r->memo,
										   &r->nvisible,
										   &r->layout_compact_cid);
		MemoryContextSwitchTo(r->cxt);
		if (IsMVCCSnapshot(snapshot))
		{
			r->layout_valid = true;
			r->layout_snapshot = snapshot;
			r->layout_xmin = snapshot->xmin;
			r->layout_xmax = snapshot->xmax;
			r->layout_cid = snapshot->curcid;
			r->layout_completion = snapshot->snapXactCompletionCount;
		}
	}
	r->nhead = r->layout_nhead;
	r->my_compact_cid = r->layout_compact_cid;

	MemoryContextSwitchTo(r->start_cxt);
	find_segments(r);
	MemoryContextSwitchTo(r->cxt);

	if (spec->latest)
		latest_start(r);
	else if (spec->order != 0)
		ordered_start(r);
	else
	{
		int			i;

		for (i = 0; i < r->nsegs; i++)
			list_segment(r, &r->segs[i]);
	}
	MemoryContextSwitchTo(old);
}

/* The next matching sample, or false when there is none. */
bool
tsdb_reader_next(TsdbReader *r, TsdbSample *out)
{
	MemoryContext old;
	bool		found;

	if (r->empty)
		return false;
	old = MemoryContextSwitchTo(r->cxt);
	if (r->spec.latest)
		found = latest_next(r, out);
	else if (r->spec.order != 0)
		found = ordered_next(r, out);
	else
	{
		for (;;)
		{
			if (r->pos < r->nbuf)
			{
				*out = r->buf[r->pos++];
				found = true;
				break;
			}
			if (r->next_cand < r->ncands)
			{
				decode_chunk(r, &r->cands[r->next_cand++]);
				r->pos = 0;
			}
			else if (r->next_head < r->nhead)
				read_head_block(r);
			else
			{
				found = false;
				break;
			}
		}
	}
	MemoryContextSwitchTo(old);
	return found;
}
