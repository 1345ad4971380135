# Crashes in the middle of a compaction and of a merge.
#
# tsdb.debug_compact_delay_point holds a compaction at a named point (the
# server log says which), and the server is then brought down hard: by
# pg_ctl stop -m immediate, or by SIGKILL of the postmaster and every child.
# Points: every page of the new segment written; head runs stamped as
# consumed; the segment list written (not committed).  Some rounds take a
# checkpoint during the pause, so recovery starts after the compaction's
# first records and reads them from disk, not from WAL.  After each restart:
# the compaction's transaction is aborted, the table returns exactly the
# rows of a heap table loaded alike (none lost, none twice), its segment
# never shows, and a later compaction (merging in the next round) and VACUUM
# work.  wal_consistency_checking = 'tsdb' checks every page crash recovery
# replays.
#
# Then the same with a streaming standby: the primary crashes in the middle
# of a merge the standby has replayed; the standby shows the heap's rows
# before and after the primary comes back, and after a second such crash it
# is promoted and compacts, merges and vacuums on its own.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use TsdbProc;
use IPC::Run;

my $PAUSE_MS = 600000;

sub new_node
{
	my ($name, %init) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%init);
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'tsdb'
wal_consistency_checking = 'tsdb'
tsdb.worker_enabled = off
});
	return $node;
}

# Rows of the tsdb table missing from the heap twin, plus the other way.
sub diff_with_heap
{
	my ($node) = @_;
	return $node->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM m
			EXCEPT ALL SELECT series, ts, float8send(value) FROM h) a)
		     + (SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM h
			EXCEPT ALL SELECT series, ts, float8send(value) FROM m) b)});
}

# One committed transaction of samples into m and the same into h, and one
# rolled back.  Values mix integers, decimals and noise so every codec runs.
my $batch = 0;
sub load
{
	my ($node, $n) = @_;
	$batch++;
	my $rows = qq{SELECT format('node_cpu{cpu="%s",batch="$batch"}', i % 20)::tsdb.labels AS series,
		'2026-01-01'::timestamptz + ($batch * 100000 + i / 20) * interval '5 s' AS ts,
		CASE i % 3 WHEN 0 THEN i WHEN 1 THEN i * 0.01 ELSE sqrt(i) END AS value
		FROM generate_series(1, $n) i};
	$node->safe_psql('postgres', qq{
		WITH s AS ($rows), a AS (INSERT INTO m SELECT * FROM s) INSERT INTO h SELECT * FROM s;
		BEGIN; INSERT INTO m SELECT 'rolled_back', now(), i FROM generate_series(1, 50) i; ROLLBACK;});
}

sub create_tables
{
	my ($node) = @_;
	$node->safe_psql('postgres', q{
		CREATE EXTENSION tsdb;
		CREATE TABLE m (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
		CREATE TABLE h (series tsdb.labels, ts timestamptz, value float8);
		CREATE TABLE flush_marker (x int);
	});
}

# Start a compaction in its own session, held at $point; returns its
# IPC::Run handle and xid once the server log shows it waiting there.
sub start_paused_compaction
{
	my ($node, $point, $merge) = @_;
	my $pos = -s $node->logfile;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-q', '-d', $node->connstr('postgres'), '-c',
		  "SET tsdb.debug_compact_delay_point = '$point'; SET tsdb.debug_compact_delay_ms = $PAUSE_MS; "
		  . "SELECT tsdb.compact('m', merge => $merge)" ],
		'<', \undef, '>', \$out, '2>', \$err);
	$node->wait_for_log(qr/tsdb compaction waits $PAUSE_MS ms at debug point "$point"/, $pos);
	my $xid = $node->safe_psql('postgres', q{SELECT backend_xid FROM pg_stat_activity
		WHERE query LIKE '%tsdb.compact(%' AND pid <> pg_backend_pid()});
	die "no xid for the paused compaction" unless $xid =~ /^\d+$/;
	return ($h, $xid);
}

sub crash
{
	my ($node, $how) = @_;
	if ($how eq 'immediate')
	{
		$node->stop('immediate');
	}
	else
	{
		kill 'KILL', server_pids($node->{_pid});
		$node->{_pid} = undef;
	}
}

# Restart after a crash; unless a checkpoint came after the compaction's
# records, recovery must have replayed them.
sub restart_after_crash
{
	my ($node, $checkpointed) = @_;
	my $pos = -s $node->logfile;
	my $started = 0;
	for (1 .. 60)
	{
		$node->{_pid} = undef;
		last if ($started = $node->start(fail_ok => 1));
		sleep 1;    # killed processes may take a moment to go away
	}
	BAIL_OUT('server did not restart after the crash') unless $started;
	my $log = slurp_file($node->logfile, $pos);
	like($log, qr/database system was not properly shut down; automatic recovery in progress/,
		'restarted with crash recovery');
	like($log, qr/redo starts at.*redo done at/s, 'crash recovery replayed WAL') unless $checkpointed;
}

# WAL of a transaction still running is only flushed when something else
# needs it.  Commit a write of our own: its synchronous commit flushes all
# WAL before it, so the paused compaction's records are on disk and a crash
# does not simply lose them.  (A transaction that writes no WAL before its
# commit record commits asynchronously, flushing nothing.)
sub flush_wal
{
	my ($node) = @_;
	$node->safe_psql('postgres', 'INSERT INTO flush_marker VALUES (1)');
}

sub flush_and_catch_up
{
	my ($primary, $standby) = @_;
	flush_wal($primary);
	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('flush'));
}

sub segments_of
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		q{SELECT string_agg(segment_id || ':' || coalesce(xmax::text, '-'), ',' ORDER BY segment_id) FROM tsdb.segments('m')});
}

# ---------------------------------------------------------------------------
# One server: six crashes, each point with and without merge.
# ---------------------------------------------------------------------------
my $node = new_node('crashcmp');
$node->start;
create_tables($node);
load($node, 3000) for 1 .. 2;
$node->safe_psql('postgres', q{SELECT tsdb.compact('m')});
load($node, 3000);
$node->safe_psql('postgres', q{SELECT tsdb.compact('m')});
is(diff_with_heap($node), '0', 'before any crash: m equals heap');

my @rounds = (
	[ 'segment_written', 'false', 'immediate', 0 ],
	[ 'runs_consumed', 'false', 'kill', 1 ],
	[ 'list_written', 'false', 'immediate', 1 ],
	[ 'segment_written', 'true', 'kill', 0 ],
	[ 'runs_consumed', 'true', 'immediate', 1 ],
	[ 'list_written', 'true', 'kill', 0 ],
);
for my $r (@rounds)
{
	my ($point, $merge, $how, $checkpoint) = @$r;
	my $what = ($merge eq 'true' ? 'merge' : 'compaction') . " at $point, $how"
	  . ($checkpoint ? ', checkpoint in between' : '');

	load($node, 2000);
	my ($visible_before, $head_before) = split /\|/,
	  $node->safe_psql('postgres', q{SELECT segments, head_samples FROM tsdb.stats('m')});
	my $list_before = segments_of($node);
	my $rows = $node->safe_psql('postgres', 'SELECT count(*) FROM h');

	my ($h, $xid) = start_paused_compaction($node, $point, $merge);
	pass("$what: the compaction (xid $xid) waits at its point");
	flush_wal($node);
	$node->safe_psql('postgres', 'CHECKPOINT') if $checkpoint;
	crash($node, $how);
	eval { $h->finish; };
	restart_after_crash($node, $checkpoint);

	is($node->safe_psql('postgres', "SELECT pg_xact_status('$xid')"), 'aborted',
		"$what: the compaction is aborted");
	is(diff_with_heap($node), '0', "$what: every committed sample exactly once");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM m'), $rows, "$what: row count equals heap");
	is($node->safe_psql('postgres', q{SELECT segments || '|' || head_samples FROM tsdb.stats('m')}),
		"$visible_before|$head_before", "$what: its segment never shows; the head is whole");
	my $listed = $node->safe_psql('postgres', "SELECT count(*) FROM tsdb.segments('m') WHERE xmin = '$xid'");
	is($listed, $point eq 'list_written' ? '1' : '0',
		"$what: its segment is listed only if the crash came after the list was written");
	if ($point ne 'list_written')
	{
		is(segments_of($node), $list_before, "$what: segment list as before");
	}

	# Life goes on: compact (merging every other round), vacuum.
	my $moved = $node->safe_psql('postgres',
		"SELECT tsdb.compact('m', merge => " . ($merge eq 'true' ? 'false' : 'true') . ')');
	is($moved, $head_before, "$what: a later compaction moves the whole head");
	$node->safe_psql('postgres', 'VACUUM m');
	is($node->safe_psql('postgres', "SELECT count(*) FROM tsdb.segments('m') WHERE xmin = '$xid'"), '0',
		"$what: the aborted segment is gone from the list");
	is(diff_with_heap($node), '0', "$what: after compaction and VACUUM, m equals heap");
	is($node->safe_psql('postgres', q{SELECT head_samples FROM tsdb.stats('m')}), '0',
		"$what: the head is consumed");
}

# The table keeps working after all of it.
load($node, 500);
$node->safe_psql('postgres', q{SELECT tsdb.compact('m', merge => true); VACUUM m;});
is(diff_with_heap($node), '0', 'after every crash round, a merge and VACUUM: m equals heap');
unlike(slurp_file($node->logfile), qr/inconsistent page found|PANIC/, 'crash recovery found no inconsistent page');
$node->stop;

# ---------------------------------------------------------------------------
# A primary with a streaming standby.
# ---------------------------------------------------------------------------
my $primary = new_node('primary', allows_streaming => 1);
$primary->start;
create_tables($primary);
$primary->safe_psql('postgres', "SELECT pg_create_physical_replication_slot('standby_slot')");
$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->append_conf('postgresql.conf', "primary_slot_name = 'standby_slot'");
$standby->start;

load($primary, 3000);
$primary->safe_psql('postgres', q{SELECT tsdb.compact('m')});
load($primary, 3000);
$primary->safe_psql('postgres', q{SELECT tsdb.compact('m')});
load($primary, 2000);

# 1. The primary crashes in the middle of a merge; the standby has it all.
my ($h, $xid) = start_paused_compaction($primary, 'list_written', 'true');
flush_and_catch_up($primary, $standby);
is(diff_with_heap($standby), '0', 'standby, merge in progress on the primary: equals heap');
is($standby->safe_psql('postgres', "SELECT count(*) FROM tsdb.segments('m') WHERE xmin = '$xid'"), '1',
	'standby: the in-progress merge segment is listed');
is($standby->safe_psql('postgres', q{SELECT segments FROM tsdb.stats('m')}), '2',
	'standby: and does not show');
crash($primary, 'kill');
eval { $h->finish; };
is(diff_with_heap($standby), '0', 'standby, primary crashed mid-merge: equals heap');
restart_after_crash($primary, 0);
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is(diff_with_heap($standby), '0', 'standby after the primary restarted: equals heap');
$primary->safe_psql('postgres', q{SELECT tsdb.compact('m', merge => true); VACUUM m;});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is(diff_with_heap($standby), '0', 'standby after a later merge and VACUUM: equals heap');
is($standby->safe_psql('postgres', q{SELECT * FROM tsdb.segments('m')}),
	$primary->safe_psql('postgres', q{SELECT * FROM tsdb.segments('m')}), 'standby: same segment list as the primary');

# 2. Again, and this time the standby takes over.
load($primary, 2000);
($h, $xid) = start_paused_compaction($primary, 'runs_consumed', 'false');
flush_and_catch_up($primary, $standby);
crash($primary, 'immediate');
eval { $h->finish; };
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()');
is($standby->safe_psql('postgres', "SELECT pg_xact_status('$xid')"), 'aborted',
	'promoted: the primary\'s interrupted compaction is aborted');
is(diff_with_heap($standby), '0', 'promoted: equals heap');
is($standby->safe_psql('postgres', q{SELECT tsdb.compact('m')}), '2000', 'promoted: compaction takes the head');
load($standby, 700);
$standby->safe_psql('postgres', q{SELECT tsdb.compact('m', merge => true); VACUUM m;});
is(diff_with_heap($standby), '0', 'promoted: after compaction, merge and VACUUM, equals heap');
is($standby->safe_psql('postgres', q{SELECT segments || '|' || head_samples FROM tsdb.stats('m')}), '1|0',
	'promoted: one merged segment, empty head');

my $slog = slurp_file($standby->logfile);
unlike($slog, qr/inconsistent page found/, 'standby: no page inconsistency in replay');
unlike($slog, qr/PANIC/, 'standby: no PANIC');

$standby->stop;
done_testing();
