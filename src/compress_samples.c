/*-------------------------------------------------------------------------
 *
 * compress_samples.c
 *	  Packed sample stream: head samples as a WAL record carries them.
 *
 * A head page stores each sample in 20 bytes (series id, timestamp, value
 * bits), so that scans read them in place.  The WAL record of an append need
 * not: redo rebuilds the page's bytes from the record, and the samples of
 * one batch are alike (nearby series ids, timestamps close together, values
 * that repeat per series).  Each sample is written as
 *
 *	series	zigzag varint of series_id - previous sample's (modulo 2^32)
 *	ts		zigzag varint of ts - previous sample's ts (modulo 2^64)
 *	value	the value's bits XOR the previous value of the same series in
 *			this stream (0 for the series' first): one byte, leading zero
 *			bytes in the high nibble and trailing zero bytes in the low one,
 *			then the bytes between them, most significant first.  An XOR of
 *			zero is the single byte 0x80.
 *
 * Deltas are taken across the whole stream, not per series, because a batch
 * interleaves series written at one instant: a scrape's samples share a
 * timestamp and come in series order.  The per-series values live in a small
 * open-addressing table that both sides fill identically; when it is full,
 * further new series are XORed against 0.
 *
 * The decoder checks every byte it reads and accepts only what the encoder
 * writes (canonical nibbles, no zero edge bytes), so a damaged record is
 * reported rather than replayed as other samples.
 *
 *-------------------------------------------------------------------------
 */
#include "compress.h"

static int
stream_slot(TsdbSampleStream *st, uint32 series_id, bool *found)
{
	uint32		h = (series_id * 2654435761u) >> (32 - TSDB_SAMPLE_STREAM_BITS);
	uint32		mask = TSDB_SAMPLE_STREAM_SLOTS - 1;

	for (;;)
	{
		if (!st->used[h])
		{
			*found = false;
			return (int) h;
		}
		if (st->keys[h] == series_id)
		{
			*found = true;
			return (int) h;
		}
		h = (h + 1) & mask;
	}
}

/*
 * The previous value of a series in this stream, 0 for its first, and where
 * to remember the new one (stream_put).  Both sides call these in the same
 * order with the same series ids, so they fill the table identically.
 */
static uint64
stream_get(TsdbSampleStream *st, uint32 series_id, int *slot, bool *found)
{
	*slot = stream_slot(st, series_id, found);
	return *found ? st->vals[*slot] : 0;
}

static void
stream_put(TsdbSampleStream *st, int slot, bool found, uint32 series_id,
		   uint64 bits)
{
	if (!found)
	{
		/* full: the series stays out and keeps being XORed against 0 */
		if (st->nkeys >= TSDB_SAMPLE_STREAM_SLOTS * 3 / 4)
			return;
		st->used[slot] = true;
		st->keys[slot] = series_id;
		st->nkeys++;
	}
	st->vals[slot] = bits;
}

void
tsdb_sample_stream_init(TsdbSampleStream *st)
{
	/* keys and vals are only read where used[] is set */
	st->prev_series = 0;
	st->prev_ts = 0;
	st->nkeys = 0;
	memset(st->used, 0, sizeof(st->used));
}

size_t
tsdb_samples_pack(TsdbSampleStream *st, const uint8 *raw, uint32 n,
				  uint8 *out)
{
	uint8	   *p = out;
	uint32		i;

	for (i = 0; i < n; i++)
	{
		const uint8 *s = raw + (size_t) i * TSDB_RAW_SAMPLE_SIZE;
		uint32		series_id;
		uint64		ts;
		uint64		bits;
		uint64		x;
		int			lead;
		int			trail;
		int			b;
		int			slot;
		bool		found;

		memcpy(&series_id, s, 4);
		memcpy(&ts, s + 4, 8);
		memcpy(&bits, s + 12, 8);

		/* sign-extend the 32-bit difference so small steps down stay small */
		p = tsdb_varint_put(p, tsdb_zigzag((uint64) (int64) (int32) (series_id - st->prev_series)));
		p = tsdb_varint_put(p, tsdb_zigzag(ts - st->prev_ts));
		st->prev_series = series_id;
		st->prev_ts = ts;

		x = bits ^ stream_get(st, series_id, &slot, &found);
		stream_put(st, slot, found, series_id, bits);
		if (x == 0)
		{
			*p++ = 0x80;
			continue;
		}
		lead = __builtin_clzll(x) / 8;
		trail = __builtin_ctzll(x) / 8;
		*p++ = (uint8) ((lead << 4) | trail);
		for (b = 7 - lead; b >= trail; b--)
			*p++ = (uint8) (x >> (b * 8));
	}
	return (size_t) (p - out);
}

TsdbCodecStatus
tsdb_samples_unpack(TsdbSampleStream *st, const uint8 **pp, const uint8 *end,
					uint32 n, uint8 *raw)
{
	const uint8 *p = *pp;
	uint32		i;

	for (i = 0; i < n; i++)
	{
		uint8	   *s = raw + (size_t) i * TSDB_RAW_SAMPLE_SIZE;
		uint64		zs;
		uint64		zt;
		uint64		ds;
		uint32		series_id;
		uint64		ts;
		uint64		x = 0;
		uint64		bits;
		int			lead;
		int			trail;
		int			b;
		int			slot;
		bool		found;
		TsdbCodecStatus status;

		if ((status = tsdb_varint_get(&p, end, &zs)) != TSDB_CODEC_OK ||
			(status = tsdb_varint_get(&p, end, &zt)) != TSDB_CODEC_OK)
			return status;
		ds = tsdb_unzigzag(zs);
		/* the encoder only writes sign-extended 32-bit differences */
		if ((uint64) (int64) (int32) (uint32) ds != ds)
			return TSDB_CODEC_E_FIELD;
		series_id = st->prev_series + (uint32) ds;
		ts = st->prev_ts + tsdb_unzigzag(zt);

		if (p >= end)
			return TSDB_CODEC_E_TRUNCATED;
		lead = *p >> 4;
		trail = *p & 0x0F;
		p++;
		if (lead == 8 && trail == 0)
			x = 0;
		else
		{
			if (lead + trail >= 8)
				return TSDB_CODEC_E_TAG;
			if (end - p < 8 - lead - trail)
				return TSDB_CODEC_E_TRUNCATED;
			for (b = 7 - lead; b >= trail; b--)
				x |= (uint64) *p++ << (b * 8);
			/* canonical: the edge bytes carry the first and last set bits */
			if ((x >> ((7 - lead) * 8)) == 0 || ((x >> (trail * 8)) & 0xFF) == 0)
				return TSDB_CODEC_E_FIELD;
		}
		bits = x ^ stream_get(st, series_id, &slot, &found);
		stream_put(st, slot, found, series_id, bits);
		st->prev_series = series_id;
		st->prev_ts = ts;

		memcpy(s, &series_id, 4);
		memcpy(s + 4, &ts, 8);
		memcpy(s + 12, &bits, 8);
	}
	*pp = p;
	return TSDB_CODEC_OK;
}
