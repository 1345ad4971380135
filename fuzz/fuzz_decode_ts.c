/*-------------------------------------------------------------------------
 *
 * fuzz_decode_ts.c
 *	  libFuzzer target: the timestamp column decoder on arbitrary bytes.
 *
 * Any input must decode to an error or to ascending timestamps without a
 * sanitizer report; what decodes must survive encode + decode unchanged.
 * Built and run by `make fuzz` (clang -fsanitize=fuzzer,address,undefined).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "compress.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64 ts[TSDB_CODEC_MAX_COUNT];
static int64 ts2[TSDB_CODEC_MAX_COUNT];
static uint8 enc[TSDB_CODEC_MAX_COUNT * 9 + 4096];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32		n;
	uint32		n2;
	uint32		i;
	size_t		len;

	/* the first byte, when there is one, picks a small capacity too */
	if (size > 0 && tsdb_ts_decode(data + 1, size - 1, ts, data[0], &n) == TSDB_CODEC_OK &&
		n > data[0])
		abort();
	if (tsdb_ts_decode(data, size, ts, TSDB_CODEC_MAX_COUNT, &n) != TSDB_CODEC_OK)
		return 0;
	for (i = 1; i < n; i++)
		if (ts[i] < ts[i - 1])
			abort();
	if (tsdb_ts_encode(ts, n, enc, sizeof(enc), &len) != TSDB_CODEC_OK ||
		tsdb_ts_decode(enc, len, ts2, n, &n2) != TSDB_CODEC_OK ||
		n2 != n || memcmp(ts, ts2, sizeof(int64) * n) != 0)
		abort();
	return 0;
}
