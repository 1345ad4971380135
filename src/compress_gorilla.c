/*-------------------------------------------------------------------------
 *
 * compress_gorilla.c
 *	  XOR value codec for values that are neither constant nor decimals.
 *
 * The Gorilla idea (Pelkonen et al., VLDB 2015): consecutive values of a
 * series share sign, exponent and leading mantissa bits, so the XOR of a
 * value with its predecessor is mostly zeros, and only its "meaningful"
 * middle bits need storing.  Our bit layout, LSB-first like the integer
 * packing:
 *
 *	'0'							same bit pattern as the previous value
 *	'1' '0' bits[len]			XOR fits the previous window: len bits
 *	'1' '1' lead[6] len-1[6] bits[len]
 *								new window: lead leading zeros, len bits
 *
 * where a window is (lead, len) and the stored bits are the XOR shifted
 * right by 64 - lead - len.  The first value is 8 raw bytes; the initial
 * window is (0, 64).  The stream is padded with zero bits to a whole byte.
 * A reused window is only taken while it wastes fewer bits than the 12 a new
 * window header costs, so a run of small XORs after a large one does not
 * keep paying for the large one's width.
 *
 *-------------------------------------------------------------------------
 */
#include "compress.h"

/* Appends bits LSB-first; with out == NULL it only counts them. */
typedef struct BitSink
{
	uint8	   *out;
	uint64		acc;
	int			nbits;			/* bits pending in acc, 0..63 */
	uint64		total;
} BitSink;

/* Append the low w bits of v (w <= 64; v has no higher bits set). */
static inline void
sink_put(BitSink *s, uint64 v, int w)
{
	s->total += w;
	if (s->out == NULL || w == 0)
		return;
	s->acc |= v << s->nbits;
	if (s->nbits + w >= 64)
	{
		int			used = 64 - s->nbits;

		tsdb_store64le(s->out, s->acc);
		s->out += 8;
		s->acc = used == 64 ? 0 : v >> used;
		s->nbits = s->nbits + w - 64;
	}
	else
		s->nbits += w;
}

static void
sink_flush(BitSink *s)
{
	if (s->out == NULL)
		return;
	while (s->nbits > 0)
	{
		*s->out++ = (uint8) s->acc;
		s->acc >>= 8;
		s->nbits -= 8;
	}
	s->nbits = 0;
}

/* The whole encoder; sizing and writing share it so they cannot disagree. */
static void
gorilla_encode(const float8 *v, uint32 n, BitSink *s)
{
	uint64		prev;
	int			lead = 0;
	int			len = 64;
	uint32		i;

	if (n == 0)
		return;
	prev = tsdb_f2u(v[0]);
	sink_put(s, prev & 0xFFFFFFFF, 32);
	sink_put(s, prev >> 32, 32);
	for (i = 1; i < n; i++)
	{
		uint64		cur = tsdb_f2u(v[i]);
		uint64		x = cur ^ prev;
		int			lz;
		int			tz;
		int			nlen;

		prev = cur;
		if (x == 0)
		{
			sink_put(s, 0, 1);
			continue;
		}
		lz = __builtin_clzll(x);
		tz = __builtin_ctzll(x);
		nlen = 64 - lz - tz;
		if (lz >= lead && tz >= 64 - lead - len && len - nlen < 12)
		{
			/* '1' then '0', LSB-first: the two bits read as 0b01 */
			sink_put(s, 1, 2);
			x >>= 64 - lead - len;
			if (len > 32)
			{
				sink_put(s, x & 0xFFFFFFFF, 32);
				sink_put(s, x >> 32, len - 32);
			}
			else
				sink_put(s, x, len);
			continue;
		}
		lead = lz;
		len = nlen;
		sink_put(s, 3 | ((uint64) lead << 2) | ((uint64) (len - 1) << 8), 14);
		x >>= tz;
		if (len > 32)
		{
			sink_put(s, x & 0xFFFFFFFF, 32);
			sink_put(s, x >> 32, len - 32);
		}
		else
			sink_put(s, x, len);
	}
}

size_t
tsdb_gorilla_size(const float8 *v, uint32 n)
{
	BitSink		s = {NULL, 0, 0, 0};

	gorilla_encode(v, n, &s);
	return (size_t) ((s.total + 7) / 8);
}

uint8 *
tsdb_gorilla_put(uint8 *p, const float8 *v, uint32 n)
{
	BitSink		s = {p, 0, 0, 0};

	gorilla_encode(v, n, &s);
	sink_flush(&s);
	return s.out;
}

/*
 * 64 bits of the stream from bit position pos, zero past the end.  The fast
 * path is one unaligned load; within 8 bytes of the end bytes are gathered.
 */
static inline uint64
peek64(const uint8 *buf, size_t len, uint64 pos)
{
	size_t		byte = (size_t) (pos >> 3);
	int			sh = (int) (pos & 7);
	uint64		w;

	if (byte + 9 <= len)
	{
		w = tsdb_load64le(buf + byte) >> sh;
		if (sh != 0)
			w |= (uint64) buf[byte + 8] << (64 - sh);
		return w;
	}
	else
	{
		uint8		tmp[16] = {0};

		if (byte < len)
			memcpy(tmp, buf + byte, len - byte);
		w = tsdb_load64le(tmp) >> sh;
		if (sh != 0)
			w |= (uint64) tmp[8] << (64 - sh);
		return w;
	}
}

TsdbCodecStatus
tsdb_gorilla_get(const uint8 *p, const uint8 *end, float8 *out, uint32 n)
{
	const size_t len = (size_t) (end - p);
	const uint64 total = (uint64) len * 8;
	uint64		pos = 64;
	uint64		prev;
	int			lead = 0;
	int			wlen = 64;
	uint32		i;

	if (n == 0)
		return len == 0 ? TSDB_CODEC_OK : TSDB_CODEC_E_TRAILING;
	if (len < 8)
		return TSDB_CODEC_E_TRUNCATED;
	prev = tsdb_load64le(p);
	out[0] = tsdb_u2f(prev);

	for (i = 1; i < n; i++)
	{
		uint64		w = peek64(p, len, pos);
		uint64		x;

		if ((w & 1) == 0)
		{
			pos += 1;
			if (pos > total)
				return TSDB_CODEC_E_TRUNCATED;
			out[i] = tsdb_u2f(prev);
			continue;
		}
		if ((w & 2) == 0)
			pos += 2;
		else
		{
			lead = (int) ((w >> 2) & 63);
			wlen = (int) ((w >> 8) & 63) + 1;
			if (lead + wlen > 64)
				return TSDB_CODEC_E_WIDTH;
			pos += 14;
		}
		if (pos + wlen > total)
			return TSDB_CODEC_E_TRUNCATED;
		x = peek64(p, len, pos);
		if (wlen < 64)
			x &= (UINT64_C(1) << wlen) - 1;
		pos += wlen;
		prev ^= x << (64 - lead - wlen);
		out[i] = tsdb_u2f(prev);
	}

	/* only zero padding up to the next byte may follow */
	if ((pos + 7) / 8 != len)
		return TSDB_CODEC_E_TRAILING;
	if ((pos & 7) != 0 && (p[len - 1] >> (pos & 7)) != 0)
		return TSDB_CODEC_E_TRAILING;
	return TSDB_CODEC_OK;
}
