# Back-pressure with several writers and no background compaction.
#
# Four clients insert 2,000,000 samples (500-row transactions) into one table
# with tsdb.head_max_pages = 64 (about 26,000 samples) while the background
# worker is off, so only the writers themselves can compact.  A sampler
# reads the committed head (tsdb.stats' head_samples) all along.  With the
# bound, writers compact as they go: the head stays within a small multiple
# of the bound (one writer compacts while the others keep inserting), no
# writer fails, and every sample is there exactly once.  With the bound off
# (0) the same load leaves everything in the head: the bound is what holds
# it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(time usleep);

my $BOUND_PAGES = 64;
my $CLIENTS = 4;
my $TXNS = 1000;
my $ROWS = 500;
my $TOTAL = $CLIENTS * $TXNS * $ROWS;

my $node = PostgreSQL::Test::Cluster->new('backpressure');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'tsdb'
tsdb.worker_enabled = off
autovacuum_naptime = 1s
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION tsdb;
	CREATE TABLE m (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
});

# one round of load with the given bound; returns the largest committed head
# seen (samples), the number of segments made and the seconds it took
sub load_round
{
	my ($round, $bound) = @_;
	my @runs;
	my $t0 = time();
	for my $c (1 .. $CLIENTS)
	{
		my $file = $node->basedir . "/writer_${round}_$c.sql";
		open(my $fh, '>', $file) or die "could not write $file: $!";
		print $fh "SET tsdb.head_max_pages = $bound;\n";
		for my $t (1 .. $TXNS)
		{
			my $base = (($round * $CLIENTS + $c) * $TXNS + $t) * $ROWS;
			print $fh "INSERT INTO m SELECT 'w{r=\"$round\",c=\"$c\",k=\"' || i % 50 || '\"}', "
			  . "'2026-01-01'::timestamptz + ($base + i) * interval '1 ms', i "
			  . "FROM generate_series(1, $ROWS) i;\n";
		}
		close($fh);
		my $h = IPC::Run::start(
			[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $file, '-d', $node->connstr('postgres') ],
			'<', '/dev/null', '>', "$file.out", '2>', "$file.err");
		push @runs, { h => $h, err => "$file.err" };
	}

	my $max_head = 0;
	my $samples = 0;
	while (grep { $_->{h}->pumpable } @runs)
	{
		my $head = $node->safe_psql('postgres', q{SELECT head_samples FROM tsdb.stats('m')});
		$max_head = $head if $head > $max_head;
		$samples++;
		usleep(100_000);
	}
	my $failed = 0;
	for my $r (@runs)
	{
		$r->{h}->finish;
		$failed++ if $r->{h}->result != 0 || -s $r->{err};
		note(slurp_file($r->{err})) if -s $r->{err};
	}
	my $secs = time() - $t0;
	is($failed, 0, "round $round (bound $bound pages): no writer failed");
	my $head = $node->safe_psql('postgres', q{SELECT head_samples FROM tsdb.stats('m')});
	$max_head = $head if $head > $max_head;
	note(sprintf('round %d, bound %d pages: %d samples in %.1f s, largest head %d samples (%d looks)',
		$round, $bound, $TOTAL, $secs, $max_head, $samples));
	return ($max_head, $secs);
}

my $bound_samples = $BOUND_PAGES * 408;    # samples a full head page holds, about
my ($max_head, $secs) = load_round(1, $BOUND_PAGES);
# Over the bound by what the other writers insert while one compacts, or
# while autovacuum holds the table (compaction then waits for it): a few
# times the bound here, against the whole load without it.
cmp_ok($max_head, '<=', 8 * $bound_samples,
	"with a bound of $BOUND_PAGES pages (~$bound_samples samples), the committed head never exceeded $max_head samples");
is($node->safe_psql('postgres', q{SELECT count(*), sum(value) FROM m WHERE series -> 'r' = '1'}),
	$TOTAL . '|' . ($CLIENTS * $TXNS * $ROWS * ($ROWS + 1) / 2),
	'every sample of the bounded round is there once');
cmp_ok($node->safe_psql('postgres', q{SELECT count(*) FROM tsdb.segments('m')}), '>=', 1,
	'the writers compacted');

my ($max_head0, $secs0) = load_round(2, 0);
cmp_ok($max_head0, '>=', $TOTAL, "without the bound the head took the whole load ($max_head0 samples)");
is($node->safe_psql('postgres', q{SELECT count(*), sum(value) FROM m WHERE series -> 'r' = '2'}),
	$TOTAL . '|' . ($CLIENTS * $TXNS * $ROWS * ($ROWS + 1) / 2),
	'every sample of the unbounded round is there once');
note(sprintf('writers took %.1f s with back-pressure, %.1f s without', $secs, $secs0));

# the table is consistent: a compaction of the rest and VACUUM leave the
# same rows
my $before = $node->safe_psql('postgres', q{SELECT count(*), sum(value), count(DISTINCT series) FROM m});
$node->safe_psql('postgres', q{SELECT tsdb.compact('m'); VACUUM m;});
is($node->safe_psql('postgres', q{SELECT count(*), sum(value), count(DISTINCT series) FROM m}), $before,
	'compaction and VACUUM afterwards keep every row');

$node->stop;
done_testing();
