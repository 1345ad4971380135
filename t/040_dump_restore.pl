# pg_dump / pg_restore round trip of tsdb tables, including a partitioned
# parent with tsdb partitions and values that must survive bit for bit.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
# tables with a tsdb.retention hold samples older than it: no worker may
# apply it while the dumps are compared
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'tsdb'
tsdb.worker_enabled = off
});
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE src; CREATE DATABASE dst;');
$node->safe_psql('src', q{
	CREATE EXTENSION tsdb;
	CREATE TABLE m (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;
	INSERT INTO m VALUES
	  ('f{k="nan"}', '2026-01-01 00:00:00.000001+00', 'NaN'),
	  ('f{k="inf"}', '2026-01-01 00:00:00.999999+00', 'Infinity'),
	  ('f{k="ninf"}', '2026-01-01', '-Infinity'),
	  ('f{k="negzero"}', '2026-01-01', '-0'),
	  ('f{k="stale"}', '2026-01-01', tsdb.staleness_marker()),
	  ('f{k="tiny"}', '2026-01-01', 4.9e-324),
	  ('f{quote="a\"b",nl="x\ny",slash="c:\\\\d"}', '2026-01-01', 1.0000000000000002);
	INSERT INTO m SELECT 'g{i="' || i % 17 || '"}', '2026-01-02'::timestamptz + i * interval '1 ms', random()
	  FROM generate_series(1, 5000) i;
	BEGIN; INSERT INTO m VALUES ('rolled_back', now(), 1); ROLLBACK;

	CREATE TABLE pm (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL)
	  PARTITION BY RANGE (ts);
	CREATE TABLE pm_1 PARTITION OF pm FOR VALUES FROM ('2026-01-01') TO ('2026-02-01') USING tsdb;
	CREATE TABLE pm_2 PARTITION OF pm FOR VALUES FROM ('2026-02-01') TO ('2026-03-01') USING tsdb;
	INSERT INTO pm SELECT 'p{i="' || i % 3 || '"}', '2026-01-01'::timestamptz + i * interval '1 hour', i
	  FROM generate_series(1, 1000) i;
	CREATE VIEW v AS SELECT series -> 'i' AS i, count(*) FROM pm WHERE series @@ '{__name__="p"}' GROUP BY 1;

	-- the tsdb.retention storage parameter, next to one of heap's
	CREATE TABLE kept (series tsdb.labels, ts timestamptz, value float8) USING tsdb
	  WITH (tsdb.retention = '30 days', autovacuum_enabled = off);
	INSERT INTO kept VALUES ('k', '2026-01-01', 1);
	ALTER TABLE pm_2 SET (tsdb.retention = '1 mon 12:00');
});

my $dump = $node->basedir . '/src.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ], 'pg_dump');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('dst'), $dump ], 'pg_restore');

is($node->safe_psql('dst', q{SELECT c.relname, a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
	WHERE c.relname IN ('m', 'pm_1', 'pm_2') ORDER BY 1}),
	"m|tsdb\npm_1|tsdb\npm_2|tsdb", 'restored tables use tsdb');

# pg_dump writes float8 as text, and float8's text form has one NaN: the
# Prometheus staleness marker (a NaN with its own payload) comes back as a
# plain NaN.  Every other value, NaN and infinities included, is exact.
my $exact = q{SELECT series, ts, CASE WHEN tsdb.is_staleness_marker(value) THEN float8send('NaN')
	ELSE float8send(value) END FROM m ORDER BY 1, 2, 3};
for my $q (
	$exact,
	'SELECT tableoid::regclass, series, ts, value FROM pm ORDER BY 2, 3',
	'SELECT * FROM v ORDER BY 1',
	'SELECT count(*) FROM m')
{
	is($node->safe_psql('dst', $q), $node->safe_psql('src', $q), "same result: $q");
}
is($node->safe_psql('dst', q{SELECT count(*) FROM m WHERE series = 'rolled_back'}), '0',
	'rolled-back sample not dumped');

# pg_dump writes tsdb.retention as WITH ("tsdb.retention"='30 days'), which
# the restore takes back into pg_class.reloptions.
my $options = q{SELECT c.relname, c.reloptions, tsdb.retention(c.oid) FROM pg_class c
	WHERE c.relname IN ('kept', 'm', 'pm_1', 'pm_2') ORDER BY 1};
is($node->safe_psql('src', $options),
	"kept|{autovacuum_enabled=off,\"tsdb.retention=30 days\"}|30 days\nm||\npm_1||\npm_2|{\"tsdb.retention=1 mon 12:00:00\"}|1 mon 12:00:00",
	'retention set on the source');
is($node->safe_psql('dst', $options), $node->safe_psql('src', $options), 'tsdb.retention restored');
is($node->safe_psql('dst', 'SELECT count(*) FROM kept'), '1', 'table with a retention restored with its data');

# Plain-format dump re-loads too (COPY text through psql).
my $plain = $node->basedir . '/src.sql';
$node->command_ok([ 'pg_dump', '-f', $plain, '-d', $node->connstr('src') ], 'plain pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE dst2');
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $plain, '-d', $node->connstr('dst2') ],
	'plain dump restores');
is($node->safe_psql('dst2', $exact), $node->safe_psql('src', $exact), 'plain dump round trip is exact');
is($node->safe_psql('dst2', $options), $node->safe_psql('src', $options), 'plain dump keeps tsdb.retention');
like(slurp_file($plain), qr/WITH \(.*"tsdb\.retention"='30 days'/, 'plain dump writes the retention in WITH');
is($node->safe_psql('dst', q{SELECT value::text FROM m WHERE series = 'f{k="stale"}'}), 'NaN',
	'staleness marker comes back from a text dump as NaN');

# Binary COPY keeps every bit, the staleness marker included.
my $bin = $node->basedir . '/m.bin';
$node->safe_psql('src', qq{
	COPY m TO '$bin' (FORMAT binary);
	CREATE TABLE m2 (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	COPY m2 FROM '$bin' (FORMAT binary);
});
is($node->safe_psql('src', 'SELECT series, ts, float8send(value) FROM m2 ORDER BY 1, 2, 3'),
	$node->safe_psql('src', 'SELECT series, ts, float8send(value) FROM m ORDER BY 1, 2, 3'),
	'binary COPY round trip is bit-exact');
is($node->safe_psql('src', q{SELECT tsdb.is_staleness_marker(value) FROM m2 WHERE series = 'f{k="stale"}'}),
	't', 'staleness marker survives binary COPY');

$node->stop;
done_testing();
