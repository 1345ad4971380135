/*-------------------------------------------------------------------------
 *
 * codec_data.c
 *	  Loading sample files into per-series arrays (see codec_data.h).
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* qsort_r */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "codec_data.h"

/* 2000-01-01 00:00:00 UTC in unix seconds: PostgreSQL's epoch */
#define PG_EPOCH_UNIX	INT64_C(946684800)

static uint64
hash_str(const char *s)
{
	uint64		h = UINT64_C(1469598103934665603);

	while (*s)
		h = (h ^ (uint8) *s++) * UINT64_C(1099511628211);
	return h;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64
days_from_civil(int64 y, int m, int d)
{
	int64		era;
	int64		yoe;
	int64		doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* "1795481762448" (unix ms) or "2026-11-24 00:56:02.448+00"; -> TimestampTz */
static int
parse_ts(const char *s, int64 *out)
{
	int			y, mo, d, h, mi, sec;
	int			n = 0;

	if (sscanf(s, "%d-%d-%d %d:%d:%d%n", &y, &mo, &d, &h, &mi, &sec, &n) == 6)
	{
		int64		us = 0;
		const char *p = s + n;

		if (*p == '.')
		{
			int			digits = 0;

			for (p++; isdigit((unsigned char) *p); p++, digits++)
				if (digits < 6)
					us = us * 10 + (*p - '0');
			for (; digits < 6; digits++)
				us *= 10;
		}
		if (strncmp(p, "+00", 3) != 0)
			return -1;
		*out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec)
				- PG_EPOCH_UNIX) * 1000000 + us;
		return 0;
	}
	else
	{
		char	   *end;
		long long	ms = strtoll(s, &end, 10);

		if (end == s || *end != '\0')
			return -1;
		*out = (ms - PG_EPOCH_UNIX * 1000) * 1000;
		return 0;
	}
}

static int
cmp_ts(const void *a, const void *b, void *arg)
{
	const CodecSeries *s = arg;
	uint32		i = *(const uint32 *) a;
	uint32		j = *(const uint32 *) b;

	return s->ts[i] < s->ts[j] ? -1 : s->ts[i] > s->ts[j] ? 1 :
		(i < j ? -1 : i > j);
}

/* Sort one series by time (stable: equal timestamps keep file order). */
static void
sort_series(CodecSeries *s)
{
	uint32	   *idx = malloc(sizeof(uint32) * (s->n + 1));
	int64	   *ts = malloc(sizeof(int64) * (s->n + 1));
	float8	   *v = malloc(sizeof(float8) * (s->n + 1));
	uint32		i;

	for (i = 0; i < s->n; i++)
		idx[i] = i;
	qsort_r(idx, s->n, sizeof(uint32), cmp_ts, s);
	for (i = 0; i < s->n; i++)
	{
		ts[i] = s->ts[idx[i]];
		v[i] = s->v[idx[i]];
	}
	free(s->ts);
	free(s->v);
	free(idx);
	s->ts = ts;
	s->v = v;
}

int
codec_data_load(FILE *f, CodecData *d)
{
	char	   *line = NULL;
	size_t		linecap = 0;
	ssize_t		len;
	uint32		hcap = 1 << 16;
	uint32	   *htab = malloc(sizeof(uint32) * hcap);	/* series index + 1 */
	uint32		scap = 1024;
	uint64		lineno = 0;
	uint32		i;

	memset(htab, 0, sizeof(uint32) * hcap);
	d->series = calloc(scap, sizeof(CodecSeries));
	d->nseries = 0;
	d->nsamples = 0;

	while ((len = getline(&line, &linecap, f)) > 0)
	{
		char	   *t1;
		char	   *t2;
		char	   *end;
		int64		ts;
		float8		v;
		uint64		h;
		CodecSeries *s;

		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		t1 = strchr(line, '\t');
		t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t2)
			goto bad;
		*t1++ = '\0';
		*t2++ = '\0';
		if (parse_ts(t1, &ts) != 0)
			goto bad;
		v = strtod(t2, &end);
		if (end == t2 || *end != '\0')
			goto bad;

		/* open addressing on the labels; grows at half full */
		if (d->nseries * 2 >= hcap)
		{
			uint32		ncap = hcap * 2;
			uint32	   *nt = calloc(ncap, sizeof(uint32));

			for (i = 0; i < d->nseries; i++)
			{
				uint32		k = (uint32) hash_str(d->series[i].labels) & (ncap - 1);

				while (nt[k])
					k = (k + 1) & (ncap - 1);
				nt[k] = i + 1;
			}
			free(htab);
			htab = nt;
			hcap = ncap;
		}
		h = hash_str(line) & (hcap - 1);
		while (htab[h] && strcmp(d->series[htab[h] - 1].labels, line) != 0)
			h = (h + 1) & (hcap - 1);
		if (!htab[h])
		{
			if (d->nseries == scap)
			{
				scap *= 2;
				d->series = realloc(d->series, scap * sizeof(CodecSeries));
				memset(d->series + d->nseries, 0,
					   (scap - d->nseries) * sizeof(CodecSeries));
			}
			d->series[d->nseries].labels = strdup(line);
			htab[h] = ++d->nseries;
		}
		s = &d->series[htab[h] - 1];
		if (s->n == s->cap)
		{
			s->cap = s->cap ? s->cap * 2 : 64;
			s->ts = realloc(s->ts, s->cap * sizeof(int64));
			s->v = realloc(s->v, s->cap * sizeof(float8));
		}
		s->ts[s->n] = ts;
		s->v[s->n] = v;
		s->n++;
		d->nsamples++;
	}
	free(line);
	free(htab);
	for (i = 0; i < d->nseries; i++)
		sort_series(&d->series[i]);
	return 0;

bad:
	fprintf(stderr, "codec_data: malformed line %llu\n",
			(unsigned long long) lineno);
	free(line);
	free(htab);
	return -1;
}

void
codec_data_free(CodecData *d)
{
	uint32		i;

	for (i = 0; i < d->nseries; i++)
	{
		free(d->series[i].labels);
		free(d->series[i].ts);
		free(d->series[i].v);
	}
	free(d->series);
}
