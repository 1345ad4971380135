# The real data set (data/node-exporter-5s.tsv.zst, 184,320 samples of 512
# series scraped from node_exporter) through scripts/tsv2copy.pl and COPY into
# a tsdb table and a heap table: the conversion is exact to the millisecond
# and the bit, both tables hold the same rows, label queries agree, and the
# deterministic storage figures stay where they are (bytes per sample on disk
# and in WAL).
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# Whole relation after compaction, bytes per sample (deterministic).
my $MAX_COMPACTED_BYTES = 0.8;    # measured 0.756 (format 4)

my $top = "$FindBin::Bin/..";
my $N = 184320;

my $node = PostgreSQL::Test::Cluster->new('realdata');
$node->init(allows_streaming => 1);    # wal_level = replica, as in production
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'tsdb'
max_wal_size = 1GB
# the figures are those of the head as loaded; no background compaction
tsdb.worker_enabled = off
});
$node->start;

my $raw = $node->basedir . '/raw.tsv';
my $copy = $node->basedir . '/samples.copy';
system("zstd -q -dc '$top/data/node-exporter-5s.tsv.zst' > '$raw'") == 0 or die "zstd failed";
system("perl '$top/scripts/tsv2copy.pl' < '$raw' > '$copy'") == 0 or die "tsv2copy.pl failed";

$node->safe_psql('postgres', qq{
	CREATE EXTENSION tsdb;
	CREATE TABLE raw (series text, ms bigint, value text);
	COPY raw FROM '$raw';
	CREATE TABLE m (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;
	CREATE TABLE h (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL);
	CREATE TABLE figures (tbl text, wal numeric, bytes numeric);
});

# COPY each, right after a checkpoint, measuring WAL from the insert LSN.
for my $t ('m', 'h')
{
	$node->safe_psql('postgres', qq{
		CHECKPOINT;
		SELECT pg_current_wal_insert_lsn() AS l0 \\gset
		COPY $t FROM '$copy';
		SELECT pg_current_wal_insert_lsn() AS l1 \\gset
		INSERT INTO figures VALUES ('$t', pg_wal_lsn_diff(:'l1', :'l0'), pg_total_relation_size('$t'));
	});
}

is($node->safe_psql('postgres', 'SELECT (SELECT count(*) FROM raw), (SELECT count(*) FROM m), (SELECT count(*) FROM h)'),
	"$N|$N|$N", 'all samples loaded into both tables');

# tsv2copy.pl is exact: every (series, unix ms, value bits) of the file comes
# back from the tsdb table, and the other way round.  The series' text form
# is the file's, since the file already lists labels sorted.
my $exact = q{
	SELECT series::text, (extract(epoch FROM ts) * 1000)::numeric AS ms, float8send(value) FROM m
	EXCEPT ALL SELECT series, ms, float8send(value::float8) FROM raw};
my $exact_back = q{
	SELECT series, ms, float8send(value::float8) FROM raw
	EXCEPT ALL SELECT series::text, (extract(epoch FROM ts) * 1000)::numeric, float8send(value) FROM m};
is($node->safe_psql('postgres', "SELECT count(*) FROM ($exact) a"), '0', 'tsdb rows all in the file, exactly');
is($node->safe_psql('postgres', "SELECT count(*) FROM ($exact_back) a"), '0', 'file rows all in tsdb, exactly');
is($node->safe_psql('postgres', q{SELECT count(*) FROM m WHERE extract(microseconds FROM ts)::bigint % 1000 <> 0}),
	'0', 'timestamps are whole milliseconds');

is($node->safe_psql('postgres', 'SELECT count(*) FROM (TABLE m EXCEPT ALL TABLE h) a'), '0', 'tsdb EXCEPT ALL heap is empty');
is($node->safe_psql('postgres', 'SELECT count(*) FROM (TABLE h EXCEPT ALL TABLE m) a'), '0', 'heap EXCEPT ALL tsdb is empty');

# The data set's documented shape (data/README.md).
is($node->safe_psql('postgres', q{SELECT count(DISTINCT series), count(DISTINCT series -> '__name__'),
	min(ts), max(ts) FROM m}),
	'512|290|2026-11-24 00:56:02.448+00|2026-11-24 01:25:57.448+00', 'series, metric names and time span');
is($node->safe_psql('postgres', 'SELECT min(n), max(n) FROM (SELECT count(*) AS n FROM m GROUP BY series) s'),
	'360|360', '360 samples for every series');

# Label queries give the same answers on both tables (sums in numeric, so
# scan order cannot change the last bits).
for my $q (
	q{SELECT series -> '__name__', count(*), sum(value::numeric) FROM %s GROUP BY 1 ORDER BY 1},
	q{SELECT series -> 'mode', count(*), max(value) FROM %s
	   WHERE series @@ '{__name__="node_cpu_seconds_total", cpu="1", mode!~"i.*"}' GROUP BY 1 ORDER BY 1},
	q{SELECT ts, value FROM %s WHERE series = 'node_load1{instance="127.0.0.1:19100",job="node"}'
	   AND ts >= '2026-11-24 01:00+00' AND ts < '2026-11-24 01:10+00' ORDER BY ts},
	q{SELECT date_bin('5 min', ts, 'epoch'), count(*), avg(value::numeric) FROM %s
	   WHERE series @@ '{__name__=~"node_memory_.*"}' GROUP BY 1 ORDER BY 1})
{
	my $tq = sprintf($q, 'm');
	my $res = $node->safe_psql('postgres', $tq);
	ok($res ne '', "non-empty: $tq");
	is($res, $node->safe_psql('postgres', sprintf($q, 'h')), "tsdb equals heap: $tq");
}
is($node->safe_psql('postgres', q{SELECT count(*) FROM m WHERE series @@ '{__name__="node_cpu_seconds_total", mode="idle"}'}),
	'720', 'matcher picks the 2 idle CPU series');

# Storage figures, deterministic for a given format: head pages hold 20
# bytes per sample plus run headers and a COPY logs about one record per
# page.  Compression will lower these; growth is a regression.
my ($m_wal, $m_bytes) = split /\|/,
  $node->safe_psql('postgres', "SELECT round(wal / $N, 2), round(bytes / $N, 2) FROM figures WHERE tbl = 'm'");
my ($h_wal, $h_bytes) = split /\|/,
  $node->safe_psql('postgres', "SELECT round(wal / $N, 2), round(bytes / $N, 2) FROM figures WHERE tbl = 'h'");
note("bytes/sample: tsdb $m_bytes on disk, $m_wal WAL; heap (no index) $h_bytes on disk, $h_wal WAL");
cmp_ok($m_bytes, '<=', 21, 'tsdb: at most 21 bytes per sample on disk');
cmp_ok($m_wal, '<=', 21.5, 'tsdb: at most 21.5 bytes of WAL per sample for a COPY');
cmp_ok($m_wal * 4, '<', $h_wal, 'tsdb COPY writes less than a quarter of the WAL of a heap COPY without index');

# Compacted, the data set takes at most $MAX_COMPACTED_BYTES bytes per sample on disk,
# counting every page but the head's (head pages are recycled once
# compacted): the metapage, the series dictionary and the segment.
# Deterministic for a given format; growth is a regression.
is($node->safe_psql('postgres', "SELECT tsdb.compact('m')"), $N, 'compaction moves every sample');
my %pages = map { split /\|/ } split /\n/,
  $node->safe_psql('postgres', "SELECT page_type, pages FROM tsdb.page_types('m')");
my $stored = $pages{meta} + $pages{dictionary} + $pages{segment};
my $compact_bps = sprintf('%.3f', $stored * 8192 / $N);
note("compacted: $pages{segment} segment pages, $pages{dictionary} dictionary pages, $pages{meta} metapage: "
	  . "$compact_bps bytes/sample");
is($pages{meta}, 1, 'one metapage');
cmp_ok($compact_bps, '<=', $MAX_COMPACTED_BYTES,
	"compacted: at most $MAX_COMPACTED_BYTES bytes per sample (segment + dictionary + metapage)");
is($node->safe_psql('postgres', 'SELECT count(*) FROM (TABLE m EXCEPT ALL TABLE h) a'), '0', 'compacted: tsdb EXCEPT ALL heap is empty');
is($node->safe_psql('postgres', 'SELECT count(*) FROM (TABLE h EXCEPT ALL TABLE m) a'), '0', 'compacted: heap EXCEPT ALL tsdb is empty');

# Every chunk header agrees with its samples: count, time range, min and
# max exactly, sum up to rounding (added here in another order).
$node->safe_psql('postgres', 'CREATE INDEX ON h (series, ts)');
is($node->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE c.samples <> d.n OR c.min_ts <> d.t0 OR c.max_ts <> d.t1
	                           OR c.min <> d.lo OR c.max <> d.hi
	                           OR abs(c.sum - d.s) > 1e-12 * greatest(abs(c.sum), 1))
	  FROM tsdb.chunks('m') c JOIN tsdb.series('m') s USING (series_id),
	       LATERAL (SELECT count(*) AS n, min(ts) AS t0, max(ts) AS t1, min(value) AS lo,
	                       max(value) AS hi, sum(value) AS s
	                  FROM h WHERE h.series = s.labels AND h.ts BETWEEN c.min_ts AND c.max_ts) d}),
	'0', 'chunk headers match their samples');

# A clean restart changes nothing.
$node->restart;
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT series) FROM m'), "$N|512", 'same counts after restart');
is($node->safe_psql('postgres', 'SELECT count(*) FROM (TABLE m EXCEPT ALL TABLE h) a'), '0', 'same rows after restart');

# Compacted, the data set takes under 0.8 bytes per sample, losslessly: after
# tsdb.compact and VACUUM FULL (which keeps the segments and leaves no head
# pages), the whole relation -- metapage, series dictionary and segment
# pages, every fork -- over the samples.
# (the background worker may have compacted some or all of it already)
$node->safe_psql('postgres', q{SELECT tsdb.compact('m')});
is($node->safe_psql('postgres', q{SELECT sum(samples) FROM tsdb.segments('m') WHERE xmax IS NULL}),
	$N, 'every sample is in a live segment');
$node->safe_psql('postgres', 'VACUUM FULL m');
my $seg_bytes = $node->safe_psql('postgres', "SELECT round(pg_total_relation_size('m')::numeric / $N, 3)");
note("compacted: $seg_bytes bytes per sample, whole relation");
cmp_ok($seg_bytes, '<=', $MAX_COMPACTED_BYTES, "compacted: at most $MAX_COMPACTED_BYTES bytes per sample, whole relation");
is($node->safe_psql('postgres', q{SELECT count(*) FROM tsdb.head_runs('m')}), '0', 'no head runs left');
is($node->safe_psql('postgres', 'SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM m EXCEPT ALL SELECT series, ts, float8send(value) FROM h) a'),
	'0', 'compacted: tsdb EXCEPT ALL heap is empty, bit for bit');
is($node->safe_psql('postgres', 'SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM h EXCEPT ALL SELECT series, ts, float8send(value) FROM m) a'),
	'0', 'compacted: heap EXCEPT ALL tsdb is empty, bit for bit');

$node->stop;
done_testing();
