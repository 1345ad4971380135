/*-------------------------------------------------------------------------
 *
 * codec_data.h
 *	  Loading sample files into per-series arrays, for codec_bench and
 *	  codec_test (standalone programs, not part of the extension).
 *
 * Reads lines "labels<TAB>ts<TAB>value" where ts is either unix
 * milliseconds (data/node-exporter-5s.tsv.zst) or timestamptz text
 * "YYYY-MM-DD HH:MM:SS[.fff]+00" (bench/gen.c's COPY output), groups them by
 * labels and sorts each series by time.  Timestamps become TimestampTz
 * (microseconds since 2000-01-01), as the segment code will store them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TSDB_CODEC_DATA_H
#define TSDB_CODEC_DATA_H

#include <stdio.h>

#include "compress.h"

typedef struct CodecSeries
{
	char	   *labels;
	uint32		n;
	uint32		cap;
	int64	   *ts;
	float8	   *v;
} CodecSeries;

typedef struct CodecData
{
	CodecSeries *series;
	uint32		nseries;
	uint64		nsamples;
} CodecData;

/* Returns 0 on success; on a malformed line prints it and returns -1. */
extern int	codec_data_load(FILE *f, CodecData *d);
extern void codec_data_free(CodecData *d);

#endif
