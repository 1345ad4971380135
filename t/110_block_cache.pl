# The block cache never returns stale samples, whatever happens to the pages
# it was filled from, and a big scan does not flush a hot working set.
#
# Every tsdb table has a heap twin loaded with the same rows, compared bit
# for bit (float8send) after each change, having read the tsdb table
# through the cache before it, so that the cache holds entries for the old
# contents: TRUNCATE, VACUUM FULL, DROP and re-CREATE with
# the same shapes, pages recycled by VACUUM and rewritten by the next
# compaction, an aborted compaction followed by a new one, and a standby
# reading after replay.  Then the scan resistance with a 2 MB cache, and
# the server with the cache off.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'tsdb'
tsdb.worker_enabled = off
autovacuum = off
tsdb.block_cache_size = 2MB
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION tsdb;
	CREATE FUNCTION twin_diff(t regclass, h regclass) RETURNS bigint LANGUAGE plpgsql AS $$
	DECLARE n bigint;
	BEGIN
		EXECUTE format('SELECT count(*) FROM (
			(SELECT series::text, ts, float8send(value) FROM %s EXCEPT ALL
			 SELECT series::text, ts, float8send(value) FROM %s)
			UNION ALL
			(SELECT series::text, ts, float8send(value) FROM %s EXCEPT ALL
			 SELECT series::text, ts, float8send(value) FROM %s)) d', t, h, h, t) INTO n;
		RETURN n;
	END $$;
});

# SQL that adds the same rows to a tsdb table and its heap twin: nseries
# series of per samples each, 10 s apart from the day given, values from
# "seed" so that each load has its own bytes.
sub load_sql
{
	my ($t, $h, $day, $nseries, $per, $seed) = @_;
	my $n = $nseries * $per;
	return qq{
		INSERT INTO $h SELECT 's{i="' || i % $nseries || '"}',
		       '2026-01-01'::timestamptz + interval '$day day' + (i / $nseries) * interval '10 s',
		       ((i * $seed) % 1009) / 7.0 FROM generate_series(0, $n - 1) i;
		INSERT INTO $t SELECT * FROM $h
		 WHERE ts >= '2026-01-01'::timestamptz + interval '$day day'
		   AND ts < '2026-01-01'::timestamptz + interval '@{[$day + 1]} day';
	};
}

sub cache_stat
{
	my ($n, $col) = @_;
	return $n->safe_psql('postgres', "SELECT $col FROM tsdb.block_cache_stats()");
}

sub tables_sql
{
	my ($t, $h) = @_;
	return qq{
		CREATE TABLE $t (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
		CREATE TABLE $h (series tsdb.labels, ts timestamptz, value float8);
	};
}

# --- TRUNCATE: a new file, the old entries age out.  (TRUNCATE in the
# creating transaction keeps the file, but no segment can be written in it
# before the commit: compaction takes committed samples only.)
$node->safe_psql('postgres', tables_sql('m', 'h') . load_sql('m', 'h', 0, 10, 3000, 3)
	  . q{SELECT tsdb.compact('m'); SELECT count(*) FROM m;});
my $inserts = cache_stat($node, 'inserts');
ok($inserts > 0, 'the first scan filled the cache');
is($node->safe_psql('postgres', "SELECT count(*) FROM m; SELECT twin_diff('m', 'h')"),
	"30000\n0", 'warm scan equals the heap twin');
ok(cache_stat($node, 'hits') > 0, 'the warm scan hit the cache');
$node->safe_psql('postgres', 'TRUNCATE m, h;' . load_sql('m', 'h', 0, 10, 3000, 5)
	  . q{SELECT tsdb.compact('m')});
is($node->safe_psql('postgres', "SELECT twin_diff('m', 'h')"), '0', 'after TRUNCATE and a reload of the same shape');

# --- VACUUM FULL copies the segments to a new file
$node->safe_psql('postgres', "SELECT count(*) FROM m; VACUUM FULL m;");
is($node->safe_psql('postgres', "SELECT twin_diff('m', 'h'); SELECT twin_diff('m', 'h')"), "0\n0",
	'after VACUUM FULL');
$node->safe_psql('postgres', load_sql('m', 'h', 1, 10, 3000, 13) . q{SELECT tsdb.compact('m')});
is($node->safe_psql('postgres', "SELECT twin_diff('m', 'h')"), '0', 'after VACUUM FULL and a compaction');

# --- DROP and CREATE again with the same shapes
$node->safe_psql('postgres', "SELECT count(*) FROM m; DROP TABLE m, h;" . tables_sql('m', 'h')
	  . load_sql('m', 'h', 0, 10, 3000, 17) . q{SELECT tsdb.compact('m')});
is($node->safe_psql('postgres', "SELECT twin_diff('m', 'h')"), '0', 'after DROP and CREATE');

# --- pages recycled by VACUUM and rewritten by later compactions and merges
for my $round (1 .. 4)
{
	$node->safe_psql('postgres', load_sql('m', 'h', $round, 10, 2000, 17 + 2 * $round)
		  . q{SELECT tsdb.compact('m', merge => true); VACUUM m;});
	is($node->safe_psql('postgres', "SELECT twin_diff('m', 'h'); SELECT twin_diff('m', 'h')"), "0\n0",
		"recycling round $round");
}

# --- an aborted compaction, read inside its transaction, then VACUUM and
# a new compaction of more samples into the recycled pages
my $stale = cache_stat($node, 'stale');
$node->safe_psql('postgres', 'DROP TABLE m, h;' . tables_sql('m', 'h') . load_sql('m', 'h', 0, 10, 3000, 19));
$node->safe_psql('postgres', q{
	BEGIN;
	SELECT tsdb.compact('m');
	SELECT count(*) FROM m;
	ROLLBACK;
	VACUUM m;});
$node->safe_psql('postgres', load_sql('m', 'h', -1, 10, 50, 23) . q{SELECT tsdb.compact('m')});
is($node->safe_psql('postgres', "SELECT twin_diff('m', 'h')"), '0', 'after an aborted compaction and a new one');
ok(cache_stat($node, 'stale') > $stale, 'the aborted compaction\'s chunks were found with other bytes');

# --- a standby reads through its own cache after replaying new segments
$node->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'bk', has_streaming => 1);
$standby->start;
for my $round (1 .. 3)
{
	$node->wait_for_catchup($standby, 'replay', $node->lsn('insert'));
	is($standby->safe_psql('postgres', "SELECT twin_diff('m', 'h'); SELECT twin_diff('m', 'h')"), "0\n0",
		"standby, round $round");
	$node->safe_psql('postgres', load_sql('m', 'h', $round, 10, 2000, 29 + $round)
		  . q{SELECT tsdb.compact('m', merge => true); VACUUM m;});
}
$node->wait_for_catchup($standby, 'replay', $node->lsn('insert'));
is($standby->safe_psql('postgres', "SELECT twin_diff('m', 'h')"), '0', 'standby after the last round');
ok($standby->safe_psql('postgres', 'SELECT hits FROM tsdb.block_cache_stats()') > 0,
	'the standby served reads from its cache');
$standby->stop;

# --- scan resistance.  2 MB: a quarter for the probationary part.  "hot"
# (10 chunks, about 340 kB decoded) is read three times, "once" (the same
# size) once, then "big" (about 5 times the cache) is scanned.  The hot chunks
# were promoted and stay; those read once were evicted by the scan, which
# shows the scan did press on the cache.
$node->safe_psql('postgres', tables_sql('hot', 'hot_h') . load_sql('hot', 'hot_h', 0, 10, 2000, 31)
	  . tables_sql('once', 'once_h') . load_sql('once', 'once_h', 0, 10, 2000, 37)
	  . tables_sql('big', 'big_h') . load_sql('big', 'big_h', 0, 200, 3000, 41)
	  . q{SELECT tsdb.compact('hot'); SELECT tsdb.compact('once'); SELECT tsdb.compact('big');
		  SELECT tsdb.block_cache_reset();});
my $hot_chunks = $node->safe_psql('postgres', "SELECT count(*) FROM tsdb.chunks('hot')");
my $once_chunks = $node->safe_psql('postgres', "SELECT count(*) FROM tsdb.chunks('once')");
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM hot; SELECT count(*) FROM once; SELECT count(*) FROM hot; SELECT count(*) FROM hot;
	SELECT session_hits, session_misses FROM tsdb.block_cache_stats();}),
	"20000\n20000\n20000\n20000\n" . (2 * $hot_chunks) . '|' . ($hot_chunks + $once_chunks),
	'hot read three times, once read once');
is($node->safe_psql('postgres', q{SELECT count(*) FROM big; SELECT evictions > 0 FROM tsdb.block_cache_stats()}),
	"600000\nt", 'the big scan evicted chunks');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM hot; SELECT session_hits, session_misses FROM tsdb.block_cache_stats();}),
	"20000\n$hot_chunks|0", 'every hot chunk still cached after the big scan');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM once; SELECT session_hits, session_misses FROM tsdb.block_cache_stats();}),
	"20000\n0|$once_chunks", 'the chunks read once were evicted by it');
is($node->safe_psql('postgres', "SELECT twin_diff('big', 'big_h')"), '0', 'big scan equals its twin');
ok(cache_stat($node, 'protected_bytes') > 0, 'hot chunks are in the protected part');

# --- concurrent readers under eviction: four clients scan the three tables
# for a few seconds with the 2 MB cache, so entries are evicted, promoted
# and replaced across partitions while others read them.  Each query checks
# its count and sum against those of a scan before (the chunks are read in
# the same order, so the float sum is the same to the bit) and divides by
# zero otherwise (not a constant 1 / 0, which the planner would fold and
# raise at once), which aborts pgbench.
my $script = $node->basedir . '/scans.sql';
my $checks = '';
for my $t ('hot', 'once', 'big')
{
	my ($n, $sum) = split /\|/,
	  $node->safe_psql('postgres', "SELECT count(*), sum(value) FROM $t");
	$checks .= "SELECT CASE WHEN count(*) = $n AND sum(value) = '$sum'::float8 THEN 1 ELSE 1 / (count(*) * 0) END FROM $t;\n";
}
PostgreSQL::Test::Utils::append_to_file($script, $checks);
my $evictions = cache_stat($node, 'evictions');
my $hits = cache_stat($node, 'hits');
$node->command_ok([ 'pgbench', '-n', '-c', '4', '-j', '2', '-T', '6', '-f', $script, 'postgres' ],
	'four clients scanning under eviction always read the same samples');
ok(cache_stat($node, 'evictions') > $evictions && cache_stat($node, 'hits') > $hits,
	'the concurrent scans both hit and evicted');
is($node->safe_psql('postgres', "SELECT twin_diff('hot', 'hot_h'); SELECT twin_diff('big', 'big_h')"),
	"0\n0", 'equal to the twins after the concurrent scans');

# --- the cache off
$node->adjust_conf('postgresql.conf', 'tsdb.block_cache_size', '0');
$node->restart;
is($node->safe_psql('postgres', q{
	SELECT twin_diff('m', 'h'); SELECT twin_diff('hot', 'hot_h'); SELECT count(*) FROM hot;
	SELECT size_bytes, used_bytes, hits, misses, hit_rate IS NULL, session_hits FROM tsdb.block_cache_stats()}),
	"0\n0\n20000\n0|0|0|0|t|0", 'with tsdb.block_cache_size = 0 reads decode every time and nothing is counted');
$node->safe_psql('postgres', 'SELECT tsdb.block_cache_reset()');
my ($ret, $out, $err) = $node->psql('postgres', "SET tsdb.block_cache_size = '8MB'");
like($err, qr/cannot be changed without restarting the server/, 'the size is fixed at server start');

$node->stop;
done_testing();
