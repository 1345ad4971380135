/*-------------------------------------------------------------------------
 *
 * inspect.c
 *	  SQL functions that show a tsdb table's storage: its page types, head
 *	  runs, series dictionary and segments.  For tests, debugging and the
 *	  curious.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "am.h"
#include "head.h"
#include "meta.h"
#include "segment.h"
#include "series.h"
#include "tsdb.h"

PG_FUNCTION_INFO_V1(tsdb_page_types);
PG_FUNCTION_INFO_V1(tsdb_head_runs);
PG_FUNCTION_INFO_V1(tsdb_series_list);
PG_FUNCTION_INFO_V1(tsdb_segments);
PG_FUNCTION_INFO_V1(tsdb_chunks);

/* Open a relation the caller may read, and check that it is a tsdb table. */
static Relation
open_tsdb_relation(Oid relid)
{
	Relation	rel;
	AclResult	aclresult;

	rel = table_open(relid, AccessShareLock);
	if (!tsdb_relation_is_tsdb(rel))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a tsdb table",
						RelationGetRelationName(rel))));
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, RelationGetRelationName(rel));
	return rel;
}

/*
 * tsdb.page_types(regclass): how many pages of each kind the relation has,
 * (page_type, pages), every kind listed even when it has none.  "unused"
 * pages were never initialized (an extension cut short by a crash);
 * "unknown" ones carry no tsdb page type.  Storage-size tests count pages
 * with this.
 */
Datum
tsdb_page_types(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {
		"meta", "dictionary", "head", "segment", "unused", "unknown"
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel = open_tsdb_relation(PG_GETARG_OID(0));
	BufferAccessStrategy strategy = GetAccessStrategy(BAS_BULKREAD);
	int64		counts[lengthof(names)] = {0};
	BlockNumber nblocks;
	BlockNumber blkno;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	nblocks = RelationGetNumberOfBlocks(rel);
	for (blkno = 0; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;
		int			kind;

		CHECK_FOR_INTERRUPTS();
		buf = ReadBufferExtended(rel, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (PageIsNew(page))
			kind = 4;
		else if (TsdbPageIsType(page, TSDB_PAGE_META))
			kind = 0;
		else if (TsdbPageIsType(page, TSDB_PAGE_DICT))
			kind = 1;
		else if (TsdbPageIsType(page, TSDB_PAGE_HEAD))
			kind = 2;
		else if (TsdbPageIsType(page, TSDB_PAGE_SEGMENT))
			kind = 3;
		else
			kind = 5;
		counts[kind]++;
		UnlockReleaseBuffer(buf);
	}
	FreeAccessStrategy(strategy);
	for (i = 0; i < (int) lengthof(names); i++)
	{
		Datum		values[2];
		bool		nulls[2] = {0};

		values[0] = CStringGetTextDatum(names[i]);
		values[1] = Int64GetDatum(counts[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

static const char *
run_flags_text(uint16 flags)
{
	if (flags & TSDB_RUN_DEAD)
		return "dead";
	if (flags & TSDB_RUN_FROZEN)
		return "frozen";
	if (flags & TSDB_RUN_XMIN_COMMITTED)
		return "committed";
	if (flags & TSDB_RUN_XMIN_INVALID)
		return "aborted";
	return "";
}

/*
 * tsdb.head_runs(regclass): one row per run of every head page:
 * (blkno, run_offset, xmin, cmin, nsamples, state).
 */
Datum
tsdb_head_runs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel = open_tsdb_relation(PG_GETARG_OID(0));
	BlockNumber nblocks;
	BlockNumber blkno;

	InitMaterializedSRF(fcinfo, 0);
	nblocks = RelationGetNumberOfBlocks(rel);
	for (blkno = TSDB_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf = ReadBuffer(rel, blkno);
		Page		page;

		CHECK_FOR_INTERRUPTS();
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (TsdbPageIsType(page, TSDB_PAGE_HEAD))
		{
			TsdbRunHeader *run;

			tsdb_head_page_validate(rel, page, blkno);
			TsdbForEachRun(run, page)
			{
				Datum		values[6];
				bool		nulls[6] = {0};

				values[0] = Int64GetDatum(blkno);
				values[1] = Int32GetDatum(TsdbRunOffset(run, page));
				values[2] = TransactionIdGetDatum(run->xmin);
				values[3] = CommandIdGetDatum(run->cmin);
				values[4] = Int32GetDatum(run->nsamples);
				values[5] = CStringGetTextDatum(run_flags_text(run->flags));
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
									 values, nulls);
			}
		}
		UnlockReleaseBuffer(buf);
	}
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

/* tsdb.series(regclass): the series dictionary, (series_id, labels). */
Datum
tsdb_series_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel = open_tsdb_relation(PG_GETARG_OID(0));
	TsdbSeriesCache *cache;
	TsdbMetaPageData meta;
	uint32		id;

	InitMaterializedSRF(fcinfo, 0);
	tsdb_read_meta(rel, &meta);
	cache = tsdb_series_cache(rel);
	for (id = 1; id < meta.next_series_id; id++)
	{
		Datum		values[2];
		bool		nulls[2] = {0};

		values[0] = Int64GetDatum(id);
		values[1] = tsdb_series_labels(rel, cache, id);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

/*
 * tsdb.segments(regclass): the metapage's segment list, every entry whatever
 * its visibility (xmin/xmax tell).
 */
Datum
tsdb_segments(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel = open_tsdb_relation(PG_GETARG_OID(0));
	TsdbMetaPageData *meta = palloc(sizeof(TsdbMetaPageData));
	uint32		i;

	InitMaterializedSRF(fcinfo, 0);
	tsdb_read_meta(rel, meta);
	for (i = 0; i < meta->nsegments; i++)
	{
		const TsdbSegmentEntry *seg = &meta->segments[i];
		Datum		values[11];
		bool		nulls[11] = {0};

		values[0] = Int64GetDatum(seg->segment_id);
		values[1] = Int64GetDatum(seg->first_block);
		values[2] = Int64GetDatum(seg->npages);
		values[3] = Int32GetDatum(seg->level);
		values[4] = TransactionIdGetDatum(seg->xmin);
		values[5] = TransactionIdGetDatum(seg->xmax);
		nulls[5] = !TransactionIdIsValid(seg->xmax);
		values[6] = BoolGetDatum((seg->flags & TSDB_SEG_FROZEN) != 0);
		values[7] = Int64GetDatum(seg->nseries);
		values[8] = Int64GetDatum((int64) seg->nsamples);
		values[9] = TimestampTzGetDatum(seg->min_ts);
		values[10] = TimestampTzGetDatum(seg->max_ts);
		nulls[9] = nulls[10] = (seg->nsamples == 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pfree(meta);
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

typedef struct ChunksArg
{
	ReturnSetInfo *rsinfo;
	uint32		segment_id;
} ChunksArg;

static void
chunk_row(Relation rel, Page page, BlockNumber blkno, uint16 offset,
		  void *arg)
{
	ChunksArg  *ca = arg;
	TsdbChunkHeader hdr;
	int			header_bytes;
	int			bytes;
	Datum		values[13];
	bool		nulls[13] = {0};

	tsdb_chunk_header(rel, page, blkno, offset, &hdr, &header_bytes, &bytes);
	values[0] = Int64GetDatum(ca->segment_id);
	values[1] = Int64GetDatum(blkno);
	values[2] = Int32GetDatum(offset);
	values[3] = Int64GetDatum(hdr.series_id);
	values[4] = Int32GetDatum(hdr.count);
	values[5] = TimestampTzGetDatum(hdr.min_ts);
	values[6] = TimestampTzGetDatum(hdr.max_ts);
	values[7] = Float8GetDatum(hdr.min);
	values[8] = Float8GetDatum(hdr.max);
	values[9] = Float8GetDatum(hdr.sum);
	values[10] = BoolGetDatum((hdr.flags & TSDB_CHUNK_TS_SHARED) != 0);
	values[11] = Int32GetDatum(header_bytes);
	values[12] = Int32GetDatum(bytes);
	tuplestore_putvalues(ca->rsinfo->setResult, ca->rsinfo->setDesc,
						 values, nulls);
}

/*
 * tsdb.chunks(regclass): every chunk of every segment in the metapage's
 * list, whatever its visibility, with what its header says (checksums
 * verified): (segment_id, blkno, chunk_offset, series_id, samples, min_ts,
 * max_ts, min, max, sum, shared_ts, header_bytes, bytes).
 */
Datum
tsdb_chunks(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel = open_tsdb_relation(PG_GETARG_OID(0));
	TsdbMetaPageData *meta = palloc(sizeof(TsdbMetaPageData));
	ChunksArg	ca;
	uint32		i;

	InitMaterializedSRF(fcinfo, 0);
	tsdb_read_meta(rel, meta);
	ca.rsinfo = rsinfo;
	for (i = 0; i < meta->nsegments; i++)
	{
		ca.segment_id = meta->segments[i].segment_id;
		tsdb_segment_foreach_chunk(rel, &meta->segments[i], NULL,
								   InvalidBlockNumber, chunk_row, &ca);
	}
	pfree(meta);
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}
