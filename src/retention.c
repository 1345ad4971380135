/*-------------------------------------------------------------------------
 *
 * retention.c
 *	  tsdb.drop_before(): removing the samples older than a cutoff, with
 *	  the MVCC hand-over of compaction.
 *
 * In the caller's transaction X: segments whose newest sample is older
 * than the cutoff are retired (xmax = X); a segment that straddles the
 * cutoff is rewritten into a new one without its old samples; committed
 * head runs that hold old samples are consumed (xmax = X) and their newer
 * samples written to a new segment.  It is a compaction that filters by
 * time, and compaction.c does it.  A snapshot taken before X commits keeps
 * seeing every sample; later ones see none older than the cutoff.
 *
 * Samples of transactions still in progress, the caller's own included,
 * are not touched, just as DELETE does not see rows inserted by
 * transactions it cannot see: they stay until a later call.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "funcapi.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "merge_policy.h"
#include "meta.h"
#include "retention.h"
#include "segment.h"
#include "tsdb.h"

PG_FUNCTION_INFO_V1(tsdb_drop_before);
PG_FUNCTION_INFO_V1(tsdb_retention_cutoff_sql);

/*
 * Remove the samples older than cutoff.  The caller holds
 * ShareUpdateExclusiveLock on the tsdb table and has checked the
 * privileges; the table must not have been compacted or trimmed in this
 * transaction already.
 */
void
tsdb_drop_before_relation(Relation rel, TimestampTz cutoff,
						  TsdbCompactStats *stats)
{
	if (!CheckRelationLockedByMe(rel, ShareUpdateExclusiveLock, true))
		elog(ERROR, "tsdb retention of \"%s\" without ShareUpdateExclusiveLock",
			 RelationGetRelationName(rel));
	/* nothing is older than -infinity (whose value means "no cutoff") */
	if (TIMESTAMP_IS_NOBEGIN(cutoff))
	{
		memset(stats, 0, sizeof(TsdbCompactStats));
		return;
	}
	tsdb_rewrite_relation(rel, false, false, cutoff, stats);
}

/*
 * A compaction that applies retention in the same step (one rewrite, so
 * one transaction can do both): every committed head sample is moved, and
 * none older than cutoff is kept; merge_all as for tsdb.compact().  Same
 * conditions as tsdb_drop_before_relation(); a cutoff of -infinity makes it
 * a plain compaction.  tsdb.compact() calls it.
 */
void
tsdb_compact_drop_before_relation(Relation rel, bool merge_all,
								  TimestampTz cutoff, TsdbCompactStats *stats)
{
	if (!CheckRelationLockedByMe(rel, ShareUpdateExclusiveLock, true))
		elog(ERROR, "tsdb compaction of \"%s\" without ShareUpdateExclusiveLock",
			 RelationGetRelationName(rel));
	tsdb_rewrite_relation(rel, true, merge_all,
						  TIMESTAMP_IS_NOBEGIN(cutoff) ? TSDB_NO_CUTOFF : cutoff,
						  stats);
}

/*
 * Where the table's retention cuts now: now - tsdb.retention, rounded down
 * to a multiple of the widest merge window (a tenth of the retention), so
 * that retention drops whole top-level segments instead of rewriting one
 * every time; samples stay up to a tenth of the retention longer, as in
 * Prometheus, whose blocks go whole.  False if the table has no retention.
 */
bool
tsdb_retention_cutoff(Relation rel, TimestampTz now, TimestampTz *cutoff)
{
	Interval	retention;
	TimestampTz c;
	int64		w;
	int64		q;

	if (!tsdb_relation_retention(rel, &retention))
		return false;
	c = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
												TimestampTzGetDatum(now),
												IntervalPGetDatum(&retention)));
	if (TIMESTAMP_NOT_FINITE(c))
	{
		*cutoff = c;
		return true;
	}
	w = tsdb_merge_top_window(rel);
	q = c / w;
	if (c % w < 0)
		q--;
	*cutoff = q * w;
	return true;
}

/*
 * Whether applying a cutoff would retire or rewrite a segment: a live one
 * holds samples older than it.  Reads the metapage only, so the background
 * worker can ask at every visit; head samples older than the cutoff (late
 * arrivals) are not looked for: the next compaction, which the worker runs
 * with the same cutoff, drops them.
 */
bool
tsdb_retention_due(Relation rel, TimestampTz cutoff)
{
	TsdbMetaPageData *meta;
	bool		due = false;
	uint32		i;

	if (TIMESTAMP_IS_NOBEGIN(cutoff))
		return false;
	meta = palloc(sizeof(TsdbMetaPageData));
	tsdb_read_meta(rel, meta);
	for (i = 0; i < meta->nsegments && !due; i++)
	{
		const TsdbSegmentEntry *seg = &meta->segments[i];

		due = seg->nsamples > 0 && seg->min_ts < cutoff &&
			tsdb_segment_live(seg);
	}
	pfree(meta);
	return due;
}

/*
 * tsdb.drop_before(rel regclass, older_than timestamptz) RETURNS record
 * (samples_removed, segments_dropped, segments_rewritten).
 */
Datum
tsdb_drop_before(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	TimestampTz cutoff = PG_GETARG_TIMESTAMPTZ(1);
	Relation	rel;
	TsdbCompactStats stats;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "tsdb.drop_before() must return a record");
	rel = tsdb_open_for_rewrite(relid, "tsdb.drop_before()");
	tsdb_drop_before_relation(rel, cutoff, &stats);
	table_close(rel, NoLock);

	values[0] = Int64GetDatum(stats.samples_removed);
	values[1] = Int32GetDatum(stats.segments_dropped);
	values[2] = Int32GetDatum(stats.segments_rewritten);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/*
 * tsdb.retention_cutoff(rel regclass, now timestamptz) RETURNS timestamptz:
 * where applying the table's retention at "now" would cut, NULL if it has
 * no retention.
 */
Datum
tsdb_retention_cutoff_sql(PG_FUNCTION_ARGS)
{
	Relation	rel = table_open(PG_GETARG_OID(0), AccessShareLock);
	TimestampTz cutoff;
	bool		found;

	found = tsdb_relation_is_tsdb(rel) &&
		tsdb_retention_cutoff(rel, PG_GETARG_TIMESTAMPTZ(1), &cutoff);
	table_close(rel, AccessShareLock);
	if (!found)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(cutoff);
}
