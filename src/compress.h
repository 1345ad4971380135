/*-------------------------------------------------------------------------
 *
 * compress.h
 *	  Column codecs for segment chunks: timestamps and float8 values.
 *
 * A segment chunk holds one series' samples sorted by time as two encoded
 * columns.  This is the pure encoding layer under the segment code: no
 * PostgreSQL runtime (no palloc, no ereport, no global state), so the same
 * files build into the extension and standalone for unit tests and fuzzing.
 * Callers own every buffer.  Encoders need an output buffer of the size
 * their _bound() function gives; decoders check every byte they read and
 * return a TsdbCodecStatus other than TSDB_CODEC_OK on any malformed input,
 * which the segment layer reports as data corruption.
 *
 * The byte formats are described in doc/compression.md; that document and
 * the code must change together (they are on-disk formats).
 *
 * The functions in the last section are shared between the compress_*.c
 * files only; nothing else should call them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_COMPRESS_H
#define TSDB_COMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Portability: inside the extension postgres.h (c.h) comes first and already
 * defines these names; standalone (tests, fuzzers, bench) we map them to
 * stdint.  Both give the same types on every platform we build on (LP64).
 */
#ifndef C_H
#include <stdbool.h>
typedef uint8_t uint8;
typedef uint16_t uint16;
typedef uint32_t uint32;
typedef uint64_t uint64;
typedef int32_t int32;
typedef int64_t int64;
typedef double float8;
#endif

/*
 * The most samples one chunk may hold.  Encoders refuse more, decoders
 * treat a larger count as corruption.  65535 keeps the count in a uint16 for
 * the chunk header and bounds every decoder's work.
 */
#define TSDB_CODEC_MAX_COUNT	65535

typedef enum TsdbCodecStatus
{
	TSDB_CODEC_OK = 0,
	TSDB_CODEC_E_TRUNCATED,		/* input ends inside an item */
	TSDB_CODEC_E_TRAILING,		/* bytes (or set padding bits) after the end */
	TSDB_CODEC_E_COUNT,			/* count above capacity or the maximum */
	TSDB_CODEC_E_TAG,			/* unknown codec tag or reserved bits set */
	TSDB_CODEC_E_WIDTH,			/* bit width above 64 */
	TSDB_CODEC_E_VARINT,		/* varint longer than 64 bits */
	TSDB_CODEC_E_ORDER,			/* decoded timestamps not ascending */
	TSDB_CODEC_E_FIELD,			/* a field out of its range */
	TSDB_CODEC_E_LZ4,			/* lz4 block does not decompress as declared */
	TSDB_CODEC_E_WORK,			/* caller's work buffer too small */
	TSDB_CODEC_E_OUTPUT,		/* caller's output buffer too small */
	TSDB_CODEC_E_INPUT			/* encoder input invalid (unsorted, too many) */
} TsdbCodecStatus;

/* A short English reason for a status, for error messages. */
extern const char *tsdb_codec_strerror(TsdbCodecStatus status);

/*
 * Codec ids, the low 4 bits of a column's first byte.  Timestamp and value
 * codecs have distinct ids, so a column given to the wrong decoder is
 * reported, not misread.
 */
typedef enum TsdbCodecId
{
	TSDB_CODEC_TS_DELTA = 1,	/* timestamps: delta or delta-of-delta, packed */
	TSDB_CODEC_V_CONST = 2,		/* all values one bit pattern */
	TSDB_CODEC_V_INT = 3,		/* exact integers, delta/dod, packed */
	TSDB_CODEC_V_DEC = 4,		/* decimals scaled by 10^e to integers */
	TSDB_CODEC_V_GORILLA = 5,	/* XOR with the previous value */
	TSDB_CODEC_V_RAW = 6		/* 8 bytes per value */
} TsdbCodecId;

#define TSDB_CODEC_NIDS			7
#define TSDB_CODEC_TAG_ID_MASK	0x0F
#define TSDB_CODEC_TAG_LZ4		0x80	/* body is an lz4 block */
#define TSDB_CODEC_TAG_RESERVED	0x70

/* The codec's name as the documentation writes it ("GORILLA"), or "?". */
extern const char *tsdb_codec_name(TsdbCodecId id);

/* Codec id, lz4 flag and count of an encoded column, without decoding it. */
extern TsdbCodecStatus tsdb_column_info(const uint8 *buf, size_t len,
										TsdbCodecId *id, bool *lz4,
										uint32 *count);

/*
 * Timestamp column: int64 (TimestampTz, microseconds), ascending, equal
 * neighbours allowed.  The encoding is canonical: equal inputs give equal
 * bytes (never lz4, whose output may change between library versions), so
 * the segment layer can store a column shared by series scraped together
 * once, finding candidates by tsdb_ts_hash() and confirming with memcmp().
 */
extern size_t tsdb_ts_encode_bound(uint32 n);
extern TsdbCodecStatus tsdb_ts_encode(const int64 *ts, uint32 n,
									  uint8 *out, size_t outcap,
									  size_t *outlen);
extern TsdbCodecStatus tsdb_ts_decode(const uint8 *buf, size_t len,
									  int64 *out, uint32 capacity,
									  uint32 *n);
extern uint32 tsdb_ts_hash(const uint8 *buf, size_t len);

/*
 * Value column: float8, stored bit for bit (NaN payloads, -0.0, infinities,
 * denormals, Prometheus' staleness marker included).  The encoder uses the
 * whole output buffer as scratch, so it must hold tsdb_values_encode_bound(n)
 * bytes even though the result is usually far smaller.  The decoder needs a
 * work buffer of tsdb_values_decode_work_size(capacity) bytes (any
 * alignment); it is reusable across calls.
 */
extern size_t tsdb_values_encode_bound(uint32 n);
extern TsdbCodecStatus tsdb_values_encode(const float8 *values, uint32 n,
										  uint8 *out, size_t outcap,
										  size_t *outlen);
extern size_t tsdb_values_decode_work_size(uint32 capacity);
extern TsdbCodecStatus tsdb_values_decode(const uint8 *buf, size_t len,
										  float8 *out, uint32 capacity,
										  uint32 *n,
										  void *work, size_t worklen);

/*
 * Packed sample stream (compress_samples.c), the form in which WAL records
 * carry head samples.  A raw sample is the head page's 20 bytes: series id
 * (uint32), timestamp (int64), value bits (float8), native byte order.  A
 * stream's state carries the previous sample and each series' last value
 * from one call to the next, so one record's runs share it; initialize it
 * once per record.  tsdb_samples_pack needs TSDB_PACKED_SAMPLE_MAX bytes of
 * output per sample; tsdb_samples_unpack reads n samples from *p (advanced),
 * checking every byte against end.
 */
#define TSDB_RAW_SAMPLE_SIZE	20
#define TSDB_PACKED_SAMPLE_MAX	24	/* 5 + 10 + 9 bytes */
#define TSDB_SAMPLE_STREAM_BITS	10
#define TSDB_SAMPLE_STREAM_SLOTS (1 << TSDB_SAMPLE_STREAM_BITS)

typedef struct TsdbSampleStream
{
	uint32		prev_series;
	uint64		prev_ts;
	uint32		nkeys;
	bool		used[TSDB_SAMPLE_STREAM_SLOTS];
	uint32		keys[TSDB_SAMPLE_STREAM_SLOTS];
	uint64		vals[TSDB_SAMPLE_STREAM_SLOTS];
} TsdbSampleStream;

extern void tsdb_sample_stream_init(TsdbSampleStream *st);
extern size_t tsdb_samples_pack(TsdbSampleStream *st, const uint8 *raw,
								uint32 n, uint8 *out);
extern TsdbCodecStatus tsdb_samples_unpack(TsdbSampleStream *st,
										   const uint8 **p, const uint8 *end,
										   uint32 n, uint8 *raw);

/*
 * CRC-32C (Castagnoli), for chunk headers.  Same polynomial, initial value
 * and final xor as PostgreSQL's COMP_CRC32C, so the values agree.
 */
extern uint32 tsdb_crc32c(const void *data, size_t len);
extern uint32 tsdb_crc32c_extend(uint32 crc, const void *data, size_t len);

/*
 * Varints: LEB128, at most 10 bytes for a uint64 (compress_bits.c).  Also
 * used by chunk headers and series dictionary entries.
 */
#define TSDB_VARINT_MAX		10

static inline uint64
tsdb_zigzag(uint64 v)
{
	/* arithmetic shift of the sign done in unsigned arithmetic: no UB */
	return (v << 1) ^ (0 - (v >> 63));
}

static inline uint64
tsdb_unzigzag(uint64 z)
{
	return (z >> 1) ^ (0 - (z & 1));
}

extern int	tsdb_varint_len(uint64 v);
extern uint8 *tsdb_varint_put(uint8 *p, uint64 v);
extern TsdbCodecStatus tsdb_varint_get(const uint8 **p, const uint8 *end,
									   uint64 *v);

/*
 * Chunk headers (compress_chunk.c).  A segment page's chunk area starts
 * with a base, TSDB_CHUNK_BASE_SIZE bytes: the first chunk's min_ts and
 * max_ts (int64) and series id (uint32).  Each chunk header is stored
 * relative to it, so it decodes on its own given the base:
 *
 *	checksum	4 bytes, CRC-32C (tsdb_chunk_checksum)
 *	flags		1 byte, TSDB_CHUNK_*
 *	series		varint, series_id - base series id (modulo 2^32)
 *	count		varint, 1..65535
 *	ts			varint, TS_SHARED: the owning chunk's offset from the end of
 *				the base; otherwise the own timestamp column's length (> 0)
 *	values_len	varint, > 0
 *	min_ts		zigzag varint, min_ts - base min_ts (TS_MS: in milliseconds)
 *	max_ts		zigzag varint, max_ts - base max_ts (TS_MS: in milliseconds)
 *	min, max, sum	3 x 8 bytes, float8 bits; absent with CONST_STATS
 *
 * then the own timestamp column (unless TS_SHARED) and the value column.
 */
typedef struct TsdbChunkBase
{
	int64		min_ts;
	int64		max_ts;
	uint32		series_id;
} TsdbChunkBase;

#define TSDB_CHUNK_BASE_SIZE	20

typedef struct TsdbChunkHeader
{
	uint32		checksum;
	uint8		flags;
	uint32		series_id;
	uint32		count;
	uint32		ts_ref;			/* TS_SHARED: owner's offset after the base */
	uint32		ts_len;			/* own timestamp column bytes, else 0 */
	uint32		values_len;
	int64		min_ts;
	int64		max_ts;
	float8		min;			/* PostgreSQL's float8 order: NaN highest */
	float8		max;
	float8		sum;			/* added in sample order from +0.0 */
} TsdbChunkHeader;

#define TSDB_CHUNK_TS_SHARED	0x01	/* another chunk's timestamp column */
#define TSDB_CHUNK_CONST_STATS	0x02	/* values are one bit pattern (CONST
										 * column): min/max/sum not stored */
#define TSDB_CHUNK_TS_MS		0x04	/* set by the encoder: whole ms */
#define TSDB_CHUNK_FLAGS		0x07

/* Column lengths and offsets are page offsets. */
#define TSDB_CHUNK_MAX_COLUMN	65535
#define TSDB_CHUNK_HEADER_MIN	11
#define TSDB_CHUNK_HEADER_MAX	(5 + 5 + 3 + 3 + 3 + 2 * TSDB_VARINT_MAX + 24)

extern void tsdb_chunk_base_put(uint8 *p, const TsdbChunkBase *base);
extern void tsdb_chunk_base_get(const uint8 *p, TsdbChunkBase *base);

/*
 * Write a header (flags: TS_SHARED and CONST_STATS as given, TS_MS chosen
 * here) into TSDB_CHUNK_HEADER_MAX bytes; returns its length.  The
 * checksum field is written as given: set it afterwards.
 */
extern size_t tsdb_chunk_header_put(uint8 *p, const TsdbChunkHeader *h,
									const TsdbChunkBase *base);
extern void tsdb_chunk_header_set_checksum(uint8 *hdr, uint32 checksum);

/*
 * Read a header from at most avail bytes.  With CONST_STATS, min/max/sum
 * come from tsdb_chunk_const_stats() on the value column.
 */
extern TsdbCodecStatus tsdb_chunk_header_get(const uint8 *p, size_t avail,
											 const TsdbChunkBase *base,
											 TsdbChunkHeader *h, size_t *len);

/* CRC-32C of the base, the header after its checksum field, both columns. */
extern uint32 tsdb_chunk_checksum(const uint8 *base, const uint8 *hdr,
								  size_t hdrlen, const uint8 *ts, size_t tslen,
								  const uint8 *values, size_t valueslen);

/* min, max (PostgreSQL's float8 order) and sum of n >= 1 values. */
extern void tsdb_chunk_stats(const float8 *values, uint32 n, float8 *min,
							 float8 *max, float8 *sum);

/*
 * Fill h's min/max/sum from a CONST value column of h->count values,
 * exactly as tsdb_chunk_stats() computes them on the decoded values.
 */
extern TsdbCodecStatus tsdb_chunk_const_stats(const uint8 *col, size_t len,
											  TsdbChunkHeader *h);


/* ---- shared between compress_*.c only ---------------------------------- */

/*
 * Integer sequences: x[0..n) stored as `order` (0, 1 or 2) initial values
 * and the order-th differences, scaled down by their gcd and bit-packed in
 * blocks with a frame of reference (compress_bits.c).  All arithmetic is
 * modulo 2^64.  tsdb_ints_size gives the exact encoded size.
 */
#define TSDB_INTS_BLOCK		32

extern size_t tsdb_ints_size(const int64 *x, uint32 n, int order);
extern uint8 *tsdb_ints_put(uint8 *p, const int64 *x, uint32 n, int order);
extern int	tsdb_ints_best_order(const int64 *x, uint32 n, int first_order,
								 size_t *size);
extern TsdbCodecStatus tsdb_ints_get(const uint8 **p, const uint8 *end,
									 uint64 *x, uint32 n);

/* Column header: tag byte and count varint, checked against capacity. */
extern TsdbCodecStatus tsdb_column_header(const uint8 **p, const uint8 *end,
										  uint32 capacity, uint8 *tag,
										  uint32 *n);

/* Decimal/integer value codec (compress_alp.c). */
extern size_t tsdb_dec_choose(const float8 *v, uint32 n, int64 *scratch,
							  int *exponent, int *order);
extern uint8 *tsdb_dec_put(uint8 *p, const float8 *v, uint32 n,
						   int64 *scratch, int exponent, int order);
extern TsdbCodecStatus tsdb_dec_get(const uint8 *p, const uint8 *end,
									bool has_exponent, float8 *out,
									uint32 n, uint64 *ints);

/* Gorilla XOR value codec (compress_gorilla.c). */
extern size_t tsdb_gorilla_size(const float8 *v, uint32 n);
extern uint8 *tsdb_gorilla_put(uint8 *p, const float8 *v, uint32 n);
extern TsdbCodecStatus tsdb_gorilla_get(const uint8 *p, const uint8 *end,
										float8 *out, uint32 n);

/* lz4 on top of an encoded column (compress_lz4.c). */
extern size_t tsdb_lz4_try(uint8 *col, size_t len, size_t hdrlen,
						   uint8 *spare, size_t sparelen);
extern TsdbCodecStatus tsdb_lz4_unwrap(const uint8 **p, const uint8 **end,
									   size_t maxplain, uint8 *dst,
									   size_t dstlen);

/* Little-endian loads and stores that need no alignment. */
static inline uint64
tsdb_load64le(const uint8 *p)
{
	uint64		v;

	memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline void
tsdb_store64le(uint8 *p, uint64 v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, 8);
}

static inline uint64
tsdb_f2u(float8 d)
{
	uint64		u;

	memcpy(&u, &d, 8);
	return u;
}

static inline float8
tsdb_u2f(uint64 u)
{
	float8		d;

	memcpy(&d, &u, 8);
	return d;
}

#endif							/* TSDB_COMPRESS_H */
