/*-------------------------------------------------------------------------
 *
 * recycle.h
 *	  Page allocation from the free list, and VACUUM's page recycling.
 *
 * Compaction consumes head pages and merges retire segment pages; once no
 * snapshot can need them, VACUUM puts them on a free list in the metapage
 * (linked through the pages' "next"), and truncates free pages at the end
 * of the relation.  New head and segment pages come from the list first.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_RECYCLE_H
#define TSDB_RECYCLE_H

#include "storage/buf.h"
#include "storage/bufpage.h"
#include "utils/relcache.h"

#include "meta.h"

extern Buffer tsdb_page_alloc(Relation rel, TsdbPageType type);

/* Page changes shared with redo. */
extern void tsdb_page_apply_free(Page metapage, Page page, BlockNumber blkno,
								 BlockNumber next, uint32 nfree);
extern void tsdb_page_apply_reuse(Page metapage, Page page, TsdbPageType type,
								  BlockNumber next, uint32 nfree);

/* VACUUM: which pages to recycle, then put them on the list. */
typedef struct TsdbRecycle TsdbRecycle;

extern TsdbRecycle *tsdb_recycle_begin(Relation rel, BlockNumber nblocks);
extern bool tsdb_recycle_page_is_free(TsdbRecycle *rc, Page page,
									  BlockNumber blkno);
extern void tsdb_recycle_add(TsdbRecycle *rc, BlockNumber blkno);
extern BlockNumber tsdb_recycle_finish(TsdbRecycle *rc, uint32 *recycled,
									   uint32 *truncated);

#endif							/* TSDB_RECYCLE_H */
