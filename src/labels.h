/*-------------------------------------------------------------------------
 *
 * labels.h
 *	  The tsdb.labels type: a canonical, sorted Prometheus label set.
 *
 * On-disk form (a varlena): a uint16 label count, then for each label
 * "name\0value\0", sorted by name in byte order, no empty values and no
 * duplicate names.  Because the form is canonical, two label sets are equal
 * exactly when their bytes are equal, and memcmp order of the bytes is the
 * lexicographic order of their (name, value) pairs.  The storage engine
 * relies on that: it hashes and compares label sets as bytes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_LABELS_H
#define TSDB_LABELS_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

typedef struct LabelsData
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint16		nlabels;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} LabelsData;

typedef LabelsData *Labels;

/* Size of the label count that precedes the pairs. */
#define LABELS_COUNT_SIZE		sizeof(uint16)

/*
 * Largest label set, in bytes of its on-disk form.  It must fit in one series
 * dictionary page with room to spare.
 */
#define TSDB_LABELS_MAX_SIZE	4096

/* Most labels a set can have: each takes at least "n\0v\0". */
#define TSDB_LABELS_MAX_PAIRS \
	((TSDB_LABELS_MAX_SIZE - VARHDRSZ - LABELS_COUNT_SIZE) / 4)

/*
 * Label sets are read in place, also with the 1-byte varlena header heap
 * tuples give short values: detoasting to the 4-byte form would copy every
 * value on every call (every comparison of a sort).  So no code reads the
 * LabelsData fields of a datum directly; it uses these accessors.
 */
#define DatumGetLabelsPP(d)		((Labels) PG_DETOAST_DATUM_PACKED(d))
#define PG_GETARG_LABELS_PP(n)	DatumGetLabelsPP(PG_GETARG_DATUM(n))
#define PG_RETURN_LABELS(x)		PG_RETURN_POINTER(x)

static inline uint16
labels_nlabels(Labels l)
{
	uint16		n;

	memcpy(&n, VARDATA_ANY(l), sizeof(n));
	return n;
}

/* The "name\0value\0..." pairs, and their length in bytes. */
#define LABELS_PAIRS(l)			(VARDATA_ANY(l) + LABELS_COUNT_SIZE)
#define LABELS_PAIRS_SIZE(l)	(VARSIZE_ANY_EXHDR(l) - LABELS_COUNT_SIZE)

#define LABELS_NAME_LABEL		"__name__"

/* Hash of a label set's canonical bytes (also used by the storage engine). */
extern uint32 labels_hash_bytes(const char *data, int len);

/* Look up one label's value; NULL if absent.  *len gets its length. */
extern const char *labels_get_value(Labels labels, const char *name, int *len);

/* ---- the selector syntax (labels_parse.c) ---- */

typedef enum LabelOp
{
	LABEL_OP_EQ,				/* = */
	LABEL_OP_NE,				/* != */
	LABEL_OP_RE,				/* =~ */
	LABEL_OP_NRE				/* !~ */
} LabelOp;

typedef struct LabelItem
{
	char	   *name;
	LabelOp		op;
	char	   *value;
} LabelItem;

extern List *labels_parse_selector(const char *input, const char *what,
								   bool allow_ops);
extern bool labels_valid_metric_name(const char *s, int len);
extern bool labels_valid_label_name(const char *s, int len);
extern void labels_append_quoted(StringInfo buf, const char *value);

/* ---- matchers (labels_match.c), also for scans that push them down ---- */

typedef struct LabelMatcherSet LabelMatcherSet;

/* Parse and compile a selector; lives in the current memory context. */
extern LabelMatcherSet *labels_matcher_parse(const char *text);
extern bool labels_matcher_eval(LabelMatcherSet *set, Labels labels);
extern int	labels_matcher_count(LabelMatcherSet *set);
extern const char *labels_matcher_get(LabelMatcherSet *set, int i, LabelOp *op,
									  const char **value);
extern bool labels_matcher_eval_value(LabelMatcherSet *set, int i,
									  const char *value, int len);

#endif							/* TSDB_LABELS_H */
