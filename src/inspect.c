/*-------------------------------------------------------------------------
 *
 * inspect.c
 *	  SQL functions that show a tsdb table's storage: its page types, head
 *	  runs, series dictionary, segments and chunks, and a summary of all of
 *	  it (tsdb.stats).  For tests, debugging, monitoring and the curious.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "am.h"
#include "compress.h"
#include "head.h"
#include "insert_buffer.h"
#include "meta.h"
#include "segment.h"
#include "series.h"
#include "tsdb.h"
#include "visibility.h"

PG_FUNCTION_INFO_V1(tsdb_page_types);
PG_FUNCTION_INFO_V1(tsdb_head_runs);
PG_FUNCTION_INFO_V1(tsdb_series_list);
PG_FUNCTION_INFO_V1(tsdb_segments);
PG_FUNCTION_INFO_V1(tsdb_stats);
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
	/* show this transaction's buffered samples where they will be */
	tsdb_insert_buffer_flush(relid);
	return rel;
}

/*
 * tsdb.page_types(regclass): how many pages of each kind the relation has,
 * (page_type, pages), every kind listed even when it has none.  "free"
 * pages are on the free list (recycle.c); "unused"
 * pages were never initialized (an extension cut short by a crash);
 * "unknown" ones carry no tsdb page type.  Storage-size tests count pages
 * with this.
 */
Datum
tsdb_page_types(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {
		"meta", "dictionary", "head", "segment", "free", "unused", "unknown",
		"segment_directory"
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
			kind = 5;
		else if (TsdbPageIsType(page, TSDB_PAGE_META))
			kind = 0;
		else if (TsdbPageIsType(page, TSDB_PAGE_DICT))
			kind = 1;
		else if (TsdbPageIsType(page, TSDB_PAGE_HEAD))
			kind = 2;
		else if (TsdbPageIsType(page, TSDB_PAGE_SEGMENT))
			kind = 3;
		else if (TsdbPageIsType(page, TSDB_PAGE_FREE))
			kind = 4;
		else if (TsdbPageIsType(page, TSDB_PAGE_SEGDIR))
			kind = 7;
		else
			kind = 6;
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
 * What an entry is now, as VACUUM would see it (no snapshot): "live",
 * "retiring" (a running transaction merges or drops it), "retired" (by a
 * committed one, or earlier in our own transaction), "in progress" (made by
 * a running transaction), "aborted" (made by an aborted one) or "empty"
 * (retention's marker, see compaction.c).
 */
static const char *
segment_state(const TsdbSegmentEntry *seg)
{
	if (!(seg->flags & TSDB_SEG_FROZEN) &&
		!TransactionIdIsCurrentTransactionId(seg->xmin))
	{
		if (TransactionIdIsInProgress(seg->xmin))
			return "in progress";
		if (!TransactionIdDidCommit(seg->xmin))
			return "aborted";
	}
	if (TransactionIdIsValid(seg->xmax))
	{
		if (TransactionIdIsCurrentTransactionId(seg->xmax))
			return "retired";
		if (TransactionIdIsInProgress(seg->xmax))
			return "retiring";
		if (TransactionIdDidCommit(seg->xmax))
			return "retired";
	}
	/* retention that wrote no segment marks its command with one */
	if (seg->nsamples == 0 && seg->npages == 0)
		return "empty";
	return "live";
}

/*
 * tsdb.segments(regclass): the metapage's segment list, every entry whatever
 * its visibility (xmin/xmax and state tell).
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
		Datum		values[13];
		bool		nulls[13] = {0};

		values[0] = Int64GetDatum(seg->segment_id);
		values[1] = Int64GetDatum(seg->first_block);
		values[2] = Int64GetDatum(seg->npages);
		values[3] = Int64GetDatum(seg->dir_pages);
		values[4] = Int32GetDatum(seg->level);
		values[5] = TransactionIdGetDatum(seg->xmin);
		values[6] = TransactionIdGetDatum(seg->xmax);
		nulls[6] = !TransactionIdIsValid(seg->xmax);
		values[7] = BoolGetDatum((seg->flags & TSDB_SEG_FROZEN) != 0);
		values[8] = Int64GetDatum(seg->nseries);
		values[9] = Int64GetDatum((int64) seg->nsamples);
		values[10] = TimestampTzGetDatum(seg->min_ts);
		values[11] = TimestampTzGetDatum(seg->max_ts);
		nulls[10] = nulls[11] = (seg->nsamples == 0);
		values[12] = CStringGetTextDatum(segment_state(seg));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pfree(meta);
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

/* What tsdb.stats() adds up. */
typedef struct CodecCount
{
	int64		chunks;
	int64		samples;
	int64		bytes;
} CodecCount;

typedef struct TsdbStats
{
	Relation	rel;
	int64		head_samples;
	int64		head_pages;
	int64		dict_pages;
	int64		dict_bytes;
	int64		segments;
	int64		segment_pages;
	int64		segment_samples;
	int64		chunks;
	int64		shared_ts_chunks;
	int64		ts_bytes;
	int64		value_bytes;
	int64		header_bytes;
	int64		dir_bytes;		/* segment directory entries */
	CodecCount	codecs[TSDB_CODEC_NIDS][2]; /* [codec id][lz4] */
} TsdbStats;

/* Add one chunk of a visible segment (its page share-locked). */
static void
stats_chunk(Relation rel, Page page, BlockNumber blkno, uint16 offset,
			void *arg)
{
	TsdbStats  *st = arg;
	TsdbChunkInfo ci;
	TsdbCodecId id;
	bool		lz4;
	uint32		count;
	TsdbCodecStatus status;
	CodecCount *cc;

	tsdb_chunk_info(rel, page, blkno, offset, &ci);
	status = tsdb_column_info(ci.values, ci.value_bytes, &id, &lz4, &count);
	if (status == TSDB_CODEC_OK && (count != ci.count || id == TSDB_CODEC_TS_DELTA))
		status = TSDB_CODEC_E_FIELD;
	if (status != TSDB_CODEC_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupted chunk in tsdb relation \"%s\" at block %u, offset %u",
						RelationGetRelationName(rel), blkno, offset),
				 errdetail("The value column's header: %s.", tsdb_codec_strerror(status))));
	st->chunks++;
	if (ci.ts_bytes == 0)
		st->shared_ts_chunks++;
	st->ts_bytes += ci.ts_bytes;
	st->value_bytes += ci.value_bytes;
	st->header_bytes += ci.header_bytes;
	cc = &st->codecs[id][lz4 ? 1 : 0];
	cc->chunks++;
	cc->samples += ci.count;
	cc->bytes += ci.value_bytes;
}

/*
 * Walk every block once: head pages (runs the snapshot sees) and
 * dictionary pages.  Segment pages are counted through the segment list.
 */
static void
stats_blocks(TsdbStats *st, Snapshot snapshot, CommandId my_compact_cid)
{
	Relation	rel = st->rel;
	BlockNumber nblocks = RelationGetNumberOfBlocks(rel);
	BufferAccessStrategy strategy = GetAccessStrategy(BAS_BULKREAD);
	TsdbXidMemo memo;
	BlockNumber blkno;

	tsdb_xid_memo_init(&memo);
	for (blkno = TSDB_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;

		CHECK_FOR_INTERRUPTS();
		buf = ReadBufferExtended(rel, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (TsdbPageIsType(page, TSDB_PAGE_HEAD))
		{
			TsdbRunHeader *run;

			tsdb_head_page_validate(rel, page, blkno);
			st->head_pages++;
			TsdbForEachRun(run, page)
			{
				if (tsdb_run_visible(run, buf, snapshot, &memo, my_compact_cid))
					st->head_samples += run->nsamples;
			}
		}
		else if (TsdbPageIsType(page, TSDB_PAGE_DICT))
		{
			st->dict_pages++;
			st->dict_bytes += ((PageHeader) page)->pd_lower -
				MAXALIGN(SizeOfPageHeaderData);
		}
		UnlockReleaseBuffer(buf);
	}
	FreeAccessStrategy(strategy);
}

/* The codec mix as a JSON object: {"GORILLA+lz4": {"chunks": ..}, ..}. */
static Datum
codecs_jsonb(const TsdbStats *st)
{
	StringInfoData buf;
	bool		first = true;
	int			id;
	int			lz4;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (id = 0; id < TSDB_CODEC_NIDS; id++)
		for (lz4 = 0; lz4 < 2; lz4++)
		{
			const CodecCount *cc = &st->codecs[id][lz4];

			if (cc->chunks == 0)
				continue;
			appendStringInfo(&buf,
							 "%s\"%s%s\": {\"chunks\": " INT64_FORMAT
							 ", \"samples\": " INT64_FORMAT
							 ", \"bytes\": " INT64_FORMAT "}",
							 first ? "" : ", ",
							 tsdb_codec_name((TsdbCodecId) id),
							 lz4 ? "+lz4" : "", cc->chunks, cc->samples,
							 cc->bytes);
			first = false;
		}
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/* x / n as float8, or NULL when there is nothing to divide by. */
static Datum
per_sample(int64 x, int64 n, bool *isnull)
{
	*isnull = (n == 0);
	return Float8GetDatum(n == 0 ? 0.0 : (double) x / (double) n);
}

/*
 * tsdb.stats(regclass): one row that sums up a tsdb table's storage.
 * Sample and segment counts are those the caller's snapshot sees, so
 * "samples" equals count(*) in the same statement; page and byte counts
 * are physical.  The per-sample figures of the segments are over the
 * samples in the visible segments.
 */
Datum
tsdb_stats(PG_FUNCTION_ARGS)
{
	Relation	rel = open_tsdb_relation(PG_GETARG_OID(0));
	TsdbMetaPageData *meta = palloc(sizeof(TsdbMetaPageData));
	Snapshot	snapshot = GetActiveSnapshot();
	TsdbStats  *st = palloc0(sizeof(TsdbStats));
	CommandId	my_compact_cid = InvalidCommandId;
	TsdbXidMemo memo;
	TupleDesc	tupdesc;
	Datum		values[19];
	bool		nulls[19] = {0};
	int64		samples;
	int64		total_bytes;
	uint32		i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (snapshot == NULL)
		elog(ERROR, "tsdb.stats() needs an active snapshot");

	st->rel = rel;
	tsdb_read_meta(rel, meta);
	/* our own compaction's runs are gone for later commands (am_scan.c) */
	for (i = 0; i < meta->nsegments; i++)
		if (!(meta->segments[i].flags & TSDB_SEG_FROZEN) &&
			TransactionIdIsCurrentTransactionId(meta->segments[i].xmin))
			my_compact_cid = meta->segments[i].cmin;

	tsdb_xid_memo_init(&memo);
	for (i = 0; i < meta->nsegments; i++)
	{
		const TsdbSegmentEntry *seg = &meta->segments[i];

		/* an empty entry is retention's marker, not a segment */
		if (seg->nsamples == 0 ||
			!tsdb_segment_visible(seg, snapshot, &memo, my_compact_cid))
			continue;
		st->segments++;
		st->segment_pages += seg->npages + seg->dir_pages;
		if (seg->dir_pages > 0)
			st->dir_bytes += (int64) seg->npages * sizeof(TsdbSegmentDirEntry);
		st->segment_samples += seg->nsamples;
		tsdb_segment_foreach_chunk(rel, seg, NULL, InvalidBlockNumber,
								   stats_chunk, st);
	}
	stats_blocks(st, snapshot, my_compact_cid);

	samples = st->head_samples + st->segment_samples;
	total_bytes = (int64) RelationGetNumberOfBlocks(rel) * BLCKSZ;

	values[0] = Int64GetDatum((int64) meta->next_series_id - 1);
	values[1] = Int64GetDatum(samples);
	values[2] = Int64GetDatum(st->head_samples);
	values[3] = Int64GetDatum(st->head_pages);
	values[4] = Int64GetDatum(st->segments);
	values[5] = Int64GetDatum(st->segment_pages);
	values[6] = Int64GetDatum(st->segment_samples);
	values[7] = Int64GetDatum(st->chunks);
	values[8] = Int64GetDatum(st->shared_ts_chunks);
	values[9] = Int64GetDatum(st->dict_pages);
	values[10] = Int64GetDatum((int64) meta->nfree);
	values[11] = per_sample(st->ts_bytes, st->segment_samples, &nulls[11]);
	values[12] = per_sample(st->value_bytes, st->segment_samples, &nulls[12]);
	values[13] = per_sample(st->header_bytes + st->dict_bytes + st->dir_bytes,
							st->segment_samples, &nulls[13]);
	values[14] = per_sample(st->segment_pages * BLCKSZ, st->segment_samples,
							&nulls[14]);
	values[15] = Int64GetDatum(total_bytes);
	values[16] = per_sample(total_bytes, samples, &nulls[16]);
	/* against the bare 16-byte (timestamp, value) pairs, labels aside */
	values[17] = per_sample(samples * 16, total_bytes, &nulls[17]);
	nulls[17] = nulls[17] || samples == 0;
	values[18] = codecs_jsonb(st);

	pfree(meta);
	pfree(st);
	table_close(rel, AccessShareLock);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
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
		/* retention's empty marker entries have no pages */
		if (meta->segments[i].nsamples == 0)
			continue;
		ca.segment_id = meta->segments[i].segment_id;
		tsdb_segment_foreach_chunk(rel, &meta->segments[i], NULL,
								   InvalidBlockNumber, chunk_row, &ca);
	}
	pfree(meta);
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}
