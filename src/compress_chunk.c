/*-------------------------------------------------------------------------
 *
 * compress_chunk.c
 *	  Chunk headers of segment pages, and the value statistics they carry.
 *
 * A chunk header says which series a chunk belongs to, how many samples it
 * holds, their time range and the min/max/sum of their values, where its
 * two columns are, and a CRC-32C.  One per series per segment (more for
 * long series), so its size counts: most fields are varints relative to a
 * base written once at the start of each page (the first chunk's series id
 * and time range: series scraped together share their time range, so their
 * times cost a byte each), times go in milliseconds when they are whole
 * milliseconds,
 * and a chunk whose values are all one bit pattern does not store
 * min/max/sum, which follow exactly from that value and the count.
 * Relative to the page's base only, never to a neighbour, so any header
 * decodes on its own and a scan can decode one chunk of a page.
 *
 * All arithmetic on stored differences is modulo 2^64 (or 2^32 for series
 * ids), so every input encodes and every byte string decodes without
 * overflow; the decoder then checks what must hold (max_ts >= min_ts,
 * lengths and counts in range).
 *
 * This file, like every compress_*.c, uses no PostgreSQL runtime; see
 * compress.h.  The byte format is in doc/compression.md.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "compress.h"

/* Times stored in milliseconds when both are multiples of this. */
#define USEC_PER_MSEC	1000

static inline void
store32le(uint8 *p, uint32 v)
{
	p[0] = (uint8) v;
	p[1] = (uint8) (v >> 8);
	p[2] = (uint8) (v >> 16);
	p[3] = (uint8) (v >> 24);
}

static inline uint32
load32le(const uint8 *p)
{
	return (uint32) p[0] | (uint32) p[1] << 8 | (uint32) p[2] << 16 |
		(uint32) p[3] << 24;
}

void
tsdb_chunk_base_put(uint8 *p, const TsdbChunkBase *base)
{
	tsdb_store64le(p, (uint64) base->min_ts);
	tsdb_store64le(p + 8, (uint64) base->max_ts);
	store32le(p + 16, base->series_id);
}

void
tsdb_chunk_base_get(const uint8 *p, TsdbChunkBase *base)
{
	base->min_ts = (int64) tsdb_load64le(p);
	base->max_ts = (int64) tsdb_load64le(p + 8);
	base->series_id = load32le(p + 16);
}

size_t
tsdb_chunk_header_put(uint8 *out, const TsdbChunkHeader *h,
					  const TsdbChunkBase *base)
{
	uint8	   *p = out;
	uint8		flags = h->flags & (TSDB_CHUNK_TS_SHARED | TSDB_CHUNK_CONST_STATS);
	int64		dmin = (int64) ((uint64) h->min_ts - (uint64) base->min_ts);
	int64		dmax = (int64) ((uint64) h->max_ts - (uint64) base->max_ts);

	/* scrapers record milliseconds: smaller varints for other ranges */
	if (dmin % USEC_PER_MSEC == 0 && dmax % USEC_PER_MSEC == 0)
	{
		flags |= TSDB_CHUNK_TS_MS;
		dmin /= USEC_PER_MSEC;
		dmax /= USEC_PER_MSEC;
	}

	store32le(p, h->checksum);
	p += 4;
	*p++ = flags;
	p = tsdb_varint_put(p, (uint32) (h->series_id - base->series_id));
	p = tsdb_varint_put(p, h->count);
	p = tsdb_varint_put(p, (flags & TSDB_CHUNK_TS_SHARED) ? h->ts_ref : h->ts_len);
	p = tsdb_varint_put(p, h->values_len);
	p = tsdb_varint_put(p, tsdb_zigzag((uint64) dmin));
	p = tsdb_varint_put(p, tsdb_zigzag((uint64) dmax));
	if (!(flags & TSDB_CHUNK_CONST_STATS))
	{
		tsdb_store64le(p, tsdb_f2u(h->min));
		tsdb_store64le(p + 8, tsdb_f2u(h->max));
		tsdb_store64le(p + 16, tsdb_f2u(h->sum));
		p += 24;
	}
	return (size_t) (p - out);
}

void
tsdb_chunk_header_set_checksum(uint8 *hdr, uint32 checksum)
{
	store32le(hdr, checksum);
}

/* Read a varint that must fit the given maximum. */
static TsdbCodecStatus
get_bounded(const uint8 **p, const uint8 *end, uint64 max, uint64 *v)
{
	TsdbCodecStatus st = tsdb_varint_get(p, end, v);

	if (st != TSDB_CODEC_OK)
		return st;
	return *v > max ? TSDB_CODEC_E_FIELD : TSDB_CODEC_OK;
}

TsdbCodecStatus
tsdb_chunk_header_get(const uint8 *buf, size_t avail,
					  const TsdbChunkBase *base, TsdbChunkHeader *h,
					  size_t *len)
{
	const uint8 *p = buf;
	const uint8 *end = buf + avail;
	uint64		v;
	uint64		ref;
	uint64		dmin;
	uint64		dmax;
	TsdbCodecStatus st;

	if (avail < 5)
		return TSDB_CODEC_E_TRUNCATED;
	h->checksum = load32le(p);
	h->flags = p[4];
	p += 5;
	if (h->flags & ~TSDB_CHUNK_FLAGS)
		return TSDB_CODEC_E_TAG;

	if ((st = get_bounded(&p, end, UINT32_MAX, &v)) != TSDB_CODEC_OK)
		return st;
	h->series_id = base->series_id + (uint32) v;
	if ((st = tsdb_varint_get(&p, end, &v)) != TSDB_CODEC_OK)
		return st;
	if (v == 0 || v > TSDB_CODEC_MAX_COUNT)
		return TSDB_CODEC_E_COUNT;
	h->count = (uint32) v;
	if ((st = get_bounded(&p, end, TSDB_CHUNK_MAX_COLUMN, &ref)) != TSDB_CODEC_OK)
		return st;
	if (h->flags & TSDB_CHUNK_TS_SHARED)
	{
		h->ts_ref = (uint32) ref;
		h->ts_len = 0;
	}
	else
	{
		/* a timestamp column has at least a tag and a count */
		if (ref == 0)
			return TSDB_CODEC_E_FIELD;
		h->ts_ref = 0;
		h->ts_len = (uint32) ref;
	}
	if ((st = get_bounded(&p, end, TSDB_CHUNK_MAX_COLUMN, &v)) != TSDB_CODEC_OK)
		return st;
	if (v == 0)
		return TSDB_CODEC_E_FIELD;
	h->values_len = (uint32) v;

	if ((st = tsdb_varint_get(&p, end, &dmin)) != TSDB_CODEC_OK ||
		(st = tsdb_varint_get(&p, end, &dmax)) != TSDB_CODEC_OK)
		return st;
	dmin = tsdb_unzigzag(dmin);
	dmax = tsdb_unzigzag(dmax);
	if (h->flags & TSDB_CHUNK_TS_MS)
	{
		/* multiplied back modulo 2^64: what the encoder divided exactly */
		dmin *= USEC_PER_MSEC;
		dmax *= USEC_PER_MSEC;
	}
	h->min_ts = (int64) ((uint64) base->min_ts + dmin);
	h->max_ts = (int64) ((uint64) base->max_ts + dmax);
	if (h->max_ts < h->min_ts)
		return TSDB_CODEC_E_ORDER;

	if (h->flags & TSDB_CHUNK_CONST_STATS)
	{
		/* filled in from the value column by tsdb_chunk_const_stats() */
		h->min = h->max = h->sum = 0;
	}
	else
	{
		if (end - p < 24)
			return TSDB_CODEC_E_TRUNCATED;
		h->min = tsdb_u2f(tsdb_load64le(p));
		h->max = tsdb_u2f(tsdb_load64le(p + 8));
		h->sum = tsdb_u2f(tsdb_load64le(p + 16));
		p += 24;
	}
	*len = (size_t) (p - buf);
	return TSDB_CODEC_OK;
}

uint32
tsdb_chunk_checksum(const uint8 *base, const uint8 *hdr, size_t hdrlen,
					const uint8 *ts, size_t tslen,
					const uint8 *values, size_t valueslen)
{
	uint32		crc;

	/*
	 * The base too: a damaged base would shift every header of the page to
	 * another series or time.  The timestamp column too when it is shared,
	 * so damage to it shows at each chunk that uses it.
	 */
	crc = tsdb_crc32c(base, TSDB_CHUNK_BASE_SIZE);
	crc = tsdb_crc32c_extend(crc, hdr + 4, hdrlen - 4);
	crc = tsdb_crc32c_extend(crc, ts, tslen);
	return tsdb_crc32c_extend(crc, values, valueslen);
}

/* PostgreSQL's float8 order: NaN equals NaN and sorts above everything. */
static inline bool
float8_less(float8 a, float8 b)
{
	if (isnan(a))
		return false;
	if (isnan(b))
		return true;
	return a < b;
}

void
tsdb_chunk_stats(const float8 *values, uint32 n, float8 *min, float8 *max,
				 float8 *sum)
{
	float8		lo = values[0];
	float8		hi = values[0];
	float8		s = 0.0;
	uint32		i;

	/*
	 * Added in order from +0.0: tsdb_chunk_const_stats() repeats exactly
	 * these operations for a constant chunk.
	 */
	for (i = 0; i < n; i++)
	{
		if (float8_less(values[i], lo))
			lo = values[i];
		if (float8_less(hi, values[i]))
			hi = values[i];
		s += values[i];
	}
	*min = lo;
	*max = hi;
	*sum = s;
}

TsdbCodecStatus
tsdb_chunk_const_stats(const uint8 *col, size_t len, TsdbChunkHeader *h)
{
	const uint8 *p = col;
	const uint8 *end = col + len;
	uint8		tag;
	uint32		n;
	float8		v;
	float8		s = 0.0;
	uint32		i;
	TsdbCodecStatus st;

	st = tsdb_column_header(&p, end, TSDB_CODEC_MAX_COUNT, &tag, &n);
	if (st != TSDB_CODEC_OK)
		return st;
	if (tag != TSDB_CODEC_V_CONST)
		return TSDB_CODEC_E_TAG;
	if (n != h->count)
		return TSDB_CODEC_E_COUNT;
	if (end - p != 8)
		return end - p < 8 ? TSDB_CODEC_E_TRUNCATED : TSDB_CODEC_E_TRAILING;
	v = tsdb_u2f(tsdb_load64le(p));
	/* every value is v: tsdb_chunk_stats() would add v n times from +0.0 */
	for (i = 0; i < n; i++)
		s += v;
	h->min = v;
	h->max = v;
	h->sum = s;
	return TSDB_CODEC_OK;
}
