/*-------------------------------------------------------------------------
 *
 * am_insert.c
 *	  INSERT and COPY into a tsdb table.
 *
 * INSERT reaches the access method one row at a time (tuple_insert), and
 * its samples go through the backend's insert buffer (insert_buffer.c),
 * written in batches; COPY comes in batches (multi_insert), which become
 * one run and one WAL record per head page at once.  Either way a sample is resolved to its series id first, so no
 * buffer lock is held while the series dictionary may need to grow.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_publication.h"
#include "fmgr.h"
#include "pgstat.h"
#include "storage/predicate.h"
#include "utils/rel.h"

#include "am.h"
#include "compaction.h"
#include "head.h"
#include "insert_buffer.h"
#include "label_index.h"
#include "series.h"

/*
 * tsdb writes no WAL that logical decoding understands, so a publication
 * would silently replicate nothing: refuse instead.
 */
static void
check_not_published(Relation rel)
{
	PublicationDesc pubdesc;

	if (!is_publishable_relation(rel))
		return;
	RelationBuildPublicationDesc(rel, &pubdesc);
	if (pubdesc.pubactions.pubinsert)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot insert into tsdb table \"%s\" because it is part of a publication",
						RelationGetRelationName(rel)),
				 errdetail("tsdb tables cannot be replicated by logical replication."),
				 errhint("Remove the table from the publication, or use physical (streaming) replication.")));
}

static void
null_error(Relation rel, int attindex)
{
	ereport(ERROR,
			(errcode(ERRCODE_NOT_NULL_VIOLATION),
			 errmsg("null value in column \"%s\" of tsdb table \"%s\"",
					NameStr(TupleDescAttr(RelationGetDescr(rel), attindex)->attname),
					RelationGetRelationName(rel)),
			 errdetail("Every sample needs a series, a timestamp and a value.")));
}

/* Turn a slot into a sample, creating its series if it is new. */
static void
slot_to_sample(Relation rel, const TsdbColumns *cols, TsdbSeriesCache *cache,
			   TupleTableSlot *slot, TsdbSample *sample)
{
	struct varlena *labels;
	Datum		d;

	slot_getallattrs(slot);
	if (slot->tts_isnull[cols->labels])
		null_error(rel, cols->labels);
	if (slot->tts_isnull[cols->ts])
		null_error(rel, cols->ts);
	if (slot->tts_isnull[cols->value])
		null_error(rel, cols->value);

	/* INSERT ... SELECT can hand us a TOAST pointer; never store one */
	d = slot->tts_values[cols->labels];
	labels = (struct varlena *) DatumGetPointer(d);
	if (VARATT_IS_EXTENDED(labels))
		labels = pg_detoast_datum_packed(labels);
	sample->series_id = tsdb_series_get_or_create(rel, cache, labels);
	if ((Pointer) labels != DatumGetPointer(d))
		pfree(labels);
	sample->ts = DatumGetTimestampTz(slot->tts_values[cols->ts]);
	sample->value = DatumGetFloat8(slot->tts_values[cols->value]);
}

/*
 * Checks before the first byte is written.  The xid is assigned here, before
 * a new series may be logged, so that every tsdb record of the transaction
 * is covered by its commit record's flush.
 */
static void
insert_prologue(Relation rel)
{
	check_not_published(rel);
	CheckForSerializableConflictIn(rel, NULL, InvalidBlockNumber);
	(void) GetCurrentTransactionId();
	tsdb_insert_note_write();
}

void
tsdb_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid,
				  int options, struct BulkInsertStateData *bistate)
{
	const TsdbColumns *cols = tsdb_columns(rel);
	TsdbSeriesCache *cache = tsdb_series_cache_for_insert(rel);
	TsdbSample	sample;

	insert_prologue(rel);
	tsdb_backpressure(rel, 1);
	slot_to_sample(rel, cols, cache, slot, &sample);
	/*
	 * Only the executor's INSERT (no options, no bulk-insert state) is
	 * buffered.  The bulk writers (CREATE TABLE AS, ALTER TABLE rewrites,
	 * REFRESH MATERIALIZED VIEW) write into a relation that may be renamed
	 * or dropped by relid before this transaction commits.
	 */
	if (options == 0 && bistate == NULL && tsdb_insert_buffer_usable(rel))
	{
		/* written at commit or before this backend reads the table */
		tsdb_insert_buffer_add(rel, &sample, cid);
		ItemPointerSetInvalid(&slot->tts_tid);
	}
	else
	{
		tsdb_insert_buffer_flush(RelationGetRelid(rel));
		tsdb_head_insert(rel, &sample, 1, cid,
						 (options & TABLE_INSERT_FROZEN) != 0, &slot->tts_tid);
	}
	tsdb_label_index_note_samples(rel, tsdb_series_cache_storage_id(cache),
								  &sample, 1);
	slot->tts_tableOid = RelationGetRelid(rel);
	pgstat_count_heap_insert(rel, 1);
}

void
tsdb_multi_insert(Relation rel, TupleTableSlot **slots, int nslots,
				  CommandId cid, int options,
				  struct BulkInsertStateData *bistate)
{
	const TsdbColumns *cols = tsdb_columns(rel);
	TsdbSeriesCache *cache = tsdb_series_cache_for_insert(rel);
	TsdbSample *samples;
	ItemPointerData *tids;
	int			i;

	insert_prologue(rel);
	tsdb_backpressure(rel, nslots);
	samples = palloc(sizeof(TsdbSample) * nslots);
	tids = palloc(sizeof(ItemPointerData) * nslots);
	for (i = 0; i < nslots; i++)
		slot_to_sample(rel, cols, cache, slots[i], &samples[i]);
	tsdb_insert_buffer_flush(RelationGetRelid(rel));
	tsdb_head_insert(rel, samples, nslots, cid,
					 (options & TABLE_INSERT_FROZEN) != 0, tids);
	tsdb_label_index_note_samples(rel, tsdb_series_cache_storage_id(cache),
								  samples, nslots);
	for (i = 0; i < nslots; i++)
	{
		slots[i]->tts_tid = tids[i];
		slots[i]->tts_tableOid = RelationGetRelid(rel);
	}
	pgstat_count_heap_insert(rel, nslots);
	pfree(samples);
	pfree(tids);
}
