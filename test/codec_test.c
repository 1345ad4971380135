/*-------------------------------------------------------------------------
 *
 * codec_test.c
 *	  Unit tests of the column codecs (src/compress*.c), run standalone
 *	  under ASan and UBSan by `make check-codecs`.
 *
 *	codec_test [real.tsv]				run the tests (real data if given)
 *	codec_test --seeds DIR [real.tsv]	write fuzzing seeds to DIR/ts, DIR/values, DIR/chunk
 *
 * What it proves: every codec round-trips bit for bit on edge cases, random
 * and real data; encodings are canonical; decoders reject malformed input
 * with the right status; and every single-byte change and every truncation
 * of a valid encoding decodes to an error or to some output without a
 * memory error (the decoders get exactly-sized heap copies, so ASan sees
 * any read past the end), while the CRC-32C detects every such change.
 * Chunk headers round-trip and reject every truncation and malformed
 * field, and a constant chunk's derived min/max/sum equal, bit for bit,
 * those computed from its values.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_data.h"

static int	failures = 0;
static int	checks = 0;
static uint64 rng = 42;
static const char *seed_dir = NULL;
static int	nseeds = 0;
static int	lz4_seen = 0;

static uint8 *work;
static size_t worklen;

#define CHECK(cond, ...) \
	do { \
		checks++; \
		if (!(cond)) \
		{ \
			failures++; \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fprintf(stderr, "\n"); \
		} \
	} while (0)

static uint64
next_rand(void)
{
	uint64		z = (rng += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static float8
bits(uint64 u)
{
	float8		d;

	memcpy(&d, &u, 8);
	return d;
}

static void
write_seed(const char *kind, const uint8 *buf, size_t len)
{
	char		path[4096];
	FILE	   *f;

	if (!seed_dir)
		return;
	snprintf(path, sizeof(path), "%s/%s/seed%04d", seed_dir, kind, nseeds++);
	if (!(f = fopen(path, "wb")) || fwrite(buf, 1, len, f) != len)
	{
		perror(path);
		exit(1);
	}
	fclose(f);
}

/* Decode a heap copy of exactly len bytes; returns the status. */
static TsdbCodecStatus
decode_copy(bool ts, const uint8 *buf, size_t len, uint32 capacity, uint32 *n)
{
	/*
	 * Outputs are exactly capacity-sized heap arrays, so ASan sees a write
	 * past capacity; the maximum capacity uses arrays allocated once (a
	 * fresh 512 kB one per call makes the run minutes long).
	 */
	static int64 ts_max[TSDB_CODEC_MAX_COUNT];
	static float8 v_max[TSDB_CODEC_MAX_COUNT];
	bool		small = capacity < TSDB_CODEC_MAX_COUNT;
	int64	   *tsout = small ? malloc(sizeof(int64) * capacity + 1) : ts_max;
	float8	   *vout = small ? malloc(sizeof(float8) * capacity + 1) : v_max;
	uint8	   *copy = malloc(len ? len : 1);
	TsdbCodecStatus st;

	memcpy(copy, buf, len);
	if (ts)
		st = tsdb_ts_decode(copy, len, tsout, capacity, n);
	else
		st = tsdb_values_decode(copy, len, vout, capacity, n, work, worklen);
	if (st == TSDB_CODEC_OK)
		CHECK(*n <= capacity, "decoded %u values into capacity %u", *n, capacity);
	free(copy);
	if (small)
	{
		free(tsout);
		free(vout);
	}
	return st;
}

/*
 * Every single-byte change (a few masks at every position) and every
 * truncation must decode to an error or to some output, never crash; the
 * CRC must change with every byte change.
 */
static void
corrupt_sweep(bool ts, const uint8 *buf, size_t len, uint32 n, const char *name)
{
	static const uint8 masks[] = {0x01, 0x02, 0x10, 0x40, 0x80, 0xFF};
	uint8	   *m = malloc(len + 1);
	uint32		crc = tsdb_crc32c(buf, len);
	uint32		caps[2] = {n, TSDB_CODEC_MAX_COUNT};
	size_t		i;
	size_t		k;
	int			c;
	uint32		got;
	int			errors = 0;
	int			crc_missed = 0;

	for (i = 0; i < len; i++)
		for (k = 0; k < sizeof(masks); k++)
		{
			memcpy(m, buf, len);
			m[i] ^= masks[k];
			if (tsdb_crc32c(m, len) == crc)
				crc_missed++;
			for (c = 0; c < 2; c++)
				if (decode_copy(ts, m, len, caps[c], &got) != TSDB_CODEC_OK)
					errors++;
		}
	CHECK(crc_missed == 0, "%s: CRC missed %d byte changes", name, crc_missed);
	for (i = 0; i < len; i++)
	{
		TsdbCodecStatus st = decode_copy(ts, buf, i, TSDB_CODEC_MAX_COUNT, &got);

		/* a prefix can only decode if it is the whole column */
		CHECK(st != TSDB_CODEC_OK, "%s: truncation to %zu of %zu bytes decoded", name, i, len);
	}
	/* one byte of trailing garbage */
	memcpy(m, buf, len);
	m[len] = 0;
	CHECK(decode_copy(ts, m, len + 1, TSDB_CODEC_MAX_COUNT, &got) != TSDB_CODEC_OK,
		  "%s: trailing byte accepted", name);
	(void) errors;
	free(m);
}

static void
check_ts(const int64 *ts, uint32 n, const char *name)
{
	size_t		cap = tsdb_ts_encode_bound(n);
	uint8	   *buf = malloc(cap);
	uint8	   *buf2 = malloc(cap);
	int64	   *out = malloc(sizeof(int64) * (n + 1));
	size_t		len;
	size_t		len2;
	uint32		got = 0;
	TsdbCodecStatus st;

	st = tsdb_ts_encode(ts, n, buf, cap, &len);
	CHECK(st == TSDB_CODEC_OK, "%s: ts encode: %s", name, tsdb_codec_strerror(st));
	if (st != TSDB_CODEC_OK)
		goto done;
	CHECK(len <= cap, "%s: ts encoding %zu above bound %zu", name, len, cap);
	st = tsdb_ts_encode(ts, n, buf2, cap, &len2);
	CHECK(st == TSDB_CODEC_OK && len2 == len && memcmp(buf, buf2, len) == 0,
		  "%s: ts encoding not canonical", name);
	CHECK(tsdb_ts_hash(buf, len) == tsdb_ts_hash(buf2, len2), "%s: hash", name);
	if (len > 1)
		CHECK(tsdb_ts_encode(ts, n, buf2, len - 1, &len2) == TSDB_CODEC_E_OUTPUT,
			  "%s: short output buffer not refused", name);

	st = tsdb_ts_decode(buf, len, out, n, &got);
	CHECK(st == TSDB_CODEC_OK, "%s: ts decode: %s", name, tsdb_codec_strerror(st));
	CHECK(got == n && memcmp(out, ts, sizeof(int64) * n) == 0,
		  "%s: ts round trip differs", name);
	if (n > 0)
		CHECK(tsdb_ts_decode(buf, len, out, n - 1, &got) == TSDB_CODEC_E_COUNT,
			  "%s: capacity below count not refused", name);
	CHECK(tsdb_values_decode(buf, len, (float8 *) out, n, &got, work, worklen) == TSDB_CODEC_E_TAG,
		  "%s: value decoder accepted a timestamp column", name);
	if (len <= 2048)
		corrupt_sweep(true, buf, len, n, name);
	write_seed("ts", buf, len);
done:
	free(buf);
	free(buf2);
	free(out);
}

/* Round-trip values; expect codec `want` (0: any) and return the one used. */
static TsdbCodecId
check_values(const float8 *v, uint32 n, const char *name, TsdbCodecId want)
{
	size_t		cap = tsdb_values_encode_bound(n);
	uint8	   *buf = malloc(cap);
	uint8	   *buf2 = malloc(cap);
	float8	   *out = malloc(sizeof(float8) * (n + 1));
	size_t		len = 0;
	size_t		len2;
	uint32		got = 0;
	uint32		cnt;
	TsdbCodecId id = 0;
	bool		lz4;
	TsdbCodecStatus st;

	st = tsdb_values_encode(v, n, buf, cap, &len);
	CHECK(st == TSDB_CODEC_OK, "%s: encode: %s", name, tsdb_codec_strerror(st));
	if (st != TSDB_CODEC_OK)
		goto done;
	CHECK(len <= 1 + TSDB_VARINT_MAX + 8 * (size_t) n, "%s: %zu bytes, more than raw", name, len);
	st = tsdb_values_encode(v, n, buf2, cap, &len2);
	CHECK(st == TSDB_CODEC_OK && len2 == len && memcmp(buf, buf2, len) == 0,
		  "%s: encoding not canonical", name);
	CHECK(tsdb_values_encode(v, n, buf2, cap - 1, &len2) == TSDB_CODEC_E_OUTPUT,
		  "%s: short output buffer not refused", name);
	st = tsdb_column_info(buf, len, &id, &lz4, &cnt);
	CHECK(st == TSDB_CODEC_OK && cnt == n, "%s: column info", name);
	lz4_seen += lz4;
	if (want != 0)
		CHECK(id == want, "%s: codec %d, expected %d", name, id, want);

	st = tsdb_values_decode(buf, len, out, n, &got, work, worklen);
	CHECK(st == TSDB_CODEC_OK, "%s: decode: %s", name, tsdb_codec_strerror(st));
	CHECK(got == n && memcmp(out, v, sizeof(float8) * n) == 0,
		  "%s: round trip not bit-exact", name);
	if (n > 0)
		CHECK(tsdb_values_decode(buf, len, out, n - 1, &got, work, worklen) == TSDB_CODEC_E_COUNT,
			  "%s: capacity below count not refused", name);
	CHECK(tsdb_values_decode(buf, len, out, n, &got, work, tsdb_values_decode_work_size(n) - 1) == TSDB_CODEC_E_WORK,
		  "%s: small work buffer not refused", name);
	CHECK(tsdb_ts_decode(buf, len, (int64 *) out, n, &got) == TSDB_CODEC_E_TAG,
		  "%s: timestamp decoder accepted a value column", name);
	if (len <= 2048)
		corrupt_sweep(false, buf, len, n, name);
	write_seed("values", buf, len);
done:
	free(buf);
	free(buf2);
	free(out);
	return id;
}

static void
test_crc(void)
{
	CHECK(tsdb_crc32c("123456789", 9) == 0xE3069283, "CRC-32C check value");
	CHECK(tsdb_crc32c_extend(tsdb_crc32c("1234", 4), "56789", 5) == 0xE3069283,
		  "CRC-32C extend");
	CHECK(tsdb_crc32c("", 0) == 0, "CRC-32C of nothing");
}

static void
test_timestamps(void)
{
	static int64 t[TSDB_CODEC_MAX_COUNT + 1];
	uint32		i;
	size_t		len;
	uint8	   *buf = malloc(tsdb_ts_encode_bound(TSDB_CODEC_MAX_COUNT + 1));

	check_ts(t, 0, "ts n=0");
	t[0] = 851212800000000;
	check_ts(t, 1, "ts n=1");
	t[1] = t[0] + 5000000;
	check_ts(t, 2, "ts n=2");
	t[0] = INT64_MIN;
	check_ts(t, 1, "ts INT64_MIN");
	t[0] = INT64_MAX;
	check_ts(t, 1, "ts INT64_MAX");
	t[0] = INT64_MIN;
	t[1] = INT64_MAX;
	check_ts(t, 2, "ts INT64_MIN..MAX");
	t[2] = INT64_MAX;
	check_ts(t, 3, "ts MIN, MAX, MAX");
	for (i = 0; i < 100; i++)
		t[i] = 777;
	check_ts(t, 100, "ts all equal");
	for (i = 0; i < 100; i++)
		t[i] = (int64) ((uint64) INT64_MIN + (uint64) i * (UINT64_MAX / 100));
	check_ts(t, 100, "ts huge deltas");
	for (i = 0; i < 100; i++)
		t[i] = i < 50 ? INT64_MIN + i : INT64_MAX - 100 + i;
	check_ts(t, 100, "ts huge jump");
	for (i = 0; i < 360; i++)
		t[i] = 851212800000000 + (int64) i * 5000000;
	check_ts(t, 360, "ts regular 5 s");
	t[100] -= 10000;
	check_ts(t, 360, "ts regular with one late scrape");
	for (i = 0; i < 1000; i++)
		t[i] = 851212800000000 + (int64) i * 15000000 + (int64) (next_rand() % 5) * 1000;
	check_ts(t, 1000, "ts jitter in ms");
	for (i = 0; i < 1000; i++)
		t[i] = (i ? t[i - 1] : -1000) + (int64) (next_rand() % 3 ? next_rand() % 100000 : 0);
	check_ts(t, 1000, "ts random ascending with duplicates");
	for (i = 0; i < 1000; i++)
		t[i] = (i ? t[i - 1] : INT64_MIN) + (int64) (next_rand() >> 12);
	check_ts(t, 1000, "ts random 52-bit deltas");
	for (i = 0; i < TSDB_CODEC_MAX_COUNT; i++)
		t[i] = 851212800000000 + (int64) i * 1000000 + (int64) (next_rand() % 3);
	check_ts(t, TSDB_CODEC_MAX_COUNT, "ts max count");
	t[TSDB_CODEC_MAX_COUNT] = t[TSDB_CODEC_MAX_COUNT - 1];
	CHECK(tsdb_ts_encode(t, TSDB_CODEC_MAX_COUNT + 1, buf,
						 tsdb_ts_encode_bound(TSDB_CODEC_MAX_COUNT + 1), &len) == TSDB_CODEC_E_INPUT,
		  "ts count above maximum not refused");
	t[0] = 10;
	t[1] = 9;
	CHECK(tsdb_ts_encode(t, 2, buf, tsdb_ts_encode_bound(2), &len) == TSDB_CODEC_E_INPUT,
		  "unsorted timestamps not refused");
	free(buf);
}

static void
test_values(void)
{
	static float8 v[TSDB_CODEC_MAX_COUNT + 1];
	const float8 stale = bits(UINT64_C(0x7ff0000000000002));
	uint32		i;
	size_t		len;
	uint8	   *buf;

	check_values(v, 0, "n=0", 0);
	v[0] = 1.5;
	check_values(v, 1, "n=1", TSDB_CODEC_V_CONST);
	v[0] = -0.0;
	check_values(v, 1, "n=1 -0.0", TSDB_CODEC_V_CONST);
	v[1] = 0.0;
	check_values(v, 2, "-0.0, 0.0", 0);
	v[0] = 3;
	v[1] = 4;
	check_values(v, 2, "n=2 ints", 0);

	for (i = 0; i < 300; i++)
		v[i] = NAN;
	check_values(v, 300, "all NaN", TSDB_CODEC_V_CONST);
	for (i = 0; i < 300; i++)
		v[i] = bits(UINT64_C(0x7ff8000000000000) | (i % 7));
	check_values(v, 300, "NaN payloads", 0);
	for (i = 0; i < 300; i++)
		v[i] = stale;
	check_values(v, 300, "all staleness markers", TSDB_CODEC_V_CONST);

	for (i = 0; i < 360; i++)
		v[i] = (i % 40 == 7) ? stale : (float8) (100 + i * 3) / 100.0;
	check_values(v, 360, "decimals with staleness markers", TSDB_CODEC_V_DEC);
	for (i = 0; i < 360; i++)
		v[i] = i % 50 == 3 ? -0.0 : (float8) (i * 1000);
	check_values(v, 360, "integers with -0.0", TSDB_CODEC_V_INT);
	for (i = 0; i < 360; i++)
		v[i] = i % 90 == 5 ? (i % 180 == 5 ? INFINITY : -INFINITY) : 20.5 + (i % 7) * 0.25;
	check_values(v, 360, "decimals with infinities", TSDB_CODEC_V_DEC);
	for (i = 0; i < 360; i++)
		v[i] = i % 3 == 0 ? 5e-324 : i % 3 == 1 ? DBL_MIN / 3 : -DBL_MIN / 7;
	check_values(v, 360, "denormals", 0);
	for (i = 0; i < 360; i++)
		v[i] = i % 2 ? DBL_MAX : -DBL_MAX;
	check_values(v, 360, "DBL_MAX", 0);
	for (i = 0; i < 360; i++)
		v[i] = 9007199254740992.0 - (float8) (i % 5);
	check_values(v, 360, "integers near 2^53", TSDB_CODEC_V_INT);
	for (i = 0; i < 360; i++)
		v[i] = -9007199254740992.0 + (float8) (i % 5);
	check_values(v, 360, "integers near -2^53", TSDB_CODEC_V_INT);
	for (i = 0; i < 360; i++)
		v[i] = ldexp(1.0, 60) + ldexp((float8) i, 10);
	check_values(v, 360, "integers beyond 2^53", 0);
	for (i = 0; i < 360; i++)
		v[i] = i % 2 ? 9007199254740992.0 : -9007199254740992.0;
	check_values(v, 360, "alternating +-2^53", TSDB_CODEC_V_INT);

	v[0] = 1e6;
	for (i = 1; i < 360; i++)
		v[i] = v[i - 1] + (float8) (next_rand() % 2000);
	check_values(v, 360, "counter", TSDB_CODEC_V_INT);
	for (i = 0; i < 360; i++)
		v[i] = (float8) (4096 * (100000 + (int64) (next_rand() % 1000)));
	check_values(v, 360, "memory in pages", TSDB_CODEC_V_INT);
	for (i = 0; i < 360; i++)
		v[i] = (float8) (int64) (next_rand() % 100000) / 1000.0;
	check_values(v, 360, "3 decimals", TSDB_CODEC_V_DEC);
	for (i = 0; i < 360; i++)
		v[i] = (float8) (int64) (next_rand() % 1000000000) / 1e9;
	check_values(v, 360, "9 decimals", TSDB_CODEC_V_DEC);
	for (i = 0; i < 360; i++)
		v[i] = (float8) (int64) (next_rand() % 1000) / 1e18;
	check_values(v, 360, "18 decimals", 0);
	for (i = 0; i < 360; i++)
		v[i] = i < 300 ? (float8) i / 10 : (float8) i / 1e7 + 1e-9;
	check_values(v, 360, "decimals, a few with more digits", 0);
	for (i = 0; i < 360; i++)
		v[i] = (float8) i / 100.0 + 0.1 + 0.2;
	check_values(v, 360, "float sums", 0);
	for (i = 0; i < 360; i++)
		v[i] = (next_rand() >> 11) * (1.0 / 9007199254740992.0);
	check_values(v, 360, "random in [0, 1)", 0);
	for (i = 0; i < 1000; i++)
		v[i] = bits(next_rand());
	check_values(v, 1000, "random bit patterns", 0);
	for (i = 0; i < 360; i++)
		v[i] = i < 200 ? 42.0 : 43.0;
	check_values(v, 360, "step", TSDB_CODEC_V_INT);
	{
		uint64		pat[4];

		for (i = 0; i < 4; i++)
			pat[i] = next_rand();
		for (i = 0; i < 2000; i++)
			v[i] = bits(pat[next_rand() % 4]);
		check_values(v, 2000, "four random patterns", 0);
		for (i = 0; i < 2000; i++)
			v[i] = bits(pat[(i / 3) % 4]);
		check_values(v, 2000, "four random patterns, periodic", 0);
	}
	CHECK(lz4_seen > 0, "lz4 never applied");
	CHECK(strcmp(tsdb_codec_name(TSDB_CODEC_TS_DELTA), "TS_DELTA") == 0 &&
		  strcmp(tsdb_codec_name(TSDB_CODEC_V_GORILLA), "GORILLA") == 0 &&
		  strcmp(tsdb_codec_name((TsdbCodecId) 0), "?") == 0,
		  "codec names");

	for (i = 0; i < TSDB_CODEC_MAX_COUNT; i++)
		v[i] = (float8) (i * 3);
	check_values(v, TSDB_CODEC_MAX_COUNT, "max count integers", TSDB_CODEC_V_INT);
	for (i = 0; i < TSDB_CODEC_MAX_COUNT; i++)
		v[i] = bits(next_rand());
	check_values(v, TSDB_CODEC_MAX_COUNT, "max count random bits", 0);
	buf = malloc(tsdb_values_encode_bound(TSDB_CODEC_MAX_COUNT + 1));
	CHECK(tsdb_values_encode(v, TSDB_CODEC_MAX_COUNT + 1, buf,
							 tsdb_values_encode_bound(TSDB_CODEC_MAX_COUNT + 1), &len) == TSDB_CODEC_E_INPUT,
		  "value count above maximum not refused");
	free(buf);

	/* many short random chunks of mixed shapes, lengths 0..40 */
	for (i = 0; i < 3000; i++)
	{
		uint32		n = (uint32) (next_rand() % 41);
		uint32		j;
		int			shape = (int) (next_rand() % 5);
		char		name[64];

		for (j = 0; j < n; j++)
		{
			uint64		r = next_rand();

			switch (shape)
			{
				case 0:
					v[j] = (float8) (int64) (r % 1000) / 100.0;
					break;
				case 1:
					v[j] = r % 7 == 0 ? stale : (float8) (r % 50);
					break;
				case 2:
					v[j] = bits(r);
					break;
				case 3:
					v[j] = j > 0 && r % 3 ? v[j - 1] : (float8) (int64) (r % 100000) / 1000.0;
					break;
				default:
					v[j] = r % 5 == 0 ? -0.0 : r % 5 == 1 ? NAN : (float8) (r % 3);
					break;
			}
		}
		snprintf(name, sizeof(name), "random chunk %u (shape %d)", i, shape);
		/* sweeps on a sample only: they dominate the run time */
		if (i % 50 == 0)
			check_values(v, n, name, 0);
		else
		{
			size_t		cap = tsdb_values_encode_bound(n);
			uint8	   *b = malloc(cap);
			float8	   *o = malloc(sizeof(float8) * (n + 1));
			uint32		got;

			CHECK(tsdb_values_encode(v, n, b, cap, &len) == TSDB_CODEC_OK &&
				  tsdb_values_decode(b, len, o, n, &got, work, worklen) == TSDB_CODEC_OK &&
				  got == n && memcmp(o, v, sizeof(float8) * n) == 0,
				  "%s: round trip", name);
			free(b);
			free(o);
		}
	}
}

/* Decode a header from a heap copy of exactly len bytes. */
static TsdbCodecStatus
header_copy(const uint8 *buf, size_t len, const TsdbChunkBase *base,
			TsdbChunkHeader *h, size_t *hlen)
{
	uint8	   *copy = malloc(len ? len : 1);
	TsdbCodecStatus st;

	memcpy(copy, buf, len);
	st = tsdb_chunk_header_get(copy, len, base, h, hlen);
	free(copy);
	return st;
}

static bool
same_bits(float8 a, float8 b)
{
	return memcmp(&a, &b, sizeof(float8)) == 0;
}

static void
check_header(const TsdbChunkHeader *h, const TsdbChunkBase *base,
			 const char *name)
{
	uint8		buf[TSDB_CHUNK_HEADER_MAX];
	size_t		len = tsdb_chunk_header_put(buf, h, base);
	TsdbChunkHeader got;
	size_t		glen = 0;
	size_t		i;
	TsdbCodecStatus st;
	bool		stats = !(h->flags & TSDB_CHUNK_CONST_STATS);

	CHECK(len >= TSDB_CHUNK_HEADER_MIN && len <= TSDB_CHUNK_HEADER_MAX,
		  "%s: header of %zu bytes", name, len);
	st = header_copy(buf, len, base, &got, &glen);
	CHECK(st == TSDB_CODEC_OK, "%s: header decode: %s", name, tsdb_codec_strerror(st));
	CHECK(glen == len, "%s: header length %zu, wrote %zu", name, glen, len);
	CHECK(got.checksum == h->checksum && got.series_id == h->series_id &&
		  got.count == h->count && got.values_len == h->values_len &&
		  got.min_ts == h->min_ts && got.max_ts == h->max_ts &&
		  (got.flags & ~TSDB_CHUNK_TS_MS) == h->flags,
		  "%s: header fields differ", name);
	if (h->flags & TSDB_CHUNK_TS_SHARED)
		CHECK(got.ts_ref == h->ts_ref && got.ts_len == 0, "%s: ts reference", name);
	else
		CHECK(got.ts_len == h->ts_len && got.ts_ref == 0, "%s: ts length", name);
	if (stats)
		CHECK(same_bits(got.min, h->min) && same_bits(got.max, h->max) &&
			  same_bits(got.sum, h->sum), "%s: stats differ", name);
	for (i = 0; i < len; i++)
		CHECK(header_copy(buf, i, base, &got, &glen) != TSDB_CODEC_OK,
			  "%s: header truncated to %zu of %zu bytes decoded", name, i, len);
}

static void
test_chunk_headers(void)
{
	TsdbChunkBase base = {851212800000000, 851214595000000, 7};
	TsdbChunkBase far = {INT64_MIN, INT64_MAX, UINT32_MAX - 1};
	TsdbChunkHeader h;
	uint8		buf[TSDB_CHUNK_HEADER_MAX];
	size_t		len;
	size_t		hlen;
	TsdbChunkHeader got;
	int			i;

	memset(&h, 0, sizeof(h));
	h.checksum = 0xDEADBEEF;
	h.series_id = 7;
	h.count = 360;
	h.ts_len = 39;
	h.values_len = 10;
	h.min_ts = base.min_ts;
	h.max_ts = base.max_ts;
	h.flags = TSDB_CHUNK_CONST_STATS;
	check_header(&h, &base, "header const, own ts, at the base");
	len = tsdb_chunk_header_put(buf, &h, &base);
	CHECK(len == 12, "header of a constant chunk at the base takes %zu bytes, not 12", len);
	CHECK(buf[4] & TSDB_CHUNK_TS_MS, "whole milliseconds not stored as such");

	h.flags = TSDB_CHUNK_TS_SHARED | TSDB_CHUNK_CONST_STATS;
	h.ts_len = 0;
	h.ts_ref = 0;
	h.series_id = 8;
	check_header(&h, &base, "header shared ts");
	h.flags = TSDB_CHUNK_TS_SHARED;
	h.ts_ref = 8000;
	h.min = -1.5;
	h.max = bits(UINT64_C(0x7ff0000000000002));
	h.sum = -0.0;
	h.min_ts = base.min_ts - 1;
	h.max_ts = base.max_ts + 3;
	check_header(&h, &base, "header stats, microseconds");
	h.count = TSDB_CODEC_MAX_COUNT;
	h.values_len = TSDB_CHUNK_MAX_COLUMN;
	h.ts_ref = TSDB_CHUNK_MAX_COLUMN;
	check_header(&h, &base, "header at the maxima");
	h.count = 1;
	h.series_id = 3;			/* below the base: modulo 2^32 */
	h.min_ts = h.max_ts = INT64_MIN;
	check_header(&h, &base, "header series below base, INT64_MIN");
	h.series_id = 2;			/* wraps past UINT32_MAX from the base */
	h.min_ts = INT64_MIN;
	h.max_ts = INT64_MAX;
	check_header(&h, &far, "header wrapping series id, full time range");
	h.min_ts = h.max_ts = INT64_MAX;
	check_header(&h, &far, "header INT64_MAX");

	/* malformed fields: the base's own series and times, one field broken */
	{
		struct
		{
			uint8		bytes[16];
			size_t		len;
			TsdbCodecStatus want;
			const char *what;
		}			cases[] = {
			{{0, 0, 0, 0, 0x08, 0, 1, 1, 1, 0, 0}, 11, TSDB_CODEC_E_TAG, "reserved flag"},
			{{0, 0, 0, 0, 0x02, 0, 0, 1, 1, 0, 0}, 11, TSDB_CODEC_E_COUNT, "count 0"},
			{{0, 0, 0, 0, 0x02, 0, 0x80, 0x80, 0x04, 1, 1, 0, 0}, 13, TSDB_CODEC_E_COUNT, "count 65536"},
			{{0, 0, 0, 0, 0x02, 0, 1, 0, 1, 0, 0}, 11, TSDB_CODEC_E_FIELD, "own timestamp column of 0 bytes"},
			{{0, 0, 0, 0, 0x02, 0, 1, 1, 0, 0, 0}, 11, TSDB_CODEC_E_FIELD, "value column of 0 bytes"},
			{{0, 0, 0, 0, 0x02, 0, 1, 0x80, 0x80, 0x04, 1, 0, 0}, 13, TSDB_CODEC_E_FIELD, "column of 65536 bytes"},
			{{0, 0, 0, 0, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10, 1, 1, 1, 0, 0}, 15, TSDB_CODEC_E_FIELD, "series delta of 2^32"},
			{{0, 0, 0, 0, 0x02, 0, 1, 1, 1, 2, 0}, 11, TSDB_CODEC_E_ORDER, "min_ts after max_ts"},
			{{0, 0, 0, 0, 0x00, 0, 1, 1, 1, 0, 0, 0, 0}, 13, TSDB_CODEC_E_TRUNCATED, "stats cut short"},
		};
		TsdbChunkBase b0 = {100, 100, 1};

		for (i = 0; i < (int) (sizeof(cases) / sizeof(cases[0])); i++)
		{
			TsdbCodecStatus st = header_copy(cases[i].bytes, cases[i].len, &b0, &got, &hlen);

			CHECK(st == cases[i].want, "malformed header \"%s\": got \"%s\", want \"%s\"",
				  cases[i].what, tsdb_codec_strerror(st), tsdb_codec_strerror(cases[i].want));
		}
	}

	/* garbage never crashes, and what decodes is within its bounds */
	for (i = 0; i < 200000; i++)
	{
		uint8		b[48];
		size_t		n = (size_t) (next_rand() % sizeof(b));
		size_t		j;

		for (j = 0; j < n; j++)
			b[j] = (uint8) next_rand();
		if (n > 4 && i % 2)
			b[4] &= TSDB_CHUNK_FLAGS;
		if (header_copy(b, n, &base, &got, &hlen) == TSDB_CODEC_OK)
			CHECK(hlen <= n && got.count >= 1 && got.count <= TSDB_CODEC_MAX_COUNT &&
				  got.values_len >= 1 && got.max_ts >= got.min_ts,
				  "garbage header decoded out of bounds");
	}
}

/*
 * A constant chunk's min/max/sum derived from its CONST column equal, bit
 * for bit, what tsdb_chunk_stats() computes from its decoded values.
 */
static void
check_const_stats(const float8 *v, uint32 n, const char *name)
{
	size_t		cap = tsdb_values_encode_bound(n);
	uint8	   *buf = malloc(cap);
	size_t		len;
	float8		min;
	float8		max;
	float8		sum;
	TsdbChunkHeader h;
	TsdbCodecStatus st;

	memset(&h, 0, sizeof(h));
	h.count = n;
	tsdb_chunk_stats(v, n, &min, &max, &sum);
	if (tsdb_values_encode(v, n, buf, cap, &len) == TSDB_CODEC_OK && buf[0] == TSDB_CODEC_V_CONST)
	{
		st = tsdb_chunk_const_stats(buf, len, &h);
		CHECK(st == TSDB_CODEC_OK, "%s: const stats: %s", name, tsdb_codec_strerror(st));
		CHECK(same_bits(h.min, min) && same_bits(h.max, max) && same_bits(h.sum, sum),
			  "%s: derived stats differ from computed ones", name);
		h.count = n + 1;
		CHECK(tsdb_chunk_const_stats(buf, len, &h) == TSDB_CODEC_E_COUNT,
			  "%s: const stats with another count", name);
		h.count = n;
		CHECK(tsdb_chunk_const_stats(buf, len - 1, &h) == TSDB_CODEC_E_TRUNCATED,
			  "%s: const stats of a short column", name);
	}
	else
		CHECK(tsdb_chunk_const_stats(buf, len, &h) != TSDB_CODEC_OK,
			  "%s: const stats of a column that is not constant", name);
	free(buf);
}

static void
test_stats(void)
{
	static const uint64 patterns[] = {
		UINT64_C(0x3FB999999999999A),	/* 0.1: its sum is no multiple */
		UINT64_C(0x0000000000000000), UINT64_C(0x8000000000000000),
		UINT64_C(0x7FF8000000000000), UINT64_C(0x7FF0000000000002),
		UINT64_C(0xFFF8000000000001), UINT64_C(0x7FF0000000000000),
		UINT64_C(0xFFF0000000000000), UINT64_C(0x7FEFFFFFFFFFFFFF),
		UINT64_C(0x0000000000000001), UINT64_C(0x4142A05F20000000),
	};
	static const uint32 counts[] = {1, 2, 3, 360, 8192, TSDB_CODEC_MAX_COUNT};
	static float8 v[TSDB_CODEC_MAX_COUNT];
	float8		min;
	float8		max;
	float8		sum;
	size_t		p;
	size_t		c;
	uint32		i;

	for (p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++)
		for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
		{
			char		name[64];

			for (i = 0; i < counts[c]; i++)
				v[i] = bits(patterns[p]);
			snprintf(name, sizeof(name), "constant %016llx x %u",
					 (unsigned long long) patterns[p], counts[c]);
			check_const_stats(v, counts[c], name);
		}
	v[0] = 1;
	v[1] = bits(UINT64_C(0x7FF8000000000000));
	v[2] = -3;
	check_const_stats(v, 3, "not constant");
	/* PostgreSQL's order: NaN above everything, -0.0 equal to 0.0 */
	tsdb_chunk_stats(v, 3, &min, &max, &sum);
	CHECK(min == -3 && isnan(max) && isnan(sum), "stats with a NaN");
	v[0] = -0.0;
	v[1] = 0.0;
	tsdb_chunk_stats(v, 2, &min, &max, &sum);
	CHECK(same_bits(min, -0.0) && same_bits(max, -0.0) && same_bits(sum, 0.0),
		  "stats keep the first of equal values");
}

/* Hand-made malformed columns, each with the status it must give. */
static void
test_malformed(void)
{
	struct
	{
		bool		ts;
		uint8		bytes[32];
		size_t		len;
		TsdbCodecStatus want;
		const char *what;
	}			cases[] = {
		{true, {0}, 0, TSDB_CODEC_E_TRUNCATED, "empty"},
		{true, {0x0F, 0}, 2, TSDB_CODEC_E_TAG, "unknown tag"},
		{true, {0x11, 0, 0}, 3, TSDB_CODEC_E_TAG, "reserved tag bit"},
		{true, {0x81, 0, 0}, 3, TSDB_CODEC_E_TAG, "lz4 on timestamps"},
		{true, {0x01, 0xFF, 0xFF, 0x04}, 4, TSDB_CODEC_E_COUNT, "count 65536+"},
		{true, {0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02}, 11,
		TSDB_CODEC_E_VARINT, "varint over 64 bits"},
		{true, {0x01, 3, 3}, 3, TSDB_CODEC_E_FIELD, "order 3"},
		{true, {0x01, 3, 1, 2, 1, 65, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 15, TSDB_CODEC_E_WIDTH,
		"bit width 65"},
		{true, {0x01, 3, 1, 2, 0}, 5, TSDB_CODEC_E_FIELD, "gcd 0"},
		{true, {0x01, 2, 1, 10, 1, 0x80, 1}, 7, TSDB_CODEC_E_ORDER,
		"decreasing timestamps"},
		{true, {0x01, 0, 0, 0}, 4, TSDB_CODEC_E_TRAILING, "trailing byte"},
		{true, {0x01, 3, 1, 2, 1, 1, 0xF8}, 7, TSDB_CODEC_E_TRAILING, "padding bits set"},
		{false, {0x07, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 10, TSDB_CODEC_E_TAG, "unknown value tag"},
		{false, {0x02, 1, 0, 0, 0, 0, 0, 0, 0}, 9, TSDB_CODEC_E_TRUNCATED, "short constant"},
		{false, {0x04, 1, 0, 0, 0}, 5, TSDB_CODEC_E_FIELD, "decimal exponent 0"},
		{false, {0x04, 1, 19, 0, 0}, 5, TSDB_CODEC_E_FIELD, "decimal exponent 19"},
		{false, {0x03, 2, 0, 1, 0, 2, 1, 1}, 8, TSDB_CODEC_E_FIELD, "exception position past the end"},
		{false, {0x03, 1, 0, 1, 0, 2, 0, 0}, 8, TSDB_CODEC_E_COUNT, "more exceptions than values"},
		{false, {0x86, 1, 8, 0x00}, 4, TSDB_CODEC_E_LZ4, "lz4 garbage"},
		{false, {0x86, 1, 200, 1, 0x80}, 5, TSDB_CODEC_E_FIELD, "lz4 plain length too large"},
		{false, {0x05, 2, 0, 0, 0, 0, 0, 0, 0, 0}, 10, TSDB_CODEC_E_TRUNCATED, "gorilla missing bits"},
		{false, {0x05, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x0F, 0xFF}, 12, TSDB_CODEC_E_WIDTH, "gorilla window over 64 bits"},
		{false, {0x06, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 11, TSDB_CODEC_E_TRAILING, "raw with a byte more"},
	};
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		uint32		n;
		TsdbCodecStatus st = decode_copy(cases[i].ts, cases[i].bytes, cases[i].len, 100, &n);

		CHECK(st == cases[i].want, "malformed \"%s\": got \"%s\", want \"%s\"",
			  cases[i].what, tsdb_codec_strerror(st), tsdb_codec_strerror(cases[i].want));
	}

	/* random garbage, with and without a plausible header */
	for (i = 0; i < 200000; i++)
	{
		uint8		b[64];
		size_t		len = (size_t) (next_rand() % sizeof(b));
		size_t		j;
		uint32		n;

		for (j = 0; j < len; j++)
			b[j] = (uint8) next_rand();
		if (len > 1 && i % 2)
		{
			b[0] &= 0x8F;
			b[1] &= 0x3F;
		}
		(void) decode_copy(i % 4 < 2, b, len, (uint32) (next_rand() % 70), &n);
	}
}

static void
test_real(const char *path)
{
	FILE	   *f = fopen(path, "r");
	CodecData	d;
	uint32		i;
	uint32		from;

	if (!f)
	{
		perror(path);
		failures++;
		return;
	}
	if (codec_data_load(f, &d) != 0)
	{
		failures++;
		return;
	}
	fclose(f);
	for (i = 0; i < d.nseries; i++)
	{
		CodecSeries *s = &d.series[i];
		char		name[64];

		/* sweeps on the whole series of every 32nd one, the rest plain */
		snprintf(name, sizeof(name), "real series %u", i);
		if (i % 32 == 0)
		{
			check_ts(s->ts, s->n, name);
			check_values(s->v, s->n, name, 0);
		}
		check_const_stats(s->v, s->n, name);
		for (from = 0; from < s->n; from += 120)
		{
			uint32		n = s->n - from < 120 ? s->n - from : 120;
			size_t		cap = tsdb_values_encode_bound(n);
			uint8	   *b = malloc(cap);
			float8	   *o = malloc(sizeof(float8) * n);
			int64	   *t = malloc(sizeof(int64) * n);
			size_t		len;
			uint32		got;

			CHECK(tsdb_values_encode(s->v + from, n, b, cap, &len) == TSDB_CODEC_OK &&
				  tsdb_values_decode(b, len, o, n, &got, work, worklen) == TSDB_CODEC_OK &&
				  got == n && memcmp(o, s->v + from, sizeof(float8) * n) == 0,
				  "%s: 120-chunk at %u", name, from);
			CHECK(tsdb_ts_encode(s->ts + from, n, b, cap, &len) == TSDB_CODEC_OK &&
				  tsdb_ts_decode(b, len, t, n, &got) == TSDB_CODEC_OK &&
				  got == n && memcmp(t, s->ts + from, sizeof(int64) * n) == 0,
				  "%s: 120-chunk timestamps at %u", name, from);
			free(b);
			free(o);
			free(t);
		}
	}
	codec_data_free(&d);
}

/*
 * Seeds for fuzz_decode_chunk: chunk areas as a segment page holds them, a
 * base then chunks: one with its own timestamp column, one sharing it with
 * a constant value column, one of a later series with its own.
 */
static size_t
put_chunk(uint8 *area, size_t off, const TsdbChunkBase *base, uint32 series,
		  const int64 *t, const float8 *vals, uint32 n, long ts_ref)
{
	TsdbChunkHeader h;
	uint8		tsbuf[4096];
	uint8		vbuf[8192];
	size_t		tslen = 0;
	size_t		vlen;
	size_t		hlen;
	const uint8 *tscol;
	size_t		tscollen;
	uint32		i;
	bool		constant = true;

	memset(&h, 0, sizeof(h));
	if (ts_ref < 0 && tsdb_ts_encode(t, n, tsbuf, sizeof(tsbuf), &tslen) != TSDB_CODEC_OK)
		abort();
	if (tsdb_values_encode(vals, n, vbuf, sizeof(vbuf), &vlen) != TSDB_CODEC_OK)
		abort();
	for (i = 1; i < n; i++)
		constant = constant && memcmp(&vals[i], &vals[0], sizeof(float8)) == 0;
	h.series_id = series;
	h.count = n;
	h.min_ts = t[0];
	h.max_ts = t[n - 1];
	h.values_len = vlen;
	if (ts_ref >= 0)
	{
		h.flags |= TSDB_CHUNK_TS_SHARED;
		h.ts_ref = ts_ref;
	}
	else
		h.ts_len = tslen;
	if (constant)
		h.flags |= TSDB_CHUNK_CONST_STATS;
	else
		tsdb_chunk_stats(vals, n, &h.min, &h.max, &h.sum);
	hlen = tsdb_chunk_header_put(area + off, &h, base);
	memcpy(area + off + hlen, tsbuf, tslen);
	memcpy(area + off + hlen + tslen, vbuf, vlen);
	if (ts_ref >= 0)
	{
		TsdbChunkHeader oh;
		size_t		ohlen;
		const uint8 *owner = area + TSDB_CHUNK_BASE_SIZE + ts_ref;

		if (tsdb_chunk_header_get(owner, off - TSDB_CHUNK_BASE_SIZE - ts_ref, base,
								  &oh, &ohlen) != TSDB_CODEC_OK)
			abort();
		tscol = owner + ohlen;
		tscollen = oh.ts_len;
	}
	else
	{
		tscol = area + off + hlen;
		tscollen = tslen;
	}
	tsdb_chunk_header_set_checksum(area + off,
								   tsdb_chunk_checksum(area, area + off, hlen, tscol,
													   tscollen, area + off + hlen + tslen,
													   vlen));
	return off + hlen + tslen + vlen;
}

static void
write_chunk_seeds(void)
{
	int64		t[120];
	float8		counter[120];
	float8		constant[120];
	float8		gauge[120];
	uint8		area[16384];
	TsdbChunkBase base;
	size_t		off;
	int			i;

	for (i = 0; i < 120; i++)
	{
		t[i] = 851212800000000 + (int64) i * 5000000 + (i % 7 == 3 ? 1000 : 0);
		counter[i] = 1000 + i * 17;
		constant[i] = 1;
		gauge[i] = 0.25 * (i % 13) - 1.5;
	}
	base.min_ts = t[0];
	base.max_ts = t[119];
	base.series_id = 3;
	tsdb_chunk_base_put(area, &base);
	off = put_chunk(area, TSDB_CHUNK_BASE_SIZE, &base, 3, t, counter, 120, -1);
	write_seed("chunk", area, off);
	off = put_chunk(area, off, &base, 4, t, constant, 120, 0);
	write_seed("chunk", area, off);
	off = put_chunk(area, off, &base, 9, t + 20, gauge + 20, 100, -1);
	write_seed("chunk", area, off);
}

/*
 * Packed sample streams (WAL records' form of head samples).  A stream of
 * calls shares state, like a record's runs; every sample comes back bit for
 * bit; damaged and truncated streams decode to an error or to some samples
 * without a memory error.
 */
static void
put_raw(uint8 *raw, uint32 i, uint32 series, uint64 ts, uint64 value)
{
	memcpy(raw + i * TSDB_RAW_SAMPLE_SIZE, &series, 4);
	memcpy(raw + i * TSDB_RAW_SAMPLE_SIZE + 4, &ts, 8);
	memcpy(raw + i * TSDB_RAW_SAMPLE_SIZE + 12, &value, 8);
}

/* pack n samples as calls of sizes "parts", unpack, compare; packed size */
static size_t
samples_roundtrip(const uint8 *raw, uint32 n, uint32 part, const char *name)
{
	static TsdbSampleStream st;
	uint8	   *packed = malloc((size_t) n * TSDB_PACKED_SAMPLE_MAX + 1);
	uint8	   *out = malloc((size_t) n * TSDB_RAW_SAMPLE_SIZE + 1);
	size_t		len = 0;
	uint8	   *copy;
	const uint8 *p;
	uint32		i;
	TsdbCodecStatus status = TSDB_CODEC_OK;

	tsdb_sample_stream_init(&st);
	for (i = 0; i < n; i += part)
		len += tsdb_samples_pack(&st, raw + (size_t) i * TSDB_RAW_SAMPLE_SIZE,
								 n - i < part ? n - i : part, packed + len);
	CHECK(len <= (size_t) n * TSDB_PACKED_SAMPLE_MAX, "%s: %zu bytes for %u samples", name, len, n);
	copy = malloc(len ? len : 1);
	memcpy(copy, packed, len);
	p = copy;
	tsdb_sample_stream_init(&st);
	for (i = 0; i < n && status == TSDB_CODEC_OK; i += part)
		status = tsdb_samples_unpack(&st, &p, copy + len, n - i < part ? n - i : part,
									 out + (size_t) i * TSDB_RAW_SAMPLE_SIZE);
	CHECK(status == TSDB_CODEC_OK, "%s: unpack: %s", name, tsdb_codec_strerror(status));
	CHECK(p == copy + len, "%s: %zu bytes left over", name, (size_t) (copy + len - p));
	CHECK(memcmp(out, raw, (size_t) n * TSDB_RAW_SAMPLE_SIZE) == 0, "%s: samples differ", name);
	/* a fuzzing seed in its format: samples per call (4 calls), stream */
	if (part == n && n >= 200)
	{
		uint8		seed[1 + 200 * TSDB_PACKED_SAMPLE_MAX];

		seed[0] = 50;
		tsdb_sample_stream_init(&st);
		write_seed("samples", seed, 1 + tsdb_samples_pack(&st, raw, 200, seed + 1));
	}
	free(copy);
	free(out);
	free(packed);
	return len;
}

static void
samples_corrupt(const uint8 *raw, uint32 n, const char *name)
{
	static TsdbSampleStream st;
	static const uint8 masks[] = {0x01, 0x10, 0x80, 0xFF};
	uint8	   *packed = malloc((size_t) n * TSDB_PACKED_SAMPLE_MAX + 1);
	uint8	   *out = malloc((size_t) n * TSDB_RAW_SAMPLE_SIZE);
	size_t		len;
	size_t		i;
	size_t		m;
	int			errors = 0;

	tsdb_sample_stream_init(&st);
	len = tsdb_samples_pack(&st, raw, n, packed);
	for (i = 0; i < len; i++)
	{
		uint8	   *copy = malloc(i ? i : 1);
		const uint8 *p = copy;

		memcpy(copy, packed, i);
		tsdb_sample_stream_init(&st);
		errors += tsdb_samples_unpack(&st, &p, copy + i, n, out) != TSDB_CODEC_OK;
		free(copy);
	}
	CHECK(errors == (int) len, "%s: %d of %zu truncations decoded", name, (int) len - errors, len);
	for (i = 0; i < len; i++)
		for (m = 0; m < sizeof(masks); m++)
		{
			uint8	   *copy = malloc(len);
			const uint8 *p = copy;

			memcpy(copy, packed, len);
			copy[i] ^= masks[m];
			tsdb_sample_stream_init(&st);
			(void) tsdb_samples_unpack(&st, &p, copy + len, n, out);
			CHECK(p >= copy && p <= copy + len, "%s: read past the end", name);
			free(copy);
		}
	free(out);
	free(packed);
}

static void
test_samples(void)
{
	uint32		n = 2000;
	uint8	   *raw = malloc((size_t) n * TSDB_RAW_SAMPLE_SIZE);
	static const uint64 edge[] = {
		0, UINT64_C(0x8000000000000000), UINT64_C(0x7FF0000000000000),
		UINT64_C(0xFFF0000000000000), UINT64_C(0x7FF8000000000001),
		UINT64_C(0x7FF0000000000002),	/* Prometheus' staleness NaN */
		UINT64_C(0x0000000000000001), UINT64_C(0xFFFFFFFFFFFFFFFF),
		UINT64_C(0x0100000000000080), UINT64_C(0x00FF000000000000)
	};
	static TsdbSampleStream st;
	uint8		buf[64];
	const uint8 *p;
	size_t		len;
	uint32		i;

	/* a scrape: 500 series at one instant, values repeating per series */
	for (i = 0; i < n; i++)
		put_raw(raw, i, 1000 + i % 500, UINT64_C(1767225600000000) + (i / 500) * 10000000,
				(uint64) ((i % 500) * 7 + (i / 500 % 2)) * UINT64_C(0x0010000000000000));
	len = samples_roundtrip(raw, n, n, "scrape");
	CHECK(len < (size_t) n * 6, "scrape: %zu bytes for %u samples", len, n);
	samples_roundtrip(raw, n, 7, "scrape in parts");
	samples_corrupt(raw, 200, "scrape");

	/* random everything, extreme jumps of series and time */
	for (i = 0; i < n; i++)
		put_raw(raw, i, (uint32) next_rand(), next_rand(), next_rand());
	samples_roundtrip(raw, n, n, "random");
	samples_roundtrip(raw, n, 1, "random one by one");
	samples_corrupt(raw, 100, "random");
	for (i = 0; i < n; i++)
		put_raw(raw, i, (i & 1) ? 0 : UINT32_MAX, (i & 1) ? (uint64) INT64_MIN : (uint64) INT64_MAX,
				edge[i % (sizeof(edge) / sizeof(edge[0]))]);
	samples_roundtrip(raw, n, n, "extremes");
	samples_corrupt(raw, 40, "extremes");

	/* more series than the value table keeps: still exact */
	for (i = 0; i < n; i++)
		put_raw(raw, i, i % 1500, 42, (uint64) (i % 1500) << 20 | (i / 1500));
	samples_roundtrip(raw, n, n, "many series");

	/* one series, a constant: 3 bytes a sample (0, 0 deltas, XOR 0) */
	for (i = 0; i < n; i++)
		put_raw(raw, i, 5, 1000, UINT64_C(0x3FF0000000000000));
	len = samples_roundtrip(raw, n, n, "constant");
	CHECK(len <= 3 * (size_t) n + 16, "constant: %zu bytes for %u samples", len, n);

	/* non-canonical and malformed value bytes are refused */
	buf[0] = 0;					/* series +0 */
	buf[1] = 0;					/* ts +0 */
	buf[2] = 0x08;				/* 0 leading + 8 trailing zero bytes */
	tsdb_sample_stream_init(&st);
	p = buf;
	CHECK(tsdb_samples_unpack(&st, &p, buf + 3, 1, raw) == TSDB_CODEC_E_TAG, "0x08 accepted");
	buf[2] = 0x70;				/* 7 leading zero bytes, last byte 0x00 */
	buf[3] = 0x00;
	tsdb_sample_stream_init(&st);
	p = buf;
	CHECK(tsdb_samples_unpack(&st, &p, buf + 4, 1, raw) == TSDB_CODEC_E_FIELD, "zero edge byte accepted");
	buf[2] = 0x60;				/* 6 leading: two bytes, the first zero */
	buf[3] = 0x00;
	buf[4] = 0x01;
	tsdb_sample_stream_init(&st);
	p = buf;
	CHECK(tsdb_samples_unpack(&st, &p, buf + 5, 1, raw) == TSDB_CODEC_E_FIELD, "zero leading byte accepted");
	/* a series step beyond 32 bits */
	p = tsdb_varint_put(buf, tsdb_zigzag(UINT64_C(1) << 32));
	buf[p - buf] = 0;
	buf[p - buf + 1] = 0x80;
	len = (size_t) (p - buf) + 2;
	tsdb_sample_stream_init(&st);
	p = buf;
	CHECK(tsdb_samples_unpack(&st, &p, buf + len, 1, raw) == TSDB_CODEC_E_FIELD, "33-bit series step accepted");
	free(raw);
}

int
main(int argc, char **argv)
{
	const char *real = NULL;
	int			i;

	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
			seed_dir = argv[++i];
		else
			real = argv[i];
	}
	worklen = tsdb_values_decode_work_size(TSDB_CODEC_MAX_COUNT);
	work = malloc(worklen);

	test_crc();
	test_timestamps();
	test_values();
	test_samples();
	if (!seed_dir)
	{
		test_malformed();
		test_chunk_headers();
		test_stats();
	}
	if (real)
		test_real(real);
	if (seed_dir)
		write_chunk_seeds();

	free(work);
	if (seed_dir)
	{
		printf("codec_test: wrote %d seeds to %s\n", nseeds, seed_dir);
		return failures ? 1 : 0;
	}
	printf("codec_test: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
