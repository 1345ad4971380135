/*-------------------------------------------------------------------------
 *
 * segment.h
 *	  Immutable segments: compressed per-series chunks on chained pages.
 *
 * Compaction writes a segment as a chain of pages of type
 * TSDB_PAGE_SEGMENT.  Each page holds chunks packed between the page header
 * and pd_lower, ordered by (series_id, min_ts) across the chain.  A chunk
 * is one series' samples sorted by time (equal timestamps keep their
 * insertion order): a header, then the encoded timestamp column (unless it
 * shares an identical column of an earlier chunk on the same page), then
 * the encoded value column (compress.h).  A series' samples are split into
 * chunks of at most tsdb.chunk_samples, and also where a page ends, so a
 * page is filled to its end.  Pages never point into each other, so any
 * page decodes on its own.
 *
 * The chunk area starts with a 20-byte base (the first chunk's time range
 * and series id) that the compact chunk headers are relative to (compress.h):
 * series, count, column lengths and time range as varints, min/max/sum of
 * the values (left out for a chunk of one repeated value, which gives them
 * exactly), and a CRC-32C of the base, the header and both columns; readers
 * verify it before decoding and report damage as data corruption.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_SEGMENT_H
#define TSDB_SEGMENT_H

#include "storage/buf.h"
#include "storage/bufpage.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

#include "compress.h"
#include "head.h"
#include "meta.h"

/* Samples per chunk: the tsdb.chunk_samples GUC, at most this. */
#define TSDB_CHUNK_MAX_SAMPLES	8192

/* Room for the base and chunks on one segment page. */
#define TSDB_SEGMENT_PAGE_CAPACITY \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(TsdbPageOpaqueData)))

/* Where a segment page's base and its first chunk are. */
#define TSDB_SEGMENT_BASE_OFFSET	MAXALIGN(SizeOfPageHeaderData)
#define TSDB_SEGMENT_CHUNKS_OFFSET	(TSDB_SEGMENT_BASE_OFFSET + TSDB_CHUNK_BASE_SIZE)

/*
 * Most chunks a page can hold: a chunk takes at least a minimal header and
 * one byte of value column (its timestamp column may be shared).  Sizes the
 * offset arrays of tsdb_segment_page_chunks().
 */
#define TSDB_SEGMENT_MAX_CHUNKS \
	(TSDB_SEGMENT_PAGE_CAPACITY / (TSDB_CHUNK_HEADER_MIN + 1) + 1)

extern int	tsdb_chunk_samples;

/*
 * A directory entry: one data page and the key of its first chunk.  The
 * pages' chunks from this key up to the next entry's.
 */
typedef struct TsdbSegmentDirEntry
{
	BlockNumber blkno;
	uint32		series_id;
	int64		min_ts;
} TsdbSegmentDirEntry;

/*
 * Segments of fewer pages have no directory: walking their chain costs
 * fewer reads than a directory page saves, and a directory page would add
 * 8 kB to a small table (5% of the real data's 140 kB).
 */
#define TSDB_SEGMENT_DIR_MIN_PAGES	32

#define TSDB_SEGMENT_DIR_PER_PAGE \
	((int) (TSDB_SEGMENT_PAGE_CAPACITY / sizeof(TsdbSegmentDirEntry)))

/* segment_dir.c */
extern void tsdb_segment_dir_write(Relation rel, uint32 segment_id,
								   const TsdbSegmentDirEntry *entries,
								   uint32 n, TsdbSegmentEntry *seg);
extern TsdbSegmentDirEntry *tsdb_segment_dir_read(Relation rel,
												  const TsdbSegmentEntry *seg,
												  BlockNumber nblocks,
												  BlockNumber *dir_blocks);

/* A complete segment or directory page image written to its buffer. */
extern void tsdb_segment_put_page(Relation rel, Buffer buf, Page image,
								  BlockNumber next);

/* Writing: compaction feeds sorted samples, series by series. */
typedef struct TsdbSegmentWriter TsdbSegmentWriter;

extern TsdbSegmentWriter *tsdb_segment_writer_begin(Relation rel,
													uint32 segment_id);
extern void tsdb_segment_writer_add(TsdbSegmentWriter *w, uint32 series_id,
									const int64 *ts, const float8 *values,
									int n);
extern void tsdb_segment_writer_finish(TsdbSegmentWriter *w,
									   TsdbSegmentEntry *entry);

extern void tsdb_segment_copy(Relation src, const TsdbSegmentEntry *seg,
							  Relation dst, TsdbSegmentEntry *out);

/* Reading.  Offsets come from tsdb_segment_page_chunks(). */
extern int	tsdb_segment_page_chunks(Relation rel, Page page, BlockNumber blkno,
									 uint16 *offsets, int max);
extern int	tsdb_chunk_decode(Relation rel, Page page, BlockNumber blkno,
							  uint16 offset, TsdbSample *out);
struct TsdbCacheUse;
extern int	tsdb_chunk_decode_cached(Relation rel, Page page, BlockNumber blkno,
									 uint16 offset, TsdbSample *out,
									 struct TsdbCacheUse *use);
extern int	tsdb_chunk_decode_part(Relation rel, Page page, BlockNumber blkno,
								   uint16 offset, int part, bool values,
								   TsdbSample *out, struct TsdbCacheUse *use);
extern void tsdb_chunk_header(Relation rel, Page page, BlockNumber blkno,
							  uint16 offset, TsdbChunkHeader *hdr,
							  int *header_bytes, int *bytes);

/*
 * A chunk's series, time range, parts and sizes, from its header: for
 * statistics and for TsdbScan's pruning.  No decoding, no checksum.
 */
typedef struct TsdbChunkInfo
{
	uint32		series_id;
	uint32		count;
	int64		min_ts;
	int64		max_ts;
	Size		header_bytes;
	Size		ts_bytes;		/* its own timestamp column; 0 when shared */
	Size		value_bytes;
	const uint8 *values;		/* the value column, on the page */
} TsdbChunkInfo;

extern void tsdb_chunk_info(Relation rel, Page page, BlockNumber blkno,
							uint16 offset, TsdbChunkInfo *info);

/* Called for each chunk of a segment, its page share-locked. */
typedef void (*TsdbChunkCallback) (Relation rel, Page page, BlockNumber blkno,
								   uint16 offset, void *arg);
extern void tsdb_segment_foreach_chunk(Relation rel, const TsdbSegmentEntry *seg,
									   BufferAccessStrategy strategy,
									   BlockNumber nblocks,
									   TsdbChunkCallback fn, void *arg);

/*
 * Called for each page of a segment, share-locked, with its chunks' offsets;
 * returns false to stop the walk.
 */
typedef bool (*TsdbPageCallback) (Relation rel, Page page, BlockNumber blkno,
								  const uint16 *offsets, int n, void *arg);
extern uint32 tsdb_segment_foreach_page(Relation rel,
										const TsdbSegmentEntry *seg,
										BufferAccessStrategy strategy,
										BlockNumber nblocks,
										TsdbPageCallback fn, void *arg);

/* Visibility of a segment entry (visibility.c). */
struct TsdbXidMemo;
extern bool tsdb_segment_visible(const TsdbSegmentEntry *seg,
								 Snapshot snapshot, struct TsdbXidMemo *memo,
								 CommandId my_compact_cid);
extern bool tsdb_segment_live(const TsdbSegmentEntry *seg);
struct GlobalVisState;
extern bool tsdb_segment_removable(const TsdbSegmentEntry *seg,
								   struct GlobalVisState *vis,
								   TransactionId *latest_removed);

#endif							/* TSDB_SEGMENT_H */
