/*-------------------------------------------------------------------------
 *
 * debug_points.c
 *	  Developer settings that hold a compaction at a named point, so crash
 *	  tests can kill the server exactly there (t/080_crash_compaction.pl).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "debug_points.h"

static int	delay_point = TSDB_POINT_NONE;
static int	delay_ms = 0;

static const struct config_enum_entry point_options[] = {
	{"none", TSDB_POINT_NONE, false},
	{"segment_written", TSDB_POINT_SEGMENT_WRITTEN, false},
	{"runs_consumed", TSDB_POINT_RUNS_CONSUMED, false},
	{"list_written", TSDB_POINT_LIST_WRITTEN, false},
	{NULL, 0, false}
};

void
tsdb_debug_points_init(void)
{
	DefineCustomEnumVariable("tsdb.debug_compact_delay_point",
							 "Point of a compaction where it waits tsdb.debug_compact_delay_ms (for tests).",
							 NULL,
							 &delay_point, TSDB_POINT_NONE, point_options,
							 PGC_SUSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
	DefineCustomIntVariable("tsdb.debug_compact_delay_ms",
							"Time a compaction waits at tsdb.debug_compact_delay_point (for tests).",
							NULL,
							&delay_ms, 0, 0, INT_MAX,
							PGC_SUSET, GUC_NOT_IN_SAMPLE | GUC_UNIT_MS,
							NULL, NULL, NULL);
}

/*
 * Wait here if this is the configured point.  The wait can be cancelled
 * and ends with the postmaster; no buffer lock may be held.
 */
void
tsdb_debug_point(TsdbDebugPoint point)
{
	TimestampTz end;
	const char *name = "?";
	int			i;

	if (delay_ms <= 0 || point != (TsdbDebugPoint) delay_point)
		return;
	for (i = 0; point_options[i].name != NULL; i++)
		if (point_options[i].val == (int) point)
			name = point_options[i].name;
	ereport(LOG,
			(errmsg("tsdb compaction waits %d ms at debug point \"%s\"",
					delay_ms, name)));
	end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay_ms);
	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);

		CHECK_FOR_INTERRUPTS();
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(left, 1000), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
