/*-------------------------------------------------------------------------
 *
 * label_index.c
 *	  The shared-memory label index: what every backend would otherwise
 *	  load into its own series cache, kept once per relation in a DSA area.
 *
 * Layout.  A fixed array of LIX_SLOTS relation slots in the main shared
 * memory segment, each with an LWLock and the relation's key (database,
 * storage id from the metapage: new for every new storage, so TRUNCATE and
 * rewrites never meet their predecessor's entries).  A slot's contents
 * live in a DSA area placed in the same segment (it grows into dynamic
 * segments past its first megabyte):
 *
 *	- series: an array indexed by series id of the label set (a varlena)
 *	  and the series' newest-sample hint;
 *	- labels: a dshash, label set bytes -> series id (the insert path);
 *	- postings: a dshash, "name\0value" -> sorted series ids (matchers);
 *	- names: a dshash, label name -> the "name\0value" pairs of its values,
 *	  for the matchers that need the values of one label (regexes, !=).
 *
 * Keys of the three dshash tables point at the series' label bytes in the
 * area, so a label set is stored once.
 *
 * Coherence.  The dictionary pages are the truth.  A slot remembers where
 * in the dictionary it stopped (page, entries, offset, last id) and the
 * next series id the metapage had then; whoever needs a current answer
 * passes a copy of the metapage and the slot reads the entries appended
 * since, under the slot's exclusive lock.  Entries are appended, and
 * WAL-logged, under the dictionary page's exclusive lock before anyone can
 * read them, so the index never holds a series that is not durable.  Only
 * that catch-up (and eviction) changes a slot, always under the slot's
 * exclusive lock; lookups and matches hold it shared, so inserting a
 * sample of a known series takes no lock stronger than a shared one.
 *
 * Lock order: metapage buffer, then a slot lock, then dictionary pages.
 * Nothing takes the metapage's lock while holding a slot lock, and the
 * directory lock is taken before slot locks only conditionally.
 *
 * Memory.  tsdb.label_index_max_memory caps the bytes the slots account
 * for (allocations plus a per-entry estimate of the dshash overhead); the
 * area itself is limited to twice that plus 4 MB, so the allocator's own
 * overhead never makes a dshash insert fail.  A relation that does not fit
 * is not indexed ("refused", with one LOG line) and its callers use the
 * backend-local series cache; it is tried again after an eviction.  When
 * memory is short, the indexes of relations not used for a minute are
 * evicted to make room.  Entries of dropped relations go when a backend
 * sees the relation's storage change, when the maintenance worker's visit
 * finds the table gone, or by that eviction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "funcapi.h"
#include "lib/dshash.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "storage/bufmgr.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/dsa.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "label_index.h"
#include "series.h"

/* Relations indexed at once, over all databases. */
#define LIX_SLOTS			256

/* The DSA area's part in the main segment: small indexes need no more. */
#define LIX_INPLACE_SIZE	(1024 * 1024)

/* Accounted per dshash entry besides the entry: item header, bucket, slack. */
#define LIX_ENTRY_OVERHEAD	48

/* Accounted per dshash table: control, partitions and first buckets. */
#define LIX_TABLE_OVERHEAD	(16 * 1024)

/* An index unused this long may be evicted to make room for another. */
#define LIX_EVICT_IDLE_MS	(60 * 1000)

int			tsdb_label_index_max_memory = 64 * 1024;	/* kB */

typedef enum LixState
{
	LIX_FREE = 0,				/* no relation */
	LIX_EMPTY,					/* claimed, nothing built */
	LIX_READY,					/* built up to next_series_id */
	LIX_REFUSED					/* did not fit under the cap */
} LixState;

/* A key of the dshash tables: bytes in the area, or the caller's. */
typedef struct LixKey
{
	uint32		hash;
	uint32		len;
	dsa_pointer data;			/* stored keys */
	const char *local;			/* probes only; NULL in stored keys */
} LixKey;

typedef struct LixLabelsEntry
{
	LixKey		key;			/* the label set's bytes after its header */
	uint32		series_id;
} LixLabelsEntry;

typedef struct LixPostingEntry
{
	LixKey		key;			/* "name\0value" */
	dsa_pointer ids;			/* uint32[cap], ascending */
	uint32		n;
	uint32		cap;
} LixPostingEntry;

/* One value of a label name: where its "name\0value" pair is. */
typedef struct LixValueRef
{
	dsa_pointer pair;
	uint16		name_len;
	uint16		pair_len;
} LixValueRef;

typedef struct LixNameEntry
{
	LixKey		key;			/* the name */
	dsa_pointer values;			/* LixValueRef[cap] */
	uint32		n;
	uint32		cap;
} LixNameEntry;

typedef struct LixSeries
{
	dsa_pointer labels;			/* varlena with a 4-byte header */
	slock_t		mutex;			/* protects the hint */
	bool		has_newest;
	int64		newest_ts;
	float8		newest_value;
} LixSeries;

typedef struct LixSlot
{
	LWLock		lock;

	/* the key: changed under both the directory and the slot lock */
	Oid			dboid;
	Oid			relid;
	uint64		storage_id;
	LixState	state;

	/* under the slot lock */
	uint64		generation;		/* new whenever the tables change */
	uint64		refused_at;		/* evictions counter when refused */
	int			refused_cap;	/* tsdb.label_index_max_memory then */
	pg_atomic_uint64 last_used; /* statement start of the last use */
	dshash_table_handle labels_h;
	dshash_table_handle postings_h;
	dshash_table_handle names_h;
	dsa_pointer series;			/* LixSeries[series_cap] */
	uint32		series_cap;
	uint32		nseries;
	uint32		npostings;
	uint64		bytes;			/* accounted */
	uint32		next_series_id; /* every id below it is indexed */
	/* where the catch-up stopped: entries are front-coded, resume exactly */
	BlockNumber resume_block;
	uint16		resume_items;
	uint16		resume_offset;
	uint32		resume_prev;
} LixSlot;

typedef struct LixShared
{
	LWLock		dir_lock;		/* slot keys */
	int			tranche_slots;
	int			tranche_hash;
	int			tranche_dsa;
	size_t		dsa_limit;		/* under dir_lock */
	pg_atomic_uint64 generations;
	pg_atomic_uint64 used;
	pg_atomic_uint64 lookups;
	pg_atomic_uint64 hits;
	pg_atomic_uint64 fallbacks;
	pg_atomic_uint64 evictions;
	LixSlot		slots[LIX_SLOTS];
} LixShared;

#define LIX_AREA(shared) ((char *) (shared) + MAXALIGN(sizeof(LixShared)))

/* This backend's attachments to a slot's tables. */
typedef struct LixLocal
{
	uint64		generation;
	dshash_table *labels;
	dshash_table *postings;
	dshash_table *names;
} LixLocal;

static LixShared *lix = NULL;
static dsa_area *lix_area = NULL;
static LixLocal lix_local[LIX_SLOTS];

/* recently used slots of this backend, to skip the directory */
#define LIX_HINTS 8
static struct
{
	uint64		storage_id;
	int			slot;
}			lix_hints[LIX_HINTS];
static int	lix_next_hint = 0;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static const char *
lix_key_bytes(const LixKey *k)
{
	return k->local ? k->local : (const char *) dsa_get_address(lix_area, k->data);
}

static int
lix_key_cmp(const void *a, const void *b, size_t size, void *arg)
{
	const LixKey *ka = a;
	const LixKey *kb = b;

	if (ka->hash != kb->hash || ka->len != kb->len)
		return 1;
	return memcmp(lix_key_bytes(ka), lix_key_bytes(kb), ka->len);
}

static dshash_hash
lix_key_hash(const void *key, size_t size, void *arg)
{
	return ((const LixKey *) key)->hash;
}

static dshash_parameters
lix_params(size_t entry_size)
{
	dshash_parameters p;

	p.key_size = sizeof(LixKey);
	p.entry_size = entry_size;
	p.compare_function = lix_key_cmp;
	p.hash_function = lix_key_hash;
	p.tranche_id = lix->tranche_hash;
	return p;
}

static Size
lix_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(LixShared)), LIX_INPLACE_SIZE);
}

static void
lix_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(lix_shmem_size());
}

/* The area's hard limit: the cap, doubled for allocator overhead. */
static size_t
lix_dsa_limit(void)
{
	return Max((size_t) LIX_INPLACE_SIZE,
			   (size_t) tsdb_label_index_max_memory * 1024 * 2 + 4 * 1024 * 1024);
}

static void
lix_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	lix = ShmemInitStruct("tsdb label index", lix_shmem_size(), &found);
	if (!found)
	{
		dsa_area   *area;
		int			i;

		memset(lix, 0, sizeof(LixShared));
		lix->tranche_slots = LWLockNewTrancheId();
		lix->tranche_hash = LWLockNewTrancheId();
		lix->tranche_dsa = LWLockNewTrancheId();
		LWLockInitialize(&lix->dir_lock, lix->tranche_slots);
		pg_atomic_init_u64(&lix->generations, 1);
		pg_atomic_init_u64(&lix->used, 0);
		pg_atomic_init_u64(&lix->lookups, 0);
		pg_atomic_init_u64(&lix->hits, 0);
		pg_atomic_init_u64(&lix->fallbacks, 0);
		pg_atomic_init_u64(&lix->evictions, 0);
		for (i = 0; i < LIX_SLOTS; i++)
		{
			LWLockInitialize(&lix->slots[i].lock, lix->tranche_slots);
			pg_atomic_init_u64(&lix->slots[i].last_used, 0);
			lix->slots[i].state = LIX_FREE;
		}

		/*
		 * Created here, pinned, and left: backends attach on first use.
		 * Nothing is allocated yet, so the postmaster makes no DSM segment.
		 */
		area = dsa_create_in_place(LIX_AREA(lix), LIX_INPLACE_SIZE,
								   lix->tranche_dsa, NULL);
		dsa_pin(area);
		lix->dsa_limit = lix_dsa_limit();
		dsa_set_size_limit(area, lix->dsa_limit);
		dsa_detach(area);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
tsdb_label_index_init(void)
{
	/*
	 * SIGHUP, not POSTMASTER: the index lives in a DSA area that grows on
	 * demand, so the cap can move at any time; lowering it stops further
	 * growth (existing indexes stay until evicted or their storage goes).
	 */
	DefineCustomIntVariable("tsdb.label_index_max_memory",
							"Shared memory the label index may use, over all tsdb tables.",
							"Relations that do not fit are served from each backend's own series cache; 0 turns the index off.",
							&tsdb_label_index_max_memory,
							64 * 1024, 0, INT_MAX / 4,
							PGC_SIGHUP, GUC_UNIT_KB,
							NULL, NULL, NULL);

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = lix_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = lix_shmem_startup;
}

/* Attach this backend to the area (once). */
static void
lix_attach(void)
{
	if (lix_area == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		LWLockRegisterTranche(lix->tranche_slots, "tsdb label index");
		LWLockRegisterTranche(lix->tranche_hash, "tsdb label index hash");
		LWLockRegisterTranche(lix->tranche_dsa, "tsdb label index area");
		lix_area = dsa_attach_in_place(LIX_AREA(lix), NULL);
		dsa_pin_mapping(lix_area);
		MemoryContextSwitchTo(old);
	}
	/* follow tsdb.label_index_max_memory after a reload */
	if (lix->dsa_limit != lix_dsa_limit())
	{
		LWLockAcquire(&lix->dir_lock, LW_EXCLUSIVE);
		lix->dsa_limit = lix_dsa_limit();
		dsa_set_size_limit(lix_area, lix->dsa_limit);
		LWLockRelease(&lix->dir_lock);
	}
}

static void
lix_detach_tables(int slotno)
{
	LixLocal   *l = &lix_local[slotno];

	/* detaching frees only this backend's handles */
	if (l->labels)
		dshash_detach(l->labels);
	if (l->postings)
		dshash_detach(l->postings);
	if (l->names)
		dshash_detach(l->names);
	memset(l, 0, sizeof(LixLocal));
}

/* This backend's handles on a slot's tables (slot lock held, READY). */
static LixLocal *
lix_tables(int slotno)
{
	LixSlot    *s = &lix->slots[slotno];
	LixLocal   *l = &lix_local[slotno];

	if (l->generation != s->generation || l->labels == NULL)
	{
		MemoryContext old;
		dshash_parameters p;

		lix_detach_tables(slotno);
		old = MemoryContextSwitchTo(TopMemoryContext);
		p = lix_params(sizeof(LixLabelsEntry));
		l->labels = dshash_attach(lix_area, &p, s->labels_h, NULL);
		p = lix_params(sizeof(LixPostingEntry));
		l->postings = dshash_attach(lix_area, &p, s->postings_h, NULL);
		p = lix_params(sizeof(LixNameEntry));
		l->names = dshash_attach(lix_area, &p, s->names_h, NULL);
		MemoryContextSwitchTo(old);
		l->generation = s->generation;
	}
	return l;
}

static inline LixSeries *
lix_series(LixSlot *s)
{
	return (LixSeries *) dsa_get_address(lix_area, s->series);
}

/* ---------------------------------------------------------------------
 * Memory accounting
 * ---------------------------------------------------------------------
 */

static bool lix_evict_for(int slotno, uint64 bytes);

/* Account for bytes about to be allocated for a slot; false if over cap. */
static bool
lix_reserve(int slotno, uint64 bytes)
{
	LixSlot    *s = &lix->slots[slotno];
	uint64		cap = (uint64) tsdb_label_index_max_memory * 1024;

	if (pg_atomic_read_u64(&lix->used) + bytes > cap &&
		!lix_evict_for(slotno, bytes))
		return false;
	pg_atomic_fetch_add_u64(&lix->used, bytes);
	s->bytes += bytes;
	return true;
}

static void
lix_unreserve(LixSlot *s, uint64 bytes)
{
	Assert(s->bytes >= bytes);
	pg_atomic_fetch_sub_u64(&lix->used, bytes);
	s->bytes -= bytes;
}

/* Allocate accounted memory; InvalidDsaPointer over the cap. */
static dsa_pointer
lix_alloc(int slotno, Size size)
{
	dsa_pointer dp;

	if (!lix_reserve(slotno, size))
		return InvalidDsaPointer;
	dp = dsa_allocate_extended(lix_area, size, DSA_ALLOC_NO_OOM);
	if (!DsaPointerIsValid(dp))
		lix_unreserve(&lix->slots[slotno], size);
	return dp;
}

/*
 * Free everything a slot holds (slot lock held exclusively) and leave it
 * in state "state".  Each table's values arrays first, then the tables,
 * then the label sets the keys pointed at.
 */
static void
lix_free_contents(int slotno, LixState state)
{
	LixSlot    *s = &lix->slots[slotno];

	if (s->labels_h != 0)
	{
		LixLocal   *l = lix_tables(slotno);
		dshash_seq_status st;
		LixPostingEntry *pe;
		LixNameEntry *ne;

		dshash_seq_init(&st, l->postings, false);
		while ((pe = dshash_seq_next(&st)) != NULL)
			if (DsaPointerIsValid(pe->ids))
				dsa_free(lix_area, pe->ids);
		dshash_seq_term(&st);
		dshash_seq_init(&st, l->names, false);
		while ((ne = dshash_seq_next(&st)) != NULL)
			if (DsaPointerIsValid(ne->values))
				dsa_free(lix_area, ne->values);
		dshash_seq_term(&st);

		/* dshash_destroy also frees this backend's handle */
		dshash_destroy(l->labels);
		dshash_destroy(l->postings);
		dshash_destroy(l->names);
		memset(l, 0, sizeof(LixLocal));
	}
	if (DsaPointerIsValid(s->series))
	{
		LixSeries  *series = lix_series(s);
		uint32		id;

		for (id = 1; id < s->series_cap; id++)
			if (DsaPointerIsValid(series[id].labels))
				dsa_free(lix_area, series[id].labels);
		dsa_free(lix_area, s->series);
	}
	pg_atomic_fetch_sub_u64(&lix->used, s->bytes);
	s->bytes = 0;
	s->labels_h = 0;
	s->postings_h = 0;
	s->names_h = 0;
	s->series = InvalidDsaPointer;
	s->series_cap = 0;
	s->nseries = 0;
	s->npostings = 0;
	s->next_series_id = 1;
	s->resume_block = InvalidBlockNumber;
	s->resume_items = 0;
	s->resume_offset = 0;
	s->resume_prev = 0;
	s->state = state;
	s->generation = pg_atomic_fetch_add_u64(&lix->generations, 1) + 1;
}

static uint64
lix_now(void)
{
	return (uint64) GetCurrentStatementStartTimestamp();
}

/*
 * Make room for "bytes" more by evicting the indexes of other relations
 * idle for LIX_EVICT_IDLE_MS, least recently used first.  Slots busy right
 * now are skipped (conditional locks: we hold our own slot's lock).
 */
static bool
lix_evict_for(int slotno, uint64 bytes)
{
	uint64		cap = (uint64) tsdb_label_index_max_memory * 1024;
	uint64		now = lix_now();
	uint64		idle = (uint64) LIX_EVICT_IDLE_MS * 1000;
	uint64		idle_before = now > idle ? now - idle : 0;

	while (pg_atomic_read_u64(&lix->used) + bytes > cap)
	{
		int			victim = -1;
		uint64		oldest = PG_UINT64_MAX;
		int			i;

		for (i = 0; i < LIX_SLOTS; i++)
		{
			LixSlot    *s = &lix->slots[i];
			uint64		t = pg_atomic_read_u64(&s->last_used);

			/* unlocked reads: a hint, rechecked under the lock */
			if (i == slotno || s->state != LIX_READY || s->bytes == 0 ||
				t >= idle_before)
				continue;
			if (t < oldest)
			{
				oldest = t;
				victim = i;
			}
		}
		if (victim < 0)
			return false;
		if (!LWLockConditionalAcquire(&lix->slots[victim].lock, LW_EXCLUSIVE))
			return false;
		if (lix->slots[victim].state == LIX_READY &&
			pg_atomic_read_u64(&lix->slots[victim].last_used) < idle_before)
		{
			lix_free_contents(victim, LIX_EMPTY);
			pg_atomic_fetch_add_u64(&lix->evictions, 1);
		}
		LWLockRelease(&lix->slots[victim].lock);
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Building and extending
 * ---------------------------------------------------------------------
 */

/* Create a slot's tables and series array (slot lock held exclusively). */
static bool
lix_create_tables(int slotno)
{
	LixSlot    *s = &lix->slots[slotno];
	LixLocal   *l = &lix_local[slotno];
	MemoryContext old;
	dshash_parameters p;
	Size		size = 1024 * sizeof(LixSeries);

	if (!lix_reserve(slotno, 3 * LIX_TABLE_OVERHEAD))
		return false;
	s->series = lix_alloc(slotno, size);
	if (!DsaPointerIsValid(s->series))
		return false;
	memset(lix_series(s), 0, size);
	s->series_cap = 1024;

	lix_detach_tables(slotno);
	old = MemoryContextSwitchTo(TopMemoryContext);
	p = lix_params(sizeof(LixLabelsEntry));
	l->labels = dshash_create(lix_area, &p, NULL);
	p = lix_params(sizeof(LixPostingEntry));
	l->postings = dshash_create(lix_area, &p, NULL);
	p = lix_params(sizeof(LixNameEntry));
	l->names = dshash_create(lix_area, &p, NULL);
	MemoryContextSwitchTo(old);
	s->labels_h = dshash_get_hash_table_handle(l->labels);
	s->postings_h = dshash_get_hash_table_handle(l->postings);
	s->names_h = dshash_get_hash_table_handle(l->names);
	s->generation = pg_atomic_fetch_add_u64(&lix->generations, 1) + 1;
	l->generation = s->generation;
	return true;
}

/* Append to a growable uint32 or LixValueRef array; false over the cap. */
static bool
lix_append(int slotno, dsa_pointer *arr, uint32 *n, uint32 *cap,
		   const void *item, Size item_size)
{
	LixSlot    *s = &lix->slots[slotno];

	if (*n == *cap)
	{
		uint32		newcap = *cap ? *cap * 2 : 4;
		dsa_pointer dp = lix_alloc(slotno, newcap * item_size);

		if (!DsaPointerIsValid(dp))
			return false;
		if (*n > 0)
		{
			memcpy(dsa_get_address(lix_area, dp),
				   dsa_get_address(lix_area, *arr), *n * item_size);
			dsa_free(lix_area, *arr);
			lix_unreserve(s, *cap * item_size);
		}
		*arr = dp;
		*cap = newcap;
	}
	memcpy((char *) dsa_get_address(lix_area, *arr) + *n * item_size,
		   item, item_size);
	(*n)++;
	return true;
}

/* Add one label of a series to its posting list, and its value to its name. */
static bool
lix_add_label(int slotno, LixLocal *l, uint32 series_id, dsa_pointer pair,
			  const char *bytes, uint16 name_len, uint16 pair_len)
{
	LixSlot    *s = &lix->slots[slotno];
	LixKey		key;
	LixPostingEntry *pe;
	LixNameEntry *ne;
	bool		found;
	bool		ok;

	key.hash = labels_hash_bytes(bytes, pair_len);
	key.len = pair_len;
	key.data = pair;
	key.local = NULL;
	if (!lix_reserve(slotno, sizeof(LixPostingEntry) + LIX_ENTRY_OVERHEAD))
		return false;
	pe = dshash_find_or_insert(l->postings, &key, &found);
	if (found)
		lix_unreserve(s, sizeof(LixPostingEntry) + LIX_ENTRY_OVERHEAD);
	else
	{
		pe->key = key;
		pe->ids = InvalidDsaPointer;
		pe->n = 0;
		pe->cap = 0;
		s->npostings++;
	}
	/* ids come in dictionary order, ascending, so the list stays sorted */
	ok = lix_append(slotno, &pe->ids, &pe->n, &pe->cap, &series_id,
					sizeof(uint32));
	dshash_release_lock(l->postings, pe);
	if (!ok || found)
		return ok;

	/* a new value: list it under its name */
	key.hash = labels_hash_bytes(bytes, name_len);
	key.len = name_len;
	if (!lix_reserve(slotno, sizeof(LixNameEntry) + LIX_ENTRY_OVERHEAD))
		return false;
	ne = dshash_find_or_insert(l->names, &key, &found);
	if (found)
		lix_unreserve(s, sizeof(LixNameEntry) + LIX_ENTRY_OVERHEAD);
	else
	{
		ne->key = key;
		ne->values = InvalidDsaPointer;
		ne->n = 0;
		ne->cap = 0;
	}
	{
		LixValueRef ref;

		ref.pair = pair;
		ref.name_len = name_len;
		ref.pair_len = pair_len;
		ok = lix_append(slotno, &ne->values, &ne->n, &ne->cap, &ref,
						sizeof(LixValueRef));
	}
	dshash_release_lock(l->names, ne);
	return ok;
}

/* Index one dictionary entry (slot lock held exclusively). */
static bool
lix_add_series(int slotno, uint32 series_id, const struct varlena *labels)
{
	LixSlot    *s = &lix->slots[slotno];
	LixLocal   *l = lix_tables(slotno);
	Size		size = VARSIZE(labels);
	dsa_pointer dp;
	LixSeries  *series;
	LixKey		key;
	LixLabelsEntry *le;
	bool		found;
	const char *bytes;
	Size		off;
	uint16		nlabels;
	int			i;

	if (series_id >= s->series_cap)
	{
		uint32		newcap = s->series_cap;
		dsa_pointer np;

		while (newcap <= series_id)
			newcap *= 2;
		np = lix_alloc(slotno, newcap * sizeof(LixSeries));
		if (!DsaPointerIsValid(np))
			return false;
		memcpy(dsa_get_address(lix_area, np), lix_series(s),
			   s->series_cap * sizeof(LixSeries));
		memset((char *) dsa_get_address(lix_area, np) + s->series_cap * sizeof(LixSeries),
			   0, (newcap - s->series_cap) * sizeof(LixSeries));
		dsa_free(lix_area, s->series);
		lix_unreserve(s, s->series_cap * sizeof(LixSeries));
		s->series = np;
		s->series_cap = newcap;
	}
	if (DsaPointerIsValid(lix_series(s)[series_id].labels))
		return true;			/* already indexed */

	dp = lix_alloc(slotno, size);
	if (!DsaPointerIsValid(dp))
		return false;
	memcpy(dsa_get_address(lix_area, dp), labels, size);
	series = &lix_series(s)[series_id];
	series->labels = dp;
	SpinLockInit(&series->mutex);
	series->has_newest = false;
	s->nseries++;

	bytes = (const char *) dsa_get_address(lix_area, dp) + VARHDRSZ;
	key.len = size - VARHDRSZ;
	key.hash = labels_hash_bytes(bytes, key.len);
	key.data = dp + VARHDRSZ;
	key.local = NULL;
	if (!lix_reserve(slotno, sizeof(LixLabelsEntry) + LIX_ENTRY_OVERHEAD))
		return false;
	le = dshash_find_or_insert(l->labels, &key, &found);
	if (!found)
	{
		le->key = key;
		le->series_id = series_id;
	}
	dshash_release_lock(l->labels, le);
	if (found)
		lix_unreserve(s, sizeof(LixLabelsEntry) + LIX_ENTRY_OVERHEAD);

	/* each "name\0value" pair, at offset off of the label set's bytes */
	memcpy(&nlabels, bytes, sizeof(nlabels));
	off = LABELS_COUNT_SIZE;
	for (i = 0; i < nlabels; i++)
	{
		const char *p = bytes + off;
		uint16		name_len = strlen(p);
		uint16		pair_len = name_len + 1 + strlen(p + name_len + 1);

		if (!lix_add_label(slotno, l, series_id, dp + VARHDRSZ + off,
						   p, name_len, pair_len))
			return false;
		off += pair_len + 1;
	}
	return true;
}

/* One dictionary entry decoded, kept until the page's buffer is released. */
typedef struct LixPending
{
	uint32		series_id;
	struct varlena *labels;
} LixPending;

/*
 * Index the dictionary entries appended since the last catch-up, following
 * the page chain to its end (slot lock held exclusively, key checked).
 * Each page is decoded into local memory before anything shared changes,
 * so a corrupted page raises its error with the slot unchanged.  False
 * when the relation does not fit: then its index is freed and refused.
 */
static bool
lix_catch_up(Relation rel, int slotno, const TsdbMetaPageData *meta)
{
	LixSlot    *s = &lix->slots[slotno];
	MemoryContext cxt;
	MemoryContext old;
	TsdbDictReader *reader;
	BlockNumber blkno;
	bool		ok = true;

	if (s->state != LIX_READY)
	{
		lix_free_contents(slotno, LIX_EMPTY);
		if (!lix_create_tables(slotno))
			ok = false;
		else
			s->state = LIX_READY;
	}

	cxt = AllocSetContextCreate(CurrentMemoryContext, "tsdb label index build",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	reader = tsdb_dict_reader_create(rel);
	blkno = BlockNumberIsValid(s->resume_block) ? s->resume_block : meta->dict_first;
	while (ok && BlockNumberIsValid(blkno))
	{
		Buffer		buf = ReadBuffer(rel, blkno);
		Page		page;
		TsdbPageOpaque opaque;
		LixPending *pending;
		int			npending = 0;
		uint16		items = 0;
		uint32		last = 0;
		uint32		series_id;
		struct varlena *labels;
		BlockNumber next;
		uint16		offset;
		int			i;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		tsdb_page_check(rel, page, blkno, TSDB_PAGE_DICT);
		opaque = TsdbPageGetOpaque(page);
		pending = palloc(sizeof(LixPending) * (opaque->nitems + 1));
		if (blkno == s->resume_block && s->resume_items > 0)
		{
			LixSeries  *series = lix_series(s);
			struct varlena *prev;

			if (s->resume_prev >= s->series_cap ||
				!DsaPointerIsValid(series[s->resume_prev].labels))
				elog(ERROR, "tsdb label index lost series %u", s->resume_prev);
			prev = dsa_get_address(lix_area, series[s->resume_prev].labels);
			if (opaque->nitems < s->resume_items)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("tsdb relation \"%s\" has a corrupted series dictionary page at block %u",
								RelationGetRelationName(rel), blkno),
						 errdetail("The page has fewer entries than were read from it.")));
			tsdb_dict_reader_start(reader, page, blkno, s->resume_offset,
								   s->resume_prev, prev);
			items = s->resume_items;
			last = s->resume_prev;
		}
		else
			tsdb_dict_reader_start(reader, page, blkno, 0, 0, NULL);
		while (tsdb_dict_reader_next(reader, &series_id, &labels))
		{
			if (npending > opaque->nitems)
				break;			/* reported below */
			pending[npending].series_id = series_id;
			pending[npending].labels = palloc(VARSIZE(labels));
			memcpy(pending[npending].labels, labels, VARSIZE(labels));
			npending++;
			items++;
			last = series_id;
		}
		if (items != opaque->nitems)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("tsdb relation \"%s\" has a corrupted series dictionary page at block %u",
							RelationGetRelationName(rel), blkno),
					 errdetail("The page's entry count does not match its entries.")));
		next = opaque->next;
		offset = tsdb_dict_reader_offset(reader);
		UnlockReleaseBuffer(buf);

		/*
		 * Not ready while being changed: should an error escape (the area
		 * out of memory despite the margin), the next use rebuilds it.
		 */
		s->state = LIX_EMPTY;
		for (i = 0; i < npending && ok; i++)
			ok = lix_add_series(slotno, pending[i].series_id, pending[i].labels);
		if (ok)
		{
			s->state = LIX_READY;
			s->resume_block = blkno;
			s->resume_items = items;
			s->resume_offset = offset;
			s->resume_prev = last;
			if (last >= s->next_series_id)
				s->next_series_id = last + 1;
		}
		MemoryContextReset(cxt);
		reader = tsdb_dict_reader_create(rel);
		blkno = next;
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);

	if (!ok)
	{
		lix_free_contents(slotno, LIX_REFUSED);
		s->refused_at = pg_atomic_read_u64(&lix->evictions);
		s->refused_cap = tsdb_label_index_max_memory;
		ereport(LOG,
				(errmsg("tsdb label index: relation \"%s\" is not indexed, tsdb.label_index_max_memory (%d kB) is reached",
						RelationGetRelationName(rel), tsdb_label_index_max_memory),
				 errhint("Its series are looked up in each backend's own cache until memory is freed; raise tsdb.label_index_max_memory to index it.")));
	}
	return ok;
}

/* ---------------------------------------------------------------------
 * Finding a relation's slot
 * ---------------------------------------------------------------------
 */

static inline bool
lix_slot_is(LixSlot *s, uint64 storage_id)
{
	return s->state != LIX_FREE && s->dboid == MyDatabaseId &&
		s->storage_id == storage_id;
}

static void
lix_remember(uint64 storage_id, int slotno)
{
	lix_hints[lix_next_hint].storage_id = storage_id;
	lix_hints[lix_next_hint].slot = slotno;
	lix_next_hint = (lix_next_hint + 1) % LIX_HINTS;
}

/* The slot of a storage, claiming one if there is none; -1 if none free. */
static int
lix_find_slot(Relation rel, uint64 storage_id, bool claim)
{
	int			i;
	int			free_slot = -1;
	int			victim = -1;
	uint64		oldest = PG_UINT64_MAX;

	for (i = 0; i < LIX_HINTS; i++)
		if (lix_hints[i].storage_id == storage_id && storage_id != 0)
			return lix_hints[i].slot;	/* checked under its lock */

	LWLockAcquire(&lix->dir_lock, LW_SHARED);
	for (i = 0; i < LIX_SLOTS; i++)
		if (lix_slot_is(&lix->slots[i], storage_id))
			break;
	LWLockRelease(&lix->dir_lock);
	if (i < LIX_SLOTS)
	{
		lix_remember(storage_id, i);
		return i;
	}
	if (!claim)
		return -1;

	LWLockAcquire(&lix->dir_lock, LW_EXCLUSIVE);
	for (i = 0; i < LIX_SLOTS; i++)
	{
		LixSlot    *s = &lix->slots[i];

		if (lix_slot_is(s, storage_id))
		{
			LWLockRelease(&lix->dir_lock);
			lix_remember(storage_id, i);
			return i;
		}
		if (s->state == LIX_FREE && free_slot < 0)
			free_slot = i;
		else if (pg_atomic_read_u64(&s->last_used) < oldest)
		{
			oldest = pg_atomic_read_u64(&s->last_used);
			victim = i;
		}
	}
	if (free_slot < 0)
		free_slot = victim;
	/* never wait for a slot lock while holding the directory lock */
	if (free_slot >= 0 &&
		LWLockConditionalAcquire(&lix->slots[free_slot].lock, LW_EXCLUSIVE))
	{
		LixSlot    *s = &lix->slots[free_slot];

		if (s->state != LIX_FREE)
		{
			lix_free_contents(free_slot, LIX_FREE);
			pg_atomic_fetch_add_u64(&lix->evictions, 1);
		}
		s->dboid = MyDatabaseId;
		s->relid = RelationGetRelid(rel);
		s->storage_id = storage_id;
		lix_free_contents(free_slot, LIX_EMPTY);
		pg_atomic_write_u64(&s->last_used, lix_now());
		LWLockRelease(&s->lock);
		lix_remember(storage_id, free_slot);
	}
	else
		free_slot = -1;
	LWLockRelease(&lix->dir_lock);
	return free_slot;
}

/* Refused, and nothing changed since that would let it fit now? */
static bool
lix_still_refused(LixSlot *s)
{
	return s->state == LIX_REFUSED &&
		s->refused_at == pg_atomic_read_u64(&lix->evictions) &&
		s->refused_cap >= tsdb_label_index_max_memory;
}

/*
 * Open a relation's index for reading: true with the slot's lock held
 * shared, the slot READY and, when meta is given, holding every series the
 * metapage copy counts.  False (no lock held) when the index cannot serve
 * the relation; the caller falls back to the backend-local cache.
 */
static bool
lix_open(Relation rel, uint64 storage_id, const TsdbMetaPageData *meta,
		 int *slotno)
{
	int			attempt;
	TsdbMetaPageData own;

	if (lix == NULL || tsdb_label_index_max_memory == 0 || storage_id == 0)
		return false;
	lix_attach();
	for (attempt = 0; attempt < 3; attempt++)
	{
		int			i = lix_find_slot(rel, storage_id, true);
		LixSlot    *s;
		uint64		now = lix_now();

		if (i < 0)
			return false;
		s = &lix->slots[i];
		LWLockAcquire(&s->lock, LW_SHARED);
		if (!lix_slot_is(s, storage_id))
		{
			/* the hint was stale: forget it and search again */
			int			h;

			LWLockRelease(&s->lock);
			for (h = 0; h < LIX_HINTS; h++)
				if (lix_hints[h].storage_id == storage_id)
					lix_hints[h].storage_id = 0;
			continue;
		}
		if (pg_atomic_read_u64(&s->last_used) < now)
			pg_atomic_write_u64(&s->last_used, now);
		if (s->state == LIX_READY &&
			(meta == NULL || s->next_series_id >= meta->next_series_id))
		{
			(void) lix_tables(i);
			*slotno = i;
			return true;
		}
		if (lix_still_refused(s))
		{
			LWLockRelease(&s->lock);
			return false;
		}
		LWLockRelease(&s->lock);

		/* build or extend it: no lock held while reading the metapage */
		if (meta == NULL)
		{
			tsdb_read_meta(rel, &own);
			meta = &own;
		}
		LWLockAcquire(&s->lock, LW_EXCLUSIVE);
		if (lix_slot_is(s, storage_id) &&
			!(s->state == LIX_READY && s->next_series_id >= meta->next_series_id) &&
			!lix_still_refused(s))
			(void) lix_catch_up(rel, i, meta);
		LWLockRelease(&s->lock);
	}
	return false;
}

/* ---------------------------------------------------------------------
 * Lookups
 * ---------------------------------------------------------------------
 */

/*
 * Lookups and hits are counted here and added to the shared counters 256
 * at a time, so that inserting backends do not all write one cache line
 * per row; the statistics lag by at most that much per backend.
 */
static uint32 lix_local_lookups = 0;
static uint32 lix_local_hits = 0;

static void
lix_count(bool hit)
{
	lix_local_lookups++;
	if (hit)
		lix_local_hits++;
	if (lix_local_lookups >= 256)
	{
		pg_atomic_fetch_add_u64(&lix->lookups, lix_local_lookups);
		pg_atomic_fetch_add_u64(&lix->hits, lix_local_hits);
		lix_local_lookups = 0;
		lix_local_hits = 0;
	}
}

TsdbIndexResult
tsdb_label_index_lookup(Relation rel, uint64 storage_id,
						const TsdbMetaPageData *meta,
						const char *data, uint32 len, uint32 hash,
						uint32 *series_id)
{
	int			slotno;
	LixLocal   *l;
	LixKey		key;
	LixLabelsEntry *le;

	if (!lix_open(rel, storage_id, meta, &slotno))
	{
		if (lix != NULL)
			pg_atomic_fetch_add_u64(&lix->fallbacks, 1);
		return TSDB_INDEX_UNAVAILABLE;
	}
	l = lix_tables(slotno);
	key.hash = hash;
	key.len = len;
	key.data = InvalidDsaPointer;
	key.local = data;
	le = dshash_find(l->labels, &key, false);
	*series_id = 0;
	if (le)
	{
		*series_id = le->series_id;
		dshash_release_lock(l->labels, le);
	}
	LWLockRelease(&lix->slots[slotno].lock);
	lix_count(*series_id != 0);
	return *series_id != 0 ? TSDB_INDEX_FOUND : TSDB_INDEX_ABSENT;
}

struct varlena *
tsdb_label_index_labels(Relation rel, uint64 storage_id,
						const TsdbMetaPageData *meta, uint32 series_id)
{
	int			slotno;
	LixSlot    *s;
	struct varlena *copy = NULL;

	if (!lix_open(rel, storage_id, meta, &slotno))
		return NULL;
	s = &lix->slots[slotno];
	if (series_id < s->series_cap &&
		DsaPointerIsValid(lix_series(s)[series_id].labels))
	{
		struct varlena *v = dsa_get_address(lix_area,
											lix_series(s)[series_id].labels);

		copy = palloc(VARSIZE(v));
		memcpy(copy, v, VARSIZE(v));
	}
	LWLockRelease(&s->lock);
	return copy;
}

/*
 * The newest-sample hint.  For each series the index keeps the greatest
 * timestamp among the samples inserted on this server since the relation's
 * index was built, with the value of a sample at that timestamp; inserts
 * of every transaction count, committed, aborted or still running, and
 * none made before the build (after a restart, or on a standby, there is
 * no hint until new inserts).  So it is not an MVCC answer: it says only
 * "no sample inserted since the build is newer than ts".  A reader after
 * the latest visible sample still checks visibility, and may start its
 * backward search at ts.
 */
void
tsdb_label_index_note_samples(Relation rel, uint64 storage_id,
							  const TsdbSample *samples, int n)
{
	int			slotno;
	LixSlot    *s;
	LixSeries  *series;
	int			i;

	if (!lix_open(rel, storage_id, NULL, &slotno))
		return;
	s = &lix->slots[slotno];
	series = lix_series(s);
	for (i = 0; i < n; i++)
	{
		const TsdbSample *x = &samples[i];
		LixSeries  *e;

		if (x->series_id >= s->series_cap ||
			!DsaPointerIsValid(series[x->series_id].labels))
			continue;
		e = &series[x->series_id];
		SpinLockAcquire(&e->mutex);
		if (!e->has_newest || x->ts >= e->newest_ts)
		{
			e->has_newest = true;
			e->newest_ts = x->ts;
			e->newest_value = x->value;
		}
		SpinLockRelease(&e->mutex);
	}
	LWLockRelease(&s->lock);
}

bool
tsdb_label_index_newest(Relation rel, uint64 storage_id, uint32 series_id,
						int64 *ts, float8 *value)
{
	int			slotno;
	LixSlot    *s;
	bool		found = false;

	if (!lix_open(rel, storage_id, NULL, &slotno))
		return false;
	s = &lix->slots[slotno];
	if (series_id < s->series_cap &&
		DsaPointerIsValid(lix_series(s)[series_id].labels))
	{
		LixSeries  *e = &lix_series(s)[series_id];

		SpinLockAcquire(&e->mutex);
		found = e->has_newest;
		*ts = e->newest_ts;
		*value = e->newest_value;
		SpinLockRelease(&e->mutex);
	}
	LWLockRelease(&s->lock);
	return found;
}

/* ---------------------------------------------------------------------
 * Matchers
 * ---------------------------------------------------------------------
 */

/* A set of series ids, as a bitmap. */
typedef struct IdSet
{
	uint64	   *words;
	uint32		nbits;
} IdSet;

static void
idset_init(IdSet *b, uint32 nbits)
{
	b->nbits = nbits;
	b->words = palloc0(((nbits + 63) / 64) * sizeof(uint64));
}

static inline void
idset_add(IdSet *b, uint32 id)
{
	if (id < b->nbits)
		b->words[id / 64] |= UINT64CONST(1) << (id % 64);
}

static inline bool
idset_has(const IdSet *b, uint32 id)
{
	return id < b->nbits && ((b->words[id / 64] >> (id % 64)) & 1) != 0;
}

/*
 * The posting list of a "name\0value" pair, in the area: valid while the
 * slot's lock is held, since only catch-up (exclusive) changes it.
 */
static const uint32 *
lix_postings(LixLocal *l, const char *pair, uint32 pair_len, uint32 *n)
{
	LixKey		key;
	LixPostingEntry *pe;
	dsa_pointer ids;

	key.hash = labels_hash_bytes(pair, pair_len);
	key.len = pair_len;
	key.data = InvalidDsaPointer;
	key.local = pair;
	pe = dshash_find(l->postings, &key, false);
	*n = 0;
	if (pe == NULL)
		return NULL;
	ids = pe->ids;
	*n = pe->n;
	dshash_release_lock(l->postings, pe);
	return *n > 0 ? dsa_get_address(lix_area, ids) : NULL;
}

/* Add the series of every posting list of a name's values to "set", when
 * matcher i's verdict on the value is "want". */
static void
lix_mark_values(LixLocal *l, LabelMatcherSet *set, int i, const char *name,
				bool want, IdSet *out)
{
	LixKey		key;
	LixNameEntry *ne;
	LixValueRef *refs;
	uint32		n;
	uint32		j;

	key.hash = labels_hash_bytes(name, strlen(name));
	key.len = strlen(name);
	key.data = InvalidDsaPointer;
	key.local = name;
	ne = dshash_find(l->names, &key, false);
	if (ne == NULL)
		return;
	n = ne->n;
	refs = dsa_get_address(lix_area, ne->values);
	/* the array stays put while we hold the slot's lock */
	dshash_release_lock(l->names, ne);

	for (j = 0; j < n; j++)
	{
		const char *pair = dsa_get_address(lix_area, refs[j].pair);
		const char *value = pair + refs[j].name_len + 1;
		int			vlen = refs[j].pair_len - refs[j].name_len - 1;

		if (labels_matcher_eval_value(set, i, value, vlen) == want)
		{
			uint32		np;
			const uint32 *ids = lix_postings(l, pair, refs[j].pair_len, &np);
			uint32		k;

			for (k = 0; k < np; k++)
				idset_add(out, ids[k]);
		}
	}
}

/* How many values a label name has. */
static uint32
lix_count_values(LixLocal *l, const char *name)
{
	LixKey		key;
	LixNameEntry *ne;
	uint32		n;

	key.hash = labels_hash_bytes(name, strlen(name));
	key.len = strlen(name);
	key.data = InvalidDsaPointer;
	key.local = name;
	ne = dshash_find(l->names, &key, false);
	if (ne == NULL)
		return 0;
	n = ne->n;
	dshash_release_lock(l->names, ne);
	return n;
}

/* Keep the candidates whose own value of the label matcher i accepts. */
static int
lix_filter_candidates(LixSlot *s, LabelMatcherSet *set, int i,
					  const char *name, uint32 *cur, int ncur)
{
	LixSeries  *series = lix_series(s);
	int			j,
				k = 0;

	for (j = 0; j < ncur; j++)
	{
		Labels		labels = dsa_get_address(lix_area, series[cur[j]].labels);
		int			len = 0;
		const char *value = labels_get_value(labels, name, &len);

		if (value == NULL)
			value = "";			/* absent = empty, as in labels_matcher_eval */
		if (labels_matcher_eval_value(set, i, value, len))
			cur[k++] = cur[j];
	}
	return k;
}

/* cur := cur ∩ ids, both sorted */
static int
ids_intersect(uint32 *cur, int ncur, const uint32 *ids, uint32 n)
{
	int			i = 0,
				k = 0;
	uint32		j = 0;

	while (i < ncur && j < n)
	{
		if (cur[i] < ids[j])
			i++;
		else if (cur[i] > ids[j])
			j++;
		else
		{
			cur[k++] = cur[i++];
			j++;
		}
	}
	return k;
}

/* cur := the ids of cur in (keep) or not in (!keep) the set */
static int
ids_filter(uint32 *cur, int ncur, const IdSet *set, bool keep)
{
	int			i,
				k = 0;

	for (i = 0; i < ncur; i++)
		if (idset_has(set, cur[i]) == keep)
			cur[k++] = cur[i];
	return k;
}

/*
 * Prometheus semantics, as labels_matcher_eval: a missing label has the
 * value "".  A matcher that rejects "" selects the union of the posting
 * lists of the values it accepts (equality: one list); one that accepts ""
 * removes the series whose value it rejects.  Equality matchers go first,
 * intersecting sorted posting lists; the others run on the values of one
 * label name and mark their series in a bitmap, or, when the series left
 * are fewer than the label's values, on those series' own values.
 */
bool
tsdb_label_index_match(Relation rel, uint64 storage_id,
					   const TsdbMetaPageData *meta, LabelMatcherSet *set,
					   uint32 **ids, int *n)
{
	int			slotno;
	LixSlot    *s;
	LixLocal   *l;
	uint32	   *cur = NULL;
	int			ncur = 0;
	bool		have_cur = false;
	IdSet		excluded = {NULL, 0};
	int			nm = labels_matcher_count(set);
	int			pass;

	if (!lix_open(rel, storage_id, meta, &slotno))
	{
		if (lix != NULL)
			pg_atomic_fetch_add_u64(&lix->fallbacks, 1);
		return false;
	}
	s = &lix->slots[slotno];
	l = lix_tables(slotno);
	for (pass = 0; pass < 2 && !(have_cur && ncur == 0); pass++)
	{
		int			i;

		for (i = 0; i < nm && !(have_cur && ncur == 0); i++)
		{
			LabelOp		op;
			const char *value;
			const char *name = labels_matcher_get(set, i, &op, &value);
			bool		eq = (op == LABEL_OP_EQ && value[0] != '\0');

			if (eq != (pass == 0))
				continue;
			if (eq)
			{
				int			nlen = strlen(name);
				int			vlen = strlen(value);
				char	   *pair = palloc(nlen + vlen + 2);
				const uint32 *p;
				uint32		np;

				memcpy(pair, name, nlen + 1);
				memcpy(pair + nlen + 1, value, vlen + 1);
				p = lix_postings(l, pair, nlen + 1 + vlen, &np);
				pfree(pair);
				if (!have_cur)
				{
					cur = palloc((np + 1) * sizeof(uint32));
					if (np > 0)
						memcpy(cur, p, np * sizeof(uint32));
					ncur = np;
					have_cur = true;
				}
				else
					ncur = ids_intersect(cur, ncur, p, np);
			}
			else if (have_cur && (uint32) ncur <= lix_count_values(l, name))
			{
				/* fewer candidates than values: test the candidates */
				ncur = lix_filter_candidates(s, set, i, name, cur, ncur);
			}
			else if (!labels_matcher_eval_value(set, i, "", 0))
			{
				IdSet		sel;

				idset_init(&sel, s->series_cap);
				lix_mark_values(l, set, i, name, true, &sel);
				if (have_cur)
					ncur = ids_filter(cur, ncur, &sel, true);
				else
				{
					uint32		w;

					/* the bitmap in id order is the sorted list */
					cur = palloc((s->nseries + 1) * sizeof(uint32));
					for (w = 0; w < (sel.nbits + 63) / 64; w++)
					{
						uint64		word = sel.words[w];

						while (word != 0)
						{
							int			bit = pg_rightmost_one_pos64(word);

							cur[ncur++] = w * 64 + bit;
							word &= word - 1;
						}
					}
					have_cur = true;
				}
				pfree(sel.words);
			}
			else
			{
				if (excluded.words == NULL)
					idset_init(&excluded, s->series_cap);
				lix_mark_values(l, set, i, name, false, &excluded);
			}
		}
	}
	if (!have_cur)
	{
		/* only matchers a missing label passes: start from every series */
		LixSeries  *series = lix_series(s);
		uint32		id;

		cur = palloc((s->nseries + 1) * sizeof(uint32));
		for (id = 1; id < s->series_cap; id++)
			if (DsaPointerIsValid(series[id].labels))
				cur[ncur++] = id;
	}
	LWLockRelease(&s->lock);

	if (excluded.words != NULL)
	{
		ncur = ids_filter(cur, ncur, &excluded, false);
		pfree(excluded.words);
	}
	lix_count(true);
	*ids = cur;
	*n = ncur;
	return true;
}

/* ---------------------------------------------------------------------
 * Forgetting
 * ---------------------------------------------------------------------
 */

static void
lix_release_slot(int i)
{
	LixSlot    *s = &lix->slots[i];

	/* never wait for a slot while holding the directory */
	if (LWLockConditionalAcquire(&s->lock, LW_EXCLUSIVE))
	{
		if (s->state != LIX_FREE)
			lix_free_contents(i, LIX_FREE);
		LWLockRelease(&s->lock);
	}
}

void
tsdb_label_index_forget(uint64 storage_id)
{
	int			i;

	if (lix == NULL || storage_id == 0)
		return;
	lix_attach();
	LWLockAcquire(&lix->dir_lock, LW_EXCLUSIVE);
	for (i = 0; i < LIX_SLOTS; i++)
		if (lix_slot_is(&lix->slots[i], storage_id))
			lix_release_slot(i);
	LWLockRelease(&lix->dir_lock);
}

void
tsdb_label_index_forget_relation(Oid relid)
{
	int			i;

	if (lix == NULL)
		return;
	lix_attach();
	LWLockAcquire(&lix->dir_lock, LW_EXCLUSIVE);
	for (i = 0; i < LIX_SLOTS; i++)
	{
		LixSlot    *s = &lix->slots[i];

		if (s->state != LIX_FREE && s->dboid == MyDatabaseId && s->relid == relid)
			lix_release_slot(i);
	}
	LWLockRelease(&lix->dir_lock);
}

static bool
sorted_has_oid(List *list, Oid oid)
{
	int			lo = 0;
	int			hi = list_length(list) - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		Oid			x = list_nth_oid(list, mid);

		if (x == oid)
			return true;
		if (x < oid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

void
tsdb_label_index_prune(Oid dboid, List *keep)
{
	int			i;

	if (lix == NULL)
		return;
	lix_attach();
	LWLockAcquire(&lix->dir_lock, LW_EXCLUSIVE);
	for (i = 0; i < LIX_SLOTS; i++)
	{
		LixSlot    *s = &lix->slots[i];

		if (s->state != LIX_FREE && s->dboid == dboid &&
			!sorted_has_oid(keep, s->relid))
			lix_release_slot(i);
	}
	LWLockRelease(&lix->dir_lock);
}

/* ---------------------------------------------------------------------
 * SQL
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(tsdb_label_index_stats);

/*
 * tsdb.label_index_stats(): a row per relation indexed (of any database)
 * and a last row, relid NULL and state "total", summing them up.  Memory
 * is the accounted bytes against the cap; lookups, hits and fallbacks
 * count since the server started (other backends' last few lookups may
 * not be in yet: lix_count).
 */
Datum
tsdb_label_index_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	static const char *const state_names[] = {"free", "empty", "ready", "refused"};
	int64		tot_series = 0;
	int64		tot_postings = 0;
	Datum		values[11];
	bool		nulls[11];
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (lix == NULL)
		return (Datum) 0;
	/* this backend's own lookups, at least, are all in */
	pg_atomic_fetch_add_u64(&lix->lookups, lix_local_lookups);
	pg_atomic_fetch_add_u64(&lix->hits, lix_local_hits);
	lix_local_lookups = 0;
	lix_local_hits = 0;
	for (i = 0; i < LIX_SLOTS; i++)
	{
		LixSlot    *s = &lix->slots[i];

		LWLockAcquire(&s->lock, LW_SHARED);
		if (s->state != LIX_FREE)
		{
			memset(nulls, 0, sizeof(nulls));
			values[0] = ObjectIdGetDatum(s->dboid);
			values[1] = ObjectIdGetDatum(s->relid);
			values[2] = CStringGetTextDatum(state_names[s->state]);
			values[3] = Int64GetDatum(s->nseries);
			values[4] = Int64GetDatum(s->npostings);
			values[5] = Int64GetDatum(s->bytes);
			tot_series += s->nseries;
			tot_postings += s->npostings;
			for (int k = 6; k < 11; k++)
				nulls[k] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		LWLockRelease(&s->lock);
	}
	memset(nulls, 0, sizeof(nulls));
	nulls[0] = nulls[1] = true;
	values[2] = CStringGetTextDatum("total");
	values[3] = Int64GetDatum(tot_series);
	values[4] = Int64GetDatum(tot_postings);
	values[5] = Int64GetDatum(pg_atomic_read_u64(&lix->used));
	values[6] = Int64GetDatum((int64) tsdb_label_index_max_memory * 1024);
	values[7] = Int64GetDatum(pg_atomic_read_u64(&lix->lookups));
	values[8] = Int64GetDatum(pg_atomic_read_u64(&lix->hits));
	values[9] = Int64GetDatum(pg_atomic_read_u64(&lix->fallbacks));
	values[10] = Int64GetDatum(pg_atomic_read_u64(&lix->evictions));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
