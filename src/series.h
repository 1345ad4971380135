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

#include "storage/bufpage.h"
#include "utils/relcache.h"

#include "wal.h"

typedef struct TsdbSeriesCache TsdbSeriesCache;

/* Dictionary entry on a page: header, then the label set's varlena bytes. */
typedef struct TsdbDictEntry
{
	uint32		series_id;
	uint32		size;			/* bytes of the label set varlena that follows */
} TsdbDictEntry;

#define TSDB_DICT_ENTRY_SIZE(labels_size) \
	INTALIGN(sizeof(TsdbDictEntry) + (labels_size))

extern TsdbSeriesCache *tsdb_series_cache(Relation rel);
extern uint32 tsdb_series_get_or_create(Relation rel, TsdbSeriesCache *cache,
										struct varlena *labels);
extern Datum tsdb_series_labels(Relation rel, TsdbSeriesCache *cache,
								uint32 series_id);
extern uint32 tsdb_series_count(TsdbSeriesCache *cache);
extern void tsdb_series_cache_forget(Relation rel);
extern void tsdb_series_init(void);

/* redo */
extern void tsdb_dict_page_init(Page page);
extern void tsdb_dict_apply_entry(Page page, const char *entry, Size len);

#endif							/* TSDB_SERIES_H */
