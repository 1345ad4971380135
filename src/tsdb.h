/*-------------------------------------------------------------------------
 *
 * tsdb.h
 *	  Extension-wide definitions: WAL resource manager id, GUCs, and the
 *	  lookups every subsystem needs (the tsdb.labels type, the table AM).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_H
#define TSDB_H

#include "utils/relcache.h"

/*
 * Custom WAL resource manager id.  128 is RM_EXPERIMENTAL_ID, the id the
 * PostgreSQL wiki (CustomWALResourceManagers) sets aside for extensions in
 * development; a release must reserve an id of its own there.  Primary and
 * standby must load the same tsdb library, or recovery stops with
 * "resource manager with ID 128 not registered".
 */
#define TSDB_RMGR_ID		128
#define TSDB_RMGR_NAME		"tsdb"
#define TSDB_AM_NAME		"tsdb"

/* OID of the tsdb.labels type, or InvalidOid if the extension is absent. */
extern Oid	tsdb_labels_type_oid(void);

/* Is this relation stored by the tsdb table access method? */
extern bool tsdb_relation_is_tsdb(Relation rel);
extern bool tsdb_relid_is_tsdb(Oid relid);

/* guard.c: hooks that refuse what an append-only table cannot do */
extern void tsdb_guard_init(void);

#endif							/* TSDB_H */
