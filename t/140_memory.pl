# Memory of an ingesting backend stays flat.
#
# One session runs the same mix of writes over and over: single-row INSERT
# transactions, 100 single-row INSERTs per transaction (buffered), a
# savepoint rolled back, INSERT ... SELECT, COPY, reads that flush the
# insert buffer, and a compaction, over a fixed set of 1000 series.  Its
# memory contexts (pg_backend_memory_contexts, read by the session itself)
# are summed after five rounds, which fill the caches and take in the first
# merge of segments (one more 256 kB block of TopMemoryContext, once), and
# after 20 more rounds:
# they must not have grown, beyond a little slack for PostgreSQL's own
# caches.  A heap table given the same mix is measured alike, for
# comparison.  bench/memory_figures.sh does the same for 10 minutes.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $WARMUP = 5;
my $ROUNDS = 20;
my $SLACK = 64 * 1024;

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'tsdb'
synchronous_commit = off
tsdb.worker_enabled = off
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION tsdb;
	CREATE TABLE m (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	CREATE TABLE h (series tsdb.labels, ts timestamptz, value float8);
	CREATE INDEX ON h (series, ts);
});

my $copy = $node->basedir . '/chunk.copy';
open(my $fh, '>', $copy) or die "could not write $copy: $!";
print $fh "mem{k=\"" . ($_ % 1000) . "\"}\t2026-02-01 00:00:00+00\t$_\n" for 1 .. 1000;
close($fh);

# one round of the mix on table $t; $r makes its timestamps its own
sub round_sql
{
	my ($t, $r) = @_;
	my $base = "'2026-01-01'::timestamptz + interval '$r hours'";
	my $sql = '';
	$sql .= "INSERT INTO $t VALUES ('mem{k=\"" . ($_ % 1000) . "\"}', $base + interval '$_ ms', $_);\n"
	  for 1 .. 300;
	for my $x (1 .. 10)
	{
		$sql .= "BEGIN;\n";
		$sql .= "INSERT INTO $t VALUES ('mem{k=\"" . ($_ % 1000) . "\"}', $base + interval '$x s' + interval '$_ ms', $_);\n"
		  for 1 .. 100;
		if ($x % 3 == 0)
		{
			$sql .= "SAVEPOINT s;\n";
			$sql .= "INSERT INTO $t VALUES ('mem{k=\"1\"}', $base, -1);\n";
			$sql .= "ROLLBACK TO SAVEPOINT s;\n";
		}
		$sql .= "SELECT count(*) FROM $t WHERE series = 'mem{k=\"$x\"}' AND ts >= $base;\n"
		  if $x % 5 == 0;
		$sql .= "COMMIT;\n";
	}
	$sql .= "INSERT INTO $t SELECT 'mem{k=\"' || i % 1000 || '\"}', $base + interval '1 min' + i * interval '1 ms', i FROM generate_series(1, 2000) i;\n";
	$sql .= "COPY $t FROM '$copy';\n";
	$sql .= "SELECT tsdb.compact('$t');\n" if $t eq 'm';
	return $sql;
}

sub memory_growth
{
	my $t = shift;
	my $mem = "SELECT 'mem ' || sum(total_bytes) FROM pg_backend_memory_contexts;\n"
	  . "SELECT 'ctx ' || name || '/' || coalesce(ident, '') || '=' || sum(total_bytes) "
	  . "FROM pg_backend_memory_contexts GROUP BY name, ident;\n"
	  . "SELECT 'end';\n";
	# the warm-up takes in a merge of segments (at the fourth compaction)
	my $sql = join('', map { round_sql($t, $_) } 1 .. $WARMUP) . $mem;
	$sql .= round_sql($t, $_) for $WARMUP + 1 .. $WARMUP + $ROUNDS;
	$sql .= $mem;
	my $out = $node->safe_psql('postgres', $sql);
	my @m = $out =~ /^mem (\d+)$/mg;
	die "no memory figures in output" unless @m == 2;
	note("$t: $m[0] bytes after $WARMUP rounds, $m[1] after $ROUNDS more");
	# which contexts grew, for the log
	my @parts = split /^end$/m, $out;
	my (%c0, %c1);
	$c0{$1} += $2 while $parts[0] =~ /^ctx (.*)=(\d+)$/mg;
	$c1{$1} += $2 while $parts[1] =~ /^ctx (.*)=(\d+)$/mg;
	for my $k (sort keys %c1)
	{
		my $d = $c1{$k} - ($c0{$k} // 0);
		note("  $k grew by $d bytes") if $d != 0;
	}
	return ($m[0], $m[1]);
}

my ($m0, $m1) = memory_growth('m');
my ($h0, $h1) = memory_growth('h');
cmp_ok($m1 - $m0, '<=', $SLACK,
	"tsdb: the backend's memory grew by " . ($m1 - $m0) . " bytes over $ROUNDS rounds (heap: " . ($h1 - $h0) . ")");

my $per_round = 300 + 10 * 100 + 2000 + 1000;
is($node->safe_psql('postgres', 'SELECT count(*) FROM m'), ($WARMUP + $ROUNDS) * $per_round,
	'every round wrote its samples');
is($node->safe_psql('postgres', 'SELECT count(*), sum(value) FROM m'),
	$node->safe_psql('postgres', 'SELECT count(*), sum(value) FROM h'), 'tsdb and heap hold the same');

$node->stop;
done_testing();
