/*-------------------------------------------------------------------------
 *
 * compress_bits.c
 *	  Varints, the column header, and packed integer sequences.
 *
 * Both columns end up as integer sequences: timestamps directly, values once
 * the decimal codec has scaled them to integers.  A sequence is stored as its
 * first `order` values and then its order-th differences (order 0, 1 or 2;
 * the encoder tries each and keeps the smallest).  The differences are
 * divided by their greatest common divisor, which removes the factor 1000 of
 * millisecond timestamps held in microseconds and the 4096 of memory sizes
 * counted in pages, and are then bit-packed in blocks of TSDB_INTS_BLOCK with
 * a frame of reference: each block stores its minimum and the bit width of
 * (value - minimum).  A block of equal differences (a steady counter, a
 * regular scrape) costs one or a few bytes.
 *
 * Everything is computed modulo 2^64 in uint64, so any int64 input encodes
 * and any byte string decodes without signed overflow.
 *
 * This file, like every compress_*.c, uses no PostgreSQL runtime; see
 * compress.h.
 *
 *-------------------------------------------------------------------------
 */
#include "compress.h"

#define SIGN_BIT	(UINT64_C(1) << 63)

int
tsdb_varint_len(uint64 v)
{
	int			len = 1;

	while (v >= 0x80)
	{
		v >>= 7;
		len++;
	}
	return len;
}

uint8 *
tsdb_varint_put(uint8 *p, uint64 v)
{
	while (v >= 0x80)
	{
		*p++ = (uint8) (v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8) v;
	return p;
}

TsdbCodecStatus
tsdb_varint_get(const uint8 **pp, const uint8 *end, uint64 *v)
{
	const uint8 *p = *pp;
	uint64		r = 0;
	int			shift;

	for (shift = 0; shift < 64; shift += 7)
	{
		uint8		b;

		if (p >= end)
			return TSDB_CODEC_E_TRUNCATED;
		b = *p++;
		/* the tenth byte may only carry bit 63 */
		if (shift == 63 && b > 1)
			return TSDB_CODEC_E_VARINT;
		r |= (uint64) (b & 0x7F) << shift;
		if (!(b & 0x80))
		{
			*pp = p;
			*v = r;
			return TSDB_CODEC_OK;
		}
	}
	return TSDB_CODEC_E_VARINT;
}

TsdbCodecStatus
tsdb_column_header(const uint8 **p, const uint8 *end, uint32 capacity,
				   uint8 *tag, uint32 *n)
{
	uint64		count;
	TsdbCodecStatus st;

	if (*p >= end)
		return TSDB_CODEC_E_TRUNCATED;
	*tag = *(*p)++;
	if (*tag & TSDB_CODEC_TAG_RESERVED)
		return TSDB_CODEC_E_TAG;
	if ((st = tsdb_varint_get(p, end, &count)) != TSDB_CODEC_OK)
		return st;
	if (count > TSDB_CODEC_MAX_COUNT || count > capacity)
		return TSDB_CODEC_E_COUNT;
	*n = (uint32) count;
	return TSDB_CODEC_OK;
}

/* The i-th order-th difference of x (i >= order), modulo 2^64. */
static inline uint64
residual(const int64 *x, uint32 i, int order)
{
	const uint64 a = (uint64) x[i];

	if (order == 0)
		return a;
	if (order == 1)
		return a - (uint64) x[i - 1];
	return a - 2 * (uint64) x[i - 1] + (uint64) x[i - 2];
}

static uint64
gcd64(uint64 a, uint64 b)
{
	while (b != 0)
	{
		uint64		t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* |r| for r read as int64; |INT64_MIN| = 2^63 fits in uint64. */
static inline uint64
abs64(uint64 r)
{
	return (r & SIGN_BIT) ? 0 - r : r;
}

/* r / g for r read as int64 and g dividing it exactly. */
static inline uint64
exact_div(uint64 r, uint64 g)
{
	return (r & SIGN_BIT) ? 0 - (abs64(r) / g) : r / g;
}

/* The common divisor of all residuals; 1 when they are all 0. */
static uint64
residual_gcd(const int64 *x, uint32 n, int order)
{
	uint64		g = 0;
	uint32		i;

	for (i = order; i < n && g != 1; i++)
		g = gcd64(abs64(residual(x, i, order)), g);
	return g == 0 ? 1 : g;
}

static inline int
bit_width(uint64 v)
{
	return v == 0 ? 0 : 64 - __builtin_clzll(v);
}

/*
 * Frame of reference of one block: the minimum (as int64, returned as its
 * uint64 bit pattern) and the bit width of value - minimum.
 */
static void
block_frame(const int64 *x, uint32 from, uint32 cnt, int order, uint64 g,
			uint64 *base, int *width)
{
	uint64		lo = UINT64_MAX;
	uint64		hi = 0;
	uint32		i;

	/* compare as signed by flipping the sign bit, in unsigned arithmetic */
	for (i = from; i < from + cnt; i++)
	{
		uint64		b = exact_div(residual(x, i, order), g) ^ SIGN_BIT;

		if (b < lo)
			lo = b;
		if (b > hi)
			hi = b;
	}
	*base = lo ^ SIGN_BIT;
	*width = bit_width(hi - lo);
}

size_t
tsdb_ints_size(const int64 *x, uint32 n, int order)
{
	size_t		size = 1;
	uint32		k = n < (uint32) order ? n : (uint32) order;
	uint32		i;
	uint64		g;

	if (k >= 1)
		size += tsdb_varint_len(tsdb_zigzag((uint64) x[0]));
	if (k >= 2)
		size += tsdb_varint_len(tsdb_zigzag((uint64) x[1] - (uint64) x[0]));
	if (n <= k)
		return size;

	g = residual_gcd(x, n, order);
	size += tsdb_varint_len(g);
	for (i = k; i < n; i += TSDB_INTS_BLOCK)
	{
		uint32		cnt = n - i < TSDB_INTS_BLOCK ? n - i : TSDB_INTS_BLOCK;
		uint64		base;
		int			w;

		block_frame(x, i, cnt, order, g, &base, &w);
		size += 1 + (base != 0 ? tsdb_varint_len(tsdb_zigzag(base)) : 0);
		size += ((size_t) cnt * w + 7) / 8;
	}
	return size;
}

int
tsdb_ints_best_order(const int64 *x, uint32 n, int first_order, size_t *size)
{
	int			best = first_order;
	int			order;

	*size = tsdb_ints_size(x, n, first_order);
	for (order = first_order + 1; order <= 2; order++)
	{
		size_t		s = tsdb_ints_size(x, n, order);

		if (s < *size)
		{
			*size = s;
			best = order;
		}
	}
	return best;
}

uint8 *
tsdb_ints_put(uint8 *p, const int64 *x, uint32 n, int order)
{
	uint32		k = n < (uint32) order ? n : (uint32) order;
	uint32		i;
	uint64		g;

	*p++ = (uint8) order;
	if (k >= 1)
		p = tsdb_varint_put(p, tsdb_zigzag((uint64) x[0]));
	if (k >= 2)
		p = tsdb_varint_put(p, tsdb_zigzag((uint64) x[1] - (uint64) x[0]));
	if (n <= k)
		return p;

	g = residual_gcd(x, n, order);
	p = tsdb_varint_put(p, g);
	for (i = k; i < n; i += TSDB_INTS_BLOCK)
	{
		uint32		cnt = n - i < TSDB_INTS_BLOCK ? n - i : TSDB_INTS_BLOCK;
		uint64		base;
		int			w;
		uint64		acc = 0;
		int			nbits = 0;
		uint32		j;

		block_frame(x, i, cnt, order, g, &base, &w);
		*p++ = (uint8) (w | (base != 0 ? 0x80 : 0));
		if (base != 0)
			p = tsdb_varint_put(p, tsdb_zigzag(base));
		if (w == 0)
			continue;

		/* LSB-first: value j occupies bits [j*w, (j+1)*w) of the block */
		for (j = i; j < i + cnt; j++)
		{
			uint64		v = exact_div(residual(x, j, order), g) - base;

			acc |= v << nbits;
			if (nbits + w >= 64)
			{
				int			used = 64 - nbits;

				tsdb_store64le(p, acc);
				p += 8;
				acc = used == 64 ? 0 : v >> used;
				nbits = nbits + w - 64;
			}
			else
				nbits += w;
		}
		while (nbits > 0)
		{
			*p++ = (uint8) acc;
			acc >>= 8;
			nbits -= 8;
		}
	}
	return p;
}

/*
 * Unpack cnt values of w bits (1..64) from src, which must have 8 readable
 * bytes past the block's last one; out[j] = (value + base) * g.
 */
static void
unpack_block(const uint8 *src, uint32 cnt, int w, uint64 base, uint64 g,
			 uint64 *out)
{
	const uint64 mask = w == 64 ? UINT64_MAX : (UINT64_C(1) << w) - 1;
	uint32		j;

	if (w <= 56)
	{
		/* one load per value always covers it: shift <= 7, w <= 56 */
		for (j = 0; j < cnt; j++)
		{
			uint64		bit = (uint64) j * w;
			uint64		v = tsdb_load64le(src + (bit >> 3)) >> (bit & 7);

			out[j] = ((v & mask) + base) * g;
		}
	}
	else
	{
		for (j = 0; j < cnt; j++)
		{
			uint64		bit = (uint64) j * w;
			const uint8 *q = src + (bit >> 3);
			int			sh = (int) (bit & 7);
			uint64		v = tsdb_load64le(q) >> sh;

			if (sh != 0 && w + sh > 64)
				v |= (uint64) q[8] << (64 - sh);
			out[j] = ((v & mask) + base) * g;
		}
	}
}

TsdbCodecStatus
tsdb_ints_get(const uint8 **pp, const uint8 *end, uint64 *x, uint32 n)
{
	const uint8 *p = *pp;
	TsdbCodecStatus st;
	uint64		v;
	uint64		g;
	uint32		k;
	uint32		i;
	int			order;

	if (p >= end)
		return TSDB_CODEC_E_TRUNCATED;
	order = *p++;
	if (order > 2)
		return TSDB_CODEC_E_FIELD;
	k = n < (uint32) order ? n : (uint32) order;
	for (i = 0; i < k; i++)
	{
		if ((st = tsdb_varint_get(&p, end, &v)) != TSDB_CODEC_OK)
			return st;
		x[i] = tsdb_unzigzag(v);
	}
	if (k == 2)
		x[1] += x[0];

	if (n > k)
	{
		if ((st = tsdb_varint_get(&p, end, &g)) != TSDB_CODEC_OK)
			return st;
		if (g == 0)
			return TSDB_CODEC_E_FIELD;
		for (i = k; i < n; i += TSDB_INTS_BLOCK)
		{
			uint32		cnt = n - i < TSDB_INTS_BLOCK ? n - i : TSDB_INTS_BLOCK;
			uint8		h;
			int			w;
			uint64		base = 0;
			size_t		nbytes;
			uint32		j;

			if (p >= end)
				return TSDB_CODEC_E_TRUNCATED;
			h = *p++;
			w = h & 0x7F;
			if (w > 64)
				return TSDB_CODEC_E_WIDTH;
			if (h & 0x80)
			{
				if ((st = tsdb_varint_get(&p, end, &base)) != TSDB_CODEC_OK)
					return st;
				base = tsdb_unzigzag(base);
			}
			if (w == 0)
			{
				const uint64 c = base * g;

				for (j = 0; j < cnt; j++)
					x[i + j] = c;
				continue;
			}
			nbytes = ((size_t) cnt * w + 7) / 8;
			if ((size_t) (end - p) < nbytes)
				return TSDB_CODEC_E_TRUNCATED;
			/* unused high bits of the last byte must be 0: canonical form */
			if ((cnt * w) % 8 != 0 && (p[nbytes - 1] >> ((cnt * w) % 8)) != 0)
				return TSDB_CODEC_E_TRAILING;
			if ((size_t) (end - p) >= nbytes + 8)
				unpack_block(p, cnt, w, base, g, x + i);
			else
			{
				/* near the end of the buffer: unpack from a padded copy */
				uint8		tmp[TSDB_INTS_BLOCK * 8 + 8];

				memcpy(tmp, p, nbytes);
				memset(tmp + nbytes, 0, sizeof(tmp) - nbytes);
				unpack_block(tmp, cnt, w, base, g, x + i);
			}
			p += nbytes;
		}
	}

	/* undo the differences, modulo 2^64 */
	if (order == 1)
	{
		for (i = 1; i < n; i++)
			x[i] += x[i - 1];
	}
	else if (order == 2 && n > 2)
	{
		uint64		d = x[1] - x[0];

		for (i = 2; i < n; i++)
		{
			d += x[i];
			x[i] = x[i - 1] + d;
		}
	}
	*pp = p;
	return TSDB_CODEC_OK;
}

const char *
tsdb_codec_strerror(TsdbCodecStatus status)
{
	switch (status)
	{
		case TSDB_CODEC_OK:
			return "no error";
		case TSDB_CODEC_E_TRUNCATED:
			return "data ends early";
		case TSDB_CODEC_E_TRAILING:
			return "unexpected data after the end";
		case TSDB_CODEC_E_COUNT:
			return "sample count too large";
		case TSDB_CODEC_E_TAG:
			return "unknown codec";
		case TSDB_CODEC_E_WIDTH:
			return "bit width above 64";
		case TSDB_CODEC_E_VARINT:
			return "integer longer than 64 bits";
		case TSDB_CODEC_E_ORDER:
			return "timestamps not in ascending order";
		case TSDB_CODEC_E_FIELD:
			return "field out of range";
		case TSDB_CODEC_E_LZ4:
			return "lz4 data does not decompress";
		case TSDB_CODEC_E_WORK:
			return "work buffer too small";
		case TSDB_CODEC_E_OUTPUT:
			return "output buffer too small";
		case TSDB_CODEC_E_INPUT:
			return "invalid input to encoder";
	}
	return "unknown error";
}

const char *
tsdb_codec_name(TsdbCodecId id)
{
	switch (id)
	{
		case TSDB_CODEC_TS_DELTA:
			return "TS_DELTA";
		case TSDB_CODEC_V_CONST:
			return "CONST";
		case TSDB_CODEC_V_INT:
			return "INT";
		case TSDB_CODEC_V_DEC:
			return "DEC";
		case TSDB_CODEC_V_GORILLA:
			return "GORILLA";
		case TSDB_CODEC_V_RAW:
			return "RAW";
	}
	return "?";
}

TsdbCodecStatus
tsdb_column_info(const uint8 *buf, size_t len, TsdbCodecId *id, bool *lz4,
				 uint32 *count)
{
	const uint8 *p = buf;
	uint8		tag;
	TsdbCodecStatus st;

	st = tsdb_column_header(&p, buf + len, TSDB_CODEC_MAX_COUNT, &tag, count);
	if (st != TSDB_CODEC_OK)
		return st;
	if ((tag & TSDB_CODEC_TAG_ID_MASK) == 0 ||
		(tag & TSDB_CODEC_TAG_ID_MASK) >= TSDB_CODEC_NIDS)
		return TSDB_CODEC_E_TAG;
	*id = (TsdbCodecId) (tag & TSDB_CODEC_TAG_ID_MASK);
	*lz4 = (tag & TSDB_CODEC_TAG_LZ4) != 0;
	return TSDB_CODEC_OK;
}
