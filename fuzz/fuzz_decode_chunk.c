/*-------------------------------------------------------------------------
 *
 * fuzz_decode_chunk.c
 *	  libFuzzer target: a segment page's chunk area on arbitrary bytes.
 *
 * The input is read the way src/segment.c reads a page: a base, then chunk
 * after chunk, each header (compress_chunk.c) parsed from the bytes left,
 * its columns bounded by them, a shared timestamp column looked up at its
 * owner's offset, the columns decoded and a constant chunk's statistics
 * derived.  No input may crash or read out of bounds; a header that parses
 * must come back unchanged from tsdb_chunk_header_put + get, and the
 * checksum must be computable over what was accepted.  Built and run by
 * `make fuzz` (clang -fsanitize=fuzzer,address,undefined).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "compress.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64 ts[TSDB_CODEC_MAX_COUNT];
static float8 v[TSDB_CODEC_MAX_COUNT];
static uint8 *work;
static size_t worklen;

/* The fields a header stores (checksum as given, TS_MS chosen by put). */
static int
same_header(const TsdbChunkHeader *a, const TsdbChunkHeader *b)
{
	if (a->checksum != b->checksum ||
		(a->flags & ~TSDB_CHUNK_TS_MS) != (b->flags & ~TSDB_CHUNK_TS_MS) ||
		a->series_id != b->series_id || a->count != b->count ||
		a->ts_ref != b->ts_ref || a->ts_len != b->ts_len ||
		a->values_len != b->values_len || a->min_ts != b->min_ts ||
		a->max_ts != b->max_ts)
		return 0;
	if (a->flags & TSDB_CHUNK_CONST_STATS)
		return 1;
	return memcmp(&a->min, &b->min, 8) == 0 && memcmp(&a->max, &b->max, 8) == 0 &&
		memcmp(&a->sum, &b->sum, 8) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TsdbChunkBase base;
	size_t		off = TSDB_CHUNK_BASE_SIZE;

	if (work == NULL)
	{
		worklen = tsdb_values_decode_work_size(TSDB_CODEC_MAX_COUNT);
		work = malloc(worklen);
	}
	if (size < TSDB_CHUNK_BASE_SIZE || size > TSDB_CHUNK_MAX_COLUMN)
		return 0;
	tsdb_chunk_base_get(data, &base);

	while (off < size)
	{
		TsdbChunkHeader h;
		TsdbChunkHeader h2;
		size_t		hlen;
		size_t		hlen2;
		const uint8 *tscol;
		size_t		tslen;
		const uint8 *vcol;
		uint8		again[TSDB_CHUNK_HEADER_MAX];
		uint32		n;

		if (tsdb_chunk_header_get(data + off, size - off, &base, &h, &hlen) != TSDB_CODEC_OK)
			return 0;
		if (hlen < TSDB_CHUNK_HEADER_MIN || hlen > TSDB_CHUNK_HEADER_MAX || hlen > size - off)
			abort();

		/* put + get gives the same header back */
		hlen2 = tsdb_chunk_header_put(again, &h, &base);
		if (hlen2 > TSDB_CHUNK_HEADER_MAX ||
			tsdb_chunk_header_get(again, hlen2, &base, &h2, &hlen2) != TSDB_CODEC_OK ||
			!same_header(&h, &h2))
			abort();

		if ((size_t) h.ts_len + h.values_len > size - off - hlen)
			return 0;
		vcol = data + off + hlen + h.ts_len;
		if (h.flags & TSDB_CHUNK_TS_SHARED)
		{
			size_t		owner = TSDB_CHUNK_BASE_SIZE + (size_t) h.ts_ref;
			TsdbChunkHeader oh;
			size_t		ohlen;

			if (owner >= off ||
				tsdb_chunk_header_get(data + owner, off - owner, &base, &oh, &ohlen) != TSDB_CODEC_OK ||
				(oh.flags & TSDB_CHUNK_TS_SHARED) || owner + ohlen + oh.ts_len > off)
				return 0;
			tscol = data + owner + ohlen;
			tslen = oh.ts_len;
		}
		else
		{
			tscol = data + off + hlen;
			tslen = h.ts_len;
		}
		(void) tsdb_chunk_checksum(data, data + off, hlen, tscol, tslen, vcol, h.values_len);

		if (tsdb_ts_decode(tscol, tslen, ts, TSDB_CODEC_MAX_COUNT, &n) == TSDB_CODEC_OK &&
			n > TSDB_CODEC_MAX_COUNT)
			abort();
		if (tsdb_values_decode(vcol, h.values_len, v, TSDB_CODEC_MAX_COUNT, &n,
							   work, worklen) == TSDB_CODEC_OK && n > TSDB_CODEC_MAX_COUNT)
			abort();
		if (h.flags & TSDB_CHUNK_CONST_STATS)
			(void) tsdb_chunk_const_stats(vcol, h.values_len, &h);
		off += hlen + h.ts_len + h.values_len;
	}
	return 0;
}
