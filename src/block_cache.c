/*-------------------------------------------------------------------------
 *
 * block_cache.c
 *	  The shared-memory cache of decoded segment chunks: arena, lookup,
 *	  eviction, counters and the SQL functions that show them.
 *
 * Layout.  tsdb.block_cache_size is cut into units of BC_UNIT bytes.  An
 * entry's data is one byte stream over a chain of units: the chunk's bytes
 * as on its page (TsdbChunkImage: base, header, timestamp column, value
 * column), padded to 16 bytes, then (ts, value) pairs.  Pairs never straddle
 * a unit, so they are read out unit by unit.  Entries (one per unit at most,
 * so entries never run out before units) are found through a hash of their
 * key into bucket chains.
 *
 * Why no entry can be stale.  The key, (RelFileNode, block, offset), only
 * finds a candidate.  It can name different bytes over time: TRUNCATE of a
 * table created in the same transaction keeps its file, relfilenode numbers
 * are reused after DROP, VACUUM recycles segment pages (recycle.c) and the
 * next compaction writes them again, an aborted compaction's segment id and
 * pages are reused by the next one, and a standby replays all of it.  Page
 * LSNs do not tell versions apart either: a table created with
 * wal_level = minimal writes its first pages without WAL.  So instead of
 * trusting the key, an entry holds a copy of the bytes it was decoded from
 * (about 5% of the decoded size), and a lookup compares them with the bytes
 * on the caller's locked page: a hit needs every byte equal, and decoding is
 * a pure function of those bytes (compress.h keeps no state), so a hit is
 * exactly what decoding the page would give.  The comparison costs a memcmp
 * of the compressed chunk, a small fraction of decoding it; the checksum is
 * not verified again, as the bytes are those verified when the entry was
 * made.  A key found with other bytes is counted as "stale" and replaced.
 * Nothing needs invalidating, so DROP, TRUNCATE and redo never touch the
 * cache; entries of dead files just age out.
 *
 * Eviction.  Like 2Q, new entries enter a probationary FIFO.  A hit only
 * bumps the entry's usage count (an atomic: lookups take their partition
 * lock in shared mode and nothing else).  When room is needed and the
 * probationary part holds more than a quarter of the units, its oldest entry
 * goes: evicted if it was not used since it came in, otherwise promoted to
 * the protected part.  Only when the probationary part is within its
 * quarter is the protected part swept, CLOCK style (usage counts
 * decremented, an entry at zero evicted).  A chunk read once, by a big scan
 * for instance, never leaves the probationary part, so a scan of any size
 * evicts only what other one-time reads brought in, never the protected
 * working set.
 *
 * Locks.  BC_PARTITIONS partition locks cover the bucket chains and the
 * entries in them (a reader copies an entry out under its partition lock in
 * shared mode); the cache lock covers the free lists, the probationary list,
 * entry states and the clock hand.  The order is partition lock, then cache
 * lock; an evictor holding the cache lock only ever tries a victim's
 * partition lock conditionally and moves on to another victim if it is
 * busy, so the order never deadlocks.  Nothing here can raise an error
 * while holding a lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/rel.h"

#include "block_cache.h"

/* Bytes per unit of the arena: a multiple of the 16-byte (ts, value) pair. */
#define BC_UNIT				2048
#define BC_PAIR				16

/* Partition locks (a power of two); one more lock is the cache lock. */
#define BC_PARTITIONS		64

/* The probationary part's share of the units: 1 / BC_PROBATION_SHARE. */
#define BC_PROBATION_SHARE	4

/* Usage counts stop growing here (the clock takes as many sweeps). */
#define BC_MAX_USAGE		3

/* A chunk is not kept if it would take more than this share of the units. */
#define BC_MAX_ENTRY_SHARE	8

#define BC_TRANCHE			"tsdb block cache"

int			tsdb_block_cache_size = 65536;	/* kB */

typedef struct CacheKey
{
	RelFileNode node;
	BlockNumber blkno;
	uint16		offset;
	uint16		pad;			/* zero: keys are hashed and compared as bytes */
} CacheKey;

typedef enum EntryState
{
	ENTRY_FREE = 0,
	ENTRY_PROBATION,
	ENTRY_PROTECTED
} EntryState;

typedef struct CacheEntry
{
	CacheKey	key;
	uint32		hash;
	int32		hnext;			/* bucket chain (partition lock) */
	int32		prev;			/* probationary list, or free list (next) */
	int32		next;
	int32		first_unit;
	uint16		nunits;
	uint8		state;			/* EntryState (cache lock) */
	uint16		len[TSDB_CHUNK_IMAGE_PARTS];	/* the chunk image's parts */
	uint32		count;
	uint32		series_id;
	pg_atomic_uint32 usage;
} CacheEntry;

typedef struct CacheControl
{
	int32		nunits;
	int32		nentries;
	uint32		bucket_mask;

	/* cache lock */
	int32		free_unit;		/* chained through unit_next */
	int32		nfree_units;
	int32		free_entry;		/* chained through entries' next */
	int32		nused_entries;
	int32		prob_head;		/* oldest */
	int32		prob_tail;
	int32		prob_units;
	int32		protected_units;
	int32		hand;			/* clock over the entries */

	pg_atomic_uint64 hits;
	pg_atomic_uint64 misses;
	pg_atomic_uint64 inserts;
	pg_atomic_uint64 evictions;
	pg_atomic_uint64 stale;
} CacheControl;

static CacheControl *ctl = NULL;
static CacheEntry *entries;
static int32 *buckets;
static int32 *unit_next;
static char *arena;
static LWLockPadded *locks;

/* this backend's lookups, for tests and per-session figures */
static int64 session_hits = 0;
static int64 session_misses = 0;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

#define CACHE_LOCK			(&locks[BC_PARTITIONS].lock)
#define PARTITION_LOCK(p)	(&locks[(p)].lock)
#define KEY_PARTITION(h)	((int) ((h) & (BC_PARTITIONS - 1)))
#define UNIT_PTR(u)			(arena + (Size) (u) * BC_UNIT)

/* Units and buckets for the configured size (0 units: no cache). */
static void
cache_geometry(int32 *nunits, uint32 *nbuckets)
{
	Size		bytes = (Size) tsdb_block_cache_size * 1024;
	uint32		nb = BC_PARTITIONS;

	*nunits = (int32) Min(bytes / BC_UNIT, (Size) PG_INT32_MAX / 2);
	while (nb < (uint32) *nunits)
		nb <<= 1;
	*nbuckets = nb;
}

/* Shared memory for the control struct, entries, buckets and unit links. */
static Size
cache_index_size(int32 nunits, uint32 nbuckets)
{
	Size		size = MAXALIGN(sizeof(CacheControl));

	size = add_size(size, mul_size(nunits, sizeof(CacheEntry)));
	size = add_size(size, mul_size(nbuckets, sizeof(int32)));
	size = add_size(size, mul_size(nunits, sizeof(int32)));
	return size;
}

static void
block_cache_shmem_request(void)
{
	int32		nunits;
	uint32		nbuckets;

	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	cache_geometry(&nunits, &nbuckets);
	if (nunits == 0)
		return;
	RequestAddinShmemSpace(cache_index_size(nunits, nbuckets));
	RequestAddinShmemSpace(add_size(mul_size(nunits, BC_UNIT), PG_CACHE_LINE_SIZE));
	RequestNamedLWLockTranche(BC_TRANCHE, BC_PARTITIONS + 1);
}

/* Every unit and entry free, counters at zero (startup, under no lock). */
static void
cache_init_empty(int32 nunits, uint32 nbuckets)
{
	int32		i;

	ctl->nunits = nunits;
	ctl->nentries = nunits;
	ctl->bucket_mask = nbuckets - 1;
	for (i = 0; i < nunits; i++)
	{
		CacheEntry *e = &entries[i];

		memset(e, 0, sizeof(CacheEntry));
		e->state = ENTRY_FREE;
		e->next = (i + 1 < nunits) ? i + 1 : -1;
		pg_atomic_init_u32(&e->usage, 0);
		unit_next[i] = (i + 1 < nunits) ? i + 1 : -1;
	}
	for (i = 0; i < (int32) nbuckets; i++)
		buckets[i] = -1;
	ctl->free_unit = 0;
	ctl->nfree_units = nunits;
	ctl->free_entry = 0;
	ctl->nused_entries = 0;
	ctl->prob_head = ctl->prob_tail = -1;
	ctl->prob_units = 0;
	ctl->protected_units = 0;
	ctl->hand = 0;
	pg_atomic_init_u64(&ctl->hits, 0);
	pg_atomic_init_u64(&ctl->misses, 0);
	pg_atomic_init_u64(&ctl->inserts, 0);
	pg_atomic_init_u64(&ctl->evictions, 0);
	pg_atomic_init_u64(&ctl->stale, 0);
}

static void
block_cache_shmem_startup(void)
{
	int32		nunits;
	uint32		nbuckets;
	bool		found;
	bool		found_arena;
	char	   *p;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	cache_geometry(&nunits, &nbuckets);
	if (nunits == 0)
		return;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	p = ShmemInitStruct("tsdb block cache", cache_index_size(nunits, nbuckets),
						&found);
	ctl = (CacheControl *) p;
	p += MAXALIGN(sizeof(CacheControl));
	entries = (CacheEntry *) p;
	p += mul_size(nunits, sizeof(CacheEntry));
	buckets = (int32 *) p;
	p += mul_size(nbuckets, sizeof(int32));
	unit_next = (int32 *) p;
	arena = ShmemInitStruct("tsdb block cache arena",
							add_size(mul_size(nunits, BC_UNIT), PG_CACHE_LINE_SIZE),
							&found_arena);
	arena = (char *) TYPEALIGN(PG_CACHE_LINE_SIZE, arena);
	locks = GetNamedLWLockTranche(BC_TRANCHE);
	if (!found)
	{
		cache_init_empty(nunits, nbuckets);

		/*
		 * Touch the arena now, in the postmaster: otherwise the first query
		 * to fill each part of it pays for the kernel allocating and zeroing
		 * the pages, which more than doubled the time of a cold full scan.
		 */
		if (!found_arena)
			memset(arena, 0, mul_size(nunits, BC_UNIT));
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Don't allow sizes that leave nothing worth caching: 0 or at least 1 MB. */
static bool
check_block_cache_size(int *newval, void **extra, GucSource source)
{
	if (*newval != 0 && *newval < 1024)
	{
		GUC_check_errdetail("tsdb.block_cache_size must be 0 (off) or at least 1MB.");
		return false;
	}
	return true;
}

void
tsdb_block_cache_init(void)
{
	/*
	 * 64 MB holds about 2,000 decoded chunks of the default 2048 samples,
	 * some 4 million samples; the real data set of bench/ is 185,000.
	 */
	DefineCustomIntVariable("tsdb.block_cache_size",
							"Shared memory for decoded segment chunks.",
							"0 turns the block cache off.",
							&tsdb_block_cache_size,
							65536, 0, INT_MAX,
							PGC_POSTMASTER, GUC_UNIT_KB,
							check_block_cache_size, NULL, NULL);

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = block_cache_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = block_cache_shmem_startup;
}

bool
tsdb_block_cache_enabled(void)
{
	return ctl != NULL;
}

static void
key_init(CacheKey *key, Relation rel, BlockNumber blkno, uint16 offset)
{
	memset(key, 0, sizeof(CacheKey));
	key->node = rel->rd_node;
	key->blkno = blkno;
	key->offset = offset;
}

/* The entry with this key, or -1.  Caller holds its partition lock. */
static int32
lookup(const CacheKey *key, uint32 hash)
{
	int32		i;

	for (i = buckets[hash & ctl->bucket_mask]; i >= 0; i = entries[i].hnext)
		if (entries[i].hash == hash &&
			memcmp(&entries[i].key, key, sizeof(CacheKey)) == 0)
			return i;
	return -1;
}

/* A position in an entry's byte stream. */
typedef struct StreamPos
{
	int32		unit;
	uint32		at;				/* bytes into the unit */
} StreamPos;

/* Compare the next len bytes of the stream with p, and move past them. */
static bool
stream_equal(StreamPos *pos, const uint8 *p, Size len)
{
	while (len > 0)
	{
		Size		n;

		if (pos->at == BC_UNIT)
		{
			pos->unit = unit_next[pos->unit];
			pos->at = 0;
		}
		n = Min(len, BC_UNIT - pos->at);
		if (memcmp(UNIT_PTR(pos->unit) + pos->at, p, n) != 0)
			return false;
		pos->at += n;
		p += n;
		len -= n;
	}
	return true;
}

/* Write len bytes at the stream position, and move past them. */
static void
stream_write(StreamPos *pos, const void *src, Size len)
{
	const char *p = src;

	while (len > 0)
	{
		Size		n;

		if (pos->at == BC_UNIT)
		{
			pos->unit = unit_next[pos->unit];
			pos->at = 0;
		}
		n = Min(len, BC_UNIT - pos->at);
		memcpy(UNIT_PTR(pos->unit) + pos->at, p, n);
		pos->at += n;
		p += n;
		len -= n;
	}
}

static uint32
image_bytes(const TsdbChunkImage *img)
{
	uint32		n = 0;
	int			k;

	for (k = 0; k < TSDB_CHUNK_IMAGE_PARTS; k++)
		n += img->len[k];
	return n;
}

/* Units an entry for this image and n samples takes. */
static int32
entry_units(const TsdbChunkImage *img, int n)
{
	Size		bytes = TYPEALIGN(BC_PAIR, image_bytes(img)) + (Size) n * BC_PAIR;

	return (int32) ((bytes + BC_UNIT - 1) / BC_UNIT);
}

/*
 * Is the entry a copy of these bytes?  Leaves *pos at the start of the
 * entry's samples when it is.  Caller holds the entry's partition lock.
 */
static bool
entry_matches(const CacheEntry *e, const TsdbChunkImage *img, StreamPos *pos)
{
	int			k;
	uint32		raw = 0;

	for (k = 0; k < TSDB_CHUNK_IMAGE_PARTS; k++)
		if (e->len[k] != img->len[k])
			return false;
	pos->unit = e->first_unit;
	pos->at = 0;
	for (k = 0; k < TSDB_CHUNK_IMAGE_PARTS; k++)
	{
		if (!stream_equal(pos, img->part[k], img->len[k]))
			return false;
		raw += img->len[k];
	}
	/* the samples start at the next 16-byte boundary: never past the unit */
	pos->at += TYPEALIGN(BC_PAIR, raw) - raw;
	return true;
}

/*
 * Copy an entry's samples first .. first + n - 1 out, from the position
 * entry_matches() left (the first sample).
 */
static void
entry_read_samples(const CacheEntry *e, StreamPos *pos, uint32 first,
				   uint32 n_out, TsdbSample *out)
{
	uint32		i = 0;
	uint32		skip = first;

	/* whole units of samples are passed by their links */
	while (skip > 0)
	{
		uint32		avail;

		if (pos->at == BC_UNIT)
		{
			pos->unit = unit_next[pos->unit];
			pos->at = 0;
		}
		avail = (BC_UNIT - pos->at) / BC_PAIR;
		if (skip < avail)
		{
			pos->at += skip * BC_PAIR;
			break;
		}
		skip -= avail;
		pos->at = BC_UNIT;
	}
	while (i < n_out)
	{
		const char *p;
		uint32		n;
		uint32		j;

		if (pos->at == BC_UNIT)
		{
			pos->unit = unit_next[pos->unit];
			pos->at = 0;
		}
		p = UNIT_PTR(pos->unit) + pos->at;
		n = Min(n_out - i, (BC_UNIT - pos->at) / BC_PAIR);
		for (j = 0; j < n; j++, i++, p += BC_PAIR)
		{
			out[i].series_id = e->series_id;
			memcpy(&out[i].ts, p, sizeof(int64));
			memcpy(&out[i].value, p + sizeof(int64), sizeof(float8));
		}
		pos->at += n * BC_PAIR;
	}
}

int
tsdb_block_cache_get(Relation rel, BlockNumber blkno, uint16 offset,
					 const TsdbChunkImage *img, uint32 first, uint32 max,
					 TsdbSample *out)
{
	CacheKey	key;
	uint32		hash;
	LWLock	   *lock;
	int32		i;
	int			n = -1;

	Assert(ctl != NULL);
	key_init(&key, rel, blkno, offset);
	hash = hash_bytes((const unsigned char *) &key, sizeof(CacheKey));
	lock = PARTITION_LOCK(KEY_PARTITION(hash));

	LWLockAcquire(lock, LW_SHARED);
	i = lookup(&key, hash);
	if (i >= 0)
	{
		CacheEntry *e = &entries[i];
		StreamPos	pos;

		if (entry_matches(e, img, &pos))
		{
			uint32		copy = first < e->count ?
				Min(max, e->count - first) : 0;

			entry_read_samples(e, &pos, first, copy, out);
			n = copy;
			if (pg_atomic_read_u32(&e->usage) < BC_MAX_USAGE)
				pg_atomic_fetch_add_u32(&e->usage, 1);
		}
		else
			pg_atomic_fetch_add_u64(&ctl->stale, 1);
	}
	LWLockRelease(lock);

	if (n >= 0)
	{
		pg_atomic_fetch_add_u64(&ctl->hits, 1);
		session_hits++;
	}
	else
	{
		pg_atomic_fetch_add_u64(&ctl->misses, 1);
		session_misses++;
	}
	return n;
}

/* Unlink an entry from the probationary list (cache lock). */
static void
probation_unlink(CacheEntry *e)
{
	if (e->prev >= 0)
		entries[e->prev].next = e->next;
	else
		ctl->prob_head = e->next;
	if (e->next >= 0)
		entries[e->next].prev = e->prev;
	else
		ctl->prob_tail = e->prev;
	e->prev = e->next = -1;
}

/*
 * Drop an entry: out of its bucket chain and list, units and entry back to
 * the free lists.  Caller holds its partition lock exclusively and the
 * cache lock.
 */
static void
entry_drop(int32 i)
{
	CacheEntry *e = &entries[i];
	int32	   *link = &buckets[e->hash & ctl->bucket_mask];
	int32		last;

	while (*link != i)
	{
		Assert(*link >= 0);
		link = &entries[*link].hnext;
	}
	*link = e->hnext;

	if (e->state == ENTRY_PROBATION)
	{
		probation_unlink(e);
		ctl->prob_units -= e->nunits;
	}
	else
		ctl->protected_units -= e->nunits;

	last = e->first_unit;
	while (unit_next[last] >= 0)
		last = unit_next[last];
	unit_next[last] = ctl->free_unit;
	ctl->free_unit = e->first_unit;
	ctl->nfree_units += e->nunits;

	e->state = ENTRY_FREE;
	e->next = ctl->free_entry;
	ctl->free_entry = i;
	ctl->nused_entries--;
}

/*
 * Evict entry i if its partition lock can be had without waiting (the
 * caller already holds my_part's).  Caller holds the cache lock.
 */
static bool
try_evict(int32 i, int my_part)
{
	int			part = KEY_PARTITION(entries[i].hash);

	if (part != my_part)
	{
		if (!LWLockConditionalAcquire(PARTITION_LOCK(part), LW_EXCLUSIVE))
			return false;
		entry_drop(i);
		LWLockRelease(PARTITION_LOCK(part));
	}
	else
		entry_drop(i);
	pg_atomic_fetch_add_u64(&ctl->evictions, 1);
	return true;
}

/*
 * Free units until "need" are free, by the policy in the file header.
 * Gives up (false) after a bounded number of steps, when every candidate is
 * in a busy partition.  Caller holds the cache lock and my_part's lock.
 */
static bool
make_room(int32 need, int my_part)
{
	int32		prob_target = ctl->nunits / BC_PROBATION_SHARE;
	int64		budget = 4 * (int64) ctl->nentries + 64;
	int32		cursor = ctl->prob_head;

	while (ctl->nfree_units < need || ctl->free_entry < 0)
	{
		if (--budget < 0)
			return false;

		if (cursor >= 0 &&
			(ctl->prob_units > prob_target || ctl->protected_units == 0))
		{
			CacheEntry *e = &entries[cursor];
			int32		next = e->next;

			if (pg_atomic_read_u32(&e->usage) > 0)
			{
				/* used while on probation: protect it */
				probation_unlink(e);
				ctl->prob_units -= e->nunits;
				e->state = ENTRY_PROTECTED;
				ctl->protected_units += e->nunits;
				pg_atomic_write_u32(&e->usage, 1);
			}
			else
				try_evict(cursor, my_part);
			cursor = next;
			continue;
		}

		/* the protected part, by the clock */
		{
			int32		i = ctl->hand;
			CacheEntry *e = &entries[i];

			ctl->hand = (i + 1 < ctl->nentries) ? i + 1 : 0;
			if (e->state != ENTRY_PROTECTED)
				continue;
			if (pg_atomic_read_u32(&e->usage) > 0)
				pg_atomic_fetch_sub_u32(&e->usage, 1);
			else
				try_evict(i, my_part);
		}
	}
	return true;
}

void
tsdb_block_cache_put(Relation rel, BlockNumber blkno, uint16 offset,
					 const TsdbChunkImage *img, uint32 series_id,
					 const int64 *ts, const float8 *values, int n)
{
	CacheKey	key;
	uint32		hash;
	int			part;
	int32		need = entry_units(img, n);
	int32		i;
	int32		last;
	int32		k;
	CacheEntry *e;
	StreamPos	pos;

	Assert(ctl != NULL);
	if (n <= 0 || need > ctl->nunits / BC_MAX_ENTRY_SHARE)
		return;
	key_init(&key, rel, blkno, offset);
	hash = hash_bytes((const unsigned char *) &key, sizeof(CacheKey));
	part = KEY_PARTITION(hash);

	LWLockAcquire(PARTITION_LOCK(part), LW_EXCLUSIVE);
	i = lookup(&key, hash);
	if (i >= 0 && entry_matches(&entries[i], img, &pos))
	{
		/* another backend decoded the same chunk meanwhile */
		LWLockRelease(PARTITION_LOCK(part));
		return;
	}

	LWLockAcquire(CACHE_LOCK, LW_EXCLUSIVE);
	if (i >= 0)
		entry_drop(i);			/* the key's old bytes: replaced */
	if (!make_room(need, part))
	{
		LWLockRelease(CACHE_LOCK);
		LWLockRelease(PARTITION_LOCK(part));
		return;
	}
	i = ctl->free_entry;
	e = &entries[i];
	ctl->free_entry = e->next;
	ctl->nused_entries++;

	e->first_unit = last = ctl->free_unit;
	for (k = 1; k < need; k++)
		last = unit_next[last];
	ctl->free_unit = unit_next[last];
	unit_next[last] = -1;
	ctl->nfree_units -= need;
	e->nunits = need;

	/* the key is set before the cache lock goes: evictors read it */
	e->key = key;
	e->hash = hash;
	e->state = ENTRY_PROBATION;
	pg_atomic_write_u32(&e->usage, 0);
	e->next = -1;
	e->prev = ctl->prob_tail;
	if (ctl->prob_tail >= 0)
		entries[ctl->prob_tail].next = i;
	else
		ctl->prob_head = i;
	ctl->prob_tail = i;
	ctl->prob_units += need;
	LWLockRelease(CACHE_LOCK);

	/*
	 * Fill it under the partition lock only: an evictor that picks it now
	 * cannot get that lock and passes it by.
	 */
	for (k = 0; k < TSDB_CHUNK_IMAGE_PARTS; k++)
		e->len[k] = img->len[k];
	e->count = n;
	e->series_id = series_id;
	pos.unit = e->first_unit;
	pos.at = 0;
	{
		uint32		raw = image_bytes(img);
		static const char zeros[BC_PAIR] = {0};

		for (k = 0; k < TSDB_CHUNK_IMAGE_PARTS; k++)
			stream_write(&pos, img->part[k], img->len[k]);
		stream_write(&pos, zeros, TYPEALIGN(BC_PAIR, raw) - raw);
	}
	/* the pairs, a unit at a time (entry_read_samples' mirror) */
	k = 0;
	while (k < n)
	{
		char	   *p;
		int32		m;
		int32		j;

		if (pos.at == BC_UNIT)
		{
			pos.unit = unit_next[pos.unit];
			pos.at = 0;
		}
		p = UNIT_PTR(pos.unit) + pos.at;
		m = Min(n - k, (int32) ((BC_UNIT - pos.at) / BC_PAIR));
		for (j = 0; j < m; j++, k++, p += BC_PAIR)
		{
			memcpy(p, &ts[k], sizeof(int64));
			memcpy(p + sizeof(int64), &values[k], sizeof(float8));
		}
		pos.at += m * BC_PAIR;
	}

	e->hnext = buckets[hash & ctl->bucket_mask];
	buckets[hash & ctl->bucket_mask] = i;
	LWLockRelease(PARTITION_LOCK(part));
	pg_atomic_fetch_add_u64(&ctl->inserts, 1);
}

PG_FUNCTION_INFO_V1(tsdb_block_cache_stats);
PG_FUNCTION_INFO_V1(tsdb_block_cache_reset);

/* tsdb.block_cache_stats(): one row, see tsdb--1.0.sql. */
Datum
tsdb_block_cache_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[12];
	bool		nulls[12];
	int64		hits = 0;
	int64		misses = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	memset(nulls, 0, sizeof(nulls));
	if (ctl != NULL)
	{
		int32		used_units;
		int32		nentries;
		int32		protected_units;

		LWLockAcquire(CACHE_LOCK, LW_SHARED);
		used_units = ctl->nunits - ctl->nfree_units;
		nentries = ctl->nused_entries;
		protected_units = ctl->protected_units;
		LWLockRelease(CACHE_LOCK);
		hits = pg_atomic_read_u64(&ctl->hits);
		misses = pg_atomic_read_u64(&ctl->misses);
		values[0] = Int64GetDatum((int64) ctl->nunits * BC_UNIT);
		values[1] = Int64GetDatum((int64) used_units * BC_UNIT);
		values[2] = Int64GetDatum(nentries);
		values[3] = Int64GetDatum((int64) protected_units * BC_UNIT);
		values[5] = Int64GetDatum(misses);
		values[6] = Int64GetDatum(pg_atomic_read_u64(&ctl->inserts));
		values[7] = Int64GetDatum(pg_atomic_read_u64(&ctl->evictions));
		values[8] = Int64GetDatum(pg_atomic_read_u64(&ctl->stale));
	}
	else
	{
		int			k;

		for (k = 0; k <= 8; k++)
			values[k] = Int64GetDatum(0);
	}
	values[4] = Int64GetDatum(hits);
	if (hits + misses > 0)
		values[9] = Float8GetDatum((double) hits / (double) (hits + misses));
	else
		nulls[9] = true;
	values[10] = Int64GetDatum(session_hits);
	values[11] = Int64GetDatum(session_misses);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/*
 * tsdb.block_cache_reset(): empty the cache and zero its counters (and this
 * session's), for tests and before measurements.  Superuser only: it slows
 * everyone's reads down.
 */
Datum
tsdb_block_cache_reset(PG_FUNCTION_ARGS)
{
	int			p;
	int32		i;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be superuser to reset the tsdb block cache")));
	session_hits = session_misses = 0;
	if (ctl == NULL)
		PG_RETURN_VOID();

	/* every partition, then the cache lock: the documented order */
	for (p = 0; p < BC_PARTITIONS; p++)
		LWLockAcquire(PARTITION_LOCK(p), LW_EXCLUSIVE);
	LWLockAcquire(CACHE_LOCK, LW_EXCLUSIVE);
	for (i = 0; i < ctl->nentries; i++)
		if (entries[i].state != ENTRY_FREE)
			entry_drop(i);
	pg_atomic_write_u64(&ctl->hits, 0);
	pg_atomic_write_u64(&ctl->misses, 0);
	pg_atomic_write_u64(&ctl->inserts, 0);
	pg_atomic_write_u64(&ctl->evictions, 0);
	pg_atomic_write_u64(&ctl->stale, 0);
	ctl->hand = 0;
	LWLockRelease(CACHE_LOCK);
	for (p = BC_PARTITIONS - 1; p >= 0; p--)
		LWLockRelease(PARTITION_LOCK(p));
	PG_RETURN_VOID();
}
