# The shared-memory label index (src/label_index.c) is a cache of the series
# dictionary pages: rebuilt after a restart and after a crash, built on a
# hot standby from replayed pages and extended as the primary adds series,
# correct with concurrent creators of new series, and replaced by the
# backend-local cache when tsdb.label_index_max_memory is too small.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'tsdb'
tsdb.worker_enabled = off
});
$primary->start;
$primary->safe_psql('postgres', q{
	CREATE EXTENSION tsdb;
	CREATE TABLE m (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO m SELECT format('http_requests_total{job="%s",code="%s",instance="host-%s"}',
			(ARRAY['x', 'y', 'z'])[i % 3 + 1], 200 + (i % 4) * 100 + i % 7, i % 50),
		'2026-01-01'::timestamptz + i * interval '1 s', i
		FROM generate_series(1, 6000) i;
	CREATE TABLE matchers (m text);
	INSERT INTO matchers VALUES ('{job="x", code=~"5.."}'), ('{job!="x"}'),
		('{code!~"2.."}'), ('{instance=~"host-1.*", job=""}'), ('{job=~"x|y", code!="500"}'),
		('{missing=""}');
	-- index ids and dictionary ids differ for how many matchers
	CREATE FUNCTION differ(rel regclass) RETURNS int8 LANGUAGE sql AS $$
		SELECT count(*) FROM matchers,
			LATERAL (SELECT array_agg(x) AS a FROM tsdb.label_index_match(rel, m) x) i,
			LATERAL (SELECT array_agg(series_id ORDER BY series_id) AS a
			         FROM tsdb.series(rel) WHERE labels @@ m) d
		WHERE i.a IS DISTINCT FROM d.a
	$$;
	-- a fingerprint of every matcher's answer
	CREATE FUNCTION answers(rel regclass) RETURNS text LANGUAGE sql AS $$
		SELECT string_agg(m || ':' || n, ' ' ORDER BY m COLLATE "C") FROM matchers,
			LATERAL (SELECT count(*) AS n FROM tsdb.label_index_match(rel, m)) i
	$$;
});
my $query_state = q{SELECT coalesce(string_agg(state || ':' || series, ','), 'none')
	FROM tsdb.label_index_stats() WHERE relid = 'm'::regclass};

is($primary->safe_psql('postgres', 'SELECT differ(\'m\')'), '0', 'index matches the dictionary');
my $answers = $primary->safe_psql('postgres', "SELECT answers('m')");
is($primary->safe_psql('postgres', $query_state), 'ready:2100', 'inserts built the index');

# A restart empties shared memory; first use rebuilds from the pages.
$primary->restart;
is($primary->safe_psql('postgres', $query_state), 'none', 'nothing indexed after a restart');
is($primary->safe_psql('postgres', "SELECT answers('m')"), $answers, 'rebuilt index gives the same answers');
is($primary->safe_psql('postgres', $query_state), 'ready:2100', 'rebuilt from the dictionary');

# A crash: never trusted, rebuilt.
$primary->stop('immediate');
$primary->start;
is($primary->safe_psql('postgres', $query_state), 'none', 'nothing indexed after a crash');
is($primary->safe_psql('postgres', 'SELECT differ(\'m\')'), '0', 'rebuilt after a crash, same answers');

# A hot standby builds its own index from replayed pages, and extends it
# when the primary adds series.
$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', "SELECT answers('m')"), $answers, 'standby gives the same answers');
is($standby->safe_psql('postgres', $query_state), 'ready:2100', 'standby built its own index');
$primary->safe_psql('postgres', q{
	INSERT INTO m SELECT format('http_requests_total{job="x",code="5%s",instance="late"}', i),
		'2026-01-02', i FROM generate_series(10, 29) i;
});
$answers = $primary->safe_psql('postgres', "SELECT answers('m')");
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', "SELECT answers('m')"), $answers, 'standby follows new series');
is($standby->safe_psql('postgres', 'SELECT differ(\'m\')'), '0', 'standby index matches its dictionary');
is($standby->safe_psql('postgres',
	q{SELECT tsdb.label_index_lookup('m', 'http_requests_total{job="x",code="529",instance="late"}') = series_id
	  FROM tsdb.series('m') WHERE labels = 'http_requests_total{job="x",code="529",instance="late"}'}),
	't', 'standby looks up a replayed series');
$standby->stop;

# Concurrent creators of new series: each label set gets one id, every
# backend agrees on it, and the index holds exactly the dictionary.
$primary->safe_psql('postgres',
	'CREATE TABLE c (series tsdb.labels, ts timestamptz, value float8) USING tsdb');
my $script = $primary->basedir . '/insert.sql';
open(my $fh, '>', $script) or die;
print $fh q{\set i random(1, 1500)
INSERT INTO c VALUES (format('c{k="%s",job="%s"}', :i, :i % 5), now(), :i);
};
close($fh);
$primary->command_ok([ 'pgbench', '-n', '-c', '4', '-j', '2', '-t', '400', '-f', $script,
	'-h', $primary->host, '-p', $primary->port, 'postgres' ], 'four sessions insert new series');
is($primary->safe_psql('postgres', q{
	SELECT count(*) = count(DISTINCT labels) AND max(series_id) = count(*)
	FROM tsdb.series('c')}), 't', 'one dense id per label set');
is($primary->safe_psql('postgres', q{SELECT count(*) FROM c}), '1600', 'every sample inserted');
is($primary->safe_psql('postgres', q{
	SELECT count(*) FROM c WHERE tsdb.label_index_lookup('c', series) IS NULL
	   OR (series -> 'k')::int % 5 <> (series -> 'job')::int}), '0', 'every sample has its series');
is($primary->safe_psql('postgres', q{
	SELECT count(*) FROM tsdb.series('c') s WHERE tsdb.label_index_lookup('c', s.labels) <> s.series_id}),
	'0', 'index ids are dictionary ids');
is($primary->safe_psql('postgres', q{
	SELECT (SELECT array_agg(x) FROM tsdb.label_index_match('c', '{job="3"}') x)
	     = (SELECT array_agg(series_id ORDER BY series_id) FROM tsdb.series('c') WHERE labels @@ '{job="3"}')}),
	't', 'postings of concurrent creators are complete and sorted');

# A cap too small for a new table: it is not indexed, inserts still
# succeed through the backend-local cache, and matchers are right.
$primary->safe_psql('postgres', q{ALTER SYSTEM SET tsdb.label_index_max_memory = '256kB'; SELECT pg_reload_conf()});
$primary->poll_query_until('postgres', q{SHOW tsdb.label_index_max_memory}, '256kB') or die;
$primary->safe_psql('postgres', q{
	CREATE TABLE small (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO small SELECT format('s{k="%s",job="%s"}', i, i % 3), '2026-01-01', i
		FROM generate_series(1, 5000) i;
	INSERT INTO small SELECT format('s{k="%s",job="%s"}', i, i % 3), '2026-01-02', i
		FROM generate_series(4990, 5010) i;
	INSERT INTO matchers VALUES ('{job="1"}'), ('{k=~"49.."}');
});
is($primary->safe_psql('postgres', q{SELECT state FROM tsdb.label_index_stats() WHERE relid = 'small'::regclass}),
	'refused', 'a table over the cap is refused');
is($primary->safe_psql('postgres', q{SELECT count(*), count(DISTINCT series) FROM small}), '5021|5010',
	'inserts succeed without the index');
is($primary->safe_psql('postgres', q{SELECT count(*) = max(series_id) FROM tsdb.series('small')}), 't',
	'no series created twice');
is($primary->safe_psql('postgres', 'SELECT differ(\'small\')'), '0', 'matchers right without the index');
# (the tables indexed before the cap was lowered stay: it stops growth)
is($primary->safe_psql('postgres', q{SELECT fallbacks > 0
	FROM tsdb.label_index_stats() WHERE state = 'total'}), 't', 'fallbacks counted');
ok($primary->log_contains('relation "small" is not indexed, tsdb.label_index_max_memory \(256 kB\) is reached'),
	'the refusal is logged');
# Raised again: the table is indexed on its next use.
$primary->safe_psql('postgres', q{ALTER SYSTEM RESET tsdb.label_index_max_memory; SELECT pg_reload_conf()});
$primary->poll_query_until('postgres', q{SHOW tsdb.label_index_max_memory}, '64MB') or die;
is($primary->safe_psql('postgres', 'SELECT differ(\'small\')'), '0', 'matchers right with the index');
is($primary->safe_psql('postgres', q{SELECT state || ':' || series FROM tsdb.label_index_stats() WHERE relid = 'small'::regclass}),
	'ready:5010', 'indexed once the cap allows');

# DROP TABLE: the maintenance worker's visit frees the dropped table's index.
$primary->safe_psql('postgres', 'DROP TABLE small');
$primary->append_conf('postgresql.conf', "tsdb.worker_enabled = on\ntsdb.worker_naptime = 1");
$primary->reload;
ok($primary->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM tsdb.label_index_stats() s
	WHERE s.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
	  AND NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = s.relid)}),
	'a dropped table is pruned from the index');

$primary->stop;
done_testing();
