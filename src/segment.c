/*-------------------------------------------------------------------------
 *
 * segment.c
 *	  Writing and reading the compressed chunk pages of a segment.
 *
 * The writer builds each page in local memory and hands it to shared
 * buffers in one critical section with a full-page image in a SEGMENT_PAGE
 * record: a segment page never changes after it is written, so its image is
 * the most compact redo there is (the hole past pd_lower is left out).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "block_cache.h"
#include "compress.h"
#include "recycle.h"
#include "segment.h"
#include "tsdb.h"
#include "wal.h"

int			tsdb_chunk_samples = 2048;

/*
 * Filling the end of a page with the first part of a chunk that does not
 * fit costs a second header, two more timestamp columns (the part's own, and
 * on the next page one for the chunks that shared the page's column) and
 * column headers: about 100 bytes on the real data.  So a page is only
 * topped up when at least this much room is left, and with no part smaller
 * than TOP_UP_MIN_SAMPLES.
 */
#define TOP_UP_MIN_FREE		256
#define TOP_UP_MIN_SAMPLES	8

/* A timestamp column owned by a chunk of the page being filled. */
typedef struct TsOwner
{
	uint16		offset;			/* the owning chunk's header */
	uint16		column;			/* its timestamp column */
	uint16		len;
	uint32		hash;
} TsOwner;

#define MAX_TS_OWNERS	64

struct TsdbSegmentWriter
{
	Relation	rel;
	uint32		segment_id;

	/* the page being filled: its image and its (locked, new) buffer */
	PGAlignedBlock image;
	Buffer		buf;
	TsdbChunkBase base;			/* valid once the page has a chunk */
	TsOwner		owners[MAX_TS_OWNERS];
	int			nowners;

	/* encoding scratch */
	uint8	   *tsbuf;
	size_t		tscap;
	uint8	   *valbuf;
	size_t		valcap;

	/* the directory: each page written, with its first chunk's key */
	TsdbSegmentDirEntry *dir;
	uint32		dircap;

	/* what finish() reports */
	BlockNumber first_block;
	uint32		npages;
	uint32		nseries;
	uint32		last_series;
	int64		min_ts;
	int64		max_ts;
	uint64		nsamples;
};

/* A page for the segment, exclusively locked: recycled or new. */
static Buffer
new_block(Relation rel)
{
	return tsdb_page_alloc(rel, TSDB_PAGE_SEGMENT);
}

/* Start filling an empty page image for the block in "buf". */
static void
init_image(TsdbSegmentWriter *w, Buffer buf)
{
	Page		page = (Page) w->image.data;

	tsdb_page_init(page, TSDB_PAGE_SEGMENT);
	TsdbPageGetOpaque(page)->segment_id = w->segment_id;
	w->nowners = 0;
	w->buf = buf;
	if (w->npages == 0)
		w->first_block = BufferGetBlockNumber(buf);
	w->npages++;
}

/*
 * Write a complete segment page image into its (locked) buffer, linked to
 * "next" (or the chain's end), as a full-page image; release the buffer.
 */
void
tsdb_segment_put_page(Relation rel, Buffer buf, Page image, BlockNumber next)
{
	Page		page = BufferGetPage(buf);

	TsdbPageGetOpaque(image)->next = next;

	START_CRIT_SECTION();
	memcpy(page, image, BLCKSZ);
	MarkBufferDirty(buf);
	if (RelationNeedsWAL(rel))
	{
		XLogRecPtr	lsn;

		XLogBeginInsert();
		XLogRegisterBuffer(0, buf, REGBUF_FORCE_IMAGE | REGBUF_STANDARD);
		lsn = XLogInsert(TSDB_RMGR_ID, XLOG_TSDB_SEGMENT_PAGE);
		PageSetLSN(page, lsn);
	}
	END_CRIT_SECTION();
	UnlockReleaseBuffer(buf);
}

/*
 * Note a page's block and first chunk in a growing directory array.  A page
 * without chunks (none is written, but copies check) takes the key of the
 * page before it, which keeps the keys in order.
 */
static void
dir_append(TsdbSegmentDirEntry **dir, uint32 *cap, uint32 n,
		   BlockNumber blkno, Page page)
{
	TsdbSegmentDirEntry *e;

	if (n >= *cap)
	{
		*cap = Max(*cap * 2, 64);
		*dir = *dir ? repalloc_huge(*dir, sizeof(TsdbSegmentDirEntry) * *cap) :
			palloc(sizeof(TsdbSegmentDirEntry) * *cap);
	}
	e = &(*dir)[n];
	e->blkno = blkno;
	if (TsdbPageGetOpaque(page)->nitems > 0)
	{
		TsdbChunkBase base;

		tsdb_chunk_base_get((const uint8 *) page + TSDB_SEGMENT_BASE_OFFSET, &base);
		e->series_id = base.series_id;
		e->min_ts = base.min_ts;
	}
	else
	{
		e->series_id = n > 0 ? (*dir)[n - 1].series_id : 0;
		e->min_ts = n > 0 ? (*dir)[n - 1].min_ts : PG_INT64_MIN;
	}
}

/* Write the page being filled, linked to "next" (or the chain's end). */
static void
write_page(TsdbSegmentWriter *w, BlockNumber next)
{
	dir_append(&w->dir, &w->dircap, w->npages - 1,
			   BufferGetBlockNumber(w->buf), (Page) w->image.data);
	tsdb_segment_put_page(w->rel, w->buf, (Page) w->image.data, next);
	w->buf = InvalidBuffer;
}

/* Write the page being filled and go on with a new one chained to it. */
static void
next_page(TsdbSegmentWriter *w)
{
	Buffer		next = new_block(w->rel);

	write_page(w, BufferGetBlockNumber(next));
	init_image(w, next);
}

TsdbSegmentWriter *
tsdb_segment_writer_begin(Relation rel, uint32 segment_id)
{
	TsdbSegmentWriter *w = palloc0(sizeof(TsdbSegmentWriter));

	w->rel = rel;
	w->segment_id = segment_id;
	w->buf = InvalidBuffer;
	w->first_block = InvalidBlockNumber;
	w->tscap = tsdb_ts_encode_bound(TSDB_CHUNK_MAX_SAMPLES);
	w->tsbuf = palloc(w->tscap);
	w->valcap = tsdb_values_encode_bound(TSDB_CHUNK_MAX_SAMPLES);
	w->valbuf = palloc(w->valcap);
	w->min_ts = PG_INT64_MAX;
	w->max_ts = PG_INT64_MIN;
	return w;
}

/* Encode one chunk's columns; false if they might not fit on an empty page. */
static bool
encode_chunk(TsdbSegmentWriter *w, const int64 *ts, const float8 *values,
			 int n, size_t *tslen, size_t *vallen)
{
	TsdbCodecStatus st;

	st = tsdb_ts_encode(ts, n, w->tsbuf, w->tscap, tslen);
	if (st != TSDB_CODEC_OK)
		elog(ERROR, "tsdb could not encode timestamps: %s", tsdb_codec_strerror(st));
	st = tsdb_values_encode(values, n, w->valbuf, w->valcap, vallen);
	if (st != TSDB_CODEC_OK)
		elog(ERROR, "tsdb could not encode values: %s", tsdb_codec_strerror(st));
	return TSDB_CHUNK_BASE_SIZE + TSDB_CHUNK_HEADER_MAX + *tslen + *vallen <=
		TSDB_SEGMENT_PAGE_CAPACITY;
}

/*
 * Place the chunk just encoded (n samples) on the page being filled if it
 * fits, sharing an identical timestamp column already on the page.  With
 * dry_run, only say whether it would fit.
 */
static bool
place_chunk(TsdbSegmentWriter *w, uint32 series_id, const int64 *ts,
			const float8 *values, int n, size_t tslen, size_t vallen,
			bool dry_run)
{
	Page		page = (Page) w->image.data;
	PageHeader	ph = (PageHeader) page;
	bool		first = TsdbPageGetOpaque(page)->nitems == 0;
	TsdbChunkBase base;
	TsdbChunkHeader hdr;
	uint8		hbuf[TSDB_CHUNK_HEADER_MAX];
	size_t		hlen;
	uint32		hash = tsdb_ts_hash(w->tsbuf, tslen);
	const TsOwner *owner = NULL;
	const uint8 *tscol;
	size_t		need;
	uint16		offset;
	int			i;

	if (first)
	{
		base.min_ts = ts[0];
		base.max_ts = ts[n - 1];
		base.series_id = series_id;
	}
	else
		base = w->base;
	for (i = 0; i < w->nowners; i++)
		if (w->owners[i].hash == hash && w->owners[i].len == tslen &&
			memcmp((char *) page + w->owners[i].column, w->tsbuf, tslen) == 0)
		{
			owner = &w->owners[i];
			break;
		}

	memset(&hdr, 0, sizeof(hdr));
	hdr.series_id = series_id;
	hdr.count = n;
	hdr.values_len = vallen;
	hdr.min_ts = ts[0];
	hdr.max_ts = ts[n - 1];
	if (owner)
	{
		hdr.flags |= TSDB_CHUNK_TS_SHARED;
		hdr.ts_ref = owner->offset - TSDB_SEGMENT_CHUNKS_OFFSET;
	}
	else
		hdr.ts_len = tslen;

	/*
	 * A constant column (two thirds of the real data's chunks) gives min,
	 * max and sum exactly from its value and the count: not stored.
	 */
	if (w->valbuf[0] == TSDB_CODEC_V_CONST)
		hdr.flags |= TSDB_CHUNK_CONST_STATS;
	else
		tsdb_chunk_stats(values, n, &hdr.min, &hdr.max, &hdr.sum);
	hlen = tsdb_chunk_header_put(hbuf, &hdr, &base);

	need = (first ? TSDB_CHUNK_BASE_SIZE : 0) + hlen + hdr.ts_len + vallen;
	if (ph->pd_lower + need > ph->pd_upper)
		return false;
	if (dry_run)
		return true;

	if (first)
	{
		Assert(ph->pd_lower == TSDB_SEGMENT_BASE_OFFSET);
		tsdb_chunk_base_put((uint8 *) page + ph->pd_lower, &base);
		ph->pd_lower += TSDB_CHUNK_BASE_SIZE;
		w->base = base;
	}
	offset = ph->pd_lower;
	tscol = owner ? (uint8 *) page + owner->column : w->tsbuf;
	tsdb_chunk_header_set_checksum(hbuf,
								   tsdb_chunk_checksum((uint8 *) page + TSDB_SEGMENT_BASE_OFFSET,
													   hbuf, hlen, tscol, tslen,
													   w->valbuf, vallen));
	memcpy((char *) page + offset, hbuf, hlen);
	ph->pd_lower += hlen;
	if (!owner)
	{
		memcpy((char *) page + ph->pd_lower, w->tsbuf, tslen);
		if (w->nowners < MAX_TS_OWNERS)
		{
			w->owners[w->nowners].offset = offset;
			w->owners[w->nowners].column = ph->pd_lower;
			w->owners[w->nowners].len = tslen;
			w->owners[w->nowners].hash = hash;
			w->nowners++;
		}
		ph->pd_lower += tslen;
	}
	memcpy((char *) page + ph->pd_lower, w->valbuf, vallen);
	ph->pd_lower += vallen;
	TsdbPageGetOpaque(page)->nitems++;

	if (ts[0] < w->min_ts)
		w->min_ts = ts[0];
	if (ts[n - 1] > w->max_ts)
		w->max_ts = ts[n - 1];
	w->nsamples += n;
	return true;
}

/*
 * The next n samples do not fit on the page being filled: put as many of
 * the first ones as fit into a chunk there, so pages are not left part
 * empty.  Returns how many went (0 when the room left is not worth it).
 * Encoded sizes grow with the sample count nearly monotonically; a
 * bisection finds a count that fits, not always the largest.
 */
static int
top_up_page(TsdbSegmentWriter *w, uint32 series_id, const int64 *ts,
			const float8 *values, int n)
{
	PageHeader	ph = (PageHeader) w->image.data;
	int			lo = TOP_UP_MIN_SAMPLES;
	int			hi = n - 1;
	int			best = 0;
	size_t		tslen;
	size_t		vallen;

	if (ph->pd_upper - ph->pd_lower < TOP_UP_MIN_FREE)
		return 0;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (encode_chunk(w, ts, values, mid, &tslen, &vallen) &&
			place_chunk(w, series_id, ts, values, mid, tslen, vallen, true))
		{
			best = mid;
			lo = mid + 1;
		}
		else
			hi = mid - 1;
	}
	if (best > 0)
	{
		encode_chunk(w, ts, values, best, &tslen, &vallen);
		if (!place_chunk(w, series_id, ts, values, best, tslen, vallen, false))
			elog(ERROR, "tsdb chunk of %d samples no longer fits its page", best);
	}
	return best;
}

/*
 * Add one series' samples, sorted by time.  Calls for one series must be
 * consecutive and series must come in increasing id order.
 */
void
tsdb_segment_writer_add(TsdbSegmentWriter *w, uint32 series_id,
						const int64 *ts, const float8 *values, int n)
{
	int			done = 0;

	if (n <= 0)
		return;
	if (w->nseries == 0 || w->last_series != series_id)
	{
		w->nseries++;
		w->last_series = series_id;
	}
	if (!BufferIsValid(w->buf))
		init_image(w, new_block(w->rel));
	while (done < n)
	{
		int			k = Min(n - done, Min(tsdb_chunk_samples, TSDB_CHUNK_MAX_SAMPLES));
		size_t		tslen;
		size_t		vallen;

		CHECK_FOR_INTERRUPTS();
		/* noisy values may not fit a page at the chunk size: halve it */
		while (!encode_chunk(w, ts + done, values + done, k, &tslen, &vallen))
		{
			if (k == 1)
				elog(ERROR, "tsdb chunk of one sample does not fit on a page");
			k /= 2;
		}
		if (place_chunk(w, series_id, ts + done, values + done, k, tslen,
						vallen, false))
		{
			done += k;
			continue;
		}
		/* full: top the page up, then go on with the rest on a new page */
		done += top_up_page(w, series_id, ts + done, values + done, k);
		next_page(w);
	}
}

void
tsdb_segment_writer_finish(TsdbSegmentWriter *w, TsdbSegmentEntry *entry)
{
	if (BufferIsValid(w->buf))
		write_page(w, InvalidBlockNumber);
	memset(entry, 0, sizeof(TsdbSegmentEntry));
	entry->segment_id = w->segment_id;
	entry->first_block = w->first_block;
	entry->npages = w->npages;
	entry->nseries = w->nseries;
	entry->min_ts = w->nsamples ? w->min_ts : 0;
	entry->max_ts = w->nsamples ? w->max_ts : 0;
	entry->nsamples = w->nsamples;
	entry->dir_block = InvalidBlockNumber;
	entry->dir_pages = 0;
	if (w->npages >= TSDB_SEGMENT_DIR_MIN_PAGES)
		tsdb_segment_dir_write(w->rel, w->segment_id, w->dir, w->npages, entry);
	if (w->dir)
		pfree(w->dir);
	pfree(w->tsbuf);
	pfree(w->valbuf);
	pfree(w);
}

static void
chunk_corrupted(Relation rel, BlockNumber blkno, uint16 offset,
				const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("corrupted chunk in tsdb relation \"%s\" at block %u, offset %u",
					RelationGetRelationName(rel), blkno, offset),
			 errdetail("%s", detail)));
}

/* A chunk located on its page: header, and where its columns are. */
typedef struct ChunkRef
{
	TsdbChunkHeader hdr;
	size_t		hlen;
	const uint8 *ts;			/* own or shared timestamp column */
	size_t		tslen;
	const uint8 *values;
	uint16		end;			/* page offset just past the chunk */
} ChunkRef;

/* The base of a segment page, which must lie within pd_lower. */
static void
page_base(Relation rel, Page page, BlockNumber blkno, TsdbChunkBase *base)
{
	if (((PageHeader) page)->pd_lower < TSDB_SEGMENT_CHUNKS_OFFSET)
		chunk_corrupted(rel, blkno, TSDB_SEGMENT_BASE_OFFSET,
						"The page's chunk base overruns the page.");
	tsdb_chunk_base_get((const uint8 *) page + TSDB_SEGMENT_BASE_OFFSET, base);
}

/*
 * Read and check the header at "offset" (before pd_lower) and find the
 * chunk's columns: they must lie within pd_lower, a shared timestamp column
 * in an earlier chunk that owns one.  The checksum is not verified here.
 */
static void
chunk_locate(Relation rel, Page page, BlockNumber blkno, uint16 offset,
			 const TsdbChunkBase *base, ChunkRef *c)
{
	const uint8 *p = (const uint8 *) page;
	uint16		lower = ((PageHeader) page)->pd_lower;
	TsdbCodecStatus st;

	if (offset < TSDB_SEGMENT_CHUNKS_OFFSET || offset >= lower)
		chunk_corrupted(rel, blkno, offset, "The chunk header overruns the page.");
	st = tsdb_chunk_header_get(p + offset, lower - offset, base, &c->hdr, &c->hlen);
	if (st == TSDB_CODEC_E_TRUNCATED)
		chunk_corrupted(rel, blkno, offset, "The chunk header overruns the page.");
	if (st != TSDB_CODEC_OK || c->hdr.count > TSDB_CHUNK_MAX_SAMPLES ||
		(size_t) offset + c->hlen + c->hdr.ts_len + c->hdr.values_len > lower)
		chunk_corrupted(rel, blkno, offset, "The chunk header is inconsistent.");
	c->end = offset + c->hlen + c->hdr.ts_len + c->hdr.values_len;
	c->values = p + offset + c->hlen + c->hdr.ts_len;

	if (c->hdr.flags & TSDB_CHUNK_TS_SHARED)
	{
		uint32		owner_off = TSDB_SEGMENT_CHUNKS_OFFSET + c->hdr.ts_ref;
		TsdbChunkHeader owner;
		size_t		owner_hlen;

		if (owner_off >= offset ||
			tsdb_chunk_header_get(p + owner_off, offset - owner_off, base,
								  &owner, &owner_hlen) != TSDB_CODEC_OK ||
			(owner.flags & TSDB_CHUNK_TS_SHARED) ||
			owner_off + owner_hlen + owner.ts_len > offset)
			chunk_corrupted(rel, blkno, offset, "The shared timestamp column is missing.");
		c->ts = p + owner_off + owner_hlen;
		c->tslen = owner.ts_len;
	}
	else
	{
		c->ts = p + offset + c->hlen;
		c->tslen = c->hdr.ts_len;
	}
}

/*
 * List the chunk offsets of a segment page (locked by the caller), checking
 * that every header and column lies within the page.  Returns the count.
 */
int
tsdb_segment_page_chunks(Relation rel, Page page, BlockNumber blkno,
						 uint16 *offsets, int max)
{
	TsdbChunkBase base;
	uint16		off = TSDB_SEGMENT_CHUNKS_OFFSET;
	uint16		end;
	int			n = 0;

	tsdb_page_check(rel, page, blkno, TSDB_PAGE_SEGMENT);
	end = ((PageHeader) page)->pd_lower;
	if (end == TSDB_SEGMENT_BASE_OFFSET && TsdbPageGetOpaque(page)->nitems == 0)
		return 0;
	page_base(rel, page, blkno, &base);
	while (off < end)
	{
		ChunkRef	c;

		if (n >= max)
			chunk_corrupted(rel, blkno, off, "The chunk header overruns the page.");
		chunk_locate(rel, page, blkno, off, &base, &c);
		offsets[n++] = off;
		off = c.end;
	}
	if (n != TsdbPageGetOpaque(page)->nitems)
		chunk_corrupted(rel, blkno, off, "The page's chunk count does not match its chunks.");
	return n;
}

/* Verify the checksum of a located chunk. */
static void
chunk_check_sum(Relation rel, Page page, BlockNumber blkno, uint16 offset,
				const ChunkRef *c)
{
	if (tsdb_chunk_checksum((const uint8 *) page + TSDB_SEGMENT_BASE_OFFSET,
							(const uint8 *) page + offset, c->hlen,
							c->ts, c->tslen,
							c->values, c->hdr.values_len) != c->hdr.checksum)
		chunk_corrupted(rel, blkno, offset, "The chunk's checksum does not match.");
}

/* Locate a chunk and verify its checksum. */
static void
chunk_verify(Relation rel, Page page, BlockNumber blkno, uint16 offset,
			 ChunkRef *c)
{
	TsdbChunkBase base;

	tsdb_page_check(rel, page, blkno, TSDB_PAGE_SEGMENT);
	page_base(rel, page, blkno, &base);
	chunk_locate(rel, page, blkno, offset, &base, c);
	chunk_check_sum(rel, page, blkno, offset, c);
}

/*
 * A chunk's header with its min/max/sum (derived for a constant chunk), the
 * bytes of its header and all the bytes it takes on its page (the base and
 * a shared timestamp column not counted), checksum verified.  For
 * inspection.
 */
void
tsdb_chunk_header(Relation rel, Page page, BlockNumber blkno, uint16 offset,
				  TsdbChunkHeader *hdr, int *header_bytes, int *bytes)
{
	ChunkRef	c;

	chunk_verify(rel, page, blkno, offset, &c);
	if ((c.hdr.flags & TSDB_CHUNK_CONST_STATS) &&
		tsdb_chunk_const_stats(c.values, c.hdr.values_len, &c.hdr) != TSDB_CODEC_OK)
		chunk_corrupted(rel, blkno, offset, "The value column of a constant chunk is not constant.");
	*hdr = c.hdr;
	*header_bytes = c.hlen;
	*bytes = c.end - offset;
}

/*
 * Describe the chunk at "offset" of a segment page (locked by the caller,
 * offsets from tsdb_segment_page_chunks, which checked the bounds): no
 * decoding, no checksum.  For statistics.
 */
void
tsdb_chunk_info(Relation rel, Page page, BlockNumber blkno, uint16 offset,
				TsdbChunkInfo *info)
{
	TsdbChunkBase base;
	ChunkRef	c;

	page_base(rel, page, blkno, &base);
	chunk_locate(rel, page, blkno, offset, &base, &c);
	info->series_id = c.hdr.series_id;
	info->count = c.hdr.count;
	info->min_ts = c.hdr.min_ts;
	info->max_ts = c.hdr.max_ts;
	info->header_bytes = c.hlen;
	info->ts_bytes = c.hdr.ts_len;
	info->value_bytes = c.hdr.values_len;
	info->values = c.values;
}

/* Work space for the value decoder, kept for the backend's life. */
static void *decode_work;
static size_t decode_work_size;
static int64 *decode_ts;
static float8 *decode_values;

/*
 * The bytes a located chunk's samples depend on: the page's chunk base, its
 * header and its two columns (block_cache.h).
 */
static void
chunk_image(Page page, uint16 offset, const ChunkRef *c, TsdbChunkImage *img)
{
	img->part[0] = (const uint8 *) page + TSDB_SEGMENT_BASE_OFFSET;
	img->len[0] = TSDB_CHUNK_BASE_SIZE;
	img->part[1] = (const uint8 *) page + offset;
	img->len[1] = c->hlen;
	img->part[2] = c->ts;
	img->len[2] = c->tslen;
	img->part[3] = c->values;
	img->len[3] = c->hdr.values_len;
}

/*
 * Decode the chunk at "offset" of a segment page (locked by the caller,
 * offsets from tsdb_segment_page_chunks) into out[], which has room for
 * TSDB_CHUNK_MAX_SAMPLES, through the block cache as "use" says (NULL: look
 * up and keep).  Returns the number of samples.  The chunk is located and
 * its header checked whether or not the cache holds it, so a damaged page
 * is reported the same either way; a hit skips the checksum, as the cached
 * copy is of bytes that passed it.
 */
int
tsdb_chunk_decode_cached(Relation rel, Page page, BlockNumber blkno,
						 uint16 offset, TsdbSample *out, TsdbCacheUse *use)
{
	return tsdb_chunk_decode_part(rel, page, blkno, offset, 0, true, out,
								  use);
}

/*
 * The same, but only the first "part" samples (part > 0) or the last -part
 * (part < 0) are copied to out[] (0: all); returns how many.  A reader
 * that needs no more, under a LIMIT, then copies a few samples of a cached
 * chunk rather than all of them.  The whole chunk is decoded on a miss,
 * and kept whole, unless "values" is false: then a miss decodes only the
 * timestamps (the values of out[] are 0) and keeps nothing, since a cache
 * entry holds both.  The checksum covers the values either way.
 */
int
tsdb_chunk_decode_part(Relation rel, Page page, BlockNumber blkno,
					   uint16 offset, int part, bool values, TsdbSample *out,
					   TsdbCacheUse *use)
{
	TsdbChunkBase base;
	ChunkRef	c;
	TsdbChunkImage img;
	int			flags = use ? use->flags : 0;
	bool		cached = tsdb_block_cache_enabled() && !(flags & TSDB_CACHE_BYPASS);
	uint32		n;
	TsdbCodecStatus st;
	int			i;
	uint32		first;
	uint32		max;

	if (decode_work == NULL)
	{
		decode_work_size = tsdb_values_decode_work_size(TSDB_CHUNK_MAX_SAMPLES);
		decode_work = MemoryContextAlloc(TopMemoryContext, decode_work_size);
		decode_ts = MemoryContextAlloc(TopMemoryContext,
									   sizeof(int64) * TSDB_CHUNK_MAX_SAMPLES);
		decode_values = MemoryContextAlloc(TopMemoryContext,
										   sizeof(float8) * TSDB_CHUNK_MAX_SAMPLES);
	}

	tsdb_page_check(rel, page, blkno, TSDB_PAGE_SEGMENT);
	page_base(rel, page, blkno, &base);
	chunk_locate(rel, page, blkno, offset, &base, &c);
	/* the header's count was checked by chunk_locate; the cache's is kept */
	first = part < 0 && (uint32) -part < c.hdr.count ?
		c.hdr.count - (uint32) -part : 0;
	max = part == 0 ? TSDB_CHUNK_MAX_SAMPLES : (uint32) Abs(part);
	if (cached)
	{
		int			hit;

		chunk_image(page, offset, &c, &img);
		hit = tsdb_block_cache_get(rel, blkno, offset, &img, first, max, out);
		if (hit >= 0)
		{
			if (use)
				use->hits++;
			return hit;
		}
		if (use)
			use->misses++;
	}
	chunk_check_sum(rel, page, blkno, offset, &c);

	st = tsdb_ts_decode(c.ts, c.tslen, decode_ts, TSDB_CHUNK_MAX_SAMPLES, &n);
	if (st != TSDB_CODEC_OK)
		chunk_corrupted(rel, blkno, offset, tsdb_codec_strerror(st));
	if (n != c.hdr.count || decode_ts[0] != c.hdr.min_ts ||
		decode_ts[n - 1] != c.hdr.max_ts)
		chunk_corrupted(rel, blkno, offset, "The timestamps do not match the chunk header.");
	if (values)
	{
		st = tsdb_values_decode(c.values, c.hdr.values_len, decode_values,
								TSDB_CHUNK_MAX_SAMPLES, &n, decode_work,
								decode_work_size);
		if (st != TSDB_CODEC_OK)
			chunk_corrupted(rel, blkno, offset, tsdb_codec_strerror(st));
		if (n != c.hdr.count)
			chunk_corrupted(rel, blkno, offset, "The value count does not match the chunk header.");
		if (cached && !(flags & TSDB_CACHE_NO_INSERT))
			tsdb_block_cache_put(rel, blkno, offset, &img, c.hdr.series_id,
								 decode_ts, decode_values, n);
	}

	n = first < n ? Min(max, n - first) : 0;
	for (i = 0; i < (int) n; i++)
	{
		out[i].series_id = c.hdr.series_id;
		out[i].ts = decode_ts[first + i];
		out[i].value = values ? decode_values[first + i] : 0;
	}
	return n;
}

/* Decode a chunk through the block cache, keeping it on a miss. */
int
tsdb_chunk_decode(Relation rel, Page page, BlockNumber blkno, uint16 offset,
				  TsdbSample *out)
{
	return tsdb_chunk_decode_cached(rel, page, blkno, offset, out, NULL);
}

/*
 * Walk a segment's page chain and call fn for every page, share-locked, with
 * its chunk offsets, until fn returns false.  The chain must stay within the
 * segment's page count and below nblocks (pass InvalidBlockNumber to take
 * the relation's size).  Returns the pages read.
 */
uint32
tsdb_segment_foreach_page(Relation rel, const TsdbSegmentEntry *seg,
						  BufferAccessStrategy strategy, BlockNumber nblocks,
						  TsdbPageCallback fn, void *arg)
{
	BlockNumber blkno = seg->first_block;
	uint16		offsets[TSDB_SEGMENT_MAX_CHUNKS];
	uint32		pages = 0;

	if (!BlockNumberIsValid(nblocks))
		nblocks = RelationGetNumberOfBlocks(rel);
	while (BlockNumberIsValid(blkno))
	{
		Buffer		buf;
		Page		page;
		int			n;
		bool		more;

		CHECK_FOR_INTERRUPTS();
		if (++pages > seg->npages || blkno >= nblocks)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("segment %u of tsdb relation \"%s\" has a broken page chain",
							seg->segment_id, RelationGetRelationName(rel)),
					 errdetail("Page %u is its page number %u of %u, in a relation of %u pages.",
							   blkno, pages, seg->npages, nblocks)));
		buf = ReadBufferExtended(rel, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		n = tsdb_segment_page_chunks(rel, page, blkno, offsets, lengthof(offsets));
		more = fn(rel, page, blkno, offsets, n, arg);
		blkno = TsdbPageGetOpaque(page)->next;
		UnlockReleaseBuffer(buf);
		if (!more)
			break;
	}
	return pages;
}

typedef struct ForEachChunk
{
	TsdbChunkCallback fn;
	void	   *arg;
} ForEachChunk;

static bool
each_chunk_of_page(Relation rel, Page page, BlockNumber blkno,
				   const uint16 *offsets, int n, void *arg)
{
	ForEachChunk *fe = arg;
	int			i;

	for (i = 0; i < n; i++)
		fe->fn(rel, page, blkno, offsets[i], fe->arg);
	return true;
}

/* Call fn for every chunk of a segment, its page share-locked. */
void
tsdb_segment_foreach_chunk(Relation rel, const TsdbSegmentEntry *seg,
						   BufferAccessStrategy strategy, BlockNumber nblocks,
						   TsdbChunkCallback fn, void *arg)
{
	ForEachChunk fe = {fn, arg};

	tsdb_segment_foreach_page(rel, seg, strategy, nblocks,
							  each_chunk_of_page, &fe);
}

/*
 * VACUUM FULL: copy a segment's pages, unchanged but for their chain links,
 * into the new storage of the table (same series ids).  Fills the new
 * entry's first_block; the caller keeps the rest of the entry.
 */
void
tsdb_segment_copy(Relation src, const TsdbSegmentEntry *seg, Relation dst,
				  TsdbSegmentEntry *out)
{
	BlockNumber blkno = seg->first_block;
	BlockNumber nblocks = RelationGetNumberOfBlocks(src);
	PGAlignedBlock image;
	Buffer		prev = InvalidBuffer;
	uint32		pages = 0;
	TsdbSegmentDirEntry *dir = NULL;
	uint32		dircap = 0;

	*out = *seg;
	out->first_block = InvalidBlockNumber;
	out->dir_block = InvalidBlockNumber;
	out->dir_pages = 0;
	while (BlockNumberIsValid(blkno))
	{
		Buffer		buf;
		Buffer		newbuf;
		Page		page;
		uint16		offsets[TSDB_SEGMENT_MAX_CHUNKS];

		CHECK_FOR_INTERRUPTS();
		if (++pages > seg->npages || blkno >= nblocks)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("segment %u of tsdb relation \"%s\" has a broken page chain",
							seg->segment_id, RelationGetRelationName(src))));
		newbuf = tsdb_page_alloc(dst, TSDB_PAGE_SEGMENT);
		if (BufferIsValid(prev))
			tsdb_segment_put_page(dst, prev, (Page) image.data, BufferGetBlockNumber(newbuf));
		else
			out->first_block = BufferGetBlockNumber(newbuf);
		prev = newbuf;

		buf = ReadBuffer(src, blkno);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		/* check what is copied, so damage does not spread silently */
		tsdb_segment_page_chunks(src, page, blkno, offsets, lengthof(offsets));
		memcpy(image.data, page, BLCKSZ);
		blkno = TsdbPageGetOpaque(page)->next;
		UnlockReleaseBuffer(buf);
		dir_append(&dir, &dircap, pages - 1, BufferGetBlockNumber(newbuf),
				   (Page) image.data);
	}
	if (BufferIsValid(prev))
		tsdb_segment_put_page(dst, prev, (Page) image.data, InvalidBlockNumber);
	out->npages = pages;
	/* the pages moved: a directory of their new places */
	if (pages >= TSDB_SEGMENT_DIR_MIN_PAGES)
		tsdb_segment_dir_write(dst, seg->segment_id, dir, pages, out);
	if (dir)
		pfree(dir);
}
