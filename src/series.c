/*-------------------------------------------------------------------------
 *
 * series.c
 *	  Series dictionary pages and the backend-local series cache.
 *
 * Inserting a sample needs its series id; reading one needs its labels.
 * Both come from a per-relation cache built from the dictionary pages, so
 * the insert path finds a known series with one hash lookup and no buffer
 * access.  A new series is created under the metapage's exclusive lock,
 * which serializes series creation (rare) but not sample insertion.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xloginsert.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "labels.h"
#include "meta.h"
#include "series.h"
#include "tsdb.h"
#include "wal.h"

/* Key of the labels -> id table: points at bytes owned by the cache. */
typedef struct LabelsKey
{
	uint32		hash;
	uint32		len;
	const char *data;
} LabelsKey;

typedef struct LabelsEntry
{
	LabelsKey	key;
	uint32		series_id;
} LabelsEntry;

struct TsdbSeriesCache
{
	RelFileNode node;			/* hash key */
	uint64		storage_id;
	bool		valid;			/* false: recheck storage id before use */
	MemoryContext cxt;
	HTAB	   *by_labels;
	Datum	   *by_id;			/* label set varlena of each id, 0 = none */
	uint32		by_id_size;
	uint32		nseries;
	/* where loading stopped: entries are front-coded, so resume exactly */
	BlockNumber resume_block;	/* dictionary page */
	uint16		resume_items;	/* entries of it already loaded */
	uint16		resume_offset;	/* where its next entry will start */
	uint32		resume_prev;	/* series id of its last entry loaded */
};

static HTAB *series_caches = NULL;

/* The largest entry fits on an empty dictionary page. */
StaticAssertDecl(TSDB_DICT_ENTRY_MAX <=
				 BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(TsdbPageOpaqueData)),
				 "a tsdb dictionary entry must fit on a page");

static uint32
labels_key_hash(const void *key, Size keysize)
{
	return ((const LabelsKey *) key)->hash;
}

static int
labels_key_match(const void *key1, const void *key2, Size keysize)
{
	const LabelsKey *a = key1;
	const LabelsKey *b = key2;

	if (a->hash != b->hash || a->len != b->len)
		return 1;
	return memcmp(a->data, b->data, a->len);
}

/*
 * Any relcache invalidation may mean TRUNCATE or DROP: recheck storage ids
 * on next use.  Transaction abort too, since a relation created by the
 * aborted transaction is gone and its relfilenode may be reused.
 */
static void
invalidate_all(void)
{
	HASH_SEQ_STATUS status;
	TsdbSeriesCache *cache;

	if (series_caches == NULL)
		return;
	hash_seq_init(&status, series_caches);
	while ((cache = hash_seq_search(&status)) != NULL)
		cache->valid = false;
}

static void
series_relcache_callback(Datum arg, Oid relid)
{
	invalidate_all();
}

static void
series_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		invalidate_all();
}

void
tsdb_series_init(void)
{
	CacheRegisterRelcacheCallback(series_relcache_callback, (Datum) 0);
	RegisterXactCallback(series_xact_callback, NULL);
}

static void
cache_reset(TsdbSeriesCache *cache, uint64 storage_id)
{
	HASHCTL		ctl;

	if (cache->cxt)
		MemoryContextDelete(cache->cxt);
	cache->cxt = AllocSetContextCreate(TopMemoryContext, "tsdb series cache",
									   ALLOCSET_DEFAULT_SIZES);
	cache->storage_id = storage_id;
	ctl.keysize = sizeof(LabelsKey);
	ctl.entrysize = sizeof(LabelsEntry);
	ctl.hash = labels_key_hash;
	ctl.match = labels_key_match;
	ctl.hcxt = cache->cxt;
	cache->by_labels = hash_create("tsdb series by labels", 1024, &ctl,
								   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE |
								   HASH_CONTEXT);
	cache->by_id_size = 1024;
	cache->by_id = MemoryContextAllocZero(cache->cxt,
										  cache->by_id_size * sizeof(Datum));
	cache->nseries = 0;
	cache->resume_block = InvalidBlockNumber;
	cache->resume_items = 0;
	cache->resume_offset = 0;
	cache->resume_prev = 0;
}

/* Add one dictionary entry to the cache. */
static void
cache_add(Relation rel, TsdbSeriesCache *cache, uint32 series_id,
		  const char *labels, uint32 size)
{
	struct varlena *copy;
	LabelsKey	key;
	LabelsEntry *entry;
	bool		found;

	if (series_id == 0 || size < VARHDRSZ || size > TSDB_LABELS_MAX_SIZE ||
		VARSIZE(labels) != size)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("tsdb relation \"%s\" has a corrupted series dictionary entry",
						RelationGetRelationName(rel)),
				 errdetail("Series id %u, size %u.", series_id, size)));

	if (series_id >= cache->by_id_size)
	{
		uint32		newsize = cache->by_id_size;

		while (newsize <= series_id)
			newsize *= 2;
		cache->by_id = repalloc(cache->by_id, newsize * sizeof(Datum));
		memset(cache->by_id + cache->by_id_size, 0,
			   (newsize - cache->by_id_size) * sizeof(Datum));
		cache->by_id_size = newsize;
	}
	if (cache->by_id[series_id] != (Datum) 0)
		return;					/* already known */

	copy = MemoryContextAlloc(cache->cxt, size);
	memcpy(copy, labels, size);
	cache->by_id[series_id] = PointerGetDatum(copy);

	key.len = size - VARHDRSZ;
	key.data = VARDATA(copy);
	key.hash = labels_hash_bytes(key.data, key.len);
	entry = hash_search(cache->by_labels, &key, HASH_ENTER, &found);
	entry->series_id = series_id;
	cache->nseries++;
}

static void
dict_page_corrupted(Relation rel, BlockNumber blkno, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("tsdb relation \"%s\" has a corrupted series dictionary page at block %u",
					RelationGetRelationName(rel), blkno),
			 errdetail("%s", detail)));
}

/*
 * Read dictionary entries the cache has not seen yet, following the page
 * chain from where the last load stopped.  "meta" is a copy of the
 * metapage, read under a lock the caller holds or held.
 */
static void
cache_load(Relation rel, TsdbSeriesCache *cache, TsdbMetaPage meta)
{
	BlockNumber blkno;
	TsdbDictReader *reader;

	if (cache->storage_id != meta->storage_id)
		cache_reset(cache, meta->storage_id);
	cache->valid = true;

	blkno = BlockNumberIsValid(cache->resume_block) ?
		cache->resume_block : meta->dict_first;
	if (!BlockNumberIsValid(blkno))
		return;

	reader = tsdb_dict_reader_create(rel);
	while (BlockNumberIsValid(blkno))
	{
		Buffer		buf = ReadBuffer(rel, blkno);
		Page		page;
		TsdbPageOpaque opaque;
		uint16		items = 0;
		uint32		last = 0;
		uint32		series_id;
		struct varlena *labels;
		BlockNumber next;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		tsdb_page_check(rel, page, blkno, TSDB_PAGE_DICT);
		opaque = TsdbPageGetOpaque(page);
		if (blkno == cache->resume_block && cache->resume_items > 0)
		{
			/* go on after the entries loaded last time */
			Datum		prev = cache->by_id[cache->resume_prev];

			if (prev == (Datum) 0)
				elog(ERROR, "tsdb series cache lost series %u", cache->resume_prev);
			if (opaque->nitems < cache->resume_items)
				dict_page_corrupted(rel, blkno, "The page has fewer entries than were read from it.");
			tsdb_dict_reader_start(reader, page, blkno, cache->resume_offset,
								   cache->resume_prev,
								   (struct varlena *) DatumGetPointer(prev));
			items = cache->resume_items;
			last = cache->resume_prev;
		}
		else
			tsdb_dict_reader_start(reader, page, blkno, 0, 0, NULL);
		while (tsdb_dict_reader_next(reader, &series_id, &labels))
		{
			cache_add(rel, cache, series_id, (const char *) labels,
					  VARSIZE(labels));
			items++;
			last = series_id;
		}
		if (items != opaque->nitems)
			dict_page_corrupted(rel, blkno, "The page's entry count does not match its entries.");
		next = opaque->next;
		cache->resume_block = blkno;
		cache->resume_items = items;
		cache->resume_offset = tsdb_dict_reader_offset(reader);
		cache->resume_prev = last;
		UnlockReleaseBuffer(buf);
		blkno = next;
	}
	tsdb_dict_reader_free(reader);
}

/*
 * The cache of a relation, checked against the metapage if an invalidation
 * may have changed the storage under it.
 */
TsdbSeriesCache *
tsdb_series_cache(Relation rel)
{
	TsdbSeriesCache *cache;
	bool		found;

	if (series_caches == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(RelFileNode);
		ctl.entrysize = sizeof(TsdbSeriesCache);
		series_caches = hash_create("tsdb series caches", 16, &ctl,
									HASH_ELEM | HASH_BLOBS);
	}
	cache = hash_search(series_caches, &rel->rd_node, HASH_ENTER, &found);
	if (!found)
	{
		cache->cxt = NULL;
		cache->storage_id = 0;
		cache->valid = false;
	}
	if (!cache->valid)
	{
		TsdbMetaPageData meta;

		tsdb_read_meta(rel, &meta);
		cache_load(rel, cache, &meta);
	}
	return cache;
}

/* Drop a relation's cache (its storage was just replaced in place). */
void
tsdb_series_cache_forget(Relation rel)
{
	TsdbSeriesCache *cache;

	if (series_caches == NULL)
		return;
	cache = hash_search(series_caches, &rel->rd_node, HASH_FIND, NULL);
	if (cache)
	{
		if (cache->cxt)
			MemoryContextDelete(cache->cxt);
		hash_search(series_caches, &rel->rd_node, HASH_REMOVE, NULL);
	}
}

uint32
tsdb_series_count(TsdbSeriesCache *cache)
{
	return cache->nseries;
}

static uint32
cache_lookup(TsdbSeriesCache *cache, const char *data, uint32 len, uint32 hash)
{
	LabelsKey	key;
	LabelsEntry *entry;

	key.hash = hash;
	key.len = len;
	key.data = data;
	entry = hash_search(cache->by_labels, &key, HASH_FIND, NULL);
	return entry ? entry->series_id : 0;
}

void
tsdb_dict_page_init(Page page)
{
	tsdb_page_init(page, TSDB_PAGE_DICT);
}

/* Append an entry to a dictionary page (also used by redo). */
void
tsdb_dict_apply_entry(Page page, const char *entry, Size len)
{
	PageHeader	ph = (PageHeader) page;

	if (ph->pd_lower + len > ph->pd_upper)
		elog(PANIC, "tsdb dictionary entry of %zu bytes does not fit on page",
			 len);
	memcpy((char *) page + ph->pd_lower, entry, len);
	ph->pd_lower += len;
	TsdbPageGetOpaque(page)->nitems++;
}

/*
 * Create a series: append its entry to the dictionary under the metapage's
 * exclusive lock, after checking (under that lock) that no other backend
 * created it first.
 */
static uint32
series_create(Relation rel, TsdbSeriesCache *cache, struct varlena *labels,
			  const char *data, uint32 len, uint32 hash)
{
	Buffer		metabuf;
	Buffer		dictbuf = InvalidBuffer;
	Buffer		prevbuf = InvalidBuffer;
	Page		metapage;
	TsdbMetaPage meta;
	TsdbMetaPageData metacopy;
	uint32		series_id;
	Size		entry_len = 0;
	char	   *entry;
	bool		new_page = false;
	xl_tsdb_new_series xlrec;

	/* Everything that can fail comes before the critical section. */
	entry = palloc(TSDB_DICT_ENTRY_MAX);

	metabuf = ReadBuffer(rel, TSDB_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	metapage = BufferGetPage(metabuf);
	tsdb_page_check(rel, metapage, TSDB_METAPAGE_BLKNO, TSDB_PAGE_META);
	meta = TsdbPageGetMeta(metapage);

	/* Someone may have created it since we last looked. */
	memcpy(&metacopy, meta, sizeof(TsdbMetaPageData));
	cache_load(rel, cache, &metacopy);
	series_id = cache_lookup(cache, data, len, hash);
	if (series_id != 0)
	{
		UnlockReleaseBuffer(metabuf);
		pfree(entry);
		return series_id;
	}

	series_id = meta->next_series_id;
	if (series_id == PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("tsdb relation \"%s\" has run out of series ids",
						RelationGetRelationName(rel))));

	if (BlockNumberIsValid(meta->dict_last))
	{
		Page		page;

		dictbuf = ReadBuffer(rel, meta->dict_last);
		LockBuffer(dictbuf, BUFFER_LOCK_EXCLUSIVE);
		page = BufferGetPage(dictbuf);
		tsdb_page_check(rel, page, meta->dict_last, TSDB_PAGE_DICT);

		/*
		 * The entry is coded against the page's last one, which the cache
		 * has just loaded: only backends holding the metapage's exclusive
		 * lock append, and we do.
		 */
		if (cache->resume_block != meta->dict_last ||
			cache->resume_items != TsdbPageGetOpaque(page)->nitems ||
			cache->resume_offset != ((PageHeader) page)->pd_lower ||
			cache->resume_prev == 0)
			elog(ERROR, "tsdb series cache of \"%s\" is behind dictionary page %u",
				 RelationGetRelationName(rel), meta->dict_last);
		entry_len = tsdb_dict_encode(entry, series_id, data, len,
									 cache->resume_prev,
									 (struct varlena *) DatumGetPointer(cache->by_id[cache->resume_prev]));
		if (PageGetExactFreeSpace(page) < entry_len)
		{
			prevbuf = dictbuf;
			dictbuf = InvalidBuffer;
		}
	}
	if (!BufferIsValid(dictbuf))
	{
		/* the first entry of a page stands alone */
		entry_len = tsdb_dict_encode(entry, series_id, data, len, 0, NULL);
		LockRelationForExtension(rel, ExclusiveLock);
		dictbuf = ReadBufferExtended(rel, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);
		UnlockRelationForExtension(rel, ExclusiveLock);
		LockBuffer(dictbuf, BUFFER_LOCK_EXCLUSIVE);
		new_page = true;
	}

	xlrec.series_id = series_id;
	xlrec.flags = 0;
	if (new_page)
		xlrec.flags |= XLH_NEW_SERIES_INIT_PAGE;
	if (BufferIsValid(prevbuf))
		xlrec.flags |= XLH_NEW_SERIES_LINK_PREV;

	START_CRIT_SECTION();

	if (new_page)
		tsdb_dict_page_init(BufferGetPage(dictbuf));
	tsdb_dict_apply_entry(BufferGetPage(dictbuf), entry, entry_len);
	MarkBufferDirty(dictbuf);
	if (BufferIsValid(prevbuf))
	{
		TsdbPageGetOpaque(BufferGetPage(prevbuf))->next =
			BufferGetBlockNumber(dictbuf);
		MarkBufferDirty(prevbuf);
	}
	meta->next_series_id = series_id + 1;
	if (new_page)
	{
		if (!BlockNumberIsValid(meta->dict_first))
			meta->dict_first = BufferGetBlockNumber(dictbuf);
		meta->dict_last = BufferGetBlockNumber(dictbuf);
	}
	MarkBufferDirty(metabuf);

	if (RelationNeedsWAL(rel))
	{
		XLogRecPtr	lsn;

		XLogBeginInsert();
		XLogRegisterData((char *) &xlrec, sizeof(xlrec));
		XLogRegisterBuffer(0, metabuf, REGBUF_STANDARD);
		XLogRegisterBuffer(1, dictbuf,
						   REGBUF_STANDARD | (new_page ? REGBUF_WILL_INIT : 0));
		XLogRegisterBufData(1, entry, entry_len);
		if (BufferIsValid(prevbuf))
			XLogRegisterBuffer(2, prevbuf, REGBUF_STANDARD);
		lsn = XLogInsert(TSDB_RMGR_ID, XLOG_TSDB_NEW_SERIES);
		PageSetLSN(metapage, lsn);
		PageSetLSN(BufferGetPage(dictbuf), lsn);
		if (BufferIsValid(prevbuf))
			PageSetLSN(BufferGetPage(prevbuf), lsn);
	}

	END_CRIT_SECTION();

	/* Published to this backend only after the WAL record exists. */
	memcpy(&metacopy, meta, sizeof(TsdbMetaPageData));
	UnlockReleaseBuffer(dictbuf);
	if (BufferIsValid(prevbuf))
		UnlockReleaseBuffer(prevbuf);
	UnlockReleaseBuffer(metabuf);
	cache_load(rel, cache, &metacopy);
	pfree(entry);

	if (cache_lookup(cache, data, len, hash) != series_id)
		elog(ERROR, "tsdb series %u was created but not found in the dictionary",
			 series_id);
	return series_id;
}

/* The series id of a label set, creating the series if it is new. */
uint32
tsdb_series_get_or_create(Relation rel, TsdbSeriesCache *cache,
						  struct varlena *labels)
{
	const char *data = VARDATA_ANY(labels);
	uint32		len = VARSIZE_ANY_EXHDR(labels);
	uint32		hash = labels_hash_bytes(data, len);
	uint32		series_id;

	series_id = cache_lookup(cache, data, len, hash);
	if (series_id != 0)
		return series_id;
	if (VARHDRSZ + len > TSDB_LABELS_MAX_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("label set is too large for a tsdb table"),
				 errdetail("The label set takes %u bytes; the limit is %d.",
						   VARHDRSZ + len, TSDB_LABELS_MAX_SIZE)));
	return series_create(rel, cache, labels, data, len, hash);
}

/* The label set of a series id, as a Datum owned by the cache. */
Datum
tsdb_series_labels(Relation rel, TsdbSeriesCache *cache, uint32 series_id)
{
	if (series_id < cache->by_id_size && cache->by_id[series_id] != (Datum) 0)
		return cache->by_id[series_id];

	/* A series created after the cache was loaded: read the new entries. */
	{
		TsdbMetaPageData meta;

		tsdb_read_meta(rel, &meta);
		cache_load(rel, cache, &meta);
	}
	if (series_id < cache->by_id_size && cache->by_id[series_id] != (Datum) 0)
		return cache->by_id[series_id];
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("tsdb relation \"%s\" references series id %u, which is not in its series dictionary",
					RelationGetRelationName(rel), series_id)));
	return (Datum) 0;			/* keep compiler quiet */
}

/* Read dictionary entries created (by any backend) since the last load. */
static void
cache_refresh(Relation rel, TsdbSeriesCache *cache)
{
	TsdbMetaPageData meta;

	tsdb_read_meta(rel, &meta);
	cache_load(rel, cache, &meta);
}

/*
 * The series id of a label set, or 0 if the relation has no such series.
 * The cache is refreshed on a miss, so a series another backend created
 * before our snapshot is found.  (Plain version over the backend's cache;
 * the label index replaces it.)
 */
uint32
tsdb_series_lookup(Relation rel, struct varlena *labels)
{
	TsdbSeriesCache *cache = tsdb_series_cache(rel);
	const char *data = VARDATA_ANY(labels);
	uint32		len = VARSIZE_ANY_EXHDR(labels);
	uint32		hash = labels_hash_bytes(data, len);
	uint32		series_id;

	series_id = cache_lookup(cache, data, len, hash);
	if (series_id == 0)
	{
		cache_refresh(rel, cache);
		series_id = cache_lookup(cache, data, len, hash);
	}
	return series_id;
}

/*
 * The sorted, distinct ids of the series whose labels satisfy every matcher
 * of "m" (palloc'd; *n gets their count).  Plain version: the whole cache,
 * refreshed first, is walked; the label index replaces it with postings.
 */
uint32 *
tsdb_series_match(Relation rel, LabelMatcherSet *m, int *n)
{
	TsdbSeriesCache *cache = tsdb_series_cache(rel);
	uint32	   *ids;
	uint32		id;

	cache_refresh(rel, cache);
	ids = palloc(sizeof(uint32) * Max(cache->nseries, 1));
	*n = 0;
	for (id = 1; id < cache->by_id_size; id++)
	{
		Datum		labels = cache->by_id[id];

		CHECK_FOR_INTERRUPTS();
		if (labels != (Datum) 0 &&
			labels_matcher_eval(m, (Labels) DatumGetPointer(labels)))
			ids[(*n)++] = id;
	}
	return ids;
}
