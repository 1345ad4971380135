/*-------------------------------------------------------------------------
 *
 * compress_values.c
 *	  The value column: pick the cheapest lossless codec per chunk.
 *
 * Candidates, all bit-exact for every float8 bit pattern:
 *
 *	CONST	every value has the same bit pattern: 8 bytes (in the real data
 *			two thirds of the series never change within a chunk);
 *	INT/DEC	values are x / 10^e for integers x (compress_alp.c);
 *	GORILLA	XOR with the previous value (compress_gorilla.c);
 *	RAW		8 bytes each, the ceiling every other codec must beat.
 *
 * Every candidate's size is computed exactly without writing it, and only
 * the smallest is written; lz4 is then tried on that body
 * (compress_lz4.c).  On a tie the earlier codec in the list above wins, so
 * the output is a pure function of the input.
 *
 * The encoder uses the caller's output buffer beyond the encoded column as
 * scratch (the decimal codec's integers, lz4's output), which is why
 * tsdb_values_encode_bound() is about twice the raw size.
 *
 *-------------------------------------------------------------------------
 */
#include <lz4.h>

#include "compress.h"

/* tag, count varint, and the lz4 plain-length varint */
#define VALUES_HEADER_MAX	(1 + 2 * TSDB_VARINT_MAX)

/* The largest plain column: RAW, since every other codec must beat it. */
static size_t
plain_max(uint32 n)
{
	return VALUES_HEADER_MAX + (size_t) n * 8;
}

size_t
tsdb_values_encode_bound(uint32 n)
{
	size_t		scratch = (size_t) n * 8;
	size_t		lz4 = (size_t) LZ4_COMPRESSBOUND((size_t) n * 8);

	/* plain column, alignment slack, then the larger scratch use */
	return plain_max(n) + 8 + (scratch > lz4 ? scratch : lz4);
}

static int64 *
align8(uint8 *p)
{
	uintptr_t	a = ((uintptr_t) p + 7) & ~(uintptr_t) 7;

	return (int64 *) a;
}

TsdbCodecStatus
tsdb_values_encode(const float8 *v, uint32 n, uint8 *out, size_t outcap,
				   size_t *outlen)
{
	uint8	   *p = out;
	size_t		hdrlen;
	size_t		best;
	size_t		size;
	TsdbCodecId id;
	int			exponent = 0;
	int			order = 0;
	int64	   *scratch;
	uint32		i;

	if (n > TSDB_CODEC_MAX_COUNT)
		return TSDB_CODEC_E_INPUT;
	if (outcap < tsdb_values_encode_bound(n))
		return TSDB_CODEC_E_OUTPUT;
	scratch = align8(out + plain_max(n));

	/* constant: compare bit patterns, so NaNs and -0.0 count as themselves */
	if (n > 0)
	{
		uint64		first = tsdb_f2u(v[0]);

		for (i = 1; i < n; i++)
			if (tsdb_f2u(v[i]) != first)
				break;
		if (i == n)
		{
			*p++ = TSDB_CODEC_V_CONST;
			p = tsdb_varint_put(p, n);
			tsdb_store64le(p, first);
			*outlen = (size_t) (p + 8 - out);
			return TSDB_CODEC_OK;
		}
	}

	id = TSDB_CODEC_V_RAW;
	best = (size_t) n * 8;
	if (n > 0)
	{
		size = tsdb_dec_choose(v, n, scratch, &exponent, &order);
		if (size <= best)
		{
			best = size;
			id = exponent == 0 ? TSDB_CODEC_V_INT : TSDB_CODEC_V_DEC;
		}
		size = tsdb_gorilla_size(v, n);
		if (size < best)
		{
			best = size;
			id = TSDB_CODEC_V_GORILLA;
		}
	}

	*p++ = (uint8) id;
	p = tsdb_varint_put(p, n);
	hdrlen = (size_t) (p - out);
	switch (id)
	{
		case TSDB_CODEC_V_INT:
		case TSDB_CODEC_V_DEC:
			p = tsdb_dec_put(p, v, n, scratch, exponent, order);
			break;
		case TSDB_CODEC_V_GORILLA:
			p = tsdb_gorilla_put(p, v, n);
			break;
		default:
			for (i = 0; i < n; i++, p += 8)
				tsdb_store64le(p, tsdb_f2u(v[i]));
			break;
	}
	*outlen = tsdb_lz4_try(out, (size_t) (p - out), hdrlen, p,
						   outcap - (size_t) (p - out));
	return TSDB_CODEC_OK;
}

size_t
tsdb_values_decode_work_size(uint32 capacity)
{
	/* integers for INT/DEC, then room for an lz4 body; alignment slack */
	return (size_t) capacity * 16 + 8;
}

TsdbCodecStatus
tsdb_values_decode(const uint8 *buf, size_t len, float8 *out,
				   uint32 capacity, uint32 *n, void *work, size_t worklen)
{
	const uint8 *p = buf;
	const uint8 *end = buf + len;
	uint8		tag;
	uint32		count;
	uint32		i;
	uint64	   *ints;
	uint8	   *body;
	TsdbCodecStatus st;

	if (work == NULL || worklen < tsdb_values_decode_work_size(capacity))
		return TSDB_CODEC_E_WORK;
	if ((st = tsdb_column_header(&p, end, capacity, &tag, &count)) != TSDB_CODEC_OK)
		return st;
	ints = (uint64 *) align8(work);
	body = (uint8 *) (ints + capacity);

	if (tag & TSDB_CODEC_TAG_LZ4)
	{
		st = tsdb_lz4_unwrap(&p, &end, (size_t) count * 8, body,
							 (size_t) capacity * 8);
		if (st != TSDB_CODEC_OK)
			return st;
	}

	switch (tag & TSDB_CODEC_TAG_ID_MASK)
	{
		case TSDB_CODEC_V_CONST:
			{
				float8		c;

				if (end - p != 8)
					return end - p < 8 ? TSDB_CODEC_E_TRUNCATED : TSDB_CODEC_E_TRAILING;
				c = tsdb_u2f(tsdb_load64le(p));
				for (i = 0; i < count; i++)
					out[i] = c;
				break;
			}
		case TSDB_CODEC_V_INT:
		case TSDB_CODEC_V_DEC:
			st = tsdb_dec_get(p, end,
							  (tag & TSDB_CODEC_TAG_ID_MASK) == TSDB_CODEC_V_DEC,
							  out, count, ints);
			if (st != TSDB_CODEC_OK)
				return st;
			break;
		case TSDB_CODEC_V_GORILLA:
			if ((st = tsdb_gorilla_get(p, end, out, count)) != TSDB_CODEC_OK)
				return st;
			break;
		case TSDB_CODEC_V_RAW:
			if ((size_t) (end - p) != (size_t) count * 8)
				return (size_t) (end - p) < (size_t) count * 8 ?
					TSDB_CODEC_E_TRUNCATED : TSDB_CODEC_E_TRAILING;
			for (i = 0; i < count; i++)
				out[i] = tsdb_u2f(tsdb_load64le(p + (size_t) i * 8));
			break;
		default:
			return TSDB_CODEC_E_TAG;
	}
	*n = count;
	return TSDB_CODEC_OK;
}
