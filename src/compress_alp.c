/*-------------------------------------------------------------------------
 *
 * compress_alp.c
 *	  Integer and decimal values: scale by 10^e, store integers.
 *
 * Most metric values were printed by an exporter with a few decimals, or
 * are integers (counters, sizes).  Such a value v is x / 10^e for a small
 * integer x and exponent e, and since 10^e (e <= 18) and x (|x| <= 2^53) are
 * exact doubles, IEEE division gives back exactly the double closest to
 * x / 10^e, which is the double that was parsed from the printed decimal.
 * So for each chunk we look for the smallest e at which every value passes
 * the test
 *
 *		x = rint(v * 10^e);  bits((double) x / 10^e) == bits(v)
 *
 * (the idea of ALP, "Adaptive Lossless floating-Point compression", Afroozeh
 * et al. 2023, in a simpler form: one exponent per chunk, no second factor,
 * and a check of every value rather than of a sample).  The integers are
 * then stored as a packed integer sequence (compress_bits.c).  e = 0 is the
 * integer codec, which decodes without the division.
 *
 * Values that fail the test at the chosen e (NaN, infinities, -0.0, the
 * staleness marker, a value with more digits) are exceptions: the integer
 * sequence carries the previous integer at their position, so the
 * differences stay small, and their bit patterns are stored raw with their
 * positions.  A chunk with many exceptions ends up larger than its Gorilla
 * or raw encoding and the caller picks that instead.
 *
 * Body: [e, 1..18, DEC only] [integer sequence] [exception count]
 * [positions: first, then gaps - 1, varints] [exceptions, 8 bytes LE each].
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "compress.h"

#define DEC_MAX_EXPONENT	18
#define DEC_EXCEPTION		0xFF
#define TWO_POW_53			9007199254740992.0

static const float8 pow10_table[DEC_MAX_EXPONENT + 1] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18
};

/* Does v round-trip as x / 10^e?  Sets *x if so. */
static inline bool
dec_fits(float8 v, int e, int64 *x)
{
	float8		s = v * pow10_table[e];
	int64		i;

	/* also false for NaN; keeps the conversion to int64 defined */
	if (!(fabs(s) <= TWO_POW_53))
		return false;
	i = (int64) rint(s);
	if (tsdb_f2u((float8) i / pow10_table[e]) != tsdb_f2u(v))
		return false;
	*x = i;
	return true;
}

/* The smallest exponent at which v round-trips, or DEC_EXCEPTION. */
static int
dec_needed_exponent(float8 v)
{
	int64		x;
	int			e;

	for (e = 0; e <= DEC_MAX_EXPONENT; e++)
	{
		if (dec_fits(v, e, &x))
			return e;
		/* larger e only makes the scaled value larger */
		if (!(fabs(v * pow10_table[e]) <= TWO_POW_53))
			break;
	}
	return DEC_EXCEPTION;
}

/*
 * Fill x[] with the scaled integers at exponent e, exceptions carrying the
 * previous integer (or the first regular one, before any); returns the
 * number of exceptions and the bytes they take.
 */
static uint32
dec_scale(const float8 *v, uint32 n, int e, int64 *x, size_t *exc_bytes)
{
	uint32		nexc = 0;
	uint32		last_pos = 0;
	int64		prev = 0;
	bool		have_prev = false;
	uint32		i;

	*exc_bytes = 0;
	for (i = 0; i < n; i++)
	{
		if (dec_fits(v[i], e, &x[i]))
		{
			if (!have_prev)
			{
				uint32		j;

				for (j = 0; j < i; j++)
					x[j] = x[i];
				have_prev = true;
			}
			prev = x[i];
		}
		else
		{
			x[i] = prev;
			*exc_bytes += 8 + tsdb_varint_len(nexc == 0 ? i : i - last_pos - 1);
			last_pos = i;
			nexc++;
		}
	}
	*exc_bytes += tsdb_varint_len(nexc);
	return nexc;
}

/*
 * Choose the exponent and difference order for v[], using scratch (n int64)
 * to hold the integers.  Returns the body size, or SIZE_MAX when the values
 * are not worth trying (mostly not decimals).
 */
size_t
tsdb_dec_choose(const float8 *v, uint32 n, int64 *scratch, int *exponent,
				int *order)
{
	uint32		hist[DEC_MAX_EXPONENT + 1] = {0};
	uint32		nexc = 0;
	uint32		above;
	int			emax = -1;
	int			e;
	int			tried;
	size_t		best = SIZE_MAX;
	uint32		i;

	for (i = 0; i < n; i++)
	{
		int			need = dec_needed_exponent(v[i]);

		if (need == DEC_EXCEPTION)
		{
			/* each costs 9+ bytes, more than a whole Gorilla value */
			if (++nexc > n / 4)
				return SIZE_MAX;
			continue;
		}
		hist[need]++;
		if (need > emax)
			emax = need;
	}
	if (emax < 0)
		return SIZE_MAX;

	/*
	 * Try the exponent that fits every value, then up to two smaller ones
	 * that turn a few values with more digits into exceptions.
	 */
	above = 0;
	tried = 0;
	for (e = emax; e >= 0 && tried < 3; e--)
	{
		size_t		exc_bytes;
		size_t		size;
		int			ord;

		if (e < emax)
		{
			above += hist[e + 1];
			if (above > n / 16)
				break;
		}
		if (e < emax && hist[e] == 0)
			continue;
		(void) dec_scale(v, n, e, scratch, &exc_bytes);
		ord = tsdb_ints_best_order(scratch, n, 0, &size);
		size += exc_bytes + (e > 0 ? 1 : 0);
		if (size < best)
		{
			best = size;
			*exponent = e;
			*order = ord;
		}
		tried++;
	}
	return best;
}

uint8 *
tsdb_dec_put(uint8 *p, const float8 *v, uint32 n, int64 *scratch,
			 int exponent, int order)
{
	size_t		exc_bytes;
	uint32		nexc;
	uint32		last_pos = 0;
	uint32		i;
	bool		first = true;

	nexc = dec_scale(v, n, exponent, scratch, &exc_bytes);
	if (exponent > 0)
		*p++ = (uint8) exponent;
	p = tsdb_ints_put(p, scratch, n, order);
	p = tsdb_varint_put(p, nexc);
	if (nexc == 0)
		return p;

	/* dec_fits is deterministic, so the same values fail as in dec_scale */
	for (i = 0; i < n; i++)
	{
		int64		x;

		if (dec_fits(v[i], exponent, &x))
			continue;
		p = tsdb_varint_put(p, first ? i : i - last_pos - 1);
		last_pos = i;
		first = false;
	}
	for (i = 0; i < n; i++)
	{
		int64		x;

		if (!dec_fits(v[i], exponent, &x))
		{
			tsdb_store64le(p, tsdb_f2u(v[i]));
			p += 8;
		}
	}
	return p;
}

/*
 * Decode a DEC (has_exponent) or INT body into out[0..n), using ints (n
 * uint64) as work space.  The caller checks that the body ends at end.
 */
TsdbCodecStatus
tsdb_dec_get(const uint8 *p, const uint8 *end, bool has_exponent,
			 float8 *out, uint32 n, uint64 *ints)
{
	TsdbCodecStatus st;
	int			e = 0;
	uint64		nexc;
	const uint8 *pos_start;
	const uint8 *q;
	uint64		pos = 0;
	uint32		i;

	if (has_exponent)
	{
		if (p >= end)
			return TSDB_CODEC_E_TRUNCATED;
		e = *p++;
		if (e < 1 || e > DEC_MAX_EXPONENT)
			return TSDB_CODEC_E_FIELD;
	}
	if ((st = tsdb_ints_get(&p, end, ints, n)) != TSDB_CODEC_OK)
		return st;

	/* plain loops the compiler vectorises; int64 conversion is exact */
	if (e == 0)
	{
		for (i = 0; i < n; i++)
			out[i] = (float8) (int64) ints[i];
	}
	else
	{
		const float8 scale = pow10_table[e];

		for (i = 0; i < n; i++)
			out[i] = (float8) (int64) ints[i] / scale;
	}

	if ((st = tsdb_varint_get(&p, end, &nexc)) != TSDB_CODEC_OK)
		return st;
	if (nexc > n)
		return TSDB_CODEC_E_COUNT;
	if (nexc == 0)
		return p == end ? TSDB_CODEC_OK : TSDB_CODEC_E_TRAILING;

	/* validate all positions first, then patch from the raw values after */
	pos_start = p;
	for (i = 0; i < nexc; i++)
	{
		uint64		gap;

		if ((st = tsdb_varint_get(&p, end, &gap)) != TSDB_CODEC_OK)
			return st;
		if (i == 0)
			pos = gap;
		else if (gap >= n - pos - 1)
			return TSDB_CODEC_E_FIELD;
		else
			pos += gap + 1;
		if (pos >= n)
			return TSDB_CODEC_E_FIELD;
	}
	if ((size_t) (end - p) != nexc * 8)
		return (size_t) (end - p) < nexc * 8 ?
			TSDB_CODEC_E_TRUNCATED : TSDB_CODEC_E_TRAILING;

	q = pos_start;
	for (i = 0; i < nexc; i++)
	{
		uint64		gap;

		(void) tsdb_varint_get(&q, p, &gap);
		pos = i == 0 ? gap : pos + gap + 1;
		out[pos] = tsdb_u2f(tsdb_load64le(p + (size_t) i * 8));
	}
	return TSDB_CODEC_OK;
}
