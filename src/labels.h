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

typedef struct LabelsData
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint16		nlabels;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} LabelsData;

typedef LabelsData *Labels;

/*
 * Largest label set, in bytes of its on-disk form.  It must fit in one series
 * dictionary page with room to spare.
 */
#define TSDB_LABELS_MAX_SIZE	4096

#define DatumGetLabels(d)		((Labels) PG_DETOAST_DATUM(d))
#define PG_GETARG_LABELS(n)		DatumGetLabels(PG_GETARG_DATUM(n))
#define PG_RETURN_LABELS(x)		PG_RETURN_POINTER(x)

/* Hash of a label set's canonical bytes (also used by the storage engine). */
extern uint32 labels_hash_bytes(const char *data, int len);

#endif							/* TSDB_LABELS_H */
