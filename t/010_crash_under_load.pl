# Crash safety: several clients insert (single-row INSERT, multi-row INSERT,
# INSERT ... SELECT, COPY) and commit while every server process is killed
# with SIGKILL, and a checkpoint runs now and then so recovery starts from
# one taken under load.  After restart, every acknowledged transaction is
# there, complete; rolled-back transactions never are; unacknowledged ones
# are either complete or absent; nothing is duplicated.  Twice: the second
# crash hits a table that has been through recovery once already.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use TsdbProc;
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

# Each transaction writes ROWS samples (one more when it also creates a new
# series) whose value is its id; after COMMIT the client echoes the id, so an
# "ack" line means the commit returned.  Ids are round * 10^7 + client *
# 10^6 + t; negative ids are rolled back on purpose.
my $ROWS = 10;
my $TXNS = 20000;
my $nclients = 4;

sub expected_rows
{
	my $id = shift;
	return $ROWS + (($id % 1000000) % 7 == 0 ? 1 : 0);
}

sub client_script
{
	my ($round, $c) = @_;
	my $script = '';
	for my $t (1 .. $TXNS)
	{
		my $id = $round * 10000000 + $c * 1000000 + $t;
		my $kind = $t % 4;
		if ($t % 10 == 0)
		{
			$script .= "BEGIN;\nINSERT INTO m SELECT 'rb{c=\"$c\"}', now(), -$id FROM generate_series(1, $ROWS);\n";
			$script .= "COPY m FROM STDIN;\nrb_copy{c=\"$c\"}\t2026-01-01 00:00:00+00\t-$id\n\\.\nROLLBACK;\n";
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
		$script .= "INSERT INTO m VALUES ('new_${round}_${c}_$t', now(), $id);\n" if $t % 7 == 0;
		$script .= "COMMIT;\n\\echo ack $id\n";
	}
	return $script;
}

sub crash_round
{
	my $round = shift;
	my @runs;
	for my $c (1 .. $nclients)
	{
		my $file = $node->basedir . "/client_${round}_$c.sql";
		open(my $fh, '>', $file) or die "could not write $file: $!";
		print $fh client_script($round, $c);
		close($fh);
		# psql runs the file on its own and writes acks straight to a file
		my $h = IPC::Run::start(
			[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $file, '-d', $node->connstr('postgres') ],
			'<', \undef, '>', "$file.out", '2>', "$file.err");
		push @runs, { h => $h, out => "$file.out" };
	}
	# A checkpoint every half second, so the crash lands after one taken
	# under load and recovery replays over full-page images.
	my $ckpt_script = $node->basedir . "/checkpoints_$round.sql";
	open(my $fh, '>', $ckpt_script) or die;
	print $fh "SELECT pg_sleep(0.5);\nCHECKPOINT;\n" x 100;
	close($fh);
	my $ckpt = IPC::Run::start(
		[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $ckpt_script, '-d', $node->connstr('postgres') ],
		'<', \undef, '>', \my $ckpt_out, '2>', \my $ckpt_err);

	# Let them run, then pull the plug on every server process at once.
	usleep(4_000_000);
	my @pids = server_pids($node->{_pid});
	ok(@pids >= 6, "round $round: found the postmaster and its children (" . scalar(@pids) . ')');
	kill 'KILL', @pids;
	$node->{_pid} = undef;

	my %acked;
	my $interrupted = 0;
	for my $r (@runs)
	{
		my $ok = eval { $r->{h}->finish; };
		$interrupted++ unless $ok;
		my $out = slurp_file($r->{out});
		$acked{$1} = 1 while $out =~ /^ack (\d+)$/mg;
	}
	eval { $ckpt->finish; };
	is($interrupted, $nclients, "round $round: the crash cut off every client mid-load");
	ok(scalar(keys %acked) > 20,
		"round $round: clients committed transactions before the crash (" . scalar(keys %acked) . ')');

	# The killed processes may take a moment to go away.
	my $started = 0;
	for (1 .. 60)
	{
		$node->{_pid} = undef;
		last if ($started = $node->start(fail_ok => 1));
		sleep 1;
	}
	ok($started, "round $round: server restarts after SIGKILL");
	BAIL_OUT('server did not restart after SIGKILL') unless $started;
	return \%acked;
}

my $log_pos = 0;
my %all_acked;
for my $round (1, 2)
{
	my $acked = crash_round($round);
	%all_acked = (%all_acked, %$acked);
	my $log = slurp_file($node->logfile);
	like(substr($log, $log_pos), qr/redo starts at.*redo done at/s, "round $round: crash recovery replayed WAL");
	$log_pos = length($log);

	my %count = map { split /\|/ } split /\n/,
	  $node->safe_psql('postgres', 'SELECT value::bigint, count(*) FROM m GROUP BY 1');

	my @missing = grep { !defined $count{$_} } keys %all_acked;
	is(scalar(@missing), 0, "round $round: every acknowledged transaction survived")
	  or diag("missing: @missing[0 .. ($#missing < 9 ? $#missing : 9)]");

	my @wrong;
	for my $id (keys %count)
	{
		push @wrong, "$id:$count{$id}" if $id > 0 && $count{$id} != expected_rows($id);
	}
	is(scalar(@wrong), 0, "round $round: every surviving transaction is complete, none duplicated")
	  or diag("@wrong[0 .. ($#wrong < 9 ? $#wrong : 9)]");

	my @rolled_back = grep { $_ < 0 } keys %count;
	is(scalar(@rolled_back), 0, "round $round: no rolled-back sample is visible");

	# Unacknowledged transactions may have committed (the crash hit between
	# the commit record's flush and the reply), but at most one per client.
	my @unacked = grep { $_ > 0 && int($_ / 10000000) == $round && !$acked->{$_} } keys %count;
	ok(@unacked <= $nclients, "round $round: at most one unacknowledged commit per client (" . scalar(@unacked) . ')');
}

# The table keeps working: scans, new inserts, VACUUM over the aborted runs.
$node->safe_psql('postgres', q{INSERT INTO m VALUES ('after{x="1"}', now(), 1); VACUUM m;});
is($node->safe_psql('postgres', q{SELECT count(*) FROM m WHERE series = 'after{x="1"}'}), '1',
	'inserts work after recovery');
is($node->safe_psql('postgres', q{SELECT count(*) FROM m WHERE value < 0}), '0',
	'still no rolled-back sample after VACUUM');
is($node->safe_psql('postgres', q{SELECT count(*) FROM m WHERE series @@ '{__name__=~"rb|rb_copy"}'}), '0',
	'the rolled-back series have no samples');

$node->stop;
done_testing();
