/*-------------------------------------------------------------------------
 *
 * label_index_sql.c
 *	  SQL functions over the label index: the series ids a scan gets for a
 *	  matcher or a label set, a series' newest-sample hint, and the timing
 *	  of the index against the dictionary walk (bench/label_index.sh).
 *
 * tsdb.label_index_stats(), which reads the index's shared state, is in
 * label_index.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "label_index.h"
#include "series.h"
#include "tsdb.h"

PG_FUNCTION_INFO_V1(tsdb_label_index_match_sql);
PG_FUNCTION_INFO_V1(tsdb_label_index_lookup_sql);
PG_FUNCTION_INFO_V1(tsdb_label_index_newest_sql);

/* A tsdb table the caller may read. */
static Relation
lix_open_relation(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	AclResult	aclresult;

	if (!tsdb_relation_is_tsdb(rel))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a tsdb table", RelationGetRelationName(rel)),
				 errhint("The label index serves tables created USING tsdb.")));
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, RelationGetRelationName(rel));
	return rel;
}

/*
 * tsdb.label_index_match(rel, matcher, use_index): the series ids
 * tsdb_series_match() gives a scan, or with use_index false those of the
 * plain walk of the series dictionary, to compare and time the two.
 */
Datum
tsdb_label_index_match_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel = lix_open_relation(PG_GETARG_OID(0));
	LabelMatcherSet *set;
	uint32	   *ids;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	set = labels_matcher_parse(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	if (PG_GETARG_BOOL(2))
		ids = tsdb_series_match(rel, set, &n);
	else
		ids = tsdb_series_match_dictionary(rel, set, &n);
	for (i = 0; i < n; i++)
	{
		Datum		value = Int64GetDatum(ids[i]);
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

/* tsdb.label_index_lookup(rel, labels): the series id, NULL if unknown. */
Datum
tsdb_label_index_lookup_sql(PG_FUNCTION_ARGS)
{
	Relation	rel = lix_open_relation(PG_GETARG_OID(0));
	struct varlena *labels = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(1));
	uint32		id;

	id = tsdb_series_lookup(rel, labels);
	table_close(rel, AccessShareLock);
	if (id == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(id);
}

/* tsdb.label_index_newest(rel, series_id): the newest-sample hint. */
Datum
tsdb_label_index_newest_sql(PG_FUNCTION_ARGS)
{
	Relation	rel = lix_open_relation(PG_GETARG_OID(0));
	int64		series_id = PG_GETARG_INT64(1);
	TsdbMetaPageData meta;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int64		ts;
	float8		value;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tsdb_read_meta(rel, &meta);
	if (series_id <= 0 || series_id > PG_UINT32_MAX ||
		!tsdb_label_index_newest(rel, meta.storage_id, (uint32) series_id,
								 &ts, &value))
	{
		table_close(rel, AccessShareLock);
		PG_RETURN_NULL();
	}
	table_close(rel, AccessShareLock);
	values[0] = TimestampTzGetDatum(ts);
	values[1] = Float8GetDatum(value);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(tsdb_label_index_bench);

/*
 * tsdb.label_index_bench(rel, matcher, loops): microseconds per call of
 * tsdb_series_match() through the label index and through the walk of the
 * series dictionary, the matcher parsed once, after a warm-up of each (the
 * index built, the backend's cache loaded); for bench/label_index.sh.
 */
Datum
tsdb_label_index_bench(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel = lix_open_relation(PG_GETARG_OID(0));
	int32		loops = PG_GETARG_INT32(2);
	LabelMatcherSet *set;
	int			path;

	if (loops < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("loops must be at least 1")));
	InitMaterializedSRF(fcinfo, 0);
	set = labels_matcher_parse(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	for (path = 0; path < 2; path++)
	{
		instr_time	start;
		instr_time	elapsed;
		int			n = 0;
		int			i;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		for (i = -1; i < loops; i++)
		{
			uint32	   *ids;

			if (i == 0)
				INSTR_TIME_SET_CURRENT(start);
			ids = path == 0 ? tsdb_series_match(rel, set, &n) :
				tsdb_series_match_dictionary(rel, set, &n);
			pfree(ids);
			CHECK_FOR_INTERRUPTS();
		}
		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		values[0] = CStringGetTextDatum(path == 0 ? "index" : "dictionary");
		values[1] = Float8GetDatum(INSTR_TIME_GET_MICROSEC(elapsed) / (double) loops);
		values[2] = Int64GetDatum(n);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}
