/*-------------------------------------------------------------------------
 *
 * labels.c
 *	  The tsdb.labels type: input, output, binary I/O, comparison, hashing,
 *	  and the -> and @> operators.
 *
 * Input is canonicalized (labels sorted by name, empty values dropped,
 * duplicates refused), so equality, hashing and ordering work on the bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/sortsupport.h"

#include "labels.h"

PG_FUNCTION_INFO_V1(labels_in);
PG_FUNCTION_INFO_V1(labels_out);
PG_FUNCTION_INFO_V1(labels_recv);
PG_FUNCTION_INFO_V1(labels_send);
PG_FUNCTION_INFO_V1(labels_eq);
PG_FUNCTION_INFO_V1(labels_ne);
PG_FUNCTION_INFO_V1(labels_lt);
PG_FUNCTION_INFO_V1(labels_le);
PG_FUNCTION_INFO_V1(labels_gt);
PG_FUNCTION_INFO_V1(labels_ge);
PG_FUNCTION_INFO_V1(labels_cmp);
PG_FUNCTION_INFO_V1(labels_sortsupport);
PG_FUNCTION_INFO_V1(labels_hash);
PG_FUNCTION_INFO_V1(labels_hash_extended);
PG_FUNCTION_INFO_V1(labels_get);
PG_FUNCTION_INFO_V1(labels_contains);
PG_FUNCTION_INFO_V1(labels_contained);

uint32
labels_hash_bytes(const char *data, int len)
{
	return hash_bytes((const unsigned char *) data, len);
}

static int
item_name_cmp(const ListCell *a, const ListCell *b)
{
	const LabelItem *ia = lfirst(a);
	const LabelItem *ib = lfirst(b);

	return strcmp(ia->name, ib->name);
}

/*
 * Build the canonical form of a list of name = value items, validating
 * names and size.  "input" is for messages.
 */
static Labels
labels_build(List *items, const char *input)
{
	ListCell   *lc;
	const char *prev = NULL;
	Size		size = offsetof(LabelsData, data);
	int			n = 0;
	Labels		result;
	char	   *p;

	foreach(lc, items)
	{
		LabelItem  *item = lfirst(lc);
		int			nlen = strlen(item->name);

		if (!labels_valid_label_name(item->name, nlen))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid label name \"%s\" in tsdb.labels: \"%s\"",
							item->name, input),
					 errdetail("Label names must match [a-zA-Z_][a-zA-Z0-9_]*.")));
		if (strcmp(item->name, LABELS_NAME_LABEL) == 0 && item->value[0] != '\0' &&
			!labels_valid_metric_name(item->value, strlen(item->value)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid metric name \"%s\" in tsdb.labels: \"%s\"",
							item->value, input),
					 errdetail("Metric names must match [a-zA-Z_:][a-zA-Z0-9_:]*.")));
	}

	/* sort by name; then duplicates are neighbours (checked before empties go) */
	list_sort(items, item_name_cmp);
	foreach(lc, items)
	{
		LabelItem  *item = lfirst(lc);

		if (prev && strcmp(prev, item->name) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("duplicate label name \"%s\" in tsdb.labels: \"%s\"",
							item->name, input)));
		prev = item->name;
		if (item->value[0] == '\0')
			continue;			/* an empty value is the same as no label */
		size += strlen(item->name) + 1 + strlen(item->value) + 1;
		n++;
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("tsdb.labels needs at least one label with a non-empty value: \"%s\"",
						input)));
	if (size > TSDB_LABELS_MAX_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("label set is too large"),
				 errdetail("The label set takes %zu bytes; the limit is %d.",
						   size, TSDB_LABELS_MAX_SIZE)));
	if (n > PG_UINT16_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("label set has too many labels")));

	result = palloc0(size);
	SET_VARSIZE(result, size);
	result->nlabels = n;
	p = result->data;
	foreach(lc, items)
	{
		LabelItem  *item = lfirst(lc);
		int			nlen,
					vlen;

		if (item->value[0] == '\0')
			continue;
		nlen = strlen(item->name) + 1;
		vlen = strlen(item->value) + 1;
		memcpy(p, item->name, nlen);
		p += nlen;
		memcpy(p, item->value, vlen);
		p += vlen;
	}
	return result;
}

Datum
labels_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	List	   *items;

	/* Bound the work before parsing: the result cannot be larger. */
	if (strlen(input) > 4 * TSDB_LABELS_MAX_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("label set is too large"),
				 errdetail("The input is %zu bytes long.", strlen(input))));
	items = labels_parse_selector(input, "tsdb.labels", false);
	PG_RETURN_LABELS(labels_build(items, input));
}

/* Iterate over the (name, value) pairs of a label set. */
#define LABELS_FOREACH(labels, name, value, i, p) \
	for ((i) = 0, (p) = LABELS_PAIRS(labels); \
		 (i) < labels_nlabels(labels) && \
		 ((name) = (p), (value) = (p) + strlen(p) + 1, \
		  (p) = (char *) (value) + strlen(value) + 1, true); \
		 (i)++)

Datum
labels_out(PG_FUNCTION_ARGS)
{
	Labels		labels = PG_GETARG_LABELS_PP(0);
	StringInfoData buf;
	const char *name;
	const char *value;
	const char *p;
	int			i;
	const char *metric = NULL;
	bool		any = false;

	initStringInfo(&buf);
	LABELS_FOREACH(labels, name, value, i, p)
	{
		if (strcmp(name, LABELS_NAME_LABEL) == 0)
			metric = value;
	}
	if (metric)
		appendStringInfoString(&buf, metric);
	LABELS_FOREACH(labels, name, value, i, p)
	{
		if (value == metric)
			continue;
		appendStringInfoChar(&buf, any ? ',' : '{');
		appendStringInfoString(&buf, name);
		appendStringInfoChar(&buf, '=');
		labels_append_quoted(&buf, value);
		any = true;
	}
	if (any)
		appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: a version byte, then the text form in the client encoding
 * (as jsonb does).  Received data is parsed, validated and canonicalized
 * exactly like text input, never trusted.
 */
#define LABELS_BINARY_VERSION 1

Datum
labels_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(msg);
	char	   *text;
	int			nbytes;

	if (version != LABELS_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary tsdb.labels version %d", version)));
	text = pq_getmsgtext(msg, msg->len - msg->cursor, &nbytes);
	if ((int) strlen(text) != nbytes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("binary tsdb.labels contains a zero byte")));
	PG_RETURN_DATUM(DirectFunctionCall1(labels_in, CStringGetDatum(text)));
}

Datum
labels_send(PG_FUNCTION_ARGS)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(labels_out,
														   PG_GETARG_DATUM(0)));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, LABELS_BINARY_VERSION);
	pq_sendtext(&buf, text, strlen(text));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Order: the pairs compared as bytes ("name\0value\0..."), which is
 * lexicographic order of (name, value) pairs; the count is not compared.
 */
static int
labels_compare(Labels a, Labels b)
{
	int			la = LABELS_PAIRS_SIZE(a);
	int			lb = LABELS_PAIRS_SIZE(b);
	int			r = memcmp(LABELS_PAIRS(a), LABELS_PAIRS(b), Min(la, lb));

	if (r != 0)
		return r;
	return (la > lb) - (la < lb);
}

/* Sort support: compare without a function call and without copies. */
static int
labels_fastcmp(Datum x, Datum y, SortSupport ssup)
{
	Labels		a = DatumGetLabelsPP(x);
	Labels		b = DatumGetLabelsPP(y);
	int			r = labels_compare(a, b);

	if ((Pointer) a != DatumGetPointer(x))
		pfree(a);
	if ((Pointer) b != DatumGetPointer(y))
		pfree(b);
	return r;
}

Datum
labels_sortsupport(PG_FUNCTION_ARGS)
{
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0);

	ssup->comparator = labels_fastcmp;
	PG_RETURN_VOID();
}

#define LABELS_CMP_FN(fname, expr) \
Datum \
fname(PG_FUNCTION_ARGS) \
{ \
	Labels		a = PG_GETARG_LABELS_PP(0); \
	Labels		b = PG_GETARG_LABELS_PP(1); \
	int			c = labels_compare(a, b); \
	PG_FREE_IF_COPY(a, 0); \
	PG_FREE_IF_COPY(b, 1); \
	PG_RETURN_BOOL(expr); \
}

LABELS_CMP_FN(labels_lt, c < 0)
LABELS_CMP_FN(labels_le, c <= 0)
LABELS_CMP_FN(labels_gt, c > 0)
LABELS_CMP_FN(labels_ge, c >= 0)

static bool
labels_equal(Labels a, Labels b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

Datum
labels_eq(PG_FUNCTION_ARGS)
{
	Labels		a = (Labels) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	Labels		b = (Labels) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(1));

	PG_RETURN_BOOL(labels_equal(a, b));
}

Datum
labels_ne(PG_FUNCTION_ARGS)
{
	Labels		a = (Labels) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	Labels		b = (Labels) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(1));

	PG_RETURN_BOOL(!labels_equal(a, b));
}

Datum
labels_cmp(PG_FUNCTION_ARGS)
{
	Labels		a = PG_GETARG_LABELS_PP(0);
	Labels		b = PG_GETARG_LABELS_PP(1);
	int			r = labels_compare(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	PG_RETURN_INT32(r);
}

Datum
labels_hash(PG_FUNCTION_ARGS)
{
	Labels		a = (Labels) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));

	PG_RETURN_UINT32(labels_hash_bytes(VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a)));
}

Datum
labels_hash_extended(PG_FUNCTION_ARGS)
{
	Labels		a = (Labels) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));

	PG_RETURN_DATUM(hash_bytes_extended((const unsigned char *) VARDATA_ANY(a),
										VARSIZE_ANY_EXHDR(a),
										PG_GETARG_INT64(1)));
}

const char *
labels_get_value(Labels labels, const char *want, int *len)
{
	const char *name;
	const char *value;
	const char *p;
	int			i;

	LABELS_FOREACH(labels, name, value, i, p)
	{
		int			c = strcmp(name, want);

		if (c == 0)
		{
			*len = strlen(value);
			return value;
		}
		if (c > 0)
			break;				/* sorted: it is not there */
	}
	return NULL;
}

/* labels -> 'name': the label's value, NULL when absent */
Datum
labels_get(PG_FUNCTION_ARGS)
{
	Labels		labels = PG_GETARG_LABELS_PP(0);
	char	   *want = text_to_cstring(PG_GETARG_TEXT_PP(1));
	const char *value;
	int			len;

	value = labels_get_value(labels, want, &len);
	if (value == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(value, len));
}

/* Does a contain every label of b (same name, same value)? */
static bool
labels_subset(Labels a, Labels b)
{
	const char *name;
	const char *value;
	const char *p;
	int			i;

	LABELS_FOREACH(b, name, value, i, p)
	{
		int			len;
		const char *v = labels_get_value(a, name, &len);

		if (v == NULL || strcmp(v, value) != 0)
			return false;
	}
	return true;
}

Datum
labels_contains(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(labels_subset(PG_GETARG_LABELS_PP(0), PG_GETARG_LABELS_PP(1)));
}

Datum
labels_contained(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(labels_subset(PG_GETARG_LABELS_PP(1), PG_GETARG_LABELS_PP(0)));
}
