/*-------------------------------------------------------------------------
 *
 * compaction_write.c
 *	  Writing one new segment from head samples and the segments it
 *	  replaces, one series at a time.
 *
 * Every segment holds its chunks in (series_id, time) order, so the source
 * segments are walked side by side, like the runs of a merge sort: for each
 * series in turn its chunks are decoded from every source, samples older
 * than the cutoff (retention) are left out, and the rest, sorted with the
 * head samples of that series, go to the segment writer.  Memory holds one
 * decoded chunk per source and one series' samples, never whole segments.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "block_cache.h"
#include "compaction.h"
#include "segment.h"

/* One source segment: its chunk locations, and the chunk being read. */
typedef struct Source
{
	const TsdbSegmentEntry *seg;
	BlockNumber *blocks;
	uint16	   *offsets;
	int			nchunks;
	int			cap;
	int			next;			/* next chunk to decode */
	TsdbSample *buf;			/* the current chunk, decoded */
	int			n;
	uint32		series;			/* the current chunk's series */
	bool		done;
	TsdbCacheUse cache;			/* a merge reads each chunk once: keep none */
} Source;

/* A growable run of samples of one series. */
typedef struct SeriesBuf
{
	TsdbSample *samples;
	int64		n;
	int64		cap;
	int64	   *ts;
	float8	   *values;
	int64		colcap;
} SeriesBuf;

int
tsdb_sample_cmp(const void *a, const void *b)
{
	const TsdbSample *x = a;
	const TsdbSample *y = b;

	if (x->series_id != y->series_id)
		return x->series_id < y->series_id ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	/* duplicates: any order is right; make it deterministic */
	return memcmp(&x->value, &y->value, sizeof(float8));
}

static void
add_location(Relation rel, Page page, BlockNumber blkno, uint16 offset,
			 void *arg)
{
	Source	   *src = arg;

	if (src->nchunks >= src->cap)
	{
		src->cap *= 2;
		src->blocks = repalloc_huge(src->blocks, sizeof(BlockNumber) * src->cap);
		src->offsets = repalloc_huge(src->offsets, sizeof(uint16) * src->cap);
	}
	src->blocks[src->nchunks] = blkno;
	src->offsets[src->nchunks] = offset;
	src->nchunks++;
}

/* Decode the source's next chunk; marks the source done at its end. */
static void
source_advance(Relation rel, Source *src)
{
	Buffer		buf;
	uint32		prev = src->series;
	bool		first = (src->next == 0);

	if (src->next >= src->nchunks)
	{
		src->done = true;
		src->n = 0;
		return;
	}
	CHECK_FOR_INTERRUPTS();
	buf = ReadBuffer(rel, src->blocks[src->next]);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	src->n = tsdb_chunk_decode_cached(rel, BufferGetPage(buf),
									  src->blocks[src->next],
									  src->offsets[src->next], src->buf,
									  &src->cache);
	UnlockReleaseBuffer(buf);
	src->next++;
	src->series = src->buf[0].series_id;
	/* the merge relies on the order; damage must not reorder silently */
	if (!first && src->series < prev)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("segment %u of tsdb relation \"%s\" has chunks out of series order",
						src->seg->segment_id, RelationGetRelationName(rel)),
				 errdetail("Series %u follows series %u.", src->series, prev)));
}

static void
series_append(SeriesBuf *sb, const TsdbSample *s, int64 n)
{
	if (sb->n + n > sb->cap)
	{
		int64		cap = Max(sb->cap * 2, sb->n + n);

		if ((Size) cap * sizeof(TsdbSample) > MaxAllocHugeSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many samples of one series to compact at once")));
		sb->samples = repalloc_huge(sb->samples, cap * sizeof(TsdbSample));
		sb->cap = cap;
	}
	memcpy(&sb->samples[sb->n], s, n * sizeof(TsdbSample));
	sb->n += n;
}

/* Sort one series' samples by time and hand them to the writer. */
static void
series_emit(TsdbSegmentWriter *w, SeriesBuf *sb, uint32 series_id)
{
	int64		k;

	if (sb->n == 0)
		return;
	pg_qsort(sb->samples, sb->n, sizeof(TsdbSample), tsdb_sample_cmp);
	if (sb->n > sb->colcap)
	{
		sb->colcap = Max(sb->colcap * 2, sb->n);
		sb->ts = repalloc_huge(sb->ts, sb->colcap * sizeof(int64));
		sb->values = repalloc_huge(sb->values, sb->colcap * sizeof(float8));
	}
	for (k = 0; k < sb->n; k++)
	{
		sb->ts[k] = sb->samples[k].ts;
		sb->values[k] = sb->samples[k].value;
	}
	for (k = 0; k < sb->n; k += PG_INT32_MAX / 2)
		tsdb_segment_writer_add(w, series_id, sb->ts + k, sb->values + k,
								(int) Min(sb->n - k, PG_INT32_MAX / 2));
	sb->n = 0;
}

/*
 * Write segment "segment_id" from head samples (sorted by series and time,
 * none older than the cutoff) and the chunks of the source segments, less
 * their samples older than cutoff (counted in *removed).  Fills *entry but
 * for the MVCC stamps and level, which are the caller's.
 */
void
tsdb_write_segment(Relation rel, uint32 segment_id,
				   const TsdbSample *head, int64 nhead,
				   const TsdbSegmentEntry *const *segs, int nsegs,
				   int64 cutoff, int64 *removed, TsdbSegmentEntry *entry)
{
	MemoryContext cxt;
	MemoryContext old;
	Source	   *srcs;
	SeriesBuf	sb;
	TsdbSegmentWriter *w;
	int64		hpos = 0;
	int			i;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "tsdb segment write",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);

	srcs = palloc0(sizeof(Source) * Max(nsegs, 1));
	for (i = 0; i < nsegs; i++)
	{
		Source	   *src = &srcs[i];

		src->seg = segs[i];
		src->cap = 64;
		src->cache.flags = TSDB_CACHE_NO_INSERT;
		src->blocks = palloc(sizeof(BlockNumber) * src->cap);
		src->offsets = palloc(sizeof(uint16) * src->cap);
		tsdb_segment_foreach_chunk(rel, segs[i], NULL, InvalidBlockNumber,
								   add_location, src);
		src->buf = palloc(sizeof(TsdbSample) * TSDB_CHUNK_MAX_SAMPLES);
		source_advance(rel, src);
	}
	sb.cap = sb.colcap = 4096;
	sb.n = 0;
	sb.samples = palloc(sizeof(TsdbSample) * sb.cap);
	sb.ts = palloc(sizeof(int64) * sb.colcap);
	sb.values = palloc(sizeof(float8) * sb.colcap);

	w = tsdb_segment_writer_begin(rel, segment_id);
	for (;;)
	{
		uint32		series = 0;
		bool		any = false;

		for (i = 0; i < nsegs; i++)
			if (!srcs[i].done && (!any || srcs[i].series < series))
			{
				series = srcs[i].series;
				any = true;
			}
		if (hpos < nhead && (!any || head[hpos].series_id < series))
		{
			series = head[hpos].series_id;
			any = true;
		}
		if (!any)
			break;

		for (i = 0; i < nsegs; i++)
		{
			Source	   *src = &srcs[i];

			while (!src->done && src->series == series)
			{
				int			k = 0;

				/* a chunk is sorted by time: the old samples lead */
				while (k < src->n && src->buf[k].ts < cutoff)
					k++;
				*removed += k;
				series_append(&sb, &src->buf[k], src->n - k);
				source_advance(rel, src);
			}
		}
		while (hpos < nhead && head[hpos].series_id == series)
		{
			int64		end = hpos;

			while (end < nhead && head[end].series_id == series)
				end++;
			series_append(&sb, &head[hpos], end - hpos);
			hpos = end;
		}
		series_emit(w, &sb, series);
	}
	tsdb_segment_writer_finish(w, entry);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}
