/*-------------------------------------------------------------------------
 *
 * compress_ts.c
 *	  The timestamp column: deltas or deltas of deltas, bit-packed.
 *
 * Scrapes are regular, so the deltas between a series' timestamps are
 * nearly constant: delta-of-delta (order 2) makes them zeros, which pack to
 * one byte per block of TSDB_INTS_BLOCK.  With jitter, though, the plain
 * deltas (order 1) vary half as much as their differences, so both orders
 * are sized exactly and the smaller one is written (compress_bits.c).
 *
 * The choice is a pure function of the input, and lz4 is never applied, so
 * the encoding is canonical: the segment layer may compare encoded columns
 * bytewise to store a timestamp column shared by several series once.
 *
 *-------------------------------------------------------------------------
 */
#include "compress.h"

size_t
tsdb_ts_encode_bound(uint32 n)
{
	size_t		blocks = (n + TSDB_INTS_BLOCK - 1) / TSDB_INTS_BLOCK;

	/* tag, count, order, two initial values, gcd, block headers, data */
	return 1 + TSDB_VARINT_MAX + 1 + 3 * TSDB_VARINT_MAX +
		blocks * (1 + TSDB_VARINT_MAX) + (size_t) n * 8;
}

TsdbCodecStatus
tsdb_ts_encode(const int64 *ts, uint32 n, uint8 *out, size_t outcap,
			   size_t *outlen)
{
	uint32		i;
	size_t		size;
	int			order;
	uint8	   *p = out;

	if (n > TSDB_CODEC_MAX_COUNT)
		return TSDB_CODEC_E_INPUT;
	for (i = 1; i < n; i++)
		if (ts[i] < ts[i - 1])
			return TSDB_CODEC_E_INPUT;

	order = tsdb_ints_best_order(ts, n, 1, &size);
	size += 1 + tsdb_varint_len(n);
	if (outcap < size)
		return TSDB_CODEC_E_OUTPUT;

	*p++ = TSDB_CODEC_TS_DELTA;
	p = tsdb_varint_put(p, n);
	p = tsdb_ints_put(p, ts, n, order);
	*outlen = (size_t) (p - out);
	return TSDB_CODEC_OK;
}

TsdbCodecStatus
tsdb_ts_decode(const uint8 *buf, size_t len, int64 *out, uint32 capacity,
			   uint32 *n)
{
	const uint8 *p = buf;
	const uint8 *end = buf + len;
	uint8		tag;
	uint32		count;
	uint32		i;
	TsdbCodecStatus st;

	if ((st = tsdb_column_header(&p, end, capacity, &tag, &count)) != TSDB_CODEC_OK)
		return st;
	if (tag != TSDB_CODEC_TS_DELTA)
		return TSDB_CODEC_E_TAG;
	/* int64 and uint64 may alias; the arithmetic is done unsigned */
	if ((st = tsdb_ints_get(&p, end, (uint64 *) out, count)) != TSDB_CODEC_OK)
		return st;
	if (p != end)
		return TSDB_CODEC_E_TRAILING;

	/*
	 * Any delta decodes modulo 2^64; one that overflowed shows up here as a
	 * timestamp smaller than its predecessor.
	 */
	for (i = 1; i < count; i++)
		if (out[i] < out[i - 1])
			return TSDB_CODEC_E_ORDER;
	*n = count;
	return TSDB_CODEC_OK;
}

uint32
tsdb_ts_hash(const uint8 *buf, size_t len)
{
	return tsdb_crc32c(buf, len);
}
