# Crash safety: several clients insert (single-row INSERT, multi-row INSERT,
# INSERT ... SELECT, COPY) and commit while every server process is killed
# with SIGKILL.  After restart, every acknowledged transaction is there,
# complete; rolled-back transactions never are; unacknowledged ones are
# either complete or absent; nothing is duplicated.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'tsdb'
max_connections = 20
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION tsdb;
	CREATE TABLE m (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
});

# Each transaction writes ROWS samples whose value is its id; after COMMIT
# the client echoes the id, so an "ack" line means the commit returned.
# Negative ids are rolled back on purpose.
my $ROWS = 10;
my $nclients = 4;
my @runs;
for my $c (1 .. $nclients)
{
	my $script = '';
	for my $t (1 .. 20000)
	{
		my $id = $c * 1000000 + $t;
		my $kind = $t % 4;
		if ($t % 10 == 0)
		{
			$script .= "BEGIN;\nINSERT INTO m SELECT 'rb{c=\"$c\"}', now(), -$id FROM generate_series(1, $ROWS);\nROLLBACK;\n";
			next;
		}
		$script .= "BEGIN;\n";
		if ($kind == 0)
		{
			$script .= "INSERT INTO m VALUES ('single{c=\"$c\",k=\"$_\"}', now(), $id);\n" for 1 .. $ROWS;
		}
		elsif ($kind == 1)
		{
			$script .= "INSERT INTO m VALUES "
			  . join(', ', map { "('multi{c=\"$c\",k=\"$_\"}', now(), $id)" } 1 .. $ROWS) . ";\n";
		}
		elsif ($kind == 2)
		{
			$script .= "INSERT INTO m SELECT 'sel{c=\"$c\",k=\"' || i % 3 || '\"}', now(), $id FROM generate_series(1, $ROWS) i;\n";
		}
		else
		{
			$script .= "COPY m FROM STDIN;\n";
			$script .= "copy{c=\"$c\",k=\"$_\"}\t2026-01-01 00:00:00+00\t$id\n" for 1 .. $ROWS;
			$script .= "\\.\n";
		}
		# a new series now and then, so dictionary records are in flight too
		$script .= "INSERT INTO m VALUES ('new_$c" . "_$t', now(), $id);\n" if $t % 7 == 0;
		$script .= "COMMIT;\n\\echo ack $id\n";
	}
	my $file = $node->basedir . "/client_$c.sql";
	open(my $fh, '>', $file) or die "could not write $file: $!";
	print $fh $script;
	close($fh);
	# psql runs the file on its own and writes acks straight to a file
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $file, '-d', $node->connstr('postgres') ],
		'<', \undef, '>', "$file.out", '2>', "$file.err");
	push @runs, { h => $h, out => "$file.out", client => $c };
}

# Let them run, then pull the plug on every server process at once.
my $t0 = time;
usleep(500_000) until time - $t0 >= 4;
my $pid = $node->{_pid};
my @children = split /\s+/, `ps -o pid= --ppid $pid`;
kill 9, $pid, grep { /^\d+$/ } @children;
$node->{_pid} = undef;

my %acked;
for my $r (@runs)
{
	eval { $r->{h}->finish; };
	my $out = slurp_file($r->{out});
	$acked{$1} = 1 while $out =~ /^ack (\d+)$/mg;
}
ok(scalar(keys %acked) > 20, 'clients committed transactions before the crash (' . scalar(keys %acked) . ')');

# The killed processes may take a moment to go away.
my $started = 0;
for (1 .. 60)
{
	$node->{_pid} = undef;
	last if ($started = $node->start(fail_ok => 1));
	sleep 1;
}
ok($started, 'server restarts after SIGKILL');
like(slurp_file($node->logfile), qr/redo done/, 'crash recovery replayed WAL');

my %count = map { split /\|/ } split /\n/,
  $node->safe_psql('postgres', 'SELECT value::bigint, count(*) FROM m GROUP BY 1');

my @missing = grep { !defined $count{$_} } keys %acked;
is(scalar(@missing), 0, 'every acknowledged transaction survived') or diag("missing: @missing[0..9]");

my @wrong;
for my $id (keys %count)
{
	my $expect = $ROWS + (($id % 1000000) % 7 == 0 ? 1 : 0);
	push @wrong, "$id:$count{$id}" if $id > 0 && $count{$id} != $expect;
}
is(scalar(@wrong), 0, 'every surviving transaction is complete, none duplicated') or diag("@wrong[0..9]");

my @rolled_back = grep { $_ < 0 } keys %count;
is(scalar(@rolled_back), 0, 'no rolled-back sample is visible');

# The table keeps working: scans, new inserts, VACUUM over the aborted runs.
$node->safe_psql('postgres', q{INSERT INTO m VALUES ('after{x="1"}', now(), 1); VACUUM m;});
is($node->safe_psql('postgres', q{SELECT count(*) FROM m WHERE series = 'after{x="1"}'}), '1',
	'inserts work after recovery');
is($node->safe_psql('postgres', q{SELECT count(*) FROM m WHERE value < 0}), '0',
	'still no rolled-back sample after VACUUM');

$node->stop;
done_testing();
