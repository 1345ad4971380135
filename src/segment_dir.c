/*-------------------------------------------------------------------------
 *
 * segment_dir.c
 *	  A segment's directory: where each of its pages is and which chunk it
 *	  starts with.
 *
 * A directory page holds TsdbSegmentDirEntry's from the end of the page
 * header up to pd_lower, nitems of them, in the chain order of the data
 * pages; directory pages are chained through "next" and carry the
 * segment's id.  Like the data pages, they are written once, complete, as
 * full-page images in SEGMENT_PAGE records, before the segment list that
 * names them: a reader that finds the entry finds the directory whole.
 *
 * Readers trust a directory only after checking it: its chain stays within
 * its page count and the relation, it lists exactly the segment's pages,
 * no block twice, and its keys are in (series_id, min_ts) order.  A data
 * page read through it is checked again against its entry (scan_read.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"

#include "recycle.h"
#include "segment.h"

#define DirPageEntries(page) \
	((TsdbSegmentDirEntry *) ((char *) (page) + MAXALIGN(SizeOfPageHeaderData)))

/*
 * Write the directory of segment "segment_id" (its n data pages) and note
 * it in *seg.
 */
void
tsdb_segment_dir_write(Relation rel, uint32 segment_id,
					   const TsdbSegmentDirEntry *entries, uint32 n,
					   TsdbSegmentEntry *seg)
{
	PGAlignedBlock image;
	Buffer		buf = InvalidBuffer;
	uint32		done = 0;

	seg->dir_block = InvalidBlockNumber;
	seg->dir_pages = 0;
	while (done < n)
	{
		Page		page = (Page) image.data;
		uint32		k = Min(n - done, (uint32) TSDB_SEGMENT_DIR_PER_PAGE);
		Buffer		next = tsdb_page_alloc(rel, TSDB_PAGE_SEGDIR);

		CHECK_FOR_INTERRUPTS();
		if (BufferIsValid(buf))
			tsdb_segment_put_page(rel, buf, page, BufferGetBlockNumber(next));
		else
			seg->dir_block = BufferGetBlockNumber(next);
		buf = next;

		tsdb_page_init(page, TSDB_PAGE_SEGDIR);
		TsdbPageGetOpaque(page)->segment_id = segment_id;
		TsdbPageGetOpaque(page)->nitems = k;
		memcpy(DirPageEntries(page), entries + done,
			   sizeof(TsdbSegmentDirEntry) * k);
		((PageHeader) page)->pd_lower += sizeof(TsdbSegmentDirEntry) * k;
		done += k;
		seg->dir_pages++;
	}
	if (BufferIsValid(buf))
		tsdb_segment_put_page(rel, buf, (Page) image.data, InvalidBlockNumber);
}

static void
dir_damaged(Relation rel, const TsdbSegmentEntry *seg, BlockNumber blkno,
			const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("directory of segment %u of tsdb relation \"%s\" is corrupted at block %u",
					seg->segment_id, RelationGetRelationName(rel), blkno),
			 errdetail("%s", detail)));
}

static int
cmp_block(const void *a, const void *b)
{
	BlockNumber x = *(const BlockNumber *) a;
	BlockNumber y = *(const BlockNumber *) b;

	return (x > y) - (x < y);
}

/*
 * Read and check the directory of a segment that has one (seg->dir_pages >
 * 0), in a relation of nblocks blocks.  Returns seg->npages entries,
 * palloc'd, and fills dir_blocks[seg->dir_pages] with the directory's own
 * pages.
 */
TsdbSegmentDirEntry *
tsdb_segment_dir_read(Relation rel, const TsdbSegmentEntry *seg,
					  BlockNumber nblocks, BlockNumber *dir_blocks)
{
	TsdbSegmentDirEntry *out;
	BlockNumber *sorted;
	BlockNumber blkno = seg->dir_block;
	uint32		n = 0;
	uint32		pages = 0;
	uint32		i;

	Assert(seg->dir_pages > 0);
	if (seg->npages > (uint64) seg->dir_pages * TSDB_SEGMENT_DIR_PER_PAGE)
		dir_damaged(rel, seg, blkno, "The segment has more pages than its directory can list.");
	out = palloc(sizeof(TsdbSegmentDirEntry) * Max(seg->npages, 1));
	while (BlockNumberIsValid(blkno))
	{
		Buffer		buf;
		Page		page;
		TsdbPageOpaque opaque;
		uint32		k;

		CHECK_FOR_INTERRUPTS();
		if (pages >= seg->dir_pages || blkno >= nblocks ||
			blkno == TSDB_METAPAGE_BLKNO)
			dir_damaged(rel, seg, blkno, "Its chain leaves the relation or is longer than its count.");
		dir_blocks[pages++] = blkno;
		buf = ReadBuffer(rel, blkno);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		tsdb_page_check(rel, page, blkno, TSDB_PAGE_SEGDIR);
		opaque = TsdbPageGetOpaque(page);
		k = opaque->nitems;
		if (opaque->segment_id != seg->segment_id)
		{
			UnlockReleaseBuffer(buf);
			dir_damaged(rel, seg, blkno, "The page belongs to another segment.");
		}
		if (((PageHeader) page)->pd_lower !=
			MAXALIGN(SizeOfPageHeaderData) + sizeof(TsdbSegmentDirEntry) * k ||
			n + k > seg->npages)
		{
			UnlockReleaseBuffer(buf);
			dir_damaged(rel, seg, blkno, "Its entry count does not match the page or the segment.");
		}
		memcpy(out + n, DirPageEntries(page), sizeof(TsdbSegmentDirEntry) * k);
		n += k;
		blkno = opaque->next;
		UnlockReleaseBuffer(buf);
	}
	if (pages != seg->dir_pages || n != seg->npages)
		dir_damaged(rel, seg, seg->dir_block, "It lists fewer pages than the segment has.");

	/* keys in order, data blocks valid and distinct */
	for (i = 0; i < n; i++)
	{
		if (out[i].blkno == TSDB_METAPAGE_BLKNO || out[i].blkno >= nblocks)
			dir_damaged(rel, seg, seg->dir_block, "It lists a block outside the relation.");
		if (i > 0 &&
			(out[i].series_id < out[i - 1].series_id ||
			 (out[i].series_id == out[i - 1].series_id &&
			  out[i].min_ts < out[i - 1].min_ts)))
			dir_damaged(rel, seg, seg->dir_block, "Its pages are out of (series, time) order.");
	}
	sorted = palloc(sizeof(BlockNumber) * (n + pages));
	for (i = 0; i < n; i++)
		sorted[i] = out[i].blkno;
	memcpy(sorted + n, dir_blocks, sizeof(BlockNumber) * pages);
	qsort(sorted, n + pages, sizeof(BlockNumber), cmp_block);
	for (i = 1; i < n + pages; i++)
		if (sorted[i] == sorted[i - 1])
			dir_damaged(rel, seg, seg->dir_block, "It lists a block twice.");
	pfree(sorted);
	return out;
}
