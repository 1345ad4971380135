# The background maintenance workers: the launcher shows in pg_stat_activity
# connected to no database; workers compact the tsdb tables of every
# database once their heads hold tsdb.compact_min_samples committed samples,
# and results stay exactly those of a heap table loaded alike.  A locked
# table is skipped, not waited for; a worker cancelled or terminated in the
# middle of a compaction leaves the table as it was; with
# tsdb.worker_enabled = off nothing happens; an error on one table is logged
# with the table named and the next table is still compacted; the launcher
# comes back after pg_terminate_backend and after kill -9 (which restarts
# the server); a standby runs no launcher until it is promoted.  A table's
# tsdb.retention is applied by the workers, with a compaction or alone.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('worker');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'tsdb'
tsdb.worker_naptime = 1
tsdb.compact_min_samples = 100
tsdb.max_workers = 2
log_min_messages = debug1
restart_after_crash = on
});
$node->start;

my $launcher_q = q{SELECT pid FROM pg_stat_activity
	WHERE backend_type = 'tsdb maintenance launcher' AND datname IS NULL};

sub log_size { return -s $node->logfile; }

sub wait_for_launcher
{
	my ($n, $not_pid) = @_;
	$not_pid //= 0;
	$n->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM ($launcher_q) l WHERE pid <> $not_pid")
	  or die 'no tsdb maintenance launcher';
	return $n->safe_psql('postgres', $launcher_q);
}

# Rows of a tsdb table that its heap twin does not have, and the other way
# round, compared bit for bit.
sub diff_with_heap
{
	my ($n, $db, $t, $h) = @_;
	return $n->safe_psql($db, qq{
		SELECT (SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM $t
			EXCEPT ALL SELECT series, ts, float8send(value) FROM $h) a)
		     + (SELECT count(*) FROM (SELECT series, ts, float8send(value) FROM $h
			EXCEPT ALL SELECT series, ts, float8send(value) FROM $t) b)});
}

# One committed transaction of $n samples into $t and, when given, its heap
# twin $h (the same rows).
my $batch = 0;
sub load
{
	my ($db, $t, $n, $h) = @_;
	$batch++;
	my $rows = qq{SELECT format('up{job="j%s",batch="$batch"}', i % 10)::tsdb.labels AS series,
		'2026-01-01'::timestamptz + ($batch * 10000 + i) * interval '10 s' AS ts,
		i * 0.5 AS value FROM generate_series(1, $n) i};
	if (defined $h)
	{
		$node->safe_psql($db, qq{WITH s AS ($rows), a AS (INSERT INTO $t SELECT * FROM s)
			INSERT INTO $h SELECT * FROM s});
	}
	else
	{
		$node->safe_psql($db, "INSERT INTO $t $rows");
	}
}

sub stats
{
	my ($n, $db, $t, $cols) = @_;
	return $n->safe_psql($db, "SELECT $cols FROM tsdb.stats('$t')");
}

# ---- the launcher ----------------------------------------------------------
my $launcher = wait_for_launcher($node);
ok($launcher > 0, "launcher runs, connected to no database (pid $launcher)");

# ---- compaction in every database with the extension ----------------------
$node->safe_psql('postgres', 'CREATE DATABASE db2');
$node->safe_psql('postgres', 'CREATE DATABASE plain');    # no extension
for my $db ('postgres', 'db2')
{
	$node->safe_psql($db, q{
		CREATE EXTENSION tsdb;
		CREATE TABLE m (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
		CREATE TABLE h (series tsdb.labels, ts timestamptz, value float8);
		CREATE TABLE small (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
		CREATE TABLE later (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	});
	load($db, 'm', 300, 'h') for 1 .. 4;
	$node->safe_psql($db, q{BEGIN; INSERT INTO m VALUES ('rolled_back', now(), 1); ROLLBACK;});
	load($db, 'small', 10);
}
for my $db ('postgres', 'db2')
{
	ok($node->poll_query_until($db,
			q{SELECT segments >= 1 AND head_samples = 0 FROM tsdb.stats('m')}),
		"$db: the worker compacted m, head consumed");
	is(diff_with_heap($node, $db, 'm', 'h'), '0', "$db: m still returns exactly the heap table's rows");
	is(stats($node, $db, 'm', 'samples'), '1200', "$db: every committed sample, the rolled-back one left out");
}
$node->wait_for_log(qr/left table "public\.small" alone: (at most )?10 committed head samples.*, fewer than tsdb\.compact_min_samples \(100\)/);
is(stats($node, 'postgres', 'small', 'segments, head_samples'), '0|10',
	'a head below tsdb.compact_min_samples stays in the head');
like(slurp_file($node->logfile), qr/compacted table "public\.m": \d+ head samples moved into a segment/,
	'compactions are logged at DEBUG1');
like(slurp_file($node->logfile), qr/found 0 tsdb tables in database "plain"/,
	'a database without the extension is visited and left alone');
# Later visits read no page of a table with few inserts since its last count.
$node->wait_for_log(qr/left table "public\.small" alone: at most 10 committed head samples \(the last count plus the inserts since\)/);
pass('a table with few new samples is left alone on the strength of its statistics');
# Two loads, each below the threshold, add up to enough: the inserts since
# the last count are seen, and the table is compacted.
$node->safe_psql('postgres', q{CREATE TABLE trickle (series tsdb.labels, ts timestamptz, value float8) USING tsdb});
load('postgres', 'trickle', 60);
$node->wait_for_log(qr/left table "public\.trickle" alone: (at most )?60 committed head samples/);
load('postgres', 'trickle', 60);
ok($node->poll_query_until('postgres', q{SELECT segments = 1 AND head_samples = 0 FROM tsdb.stats('trickle')}),
	'two loads below the threshold that add up to it are compacted');

# ---- retention: the table's tsdb.retention is applied by the worker --------
# Samples 60 days old and 1 day old, retention 30 days: wherever the cutoff
# falls (now - 30 days rounded down to 3 days), the old ones go and the new
# ones stay.  "ret" has its retention from the start and is compacted with
# it (one rewrite); "aged" is compacted first and given a retention after,
# which a visit with nothing to compact applies on its own.
my $aged_rows = q{SELECT format('up{job="j%s"}', i % 10)::tsdb.labels AS series,
	date_trunc('minute', now()) - interval '60 days' + i * interval '1 min' AS ts, i AS value
	FROM generate_series(1, 150) i
	UNION ALL
	SELECT format('up{job="j%s"}', i % 10)::tsdb.labels,
	date_trunc('minute', now()) - interval '1 day' + i * interval '1 min', -i
	FROM generate_series(1, 150) i};
$node->safe_psql('postgres', qq{
	CREATE TABLE ret (series tsdb.labels, ts timestamptz, value float8) USING tsdb
		WITH (tsdb.retention = '30 days');
	CREATE TABLE aged (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	CREATE TABLE ret_h (series tsdb.labels, ts timestamptz, value float8);
	WITH s AS ($aged_rows), a AS (INSERT INTO ret SELECT * FROM s),
		b AS (INSERT INTO aged SELECT * FROM s)
	INSERT INTO ret_h SELECT * FROM s;
});
ok($node->poll_query_until('postgres',
		q{SELECT head_samples = 0 AND samples = 150 FROM tsdb.stats('ret')}),
	'retention: a table compacted with its retention keeps only the newer samples');
ok($node->poll_query_until('postgres',
		q{SELECT head_samples = 0 AND samples = 300 FROM tsdb.stats('aged')}),
	'retention: a table without one keeps everything');
my $pos = log_size();
$node->safe_psql('postgres', q{ALTER TABLE aged SET (tsdb.retention = '30 days')});
ok($node->poll_query_until('postgres',
		q{SELECT head_samples = 0 AND samples = 150 FROM tsdb.stats('aged')}),
	'retention: set later, applied by a visit with nothing to compact');
$node->wait_for_log(
	qr/applied the retention of table "public\.aged": 150 samples older than .* removed/, $pos);
pass('retention applied by the worker is logged');
$node->safe_psql('postgres', q{DELETE FROM ret_h WHERE ts < now() - interval '30 days'});
is(diff_with_heap($node, 'postgres', 'ret', 'ret_h'), '0',
	'retention: ret equals heap less the samples older than 30 days');
is(diff_with_heap($node, 'postgres', 'aged', 'ret_h'), '0',
	'retention: aged equals heap less the samples older than 30 days');
# Nothing older than the cutoff: later visits rewrite nothing.
$pos = log_size();
$node->wait_for_log(qr/left table "public\.aged" alone/, $pos);
$node->wait_for_log(qr/left table "public\.aged" alone/, log_size());
unlike(slurp_file($node->logfile, $pos), qr/applied the retention of table "public\.aged"/,
	'retention: applied once, not at every visit');

# ---- a locked table is skipped, and the next one is still compacted --------
my $locker = $node->background_psql('db2');
$locker->query_safe('BEGIN; LOCK TABLE m IN SHARE UPDATE EXCLUSIVE MODE;');
$pos = log_size();
load('db2', 'm', 300, 'h');
load('db2', 'later', 300);
$node->wait_for_log(qr/skipped table "m": it is locked/, $pos);
ok($node->poll_query_until('db2', q{SELECT segments = 1 FROM tsdb.stats('later')}),
	'a table after the locked one is compacted while the lock is held');
is(stats($node, 'db2', 'm', 'head_samples'), '300', 'the locked table was left alone');
$locker->query_safe('COMMIT;');
$locker->quit;
ok($node->poll_query_until('db2', q{SELECT head_samples = 0 FROM tsdb.stats('m')}),
	'compacted once the lock is gone');
is(diff_with_heap($node, 'db2', 'm', 'h'), '0', 'db2: m equals heap after the skipped round');

# ---- a worker terminated in the middle of a compaction ---------------------
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET tsdb.debug_compact_delay_point = 'runs_consumed';
	ALTER SYSTEM SET tsdb.debug_compact_delay_ms = '10min';
	SELECT pg_reload_conf();
});
my $segments = stats($node, 'postgres', 'm', 'segments');
$pos = log_size();
load('postgres', 'm', 300, 'h');
$node->wait_for_log(qr/tsdb compaction waits 600000 ms at debug point "runs_consumed"/, $pos);
$node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE backend_type = 'tsdb maintenance worker' AND datname = 'postgres'
	  AND query = 'compacting tsdb table public.m' AND wait_event_type = 'Extension'})
  or die 'the paused worker is not in pg_stat_activity';
pass('a compacting worker shows in pg_stat_activity: backend_type, database, table');
# Cancel: the table's transaction is rolled back and logged, the worker goes
# on; the next round's worker stops at the same point again.
$pos = log_size();
is($node->safe_psql('postgres', q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity
	WHERE backend_type = 'tsdb maintenance worker' AND datname = 'postgres'}), 't',
	'cancel the worker while its compaction waits');
$node->wait_for_log(qr/ERROR:  canceling statement due to user request\n.*CONTEXT:  automatic maintenance of tsdb table "postgres\.public\.m"/, $pos);
$node->wait_for_log(qr/left table "public\.later" alone/, $pos);
pass('the cancelled table is logged and the worker goes on with the next one');
is(diff_with_heap($node, 'postgres', 'm', 'h'), '0', 'the cancelled compaction changed nothing');
$node->wait_for_log(qr/tsdb compaction waits 600000 ms at debug point "runs_consumed"/, $pos);
# Reset the pause first (the paused worker keeps waiting), so that the next
# worker, started after the postmaster has reloaded, does not pause.
$node->safe_psql('postgres', q{
	ALTER SYSTEM RESET tsdb.debug_compact_delay_point;
	ALTER SYSTEM RESET tsdb.debug_compact_delay_ms;
	SELECT pg_reload_conf();
});
$node->poll_query_until('postgres', q{SELECT current_setting('tsdb.debug_compact_delay_ms') = '0'})
  or die 'the postmaster did not reload';
is($node->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE backend_type = 'tsdb maintenance worker' AND datname = 'postgres'}), 't',
	'terminate the worker while its compaction waits');
is(diff_with_heap($node, 'postgres', 'm', 'h'), '0', 'the interrupted compaction changed nothing');
ok($node->poll_query_until('postgres',
		"SELECT head_samples = 0 AND segments = $segments + 1 FROM tsdb.stats('m')"),
	'the next worker compacts the table');
is(diff_with_heap($node, 'postgres', 'm', 'h'), '0', 'and it equals heap');

# ---- tsdb.worker_enabled = off: nothing happens -----------------------------
$pos = log_size();
$node->safe_psql('postgres', q{ALTER SYSTEM SET tsdb.worker_enabled = off; SELECT pg_reload_conf();});
$pos = $node->wait_for_log(qr/tsdb maintenance workers disabled/, $pos);
$node->safe_psql('postgres', q{
	CREATE TABLE bad (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	CREATE TABLE good (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
});
load('postgres', 'bad', 300);
load('postgres', 'good', 300);
sleep(3);    # three naptimes
is(stats($node, 'postgres', 'good', 'segments, head_samples'), '0|300', 'disabled: no compaction');
unlike(slurp_file($node->logfile, $pos), qr/started a worker/, 'disabled: no worker started');

# ---- an error on one table: logged, and the next table is compacted --------
# Damage the first run header of "bad" (created first, so visited first):
# a run of zero samples makes the head page fail validation.
my $bad_file = $node->data_dir . '/'
  . $node->safe_psql('postgres', q{SELECT pg_relation_filepath('bad')});
my ($bad_block, $bad_run) = split /\|/, $node->safe_psql('postgres',
	q{SELECT blkno, run_offset FROM tsdb.head_runs('bad') ORDER BY 1, 2 LIMIT 1});
$node->stop;
open(my $fh, '+<', $bad_file) or die "open $bad_file: $!";
binmode $fh;
# the run header is {xmin, cmin, xmax, nsamples u16, flags u16}
seek($fh, $bad_block * 8192 + $bad_run + 12, 0) or die;
print $fh pack('v', 0);
close $fh;
$node->start;
$pos = log_size();
$node->safe_psql('postgres', q{ALTER SYSTEM RESET tsdb.worker_enabled; SELECT pg_reload_conf();});
ok($node->poll_query_until('postgres', q{SELECT segments = 1 AND head_samples = 0 FROM tsdb.stats('good')}),
	'the table after the damaged one is compacted');
like(slurp_file($node->logfile, $pos),
	qr/ERROR:  tsdb relation "bad" has a corrupted head page at block $bad_block\n.*\n?.*CONTEXT:  automatic maintenance of tsdb table "postgres\.public\.bad"/,
	'the error is logged with the table named');
$node->safe_psql('postgres', 'DROP TABLE bad');

# ---- the launcher comes back ------------------------------------------------
$launcher = wait_for_launcher($node);
is($node->safe_psql('postgres', "SELECT pg_terminate_backend($launcher)"), 't', 'terminate the launcher');
my $new = wait_for_launcher($node, $launcher);
ok($new != $launcher, "launcher restarted after SIGTERM (pid $new)");
$segments = stats($node, 'postgres', 'm', 'segments');
load('postgres', 'm', 300, 'h');
ok($node->poll_query_until('postgres', "SELECT segments > $segments AND head_samples = 0 FROM tsdb.stats('m')"),
	'compaction goes on after the restart');

$pos = log_size();
kill 'KILL', $new;
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $pos);
$launcher = wait_for_launcher($node, $new);
ok($launcher != $new, "launcher back after kill -9 and the server's restart (pid $launcher)");
$segments = stats($node, 'postgres', 'm', 'segments');
load('postgres', 'm', 300, 'h');
ok($node->poll_query_until('postgres', "SELECT segments > $segments AND head_samples = 0 FROM tsdb.stats('m')"),
	'compaction goes on after crash recovery');
is(diff_with_heap($node, 'postgres', 'm', 'h'), '0', 'm equals heap after all of it');

# ---- no launcher on a standby, until it is promoted -------------------------
$node->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'bk', has_streaming => 1);
$standby->start;
load('postgres', 'm', 50, 'h');    # below the threshold: stays in the head
$node->wait_for_catchup($standby, 'replay', $node->lsn('insert'));
sleep(2);
is($standby->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'tsdb%'}),
	'0', 'standby: no launcher, no worker');
unlike(slurp_file($standby->logfile), qr/tsdb maintenance launcher started/, 'standby: the launcher never started');
is(diff_with_heap($standby, 'postgres', 'm', 'h'), '0', 'standby: m equals heap');
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()');
wait_for_launcher($standby);
pass('promoted: the launcher starts');
$standby->safe_psql('postgres', q{INSERT INTO m SELECT 'promoted', '2027-01-01'::timestamptz + i * interval '1 s', i
	FROM generate_series(1, 100) i});
ok($standby->poll_query_until('postgres', q{SELECT head_samples = 0 FROM tsdb.stats('m')}),
	'promoted: the worker compacts');

$standby->stop;
$node->stop;
done_testing();
