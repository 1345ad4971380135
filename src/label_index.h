/*-------------------------------------------------------------------------
 *
 * label_index.h
 *	  The shared-memory label index: per relation storage, labels -> series
 *	  id, name=value -> sorted series ids (postings), series id -> labels,
 *	  and each series' newest inserted sample, in a DSA area.
 *
 * The index is a cache of the series dictionary pages (series.c), keyed by
 * (database, storage id), built lazily on first use, extended by reading
 * the entries appended since, and never trusted across a restart (shared
 * memory starts empty).  When it cannot serve a relation (memory cap
 * reached, tsdb.label_index_max_memory = 0) its functions say so and the
 * caller uses the backend-local series cache instead.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_LABEL_INDEX_H
#define TSDB_LABEL_INDEX_H

#include "utils/relcache.h"

#include "head.h"
#include "labels.h"
#include "meta.h"

typedef enum TsdbIndexResult
{
	TSDB_INDEX_FOUND,			/* the index answered: found */
	TSDB_INDEX_ABSENT,			/* the index answered: not in the dictionary */
	TSDB_INDEX_UNAVAILABLE		/* the index cannot serve this relation */
} TsdbIndexResult;

extern int	tsdb_label_index_max_memory;

extern void tsdb_label_index_init(void);

/*
 * labels -> series id.  "data" and "len" are a label set's bytes after its
 * varlena header, "hash" labels_hash_bytes() of them.  ABSENT means absent
 * from the dictionary as the metapage "meta" describes it, when meta is
 * given (the index is caught up first); with meta NULL only what the index
 * already holds is looked at.
 */
extern TsdbIndexResult tsdb_label_index_lookup(Relation rel, uint64 storage_id,
											   const TsdbMetaPageData *meta,
											   const char *data, uint32 len,
											   uint32 hash, uint32 *series_id);

/*
 * Series ids matching every matcher, sorted, in CurrentMemoryContext; the
 * index is caught up with "meta" first.  False when unavailable.
 */
extern bool tsdb_label_index_match(Relation rel, uint64 storage_id,
								   const TsdbMetaPageData *meta,
								   LabelMatcherSet *set,
								   uint32 **ids, int *n);

/*
 * Copy of one series' labels (a varlena in CurrentMemoryContext), or NULL
 * when the index cannot say (unknown id, unavailable).
 */
extern struct varlena *tsdb_label_index_labels(Relation rel, uint64 storage_id,
											   const TsdbMetaPageData *meta,
											   uint32 series_id);

/* Record inserted samples in their series' newest-sample hints. */
extern void tsdb_label_index_note_samples(Relation rel, uint64 storage_id,
										  const TsdbSample *samples, int n);

/* A series' newest-sample hint (label_index.c says what it means). */
extern bool tsdb_label_index_newest(Relation rel, uint64 storage_id,
									uint32 series_id, int64 *ts,
									float8 *value);

/* A storage that is gone or replaced: free its index now. */
extern void tsdb_label_index_forget(uint64 storage_id);
/* The same for every storage of a relation of this database. */
extern void tsdb_label_index_forget_relation(Oid relid);

/* Free the indexes of relations of dboid not in keep (sorted oids). */
extern void tsdb_label_index_prune(Oid dboid, List *keep);

#endif							/* TSDB_LABEL_INDEX_H */
