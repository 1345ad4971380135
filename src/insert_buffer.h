/*-------------------------------------------------------------------------
 *
 * insert_buffer.h
 *	  Backend-local buffer of inserted samples, written to head pages (and
 *	  WAL) in batches.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_INSERT_BUFFER_H
#define TSDB_INSERT_BUFFER_H

#include "utils/relcache.h"

#include "head.h"

/* tsdb.insert_batch_samples: 0 writes every INSERT at once */
extern int	tsdb_insert_batch_samples;

/* tsdb.async_commit: transactions writing tsdb tables commit asynchronously */
extern bool tsdb_async_commit;

extern void tsdb_insert_buffer_init(void);

/* Every write to a tsdb table calls this first (tsdb.async_commit). */
extern void tsdb_insert_note_write(void);

/* Can this relation's single-row inserts be buffered right now? */
extern bool tsdb_insert_buffer_usable(Relation rel);

/* Buffer one sample written by command cid of the current transaction. */
extern void tsdb_insert_buffer_add(Relation rel, const TsdbSample *sample,
								   CommandId cid);

/*
 * Write this backend's buffered samples of a relation to its head pages.
 * Called before anything in this backend reads, rewrites or truncates the
 * relation, so a transaction sees its own inserts.
 */
extern void tsdb_insert_buffer_flush(Oid relid);

#endif							/* TSDB_INSERT_BUFFER_H */
