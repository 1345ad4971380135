/*-------------------------------------------------------------------------
 *
 * debug_points.h
 *	  Named points where compaction can be made to wait, for crash tests.
 *
 * A test sets tsdb.debug_compact_delay_point and tsdb.debug_compact_delay_ms
 * (superuser only, not in postgresql.conf.sample) to hold a compaction at
 * one of these points long enough to kill the server there.  The server log
 * says which point was reached.  With the defaults nothing ever waits.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_DEBUG_POINTS_H
#define TSDB_DEBUG_POINTS_H

typedef enum TsdbDebugPoint
{
	TSDB_POINT_NONE = 0,
	TSDB_POINT_SEGMENT_WRITTEN, /* every page of the new segment written */
	TSDB_POINT_RUNS_CONSUMED,	/* head runs stamped, segment list unchanged */
	TSDB_POINT_LIST_WRITTEN		/* segment list written, not committed */
} TsdbDebugPoint;

extern void tsdb_debug_points_init(void);
extern void tsdb_debug_point(TsdbDebugPoint point);

#endif							/* TSDB_DEBUG_POINTS_H */
