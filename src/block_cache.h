/*-------------------------------------------------------------------------
 *
 * block_cache.h
 *	  Shared-memory cache of decoded segment chunks.
 *
 * Decoding a chunk (timestamps and values, compress.h) costs far more than
 * reading its page from shared buffers, so decoded chunks are kept in a
 * fixed shared-memory arena sized by tsdb.block_cache_size.  The cache sits
 * behind tsdb_chunk_decode() (segment.c): callers keep locating chunks on
 * locked pages and get the samples from the cache when it holds them.
 *
 * An entry is found by (relation file, block, chunk offset), but what makes
 * it usable is not the key: each entry keeps a copy of the chunk's bytes as
 * they were on the page when it was decoded (the page's chunk base, the
 * header, both columns), and a lookup returns it only when the bytes on the
 * caller's locked page are identical.  Decoding is a pure function of those
 * bytes, so a hit returns exactly what decoding the page would, whatever
 * happened to the relation in between: TRUNCATE, DROP, VACUUM FULL, page
 * recycling, aborted compactions, replay on a standby.  block_cache.c says
 * more.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_BLOCK_CACHE_H
#define TSDB_BLOCK_CACHE_H

#include "storage/block.h"
#include "utils/relcache.h"

#include "head.h"

/* tsdb.block_cache_size, in kB; 0 turns the cache off. */
extern int	tsdb_block_cache_size;

/*
 * How one decode uses the cache, and what it found (segment.h's
 * tsdb_chunk_decode_cached).  A caller that passes one per scan can show its
 * own hits and misses (EXPLAIN ANALYZE); the counters only ever grow.
 */
#define TSDB_CACHE_NO_INSERT	0x01	/* look up, but keep no miss: one-pass
										 * reads such as merges and ANALYZE */
#define TSDB_CACHE_BYPASS		0x02	/* neither look up nor keep */

typedef struct TsdbCacheUse
{
	int			flags;			/* TSDB_CACHE_* */
	int64		hits;
	int64		misses;
} TsdbCacheUse;

/*
 * A chunk's bytes as they lie on its locked page, in four parts: the page's
 * chunk base, the chunk header, its timestamp column (its own or the shared
 * one it points to) and its value column.  The samples are a function of
 * these bytes alone.
 */
#define TSDB_CHUNK_IMAGE_PARTS	4

typedef struct TsdbChunkImage
{
	const uint8 *part[TSDB_CHUNK_IMAGE_PARTS];
	uint32		len[TSDB_CHUNK_IMAGE_PARTS];
} TsdbChunkImage;

/* _PG_init: the GUC and the shared-memory hooks. */
extern void tsdb_block_cache_init(void);

extern bool tsdb_block_cache_enabled(void);

/*
 * Samples first .. first + max - 1 (those there are) of a chunk whose bytes
 * are "img", into out[0..].  Returns the samples copied, or -1 if the chunk
 * is not cached.
 */
extern int	tsdb_block_cache_get(Relation rel, BlockNumber blkno, uint16 offset,
								 const TsdbChunkImage *img, uint32 first,
								 uint32 max, TsdbSample *out);

/* Keep a chunk just decoded (checksum verified) from "img". */
extern void tsdb_block_cache_put(Relation rel, BlockNumber blkno, uint16 offset,
								 const TsdbChunkImage *img, uint32 series_id,
								 const int64 *ts, const float8 *values, int n);

#endif							/* TSDB_BLOCK_CACHE_H */
