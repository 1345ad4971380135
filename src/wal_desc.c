/*-------------------------------------------------------------------------
 *
 * wal_desc.c
 *	  Names and descriptions of tsdb WAL records, for pg_walinspect.
 *
 * PostgreSQL 15's pg_waldump cannot load extension resource managers and
 * shows these records as "custom128"; pg_get_wal_records_info() calls the
 * functions here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlogreader.h"

#include "wal.h"

const char *
tsdb_identify(uint8 info)
{
	switch (info & ~XLR_INFO_MASK)
	{
		case XLOG_TSDB_INIT_META:
			return "INIT_META";
		case XLOG_TSDB_NEW_SERIES:
			return "NEW_SERIES";
		case XLOG_TSDB_HEAD_APPEND:
			return "HEAD_APPEND";
		case XLOG_TSDB_FREEZE:
			return "FREEZE";
		case XLOG_TSDB_SEGMENT_PAGE:
			return "SEGMENT_PAGE";
		case XLOG_TSDB_HEAD_CONSUME:
			return "HEAD_CONSUME";
		case XLOG_TSDB_SEGMENT_LIST:
			return "SEGMENT_LIST";
		case XLOG_TSDB_PAGE_FREE:
			return "PAGE_FREE";
		case XLOG_TSDB_PAGE_REUSE:
			return "PAGE_REUSE";
	}
	return NULL;
}

void
tsdb_desc(StringInfo buf, XLogReaderState *record)
{
	char	   *data = XLogRecGetData(record);
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	switch (info)
	{
		case XLOG_TSDB_INIT_META:
			{
				xl_tsdb_init_meta *xlrec = (xl_tsdb_init_meta *) data;

				appendStringInfo(buf, "format version %u, storage id " UINT64_FORMAT,
								 xlrec->version, xlrec->storage_id);
				break;
			}
		case XLOG_TSDB_NEW_SERIES:
			{
				xl_tsdb_new_series *xlrec = (xl_tsdb_new_series *) data;

				appendStringInfo(buf, "series id %u%s", xlrec->series_id,
								 (xlrec->flags & XLH_NEW_SERIES_INIT_PAGE) ?
								 ", new dictionary page" : "");
				break;
			}
		case XLOG_TSDB_HEAD_APPEND:
			{
				xl_tsdb_head_append *xlrec = (xl_tsdb_head_append *) data;

				if (xlrec->nextend == 0)
				{
					if (xlrec->nruns == 1)
						appendStringInfo(buf, "%u samples, new run at offset %u",
										 xlrec->nsamples, xlrec->run_offset);
					else
						appendStringInfo(buf, "%u samples, %u new runs at offset %u",
										 xlrec->nsamples, xlrec->nruns,
										 xlrec->run_offset);
				}
				else if (xlrec->nruns == 0)
					appendStringInfo(buf, "%u samples, extends run at offset %u",
									 xlrec->nsamples, xlrec->run_offset);
				else
					appendStringInfo(buf, "%u samples, %u extend run at offset %u, then %u new runs",
									 xlrec->nsamples, xlrec->nextend,
									 xlrec->run_offset, xlrec->nruns);
				if (xlrec->flags & XLH_APPEND_INIT_PAGE)
					appendStringInfoString(buf, ", new head page");
				/* a full-page image replaces the data */
				if (xlrec->flags & XLH_APPEND_PACKED)
				{
					Size		len;

					if (XLogRecGetBlockData(record, 0, &len) != NULL)
						appendStringInfo(buf, ", packed in %zu bytes", len);
				}
				break;
			}
		case XLOG_TSDB_FREEZE:
			{
				xl_tsdb_freeze *xlrec = (xl_tsdb_freeze *) data;

				appendStringInfo(buf, "%u runs frozen or marked dead, conflict xid %u",
								 xlrec->nruns, xlrec->conflict_xid);
				break;
			}
		case XLOG_TSDB_SEGMENT_PAGE:
			appendStringInfoString(buf, "segment page image");
			break;
		case XLOG_TSDB_HEAD_CONSUME:
			{
				xl_tsdb_head_consume *xlrec = (xl_tsdb_head_consume *) data;

				appendStringInfo(buf, "%u runs moved into a segment by xid %u",
								 xlrec->nruns, xlrec->xmax);
				break;
			}
		case XLOG_TSDB_SEGMENT_LIST:
			{
				xl_tsdb_segment_list *xlrec = (xl_tsdb_segment_list *) data;

				appendStringInfo(buf, "%u segments, next segment id %u, latest removed xid %u",
								 xlrec->nsegments, xlrec->next_segment_id,
								 xlrec->latest_removed_xid);
				break;
			}
		case XLOG_TSDB_PAGE_FREE:
			{
				xl_tsdb_page_free *xlrec = (xl_tsdb_page_free *) data;

				appendStringInfo(buf, "page recycled, %u free pages, next free %u",
								 xlrec->nfree, xlrec->next);
				break;
			}
		case XLOG_TSDB_PAGE_REUSE:
			{
				xl_tsdb_page_reuse *xlrec = (xl_tsdb_page_reuse *) data;

				appendStringInfo(buf, "free page reused as type %u, %u free pages, next free %u",
								 xlrec->page_type, xlrec->nfree, xlrec->next);
				break;
			}
		default:
			appendStringInfo(buf, "unknown tsdb record type %u", info);
	}
}
