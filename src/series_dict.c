/*-------------------------------------------------------------------------
 *
 * series_dict.c
 *	  The byte format of series dictionary entries: label sets front-coded
 *	  against the previous entry of the same page.
 *
 * Series created one after the other mostly differ in one label (the
 * metric name, a cpu, a mode, a device) and repeat the others (instance,
 * job) exactly, so an entry stores each of its labels as "same as the
 * previous entry's label at this position" (a bit) or as the length of the
 * prefix it shares with that label plus the rest.  On the real data that
 * is 18 bytes per label set instead of 98.  The first entry of a page is
 * coded against an empty label set, so every page decodes by itself.
 *
 * Entry, unaligned:
 *
 *	varint	series id - the previous entry's id (the first entry: the id)
 *	varint	number of labels n
 *	bytes	ceil(n / 8): bit i (LSB first) set when label i is the previous
 *			entry's label i (only for labels the previous entry has)
 *	then for each label whose bit is clear:
 *	varint	bytes shared with the previous entry's label i (0 if none)
 *	varint	length of the rest, then the rest
 *
 * where a label is "name\0value" (no trailing NUL).  The decoder rebuilds
 * the label set's canonical varlena (labels.h) and checks every length and
 * bit against what the page and the previous entry hold.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/rel.h"

#include "compress.h"
#include "labels.h"
#include "series.h"

/* A label set split into its labels: "name\0value" pieces of its bytes. */
typedef struct LabelPieces
{
	int			n;
	const char *ptr[TSDB_LABELS_MAX_PAIRS];
	uint16		len[TSDB_LABELS_MAX_PAIRS];
} LabelPieces;

/*
 * Split a label set's bytes after the varlena header (count, then
 * "name\0value\0" pairs).  False if they are not that.
 */
static bool
split_labels(const char *data, Size size, LabelPieces *lp)
{
	const char *p = data + LABELS_COUNT_SIZE;
	const char *end = data + size;
	uint16		n;
	int			i;

	if (size < LABELS_COUNT_SIZE)
		return false;
	memcpy(&n, data, sizeof(n));
	if (n > TSDB_LABELS_MAX_PAIRS)
		return false;
	for (i = 0; i < n; i++)
	{
		const char *name_end = memchr(p, '\0', end - p);
		const char *value_end;

		if (name_end == NULL || name_end == p)
			return false;
		value_end = memchr(name_end + 1, '\0', end - name_end - 1);
		if (value_end == NULL || value_end == name_end + 1)
			return false;
		lp->ptr[i] = p;
		lp->len[i] = value_end - p;
		p = value_end + 1;
	}
	lp->n = n;
	return p == end;
}

static int
shared_prefix(const char *a, int alen, const char *b, int blen)
{
	int			k = 0;
	int			max = Min(alen, blen);

	while (k < max && a[k] == b[k])
		k++;
	return k;
}

/*
 * Encode the entry of a label set (its bytes after the varlena header)
 * with the given series id into out (TSDB_DICT_ENTRY_MAX bytes), against
 * the previous entry of the page (prev_id and its label set, or 0 and NULL
 * for the first entry of a page).  Returns the entry's length.
 */
Size
tsdb_dict_encode(char *out, uint32 series_id, const char *data, Size size,
				 uint32 prev_id, const struct varlena *prev)
{
	LabelPieces *cur = palloc(sizeof(LabelPieces));
	LabelPieces *old = palloc(sizeof(LabelPieces));
	uint8	   *p = (uint8 *) out;
	uint8	   *bitmap;
	int			i;

	if (!split_labels(data, size, cur))
		elog(ERROR, "tsdb label set of series %u is malformed", series_id);
	if (prev == NULL)
		old->n = 0;
	else if (!split_labels(VARDATA_ANY(prev), VARSIZE_ANY_EXHDR(prev), old))
		elog(ERROR, "tsdb label set of series %u is malformed", prev_id);
	Assert(series_id > prev_id);

	p = tsdb_varint_put(p, series_id - prev_id);
	p = tsdb_varint_put(p, cur->n);
	bitmap = p;
	memset(bitmap, 0, (cur->n + 7) / 8);
	p += (cur->n + 7) / 8;
	for (i = 0; i < cur->n; i++)
	{
		const char *o = i < old->n ? old->ptr[i] : NULL;
		int			olen = i < old->n ? old->len[i] : 0;
		int			shared;

		if (olen == cur->len[i] && memcmp(o, cur->ptr[i], olen) == 0)
		{
			bitmap[i / 8] |= 1 << (i % 8);
			continue;
		}
		shared = o ? shared_prefix(o, olen, cur->ptr[i], cur->len[i]) : 0;
		p = tsdb_varint_put(p, shared);
		p = tsdb_varint_put(p, cur->len[i] - shared);
		memcpy(p, cur->ptr[i] + shared, cur->len[i] - shared);
		p += cur->len[i] - shared;
	}
	pfree(cur);
	pfree(old);
	Assert((char *) p - out <= TSDB_DICT_ENTRY_MAX);
	return (char *) p - out;
}

/*
 * Decoding state for the entries of one page, from its first entry or
 * resumed after one already decoded.  The decoded label set alternates
 * between two buffers: the previous one is what the next entry refers to.
 */
struct TsdbDictReader
{
	Relation	rel;
	BlockNumber blkno;
	const uint8 *page;
	uint16		off;			/* next entry */
	uint16		end;			/* pd_lower */
	uint32		prev_id;
	int			cur;			/* buffer of the last decoded label set */
	char	   *buf[2];			/* label set varlenas */
	LabelPieces pieces[2];		/* their labels */
};

TsdbDictReader *
tsdb_dict_reader_create(Relation rel)
{
	TsdbDictReader *r = palloc0(sizeof(TsdbDictReader));

	r->rel = rel;
	r->buf[0] = palloc(TSDB_LABELS_MAX_SIZE);
	r->buf[1] = palloc(TSDB_LABELS_MAX_SIZE);
	return r;
}

void
tsdb_dict_reader_free(TsdbDictReader *r)
{
	pfree(r->buf[0]);
	pfree(r->buf[1]);
	pfree(r);
}

static void
dict_corrupted(TsdbDictReader *r, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("tsdb relation \"%s\" has a corrupted series dictionary page at block %u",
					RelationGetRelationName(r->rel), r->blkno),
			 errdetail("%s (entry at offset %u)", detail, r->off)));
}

/*
 * Start decoding a dictionary page (locked by the caller) at "offset",
 * where the entry after the one of prev_id (label set prev) begins; or at
 * the first entry with offset 0, prev_id 0 and prev NULL.
 */
void
tsdb_dict_reader_start(TsdbDictReader *r, Page page, BlockNumber blkno,
					   uint16 offset, uint32 prev_id,
					   const struct varlena *prev)
{
	r->page = (const uint8 *) page;
	r->blkno = blkno;
	r->end = ((PageHeader) page)->pd_lower;
	r->off = offset ? offset : MAXALIGN(SizeOfPageHeaderData);
	r->prev_id = prev_id;
	r->cur = 0;
	r->pieces[0].n = 0;
	if (r->off > r->end)
		dict_corrupted(r, "The page ends before its entries already read.");
	if (prev != NULL)
	{
		Size		size = VARSIZE_ANY_EXHDR(prev);

		if (VARHDRSZ + size > TSDB_LABELS_MAX_SIZE)
			elog(ERROR, "tsdb label set of series %u is too large", prev_id);
		SET_VARSIZE(r->buf[0], VARHDRSZ + size);
		memcpy(VARDATA(r->buf[0]), VARDATA_ANY(prev), size);
		if (!split_labels(VARDATA(r->buf[0]), size, &r->pieces[0]))
			elog(ERROR, "tsdb label set of series %u is malformed", prev_id);
	}
}

/* Read a varint of the entry, which must not pass the page's end. */
static uint64
entry_varint(TsdbDictReader *r, const uint8 **p)
{
	uint64		v;

	if (tsdb_varint_get(p, r->page + r->end, &v) != TSDB_CODEC_OK)
		dict_corrupted(r, "An entry overruns the page.");
	return v;
}

/*
 * Decode the next entry: false at the end of the page's entries.  The
 * label set is a varlena valid until the next call.
 */
bool
tsdb_dict_reader_next(TsdbDictReader *r, uint32 *series_id,
					  struct varlena **labels)
{
	const uint8 *p = r->page + r->off;
	const uint8 *end = r->page + r->end;
	int			next = 1 - r->cur;
	LabelPieces *old = &r->pieces[r->cur];
	LabelPieces *lp = &r->pieces[next];
	char	   *out = r->buf[next];
	char	   *o;
	const uint8 *bitmap;
	uint64		delta;
	uint64		n;
	uint16		n16;
	int			i;

	if (r->off >= r->end)
		return false;
	delta = entry_varint(r, &p);
	if (delta == 0 || delta > PG_UINT32_MAX - r->prev_id)
		dict_corrupted(r, "An entry's series id does not follow the previous one.");
	n = entry_varint(r, &p);
	if (n > TSDB_LABELS_MAX_PAIRS)
		dict_corrupted(r, "An entry has too many labels.");
	if ((uint64) (end - p) < (n + 7) / 8)
		dict_corrupted(r, "An entry overruns the page.");
	bitmap = p;
	p += (n + 7) / 8;
	if (n % 8 != 0 && (bitmap[n / 8] >> (n % 8)) != 0)
		dict_corrupted(r, "An entry has bits set past its labels.");

	n16 = (uint16) n;
	memcpy(out + VARHDRSZ, &n16, sizeof(n16));
	o = out + VARHDRSZ + LABELS_COUNT_SIZE;
	for (i = 0; i < (int) n; i++)
	{
		const char *src;
		int			len;
		int			shared = 0;
		uint64		rest = 0;

		if (bitmap[i / 8] & (1 << (i % 8)))
		{
			if (i >= old->n)
				dict_corrupted(r, "An entry repeats a label the previous entry does not have.");
			len = old->len[i];
			src = old->ptr[i];
		}
		else
		{
			int			olen = i < old->n ? old->len[i] : 0;
			uint64		sh = entry_varint(r, &p);

			rest = entry_varint(r, &p);
			/* "n\0v" at least; the rest is empty when a prefix repeats */
			if (sh > (uint64) olen || rest > (uint64) (end - p) ||
				sh + rest < 3 || sh + rest > TSDB_LABELS_MAX_SIZE)
				dict_corrupted(r, "An entry's label lengths are inconsistent.");
			shared = (int) sh;
			len = shared + (int) rest;
			src = shared ? old->ptr[i] : NULL;
		}
		/* the label and its terminating NUL must fit in a label set */
		if (o + len + 1 - out > TSDB_LABELS_MAX_SIZE)
			dict_corrupted(r, "An entry's label set is too large.");
		if (src)
			memcpy(o, src, len - rest);
		memcpy(o + len - rest, p, rest);
		p += rest;
		o[len] = '\0';
		/* exactly one NUL inside, between a name and a value */
		{
			const char *nul = memchr(o, '\0', len);

			if (nul == NULL || nul == o || nul == o + len - 1 ||
				memchr(nul + 1, '\0', o + len - nul - 1) != NULL)
				dict_corrupted(r, "An entry's label is not a name and a value.");
		}
		lp->ptr[i] = o;
		lp->len[i] = len;
		o += len + 1;
	}
	lp->n = (int) n;
	SET_VARSIZE(out, o - out);

	r->prev_id += (uint32) delta;
	r->off = p - r->page;
	r->cur = next;
	*series_id = r->prev_id;
	*labels = (struct varlena *) out;
	return true;
}

/* Where the next entry starts (pd_lower once all are read). */
uint16
tsdb_dict_reader_offset(TsdbDictReader *r)
{
	return r->off;
}
