/*
 * gen.c
 *	  Deterministic generator of Prometheus-like samples for benchmarks.
 *
 * Writes PostgreSQL COPY text lines "series\ttimestamptz\tvalue" in time
 * order, the way scrapes arrive: every interval, every host is scraped and
 * all of its series get a sample with that scrape's timestamp (each host has
 * its own phase and a few milliseconds of jitter).  Series are a mix like a
 * real exporter's: counters (integers, or decimals with few digits), gauges
 * with few decimals, constants, and noisy full-entropy floats.
 *
 * The same arguments always give the same bytes (own PRNG, no libc rand).
 *
 *	gen [-h hosts] [-s series_per_host] [-i interval_ms] [-d duration_s]
 *		[-t start_unix_s] [-r seed] [-n noisy_percent] [-o]
 *
 * -o prints only the distinct series, one per line (to pick query targets).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng_state;

/* splitmix64: small, fast, and the same everywhere */
static uint64_t
rng_next(void)
{
	uint64_t	z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static double
rng_unit(void)
{
	return (rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

typedef enum
{
	KIND_COUNTER_INT,			/* e.g. bytes/packets totals */
	KIND_COUNTER_DEC,			/* e.g. cpu seconds, 2 decimals */
	KIND_GAUGE_DEC,				/* e.g. temperature, memory in kB, few decimals */
	KIND_CONST,					/* e.g. info metrics, limits */
	KIND_NOISY					/* full-entropy floats */
} Kind;

typedef struct
{
	char		labels[256];
	Kind		kind;
	double		value;
	double		rate;			/* per scrape, counters */
	int			decimals;
} Series;

static const char *metric_names[] = {
	"node_cpu_seconds_total", "node_network_receive_bytes_total",
	"node_network_transmit_bytes_total", "node_disk_read_bytes_total",
	"node_disk_written_bytes_total", "node_memory_MemFree_bytes",
	"node_memory_Cached_bytes", "node_filesystem_avail_bytes",
	"node_hwmon_temp_celsius", "node_load1", "node_load5",
	"process_resident_memory_bytes", "http_requests_total",
	"http_request_duration_seconds_sum", "go_goroutines",
	"node_filesystem_size_bytes", "node_network_up", "node_scrape_collector_duration_seconds"
};

static const char *cpu_modes[] = {
	"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"
};

static const char *http_codes[] = {"200", "201", "404", "500", "503"};

static Kind
kind_of(const char *name, int noisy_percent)
{
	if (strstr(name, "duration_seconds") || strstr(name, "load"))
		return (int) (rng_unit() * 100) < noisy_percent * 3 ? KIND_NOISY : KIND_GAUGE_DEC;
	if (strstr(name, "_total"))
		return strstr(name, "seconds") ? KIND_COUNTER_DEC : KIND_COUNTER_INT;
	if (strstr(name, "size_bytes") || strstr(name, "_up"))
		return KIND_CONST;
	return (int) (rng_unit() * 100) < noisy_percent ? KIND_NOISY : KIND_GAUGE_DEC;
}

static void
format_ts(char *buf, size_t len, int64_t ms)
{
	time_t		secs = (time_t) (ms / 1000);
	struct tm	tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (ms % 1000));
}

static double
round_to(double v, int decimals)
{
	double		p = pow(10.0, decimals);

	return round(v * p) / p;
}

int
main(int argc, char **argv)
{
	int			hosts = 10;
	int			per_host = 100;
	int64_t		interval_ms = 10000;
	int64_t		duration_s = 3600;
	int64_t		start_s = 1796083200;	/* 2026-12-01 00:00:00 UTC */
	uint64_t	seed = 42;
	int			noisy_percent = 10;
	int			series_only = 0;
	int			opt;
	Series	   *series;
	int64_t	   *phase;
	int		   *order;
	int			nseries;
	int64_t		t;
	char		tsbuf[64];

	while ((opt = getopt(argc, argv, "h:s:i:d:t:r:n:o")) != -1)
	{
		switch (opt)
		{
			case 'h': hosts = atoi(optarg); break;
			case 's': per_host = atoi(optarg); break;
			case 'i': interval_ms = atoll(optarg); break;
			case 'd': duration_s = atoll(optarg); break;
			case 't': start_s = atoll(optarg); break;
			case 'r': seed = strtoull(optarg, NULL, 10); break;
			case 'n': noisy_percent = atoi(optarg); break;
			case 'o': series_only = 1; break;
			default:
				fprintf(stderr, "usage: %s [-h hosts] [-s series_per_host] [-i interval_ms] [-d duration_s] [-t start_unix_s] [-r seed] [-n noisy_percent] [-o]\n", argv[0]);
				return 2;
		}
	}
	if (hosts <= 0 || per_host <= 0 || interval_ms <= 0 || duration_s <= 0)
	{
		fprintf(stderr, "gen: hosts, series, interval and duration must be positive\n");
		return 2;
	}

	rng_state = seed;
	nseries = hosts * per_host;
	series = calloc(nseries, sizeof(Series));
	phase = calloc(hosts, sizeof(int64_t));
	if (!series || !phase)
	{
		fprintf(stderr, "gen: out of memory\n");
		return 1;
	}
	for (int h = 0; h < hosts; h++)
	{
		phase[h] = (int64_t) (rng_unit() * interval_ms);
		for (int i = 0; i < per_host; i++)
		{
			Series	   *s = &series[h * per_host + i];
			int			nnames = sizeof(metric_names) / sizeof(metric_names[0]);
			const char *name = metric_names[i % nnames];
			int			k = i / nnames;

			/* label sets shaped like node_exporter's, distinct per (host, i) */
			if (strncmp(name, "node_cpu", 8) == 0)
				snprintf(s->labels, sizeof(s->labels),
						 "%s{cpu=\"%d\",instance=\"host-%04d:9100\",job=\"node\",mode=\"%s\"}",
						 name, k / 8, h, cpu_modes[k % 8]);
			else if (strncmp(name, "node_network", 12) == 0 ||
					 strncmp(name, "node_disk", 9) == 0)
				snprintf(s->labels, sizeof(s->labels),
						 "%s{device=\"dev%d\",instance=\"host-%04d:9100\",job=\"node\"}",
						 name, k, h);
			else if (strncmp(name, "node_filesystem", 15) == 0)
				snprintf(s->labels, sizeof(s->labels),
						 "%s{device=\"/dev/vd%c\",fstype=\"ext4\",instance=\"host-%04d:9100\",job=\"node\",mountpoint=\"/mnt/%d\"}",
						 name, 'a' + k % 26, h, k);
			else if (strncmp(name, "http_", 5) == 0)
				snprintf(s->labels, sizeof(s->labels),
						 "%s{code=\"%s\",handler=\"/api/v%d\",instance=\"host-%04d:9100\",job=\"api\",method=\"%s\"}",
						 name, http_codes[k % 5], k / 10, h, k % 2 ? "POST" : "GET");
			else
				snprintf(s->labels, sizeof(s->labels),
						 "%s{instance=\"host-%04d:9100\",job=\"node\",shard=\"%d\"}",
						 name, h, k);
			s->kind = kind_of(name, noisy_percent);
			s->decimals = 1 + (int) (rng_unit() * 3);
			s->value = round_to(rng_unit() * 1e6, s->decimals);
			s->rate = rng_unit() * 1000.0;
			if (s->kind == KIND_COUNTER_INT)
				s->value = floor(s->value);
		}
	}

	if (series_only)
	{
		for (int i = 0; i < nseries; i++)
			printf("%s\n", series[i].labels);
		return 0;
	}

	/* scrapes arrive in time order: visit hosts by phase */
	order = calloc(hosts, sizeof(int));
	for (int h = 0; h < hosts; h++)
		order[h] = h;
	for (int a = 1; a < hosts; a++)
		for (int b = a; b > 0 && phase[order[b]] < phase[order[b - 1]]; b--)
		{
			int			tmp = order[b];

			order[b] = order[b - 1];
			order[b - 1] = tmp;
		}

	for (t = 0; t < duration_s * 1000; t += interval_ms)
	{
		for (int hi = 0; hi < hosts; hi++)
		{
			int			h = order[hi];
			int64_t		ms = start_s * 1000 + t + phase[h] + (int64_t) (rng_unit() * 5);

			format_ts(tsbuf, sizeof(tsbuf), ms);
			for (int i = 0; i < per_host; i++)
			{
				Series	   *s = &series[h * per_host + i];

				switch (s->kind)
				{
					case KIND_COUNTER_INT:
						s->value += floor(s->rate * (0.5 + rng_unit()));
						printf("%s\t%s\t%.17g\n", s->labels, tsbuf, s->value);
						break;
					case KIND_COUNTER_DEC:
						s->value = round_to(s->value + s->rate * rng_unit() / 100.0, 2);
						printf("%s\t%s\t%.*f\n", s->labels, tsbuf, 2, s->value);
						break;
					case KIND_GAUGE_DEC:
						s->value = round_to(s->value * (0.99 + 0.02 * rng_unit()), s->decimals);
						printf("%s\t%s\t%.*f\n", s->labels, tsbuf, s->decimals, s->value);
						break;
					case KIND_CONST:
						printf("%s\t%s\t%.17g\n", s->labels, tsbuf, s->value);
						break;
					case KIND_NOISY:
						s->value = rng_unit() * 10.0 + s->rate;
						printf("%s\t%s\t%.17g\n", s->labels, tsbuf, s->value);
						break;
				}
			}
		}
	}
	return 0;
}
