/*-------------------------------------------------------------------------
 *
 * fuzz_decode_samples.c
 *	  libFuzzer target: the packed sample stream decoder (WAL records' form
 *	  of head samples) on arbitrary bytes.
 *
 * The first byte gives how many samples to read in each of up to four
 * calls sharing one stream, as a record's runs do; the rest is the stream.
 * Any input must decode to an error or to samples without a sanitizer
 * report, never reading past its end; what decodes must pack and unpack to
 * the same samples.  Built and run by `make fuzz`.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "compress.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SAMPLES	(4 * 64)

static TsdbSampleStream st;
static uint8 raw[MAX_SAMPLES * TSDB_RAW_SAMPLE_SIZE];
static uint8 raw2[MAX_SAMPLES * TSDB_RAW_SAMPLE_SIZE];
static uint8 packed[MAX_SAMPLES * TSDB_PACKED_SAMPLE_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8 *p;
	const uint8 *end = data + size;
	uint32		per;
	uint32		n = 0;
	int			call;
	size_t		len;

	if (size < 1)
		return 0;
	/* 0..63 samples a call: a whole record's runs, small enough to be fast */
	per = data[0] & 63;
	p = data + 1;
	tsdb_sample_stream_init(&st);
	for (call = 0; call < 4; call++)
	{
		if (tsdb_samples_unpack(&st, &p, end, per, raw + (size_t) n * TSDB_RAW_SAMPLE_SIZE) != TSDB_CODEC_OK)
			return 0;
		if (p < data + 1 || p > end)
			abort();
		n += per;
	}
	tsdb_sample_stream_init(&st);
	len = tsdb_samples_pack(&st, raw, n, packed);
	if (len > (size_t) n * TSDB_PACKED_SAMPLE_MAX)
		abort();
	p = packed;
	tsdb_sample_stream_init(&st);
	if (tsdb_samples_unpack(&st, &p, packed + len, n, raw2) != TSDB_CODEC_OK ||
		p != packed + len || memcmp(raw, raw2, (size_t) n * TSDB_RAW_SAMPLE_SIZE) != 0)
		abort();
	return 0;
}
