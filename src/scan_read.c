/*-------------------------------------------------------------------------
 *
 * scan_read.c
 *	  TsdbScan's reading: the samples of some series within a time range,
 *	  deciding from segment entries and chunk headers what not to decode.
 *
 * At the start, the segments the snapshot sees (the same rules as the
 * sequential scan: tsdb_visible_segments) are pruned by their time range;
 * the page chains of the others are walked, and the chunks whose series
 * and time range can match are listed from their headers, without decoding.
 * Chunks are ordered by (series, min_ts) across a chain, so the walk stops
 * at the first page whose first chunk is past the highest series wanted.
 * Then the listed chunks are decoded one at a time and the head pages are
 * read one at a time (visible runs only, tsdb_head_page_read), both
 * filtered sample by sample.
 *
 * In time order (one series), the head's matching samples are read first
 * and sorted; chunks are then decoded lazily in the order of their first
 * timestamp in the scan's direction, each one only once no sample ready to
 * be returned can come before it, and merged in.  So the newest sample of a
 * series costs one chunk (or none, when the head has one newer than every
 * chunk).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/bufmgr.h"
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

struct TsdbReader
{
	Relation	rel;
	Snapshot	snapshot;
	TsdbReadSpec spec;
	TsdbScanCounters *counters;
	TsdbXidMemo memo;
	CommandId	my_compact_cid;
	bool		empty;			/* nothing can match */

	ChunkCand  *cands;
	int			ncands;
	int			candcap;
	int			next_cand;

	/* head blocks 1 .. nblocks-1, but for the listed segments' pages */
	BlockNumber nblocks;
	BlockNumber next_block;
	bits8	   *segment_pages;

	/* samples of the current chunk or head page, or the ordered pool */
	TsdbSample *buf;
	int			nbuf;
	int			pos;

	/* ordered mode: pool of samples ready, sorted in output order */
	TsdbSample *pool;
	int			npool;
	int			poolcap;
	TsdbSample *merge;			/* scratch of poolcap */

	/* scratch for a head page */
	TsdbSample *page_samples;
	uint16	   *page_ordinals;
};

static bool
series_wanted(const TsdbReadSpec *spec, uint32 id)
{
	int			lo = 0;
	int			hi = spec->nseries - 1;

	if (spec->all_series)
		return true;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (spec->series[mid] == id)
			return true;
		if (spec->series[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

static inline bool
sample_wanted(const TsdbReadSpec *spec, const TsdbSample *s)
{
	return s->ts >= spec->lo && s->ts <= spec->hi &&
		series_wanted(spec, s->series_id);
}

/* List the chunks of one segment page that can match. */
static bool
list_page_chunks(Relation rel, Page page, BlockNumber blkno,
				 const uint16 *offsets, int n, void *arg)
{
	TsdbReader *r = arg;
	const TsdbReadSpec *spec = &r->spec;
	int			i;

	r->counters->pages_read++;
	for (i = 0; i < n; i++)
	{
		TsdbChunkInfo info;

		tsdb_chunk_info(rel, page, blkno, offsets[i], &info);

		/* the rest of the chain is past every series wanted */
		if (!spec->all_series &&
			info.series_id > spec->series[spec->nseries - 1])
		{
			r->counters->chunks_skipped += n - i;
			return false;
		}
		if (info.max_ts < spec->lo || info.min_ts > spec->hi ||
			!series_wanted(spec, info.series_id))
		{
			r->counters->chunks_skipped++;
			continue;
		}
		if (r->ncands >= r->candcap)
		{
			r->candcap = Max(r->candcap * 2, 64);
			r->cands = repalloc_huge(r->cands, sizeof(ChunkCand) * r->candcap);
		}
		r->cands[r->ncands].blkno = blkno;
		r->cands[r->ncands].offset = offsets[i];
		r->cands[r->ncands].min_ts = info.min_ts;
		r->cands[r->ncands].max_ts = info.max_ts;
		r->ncands++;
	}
	return true;
}

/*
 * Read one page of a segment found through its directory and list its
 * chunks; the page must be the segment's and start with the directory's key.
 */
static void
read_segment_page(TsdbReader *r, const TsdbSegmentEntry *seg,
				  const TsdbSegmentDirEntry *de)
{
	uint16		offsets[TSDB_SEGMENT_MAX_CHUNKS];
	BlockNumber blkno = de->blkno;
	Buffer		buf;
	Page		page;
	int			n;

	CHECK_FOR_INTERRUPTS();
	buf = ReadBuffer(r->rel, blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	n = tsdb_segment_page_chunks(r->rel, page, blkno, offsets,
								 lengthof(offsets));
	if (TsdbPageGetOpaque(page)->segment_id != seg->segment_id)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("segment %u of tsdb relation \"%s\" has a broken page chain",
						seg->segment_id, RelationGetRelationName(r->rel)),
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
							seg->segment_id, RelationGetRelationName(r->rel), blkno),
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
page_may_match(const TsdbReadSpec *spec, const TsdbSegmentDirEntry *cur,
			   const TsdbSegmentDirEntry *next)
{
	uint32		last = next ? next->series_id : PG_UINT32_MAX;
	int			lo = 0;
	int			hi = spec->nseries;

	/* the first wanted id >= the page's first series */
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (spec->series[mid] < cur->series_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < spec->nseries && spec->series[lo] <= last; lo++)
	{
		uint32		s = spec->series[lo];

		/* the page's first series starts after the range */
		if (s == cur->series_id && cur->min_ts > spec->hi)
			continue;
		/* the series ends on this page before the range starts */
		if (next && s == next->series_id && next->min_ts < spec->lo)
			continue;
		return true;
	}
	return false;
}

/*
 * List the chunks of one segment that can match: through its directory
 * (scan_blocks.c) only the pages that can hold a series wanted in the time
 * range, else by walking its chain up to the last series wanted.
 */
static void
list_segment(TsdbReader *r, const TsdbSegmentEntry *seg)
{
	uint32		npages;
	const TsdbSegmentDirEntry *dir;
	uint32		pages;

	if (!r->spec.all_series &&
		tsdb_segment_directory(r->rel, seg->segment_id, &npages, &dir) &&
		npages == seg->npages)
	{
		uint32		i;

		pages = 0;
		for (i = 0; i < npages; i++)
		{
			if (!page_may_match(&r->spec, &dir[i],
								i + 1 < npages ? &dir[i + 1] : NULL))
				continue;
			read_segment_page(r, seg, &dir[i]);
			pages++;
		}
	}
	else
		pages = tsdb_segment_foreach_page(r->rel, seg, NULL, r->nblocks,
										  list_page_chunks, r);
	r->counters->pages_skipped += seg->npages - pages;
}

static void
list_chunks(TsdbReader *r)
{
	TsdbSegmentEntry *segs;
	int			nsegs;
	int			i;

	if (r->empty)
		return;
	segs = tsdb_visible_segments(r->rel, r->snapshot, &r->memo, &nsegs,
								 &r->my_compact_cid);
	for (i = 0; i < nsegs; i++)
	{
		const TsdbSegmentEntry *seg = &segs[i];

		if (seg->max_ts < r->spec.lo || seg->min_ts > r->spec.hi)
		{
			r->counters->segments_skipped++;
			continue;
		}
		r->counters->segments_read++;
		list_segment(r, seg);
	}
	pfree(segs);
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
	int			n;
	int			i;

	CHECK_FOR_INTERRUPTS();
	buf = ReadBuffer(r->rel, c->blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	/* chunks picked by series and time: the reads the cache is for */
	n = tsdb_chunk_decode_cached(r->rel, BufferGetPage(buf), c->blkno,
								 c->offset, r->buf, &use);
	UnlockReleaseBuffer(buf);
	r->counters->chunks_read++;
	r->counters->cache_hits += use.hits;
	r->counters->cache_misses += use.misses;

	r->nbuf = 0;
	for (i = 0; i < n; i++)
		if (sample_wanted(&r->spec, &r->buf[i]))
			r->buf[r->nbuf++] = r->buf[i];
}

/* Read head block r->next_block into r->buf, keeping what matches. */
static void
read_head_block(TsdbReader *r)
{
	int			ndead = 0;
	int			nruns = 0;
	int			n;
	int			i;
	BlockNumber b = r->next_block;

	r->nbuf = 0;
	r->pos = 0;
	if (r->segment_pages[b / 8] & (1 << (b % 8)))
	{
		/* a segment page: no head runs, not read */
		r->next_block++;
		return;
	}
	n = tsdb_head_page_read(r->rel, r->next_block, NULL, r->snapshot,
							&r->memo, r->my_compact_cid, r->page_samples,
							r->page_ordinals, &ndead, &nruns);
	r->next_block++;
	if (nruns > 0)
	{
		r->counters->head_pages_read++;
		r->counters->head_runs_read += nruns;
	}
	r->nbuf = 0;
	for (i = 0; i < n; i++)
		if (sample_wanted(&r->spec, &r->page_samples[i]))
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

static int
cmp_cand_asc(const void *a, const void *b)
{
	int64		x = ((const ChunkCand *) a)->min_ts;
	int64		y = ((const ChunkCand *) b)->min_ts;

	return (x > y) - (x < y);
}

static int
cmp_cand_desc(const void *a, const void *b)
{
	int64		x = ((const ChunkCand *) a)->max_ts;
	int64		y = ((const ChunkCand *) b)->max_ts;

	return (x < y) - (x > y);
}

/* Does a come strictly before b in the scan's order? */
static inline bool
ts_before(int order, int64 a, int64 b)
{
	return order > 0 ? a < b : a > b;
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

	pool_reserve(r, r->npool - r->pos + r->nbuf);
	/* walk the chunk in output order */
	while (i < r->npool || j < r->nbuf)
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

/* Ordered mode: the head's matching samples, sorted, and the chunk order. */
static void
ordered_start(TsdbReader *r)
{
	while (r->next_block < r->nblocks)
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
	qsort(r->cands, r->ncands, sizeof(ChunkCand),
		  r->spec.order > 0 ? cmp_cand_asc : cmp_cand_desc);
}

static bool
ordered_next(TsdbReader *r, TsdbSample *out)
{
	int			order = r->spec.order;

	for (;;)
	{
		const ChunkCand *c;

		if (r->next_cand >= r->ncands)
			break;
		c = &r->cands[r->next_cand];

		/* can the next chunk hold a sample before the pool's first? */
		if (r->pos < r->npool &&
			ts_before(order, r->pool[r->pos].ts,
					  order > 0 ? c->min_ts : c->max_ts))
			break;
		r->next_cand++;
		decode_chunk(r, c);
		pool_merge_chunk(r);
	}
	if (r->pos >= r->npool)
		return false;
	*out = r->pool[r->pos++];
	return true;
}

TsdbReader *
tsdb_reader_begin(Relation rel, Snapshot snapshot, const TsdbReadSpec *spec,
				  TsdbScanCounters *counters)
{
	TsdbReader *r = palloc0(sizeof(TsdbReader));

	r->rel = rel;
	r->snapshot = snapshot;
	r->spec = *spec;
	r->counters = counters;
	tsdb_xid_memo_init(&r->memo);
	r->empty = spec->lo > spec->hi || (!spec->all_series && spec->nseries == 0);
	counters->series_matched += spec->all_series ? 0 : spec->nseries;

	r->nblocks = RelationGetNumberOfBlocks(rel);
	r->next_block = r->empty ? r->nblocks : 1;
	r->candcap = 64;
	r->cands = palloc(sizeof(ChunkCand) * r->candcap);
	r->buf = palloc(sizeof(TsdbSample) *
					Max((int) TSDB_HEAD_MAX_SAMPLES, TSDB_CHUNK_MAX_SAMPLES));
	r->page_samples = palloc(sizeof(TsdbSample) * TSDB_HEAD_MAX_SAMPLES);
	r->page_ordinals = palloc(sizeof(uint16) * TSDB_HEAD_MAX_SAMPLES);

	/*
	 * The listed segments' pages and directories first; then the chunks;
	 * the head is read after them, as the sequential scan does.
	 */
	r->segment_pages = r->empty ? NULL :
		tsdb_segment_page_map(rel, r->nblocks);
	list_chunks(r);
	if (spec->order != 0)
	{
		r->poolcap = 256;
		r->pool = palloc(sizeof(TsdbSample) * r->poolcap);
		r->merge = palloc(sizeof(TsdbSample) * r->poolcap);
		ordered_start(r);
	}
	return r;
}

/* The next matching sample, or false when there is none. */
bool
tsdb_reader_next(TsdbReader *r, TsdbSample *out)
{
	if (r->spec.order != 0)
		return ordered_next(r, out);
	for (;;)
	{
		if (r->pos < r->nbuf)
		{
			*out = r->buf[r->pos++];
			return true;
		}
		if (r->next_cand < r->ncands)
		{
			decode_chunk(r, &r->cands[r->next_cand++]);
			r->pos = 0;
		}
		else if (r->next_block < r->nblocks)
			read_head_block(r);
		else
			return false;
	}
}
