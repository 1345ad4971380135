/*-------------------------------------------------------------------------
 *
 * codec_bench.c
 *	  Bytes per sample and speed of the column codecs on a sample file.
 *
 *	codec_bench [-c chunk_samples] [-r decode_rounds] [-v] [file]
 *
 * -v prints every chunk's codec and size.
 *
 * Reads "labels<TAB>ts<TAB>value" lines (file or stdin; unix ms or
 * timestamptz text, see codec_data.h), groups them by series, sorts by
 * time, cuts each series into chunks of chunk_samples (0, the default: one
 * chunk per series) and encodes every chunk's two columns.  The whole file
 * is taken as one segment: identical timestamp columns (series scraped
 * together) are counted once, as the segment layer will store them.
 *
 * Prints bytes per sample of timestamps (shared and not) and values, the
 * codec mix, and encode/decode speed in values per second on one core.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec_data.h"

typedef struct Chunk
{
	uint32		series;
	uint32		from;
	uint32		n;
	uint8	   *ts;
	size_t		tslen;
	uint8	   *val;
	size_t		vallen;
	TsdbCodecId vid;
	bool		vlz4;
} Chunk;

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static int
cmp_ts_col(const void *a, const void *b)
{
	const Chunk *x = *(const Chunk *const *) a;
	const Chunk *y = *(const Chunk *const *) b;

	if (x->tslen != y->tslen)
		return x->tslen < y->tslen ? -1 : 1;
	return memcmp(x->ts, y->ts, x->tslen);
}

static const char *const codec_names[TSDB_CODEC_NIDS] = {
	"?", "ts", "const", "int", "dec", "gorilla", "raw"
};

static void
die(const char *what, TsdbCodecStatus st)
{
	fprintf(stderr, "codec_bench: %s: %s\n", what, tsdb_codec_strerror(st));
	exit(1);
}

int
main(int argc, char **argv)
{
	uint32		chunk = 0;
	int			rounds = 20;
	bool		verbose = false;
	int			opt;
	FILE	   *f = stdin;
	CodecData	d;
	Chunk	   *chunks;
	Chunk	  **byts;
	uint32		nchunks = 0;
	uint32		maxn = 0;
	uint64		ts_bytes = 0;
	uint64		ts_shared = 0;
	uint64		val_bytes = 0;
	uint64		mix[TSDB_CODEC_NIDS] = {0};
	uint64		mix_samples[TSDB_CODEC_NIDS] = {0};
	uint64		mix_bytes[TSDB_CODEC_NIDS] = {0};
	uint64		nlz4 = 0;
	uint32		nunique = 0;
	double		t0;
	double		t_ts_enc;
	double		t_val_enc;
	uint32		i;
	uint8	   *buf;
	size_t		bufcap;
	int64	   *ts_out;
	float8	   *v_out;
	void	   *work;
	size_t		worklen;
	int			id;

	while ((opt = getopt(argc, argv, "c:r:v")) != -1)
	{
		switch (opt)
		{
			case 'c':
				chunk = (uint32) atoi(optarg);
				break;
			case 'r':
				rounds = atoi(optarg);
				break;
			case 'v':
				verbose = true;
				break;
			default:
				fprintf(stderr, "usage: %s [-c chunk_samples] [-r decode_rounds] [-v] [file]\n", argv[0]);
				return 2;
		}
	}
	if (optind < argc && !(f = fopen(argv[optind], "r")))
	{
		perror(argv[optind]);
		return 1;
	}
	if (codec_data_load(f, &d) != 0)
		return 1;

	/* cut into chunks */
	for (i = 0; i < d.nseries; i++)
	{
		uint32		c = chunk ? chunk : d.series[i].n;

		if (c > TSDB_CODEC_MAX_COUNT)
			c = TSDB_CODEC_MAX_COUNT;
		nchunks += (d.series[i].n + c - 1) / c;
	}
	chunks = calloc(nchunks, sizeof(Chunk));
	nchunks = 0;
	for (i = 0; i < d.nseries; i++)
	{
		uint32		c = chunk ? chunk : d.series[i].n;
		uint32		from;

		if (c > TSDB_CODEC_MAX_COUNT)
			c = TSDB_CODEC_MAX_COUNT;
		for (from = 0; from < d.series[i].n; from += c)
		{
			Chunk	   *ch = &chunks[nchunks++];

			ch->series = i;
			ch->from = from;
			ch->n = d.series[i].n - from < c ? d.series[i].n - from : c;
			if (ch->n > maxn)
				maxn = ch->n;
		}
	}

	bufcap = tsdb_values_encode_bound(maxn);
	if (tsdb_ts_encode_bound(maxn) > bufcap)
		bufcap = tsdb_ts_encode_bound(maxn);
	buf = malloc(bufcap);
	ts_out = malloc(sizeof(int64) * (maxn + 1));
	v_out = malloc(sizeof(float8) * (maxn + 1));
	worklen = tsdb_values_decode_work_size(maxn);
	work = malloc(worklen);

	/* encode: timestamps, then values, timed separately */
	t0 = now();
	for (i = 0; i < nchunks; i++)
	{
		Chunk	   *ch = &chunks[i];
		CodecSeries *s = &d.series[ch->series];
		TsdbCodecStatus st;

		st = tsdb_ts_encode(s->ts + ch->from, ch->n, buf, bufcap, &ch->tslen);
		if (st != TSDB_CODEC_OK)
			die("ts encode", st);
		ch->ts = malloc(ch->tslen);
		memcpy(ch->ts, buf, ch->tslen);
	}
	t_ts_enc = now() - t0;
	t0 = now();
	for (i = 0; i < nchunks; i++)
	{
		Chunk	   *ch = &chunks[i];
		CodecSeries *s = &d.series[ch->series];
		TsdbCodecStatus st;

		st = tsdb_values_encode(s->v + ch->from, ch->n, buf, bufcap, &ch->vallen);
		if (st != TSDB_CODEC_OK)
			die("values encode", st);
		ch->val = malloc(ch->vallen);
		memcpy(ch->val, buf, ch->vallen);
	}
	t_val_enc = now() - t0;

	/* sizes, mix, and a round-trip check of every chunk */
	for (i = 0; i < nchunks; i++)
	{
		Chunk	   *ch = &chunks[i];
		CodecSeries *s = &d.series[ch->series];
		uint32		n;
		uint32		cnt;
		TsdbCodecStatus st;

		ts_bytes += ch->tslen;
		val_bytes += ch->vallen;
		if ((st = tsdb_column_info(ch->val, ch->vallen, &ch->vid, &ch->vlz4, &cnt)) != TSDB_CODEC_OK)
			die("column info", st);
		mix[ch->vid]++;
		mix_samples[ch->vid] += ch->n;
		mix_bytes[ch->vid] += ch->vallen;
		nlz4 += ch->vlz4;
		if (verbose)
			printf("chunk %-8s%s %5u samples %6zu B %s\n", codec_names[ch->vid],
				   ch->vlz4 ? "+lz4" : "    ", ch->n, ch->vallen, s->labels);

		if ((st = tsdb_ts_decode(ch->ts, ch->tslen, ts_out, maxn, &n)) != TSDB_CODEC_OK)
			die("ts decode", st);
		if (n != ch->n || memcmp(ts_out, s->ts + ch->from, n * sizeof(int64)) != 0)
		{
			fprintf(stderr, "codec_bench: timestamps of %s differ after decoding\n", s->labels);
			return 1;
		}
		if ((st = tsdb_values_decode(ch->val, ch->vallen, v_out, maxn, &n, work, worklen)) != TSDB_CODEC_OK)
			die("values decode", st);
		if (n != ch->n || memcmp(v_out, s->v + ch->from, n * sizeof(float8)) != 0)
		{
			fprintf(stderr, "codec_bench: values of %s differ after decoding\n", s->labels);
			return 1;
		}
	}

	/* shared timestamp columns: count each distinct encoding once */
	byts = malloc(sizeof(Chunk *) * (nchunks + 1));
	for (i = 0; i < nchunks; i++)
		byts[i] = &chunks[i];
	qsort(byts, nchunks, sizeof(Chunk *), cmp_ts_col);
	for (i = 0; i < nchunks; i++)
		if (i == 0 || cmp_ts_col(&byts[i - 1], &byts[i]) != 0)
		{
			ts_shared += byts[i]->tslen;
			nunique++;
		}

	printf("samples %llu, series %u, chunks %u (chunk size %s%u)\n",
		   (unsigned long long) d.nsamples, d.nseries, nchunks,
		   chunk ? "" : "whole series, max ", chunk ? chunk : maxn);
	printf("timestamps: %.4f B/sample unshared (%llu B), %.4f B/sample shared (%llu B, %u distinct columns)\n",
		   (double) ts_bytes / d.nsamples, (unsigned long long) ts_bytes,
		   (double) ts_shared / d.nsamples, (unsigned long long) ts_shared, nunique);
	printf("values:     %.4f B/sample (%llu B)\n",
		   (double) val_bytes / d.nsamples, (unsigned long long) val_bytes);
	printf("total:      %.4f B/sample with shared timestamps\n",
		   (double) (ts_shared + val_bytes) / d.nsamples);
	printf("value codec mix (chunks, samples, bytes, B/sample):\n");
	for (id = TSDB_CODEC_V_CONST; id < TSDB_CODEC_NIDS; id++)
		printf("  %-8s %6llu %9llu %9llu %8.4f\n", codec_names[id],
			   (unsigned long long) mix[id], (unsigned long long) mix_samples[id],
			   (unsigned long long) mix_bytes[id],
			   mix_samples[id] ? (double) mix_bytes[id] / mix_samples[id] : 0.0);
	printf("  lz4 applied on %llu chunks\n", (unsigned long long) nlz4);
	printf("encode: timestamps %.1f M values/s, values %.1f M values/s\n",
		   d.nsamples / t_ts_enc / 1e6, d.nsamples / t_val_enc / 1e6);

	/* decode speed: all chunks of one codec, several rounds, one clock pair */
	{
		uint64		total = 0;
		int			r;
		uint32		n;

		t0 = now();
		for (r = 0; r < rounds; r++)
			for (i = 0; i < nchunks; i++)
			{
				(void) tsdb_ts_decode(chunks[i].ts, chunks[i].tslen, ts_out, maxn, &n);
				total += n;
			}
		printf("decode: timestamps %.1f M values/s\n", total / (now() - t0) / 1e6);
		for (id = TSDB_CODEC_V_CONST; id < TSDB_CODEC_NIDS; id++)
		{
			if (mix[id] == 0)
				continue;
			total = 0;
			t0 = now();
			for (r = 0; r < rounds; r++)
				for (i = 0; i < nchunks; i++)
				{
					if ((int) chunks[i].vid != id)
						continue;
					(void) tsdb_values_decode(chunks[i].val, chunks[i].vallen, v_out,
											  maxn, &n, work, worklen);
					total += n;
				}
			printf("decode: values %-8s %.1f M values/s\n", codec_names[id],
				   total / (now() - t0) / 1e6);
		}
		total = 0;
		t0 = now();
		for (r = 0; r < rounds; r++)
			for (i = 0; i < nchunks; i++)
			{
				(void) tsdb_values_decode(chunks[i].val, chunks[i].vallen, v_out,
										  maxn, &n, work, worklen);
				total += n;
			}
		printf("decode: values all      %.1f M values/s\n", total / (now() - t0) / 1e6);
	}
	return 0;
}
