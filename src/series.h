/*-------------------------------------------------------------------------
 *
 * series.h
 *	  The series dictionary: durable (series_id, labels) entries in
 *	  dictionary pages, and a backend-local cache of them.
 *
 * Series ids are dense per relation and never reused.  Dictionary entries
 * are not transactional (like sequence values): a series created by an
 * aborted insert stays in the dictionary with no samples, which is harmless.
 * The cache is rebuilt from the pages whenever the relation's storage id
 * changes (TRUNCATE) and extended when an unknown id or label set shows up.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_SERIES_H
#define TSDB_SERIES_H

#include "storage/block.h"
#include "storage/bufpage.h"
#include "utils/relcache.h"

#include "labels.h"
#include "wal.h"

typedef struct TsdbSeriesCache TsdbSeriesCache;

/*
 * Dictionary entries (series_dict.c): front-coded against the previous
 * entry of the same page, so decoded in page order.  An entry takes at most
 * TSDB_DICT_ENTRY_MAX bytes: two varints, the repeat bitmap, and per label
 * two varints of at most 2 bytes and its bytes.
 */
#define TSDB_DICT_ENTRY_MAX \
	(2 * 5 + (TSDB_LABELS_MAX_PAIRS + 7) / 8 + 3 * TSDB_LABELS_MAX_PAIRS + \
	 TSDB_LABELS_MAX_SIZE)

typedef struct TsdbDictReader TsdbDictReader;

extern Size tsdb_dict_encode(char *out, uint32 series_id, const char *data,
							 Size size, uint32 prev_id,
							 const struct varlena *prev);
extern TsdbDictReader *tsdb_dict_reader_create(Relation rel);
extern void tsdb_dict_reader_free(TsdbDictReader *r);
extern void tsdb_dict_reader_start(TsdbDictReader *r, Page page,
								   BlockNumber blkno, uint16 offset,
								   uint32 prev_id,
								   const struct varlena *prev);
extern bool tsdb_dict_reader_next(TsdbDictReader *r, uint32 *series_id,
								  struct varlena **labels);
extern uint16 tsdb_dict_reader_offset(TsdbDictReader *r);

extern TsdbSeriesCache *tsdb_series_cache(Relation rel);
extern TsdbSeriesCache *tsdb_series_cache_for_insert(Relation rel);
extern uint64 tsdb_series_cache_storage_id(TsdbSeriesCache *cache);
extern void tsdb_series_storage_replaced(Relation rel);
extern uint32 tsdb_series_get_or_create(Relation rel, TsdbSeriesCache *cache,
										struct varlena *labels);
extern Datum tsdb_series_labels(Relation rel, TsdbSeriesCache *cache,
								uint32 series_id);
extern uint32 tsdb_series_count(TsdbSeriesCache *cache);

/* read path: series ids for TsdbScan (sorted, distinct) */
extern uint32 tsdb_series_lookup(Relation rel, struct varlena *labels);
extern uint32 *tsdb_series_match(Relation rel, LabelMatcherSet *m, int *n);
extern void tsdb_series_cache_forget(Relation rel);
extern void tsdb_series_init(void);

/* sorted, distinct series ids whose labels satisfy every matcher */
extern uint32 *tsdb_series_match(Relation rel, LabelMatcherSet *m, int *n);
/* the same by walking the backend-local cache (the index's fallback) */
extern uint32 *tsdb_series_match_dictionary(Relation rel, LabelMatcherSet *m,
											int *n);
/* the series id of a label set, 0 when unknown */
extern uint32 tsdb_series_lookup(Relation rel, struct varlena *labels);

/* redo */
extern void tsdb_dict_page_init(Page page);
extern void tsdb_dict_apply_entry(Page page, const char *entry, Size len);

#endif							/* TSDB_SERIES_H */
