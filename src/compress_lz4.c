/*-------------------------------------------------------------------------
 *
 * compress_lz4.c
 *	  lz4 on top of an encoded value column, only where it wins.
 *
 * The column codecs remove the numeric redundancy; lz4 then catches what
 * they cannot see, such as a noisy value alternating between a few bit
 * patterns.  A compressed column keeps its tag (with TSDB_CODEC_TAG_LZ4
 * set) and count, followed by the plain body's length as a varint and the
 * lz4 block.  Bodies under LZ4_MIN_BODY bytes are never tried: lz4's own
 * framing would eat the gain.
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <lz4.h>

#include "compress.h"

#define LZ4_MIN_BODY	64

/*
 * col[0..len) is a column whose header takes hdrlen bytes; compress its body
 * using spare (which must not overlap col[0..len)) and rewrite col in place
 * if that makes it smaller.  Returns the column's length.
 */
size_t
tsdb_lz4_try(uint8 *col, size_t len, size_t hdrlen, uint8 *spare,
			 size_t sparelen)
{
	size_t		blen = len - hdrlen;
	int			clen;
	size_t		newlen;
	uint8	   *p;

	if (blen < LZ4_MIN_BODY || blen > INT_MAX || sparelen > INT_MAX ||
		sparelen < (size_t) LZ4_COMPRESSBOUND(blen))
		return len;
	clen = LZ4_compress_default((const char *) col + hdrlen, (char *) spare,
								(int) blen, (int) sparelen);
	if (clen <= 0)
		return len;
	newlen = hdrlen + tsdb_varint_len(blen) + (size_t) clen;
	if (newlen >= len)
		return len;
	col[0] |= TSDB_CODEC_TAG_LZ4;
	p = tsdb_varint_put(col + hdrlen, blen);
	memcpy(p, spare, clen);
	return newlen;
}

/*
 * *p..*end holds the plain length and an lz4 block: decompress it into dst
 * and point *p..*end at the plain body.
 */
TsdbCodecStatus
tsdb_lz4_unwrap(const uint8 **p, const uint8 **end, size_t maxplain,
				uint8 *dst, size_t dstlen)
{
	uint64		plain;
	size_t		clen;
	int			r;
	TsdbCodecStatus st;

	if ((st = tsdb_varint_get(p, *end, &plain)) != TSDB_CODEC_OK)
		return st;
	if (plain > maxplain || plain > INT_MAX)
		return TSDB_CODEC_E_FIELD;
	if (plain > dstlen)
		return TSDB_CODEC_E_WORK;
	clen = (size_t) (*end - *p);
	if (clen > INT_MAX)
		return TSDB_CODEC_E_FIELD;
	r = LZ4_decompress_safe((const char *) *p, (char *) dst, (int) clen,
							(int) plain);
	if (r < 0 || (uint64) r != plain)
		return TSDB_CODEC_E_LZ4;
	*p = dst;
	*end = dst + plain;
	return TSDB_CODEC_OK;
}
