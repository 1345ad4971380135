/*-------------------------------------------------------------------------
 *
 * fuzz_decode_values.c
 *	  libFuzzer target: the value column decoder on arbitrary bytes.
 *
 * Any input must decode to an error or to some values without a sanitizer
 * report; what decodes must survive encode + decode bit for bit.  Built and
 * run by `make fuzz` (clang -fsanitize=fuzzer,address,undefined).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "compress.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static float8 v[TSDB_CODEC_MAX_COUNT];
static float8 v2[TSDB_CODEC_MAX_COUNT];
static uint8 *enc;
static size_t enclen;
static uint8 *work;
static size_t worklen;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32		n;
	uint32		n2;
	size_t		len;

	if (work == NULL)
	{
		worklen = tsdb_values_decode_work_size(TSDB_CODEC_MAX_COUNT);
		work = malloc(worklen);
		enclen = tsdb_values_encode_bound(TSDB_CODEC_MAX_COUNT);
		enc = malloc(enclen);
	}
	/* the first byte, when there is one, picks a small capacity too */
	if (size > 0 &&
		tsdb_values_decode(data + 1, size - 1, v, data[0], &n, work,
						   tsdb_values_decode_work_size(data[0])) == TSDB_CODEC_OK &&
		n > data[0])
		abort();
	if (tsdb_values_decode(data, size, v, TSDB_CODEC_MAX_COUNT, &n, work, worklen) != TSDB_CODEC_OK)
		return 0;
	if (tsdb_values_encode(v, n, enc, enclen, &len) != TSDB_CODEC_OK ||
		tsdb_values_decode(enc, len, v2, n, &n2, work, worklen) != TSDB_CODEC_OK ||
		n2 != n || memcmp(v, v2, sizeof(float8) * n) != 0)
		abort();
	return 0;
}
