# tsdb registers a WAL resource manager, so it only works from
# shared_preload_libraries: without it, CREATE EXTENSION fails with a message
# that says how to fix it, and so does any use of an existing tsdb table.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('nopreload');
$node->init;
$node->start;

my ($rc, $out, $err) = $node->psql('postgres', 'CREATE EXTENSION tsdb');
isnt($rc, 0, 'CREATE EXTENSION fails without preload');
like($err, qr/tsdb must be loaded via shared_preload_libraries/, 'error names the problem');
like($err, qr/HINT:  Add 'tsdb' to shared_preload_libraries/, 'hint says how to fix it');

# With the preload it works; a table created then is refused after the
# preload is removed again.
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'tsdb'");
$node->restart;
$node->safe_psql('postgres', q{
	CREATE EXTENSION tsdb;
	CREATE TABLE m (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO m VALUES ('up{job="a"}', '2026-01-01', 1);
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM m'), '1', 'works with preload');
like(slurp_file($node->logfile),
	qr/registered custom resource manager "tsdb" with ID 128/, 'rmgr registered at start');

# Remove the preload: the WAL holds tsdb records, so recovery after a crash
# would need the library; after a clean shutdown the server starts, but the
# table cannot be used.
$node->stop;
$node->adjust_conf('postgresql.conf', 'shared_preload_libraries', "''");
$node->start;
($rc, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM m');
isnt($rc, 0, 'tsdb table unusable without preload');
like($err, qr/tsdb must be loaded via shared_preload_libraries/, 'same clear error on use');

$node->stop;
done_testing();
