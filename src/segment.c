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
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "compress.h"
#include "recycle.h"
#include "segment.h"
#include "tsdb.h"
#include "wal.h"

int			tsdb_chunk_samples = 2048;

/* A timestamp column owned by a chunk of the page being filled. */
typedef struct TsOwner
{
	uint16		offset;			/* the owning chunk's header */
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
	TsOwner		owners[MAX_TS_OWNERS];
	int			nowners;

	/* encoding scratch */
	uint8	   *tsbuf;
	size_t		tscap;
	uint8	   *valbuf;
	size_t		valcap;

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

static void
start_page(TsdbSegmentWriter *w)
{
	Page		page = (Page) w->image.data;

	tsdb_page_init(page, TSDB_PAGE_SEGMENT);
	TsdbPageGetOpaque(page)->segment_id = w->segment_id;
	w->nowners = 0;
	w->buf = new_block(w->rel);
	if (w->npages == 0)
		w->first_block = BufferGetBlockNumber(w->buf);
	w->npages++;
}

/*
 * Write a complete segment page image into its (locked) buffer, linked to
 * "next" (or the chain's end), as a full-page image; release the buffer.
 */
static void
put_page(Relation rel, Buffer buf, Page image, BlockNumber next)
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

/* Write the page being filled, linked to "next" (or the chain's end). */
static void
write_page(TsdbSegmentWriter *w, BlockNumber next)
{
	put_page(w->rel, w->buf, (Page) w->image.data, next);
	w->buf = InvalidBuffer;
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

/* Encode one chunk's columns; false if they do not fit on an empty page. */
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
	return TSDB_CHUNK_HEADER_SIZE + *tslen + *vallen <= TSDB_SEGMENT_PAGE_CAPACITY;
}

/*
 * Place one encoded chunk on the current page (or a new one), sharing an
 * identical timestamp column already on the page.
 */
static void
place_chunk(TsdbSegmentWriter *w, uint32 series_id, const int64 *ts,
			const float8 *values, int n, size_t tslen, size_t vallen)
{
	Page		page = (Page) w->image.data;
	PageHeader	ph = (PageHeader) page;
	TsdbChunkHeader hdr;
	uint32		hash = tsdb_ts_hash(w->tsbuf, tslen);
	uint16		ts_ref = 0;
	size_t		need;
	uint16		offset;
	uint32		crc;
	int			i;

	if (!BufferIsValid(w->buf))
		start_page(w);

	for (;;)
	{
		ts_ref = 0;
		for (i = 0; i < w->nowners; i++)
			if (w->owners[i].hash == hash && w->owners[i].len == tslen &&
				memcmp((char *) page + w->owners[i].offset + TSDB_CHUNK_HEADER_SIZE,
					   w->tsbuf, tslen) == 0)
			{
				ts_ref = w->owners[i].offset;
				break;
			}
		need = TSDB_CHUNK_HEADER_SIZE + (ts_ref ? 0 : tslen) + vallen;
		if (ph->pd_lower + need <= ph->pd_upper)
			break;
		/* full: chain a new page */
		{
			Buffer		old = w->buf;
			Buffer		next;

			next = new_block(w->rel);
			w->buf = old;
			write_page(w, BufferGetBlockNumber(next));
			tsdb_page_init(page, TSDB_PAGE_SEGMENT);
			TsdbPageGetOpaque(page)->segment_id = w->segment_id;
			w->nowners = 0;
			w->buf = next;
			w->npages++;
		}
	}

	memset(&hdr, 0, sizeof(hdr));
	hdr.series_id = series_id;
	hdr.count = n;
	hdr.ts_ref = ts_ref;
	hdr.ts_len = ts_ref ? 0 : tslen;
	hdr.values_len = vallen;
	hdr.min_ts = ts[0];
	hdr.max_ts = ts[n - 1];
	hdr.min = values[0];
	hdr.max = values[0];
	hdr.sum = 0;
	for (i = 0; i < n; i++)
	{
		/* PostgreSQL's float8 order: NaN above everything */
		if (float8_lt(values[i], hdr.min))
			hdr.min = values[i];
		if (float8_gt(values[i], hdr.max))
			hdr.max = values[i];
		hdr.sum += values[i];
	}

	offset = ph->pd_lower;
	crc = tsdb_crc32c(&hdr, TSDB_CHUNK_HEADER_SIZE);
	if (!ts_ref)
		crc = tsdb_crc32c_extend(crc, w->tsbuf, tslen);
	crc = tsdb_crc32c_extend(crc, w->valbuf, vallen);
	hdr.checksum = crc;

	memcpy((char *) page + offset, &hdr, TSDB_CHUNK_HEADER_SIZE);
	ph->pd_lower += TSDB_CHUNK_HEADER_SIZE;
	if (!ts_ref)
	{
		memcpy((char *) page + ph->pd_lower, w->tsbuf, tslen);
		ph->pd_lower += tslen;
		if (w->nowners < MAX_TS_OWNERS)
		{
			w->owners[w->nowners].offset = offset;
			w->owners[w->nowners].len = tslen;
			w->owners[w->nowners].hash = hash;
			w->nowners++;
		}
	}
	memcpy((char *) page + ph->pd_lower, w->valbuf, vallen);
	ph->pd_lower += vallen;
	TsdbPageGetOpaque(page)->nitems++;

	if (ts[0] < w->min_ts)
		w->min_ts = ts[0];
	if (ts[n - 1] > w->max_ts)
		w->max_ts = ts[n - 1];
	w->nsamples += n;
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
		place_chunk(w, series_id, ts + done, values + done, k, tslen, vallen);
		done += k;
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

/*
 * List the chunk offsets of a segment page (locked by the caller), checking
 * that every header and column lies within the page.  Returns the count.
 */
int
tsdb_segment_page_chunks(Relation rel, Page page, BlockNumber blkno,
						 uint16 *offsets, int max)
{
	char	   *base = (char *) page;
	int			off = MAXALIGN(SizeOfPageHeaderData);
	int			end;
	int			n = 0;

	tsdb_page_check(rel, page, blkno, TSDB_PAGE_SEGMENT);
	end = ((PageHeader) page)->pd_lower;
	while (off < end)
	{
		TsdbChunkHeader hdr;

		if (off + TSDB_CHUNK_HEADER_SIZE > end || n >= max)
			chunk_corrupted(rel, blkno, off, "The chunk header overruns the page.");
		memcpy(&hdr, base + off, TSDB_CHUNK_HEADER_SIZE);
		if (hdr.count == 0 || hdr.count > TSDB_CHUNK_MAX_SAMPLES ||
			off + TSDB_CHUNK_HEADER_SIZE + hdr.ts_len + hdr.values_len > end ||
			(hdr.ts_ref == 0) == (hdr.ts_len == 0) ||
			(hdr.ts_ref != 0 && hdr.ts_ref >= off))
			chunk_corrupted(rel, blkno, off, "The chunk header is inconsistent.");
		offsets[n++] = off;
		off += TSDB_CHUNK_HEADER_SIZE + hdr.ts_len + hdr.values_len;
	}
	if (n != TsdbPageGetOpaque(page)->nitems)
		chunk_corrupted(rel, blkno, off, "The page's chunk count does not match its chunks.");
	return n;
}

/*
 * Describe the chunk at "offset" of a segment page (locked by the caller,
 * offsets from tsdb_segment_page_chunks, which checked the bounds).
 */
void
tsdb_chunk_info(Page page, uint16 offset, TsdbChunkInfo *info)
{
	TsdbChunkHeader hdr;

	memcpy(&hdr, (char *) page + offset, TSDB_CHUNK_HEADER_SIZE);
	info->series_id = hdr.series_id;
	info->count = hdr.count;
	info->header_bytes = TSDB_CHUNK_HEADER_SIZE;
	info->ts_bytes = hdr.ts_len;
	info->value_bytes = hdr.values_len;
	info->values = (const uint8 *) page + offset + TSDB_CHUNK_HEADER_SIZE + hdr.ts_len;
}

/* Work space for the value decoder, kept for the backend's life. */
static void *decode_work;
static size_t decode_work_size;
static int64 *decode_ts;
static float8 *decode_values;

/*
 * Decode the chunk at "offset" of a segment page (locked by the caller,
 * offsets from tsdb_segment_page_chunks) into out[], which has room for
 * TSDB_CHUNK_MAX_SAMPLES.  Returns the number of samples.
 */
int
tsdb_chunk_decode(Relation rel, Page page, BlockNumber blkno, uint16 offset,
				  TsdbSample *out)
{
	char	   *base = (char *) page;
	TsdbChunkHeader hdr;
	TsdbChunkHeader check;
	const uint8 *tscol;
	size_t		tslen;
	const uint8 *valcol;
	uint32		crc;
	uint32		n;
	TsdbCodecStatus st;
	int			i;

	if (decode_work == NULL)
	{
		decode_work_size = tsdb_values_decode_work_size(TSDB_CHUNK_MAX_SAMPLES);
		decode_work = MemoryContextAlloc(TopMemoryContext, decode_work_size);
		decode_ts = MemoryContextAlloc(TopMemoryContext,
									   sizeof(int64) * TSDB_CHUNK_MAX_SAMPLES);
		decode_values = MemoryContextAlloc(TopMemoryContext,
										   sizeof(float8) * TSDB_CHUNK_MAX_SAMPLES);
	}

	memcpy(&hdr, base + offset, TSDB_CHUNK_HEADER_SIZE);
	if (hdr.ts_ref)
	{
		TsdbChunkHeader owner;

		memcpy(&owner, base + hdr.ts_ref, TSDB_CHUNK_HEADER_SIZE);
		if (owner.ts_ref != 0 || owner.ts_len == 0 ||
			hdr.ts_ref + TSDB_CHUNK_HEADER_SIZE + owner.ts_len > offset)
			chunk_corrupted(rel, blkno, offset, "The shared timestamp column is missing.");
		tscol = (const uint8 *) base + hdr.ts_ref + TSDB_CHUNK_HEADER_SIZE;
		tslen = owner.ts_len;
	}
	else
	{
		tscol = (const uint8 *) base + offset + TSDB_CHUNK_HEADER_SIZE;
		tslen = hdr.ts_len;
	}
	valcol = (const uint8 *) base + offset + TSDB_CHUNK_HEADER_SIZE + hdr.ts_len;

	check = hdr;
	check.checksum = 0;
	crc = tsdb_crc32c(&check, TSDB_CHUNK_HEADER_SIZE);
	if (!hdr.ts_ref)
		crc = tsdb_crc32c_extend(crc, tscol, tslen);
	crc = tsdb_crc32c_extend(crc, valcol, hdr.values_len);
	if (crc != hdr.checksum)
		chunk_corrupted(rel, blkno, offset, "The chunk's checksum does not match.");

	st = tsdb_ts_decode(tscol, tslen, decode_ts, TSDB_CHUNK_MAX_SAMPLES, &n);
	if (st != TSDB_CODEC_OK)
		chunk_corrupted(rel, blkno, offset, tsdb_codec_strerror(st));
	if (n != hdr.count || decode_ts[0] != hdr.min_ts || decode_ts[n - 1] != hdr.max_ts)
		chunk_corrupted(rel, blkno, offset, "The timestamps do not match the chunk header.");
	st = tsdb_values_decode(valcol, hdr.values_len, decode_values,
							TSDB_CHUNK_MAX_SAMPLES, &n, decode_work,
							decode_work_size);
	if (st != TSDB_CODEC_OK)
		chunk_corrupted(rel, blkno, offset, tsdb_codec_strerror(st));
	if (n != hdr.count)
		chunk_corrupted(rel, blkno, offset, "The value count does not match the chunk header.");

	for (i = 0; i < (int) n; i++)
	{
		out[i].series_id = hdr.series_id;
		out[i].ts = decode_ts[i];
		out[i].value = decode_values[i];
	}
	return n;
}

/*
 * Walk a segment's page chain and call fn for every chunk, with the page
 * share-locked.  The chain must stay within the segment's page count and
 * below nblocks (pass InvalidBlockNumber to take the relation's size).
 */
void
tsdb_segment_foreach_chunk(Relation rel, const TsdbSegmentEntry *seg,
						   BufferAccessStrategy strategy, BlockNumber nblocks,
						   TsdbChunkCallback fn, void *arg)
{
	BlockNumber blkno = seg->first_block;
	uint16		offsets[BLCKSZ / TSDB_CHUNK_HEADER_SIZE];
	uint32		pages = 0;

	if (!BlockNumberIsValid(nblocks))
		nblocks = RelationGetNumberOfBlocks(rel);
	while (BlockNumberIsValid(blkno))
	{
		Buffer		buf;
		Page		page;
		int			n;
		int			i;

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
		for (i = 0; i < n; i++)
			fn(rel, page, blkno, offsets[i], arg);
		blkno = TsdbPageGetOpaque(page)->next;
		UnlockReleaseBuffer(buf);
	}
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

	*out = *seg;
	out->first_block = InvalidBlockNumber;
	while (BlockNumberIsValid(blkno))
	{
		Buffer		buf;
		Buffer		newbuf;
		Page		page;
		uint16		offsets[BLCKSZ / TSDB_CHUNK_HEADER_SIZE];

		CHECK_FOR_INTERRUPTS();
		if (++pages > seg->npages || blkno >= nblocks)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("segment %u of tsdb relation \"%s\" has a broken page chain",
							seg->segment_id, RelationGetRelationName(src))));
		newbuf = tsdb_page_alloc(dst, TSDB_PAGE_SEGMENT);
		if (BufferIsValid(prev))
			put_page(dst, prev, (Page) image.data, BufferGetBlockNumber(newbuf));
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
	}
	if (BufferIsValid(prev))
		put_page(dst, prev, (Page) image.data, InvalidBlockNumber);
	out->npages = pages;
}
