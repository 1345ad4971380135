# Randomized differential test: one random workload applied, statement by
# statement in the same transactions, to a tsdb table "m" and a heap table
# "h" with the same columns; after every step a set of queries is run on both
# and compared as multisets with EXCEPT ALL both ways (plus the row counts).
# The heap table is the oracle: the test keeps no model of the data, so any
# deterministic SQL can be used to write it.
#
# Compared (build_checks): the whole table and count(*); series = one label
# set, IN a list; series @@ with each matcher kind (=, !=, =~, !~, mixed);
# @> and ->; time ranges (closed, BETWEEN, open-ended, empty, a point,
# +/-infinity); per-series count/min/max/exact numeric sum; hourly buckets;
# the latest timestamp per series (DISTINCT ON) and every value at it;
# duplicate (series, ts); nested-loop rescans; joins on the series and on a
# label with time bounds from the outer rows (every fourth round of the main
# session with nested loops only, so that parameterized TsdbScans run); a
# self join.  Also prepared
# statements executed with several parameters (custom and generic plans), and
# a SCROLL cursor read forward, backward and at absolute positions.
#
# Workload (each step picks one at random, weights in %STEP_WEIGHT): writes by
# single-row INSERT, multi-row INSERT (VALUES lists of 1-200 rows), INSERT ...
# SELECT from generate_series, COPY FROM a file / FROM PROGRAM / psql's \copy
# (FROM STDIN) in text, csv and binary format, INSERT ... SELECT from the table
# itself or from the other table, statements that fail half way (division by
# zero, a bad line at the end of a COPY); each write step in autocommit, in a
# transaction that commits or rolls back, with savepoints rolled back or
# released, or two-phase (PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED, now
# and then across a restart).  Samples arrive late (out of order), duplicated
# (same series and timestamp, same or other value, and exact duplicate rows),
# at +/-infinity and far from the others in time; values include NaN (also
# other NaN payloads through binary COPY, and Prometheus' staleness marker),
# +/-Infinity, -0, denormals, the largest doubles and 0.1 + 0.2.  There are a
# few hundred series with 0-8 labels, label values with quotes, backslashes,
# newlines and UTF-8, written each time in a random but equivalent text form
# (label order, name{...} or {__name__=...}, spaces, empty labels).  Other
# steps: tsdb.compact (see $REQUIRE_COMPACT), tsdb.drop_before when it exists,
# VACUUM, VACUUM (FREEZE), VACUUM FULL, ANALYZE, TRUNCATE (committed, rolled
# back, or followed by writes in the same transaction), CHECKPOINT, a clean
# restart and an immediate shutdown (crash recovery).
#
# Inside transactions, between statements, the checks also run in the writing
# session (its own uncommitted samples are visible to it), VACUUM and
# compaction run from a second session, and a reader with a REPEATABLE READ
# snapshot may start.  Such a reader stays open for several steps (writes,
# compactions, vacuums, checkpoints) and then must read exactly what it read
# at its start, in both tables, and the checks must pass at its old snapshot.
#
# Now and then a background writer (a psql of its own) runs a script of
# transactions that each write the same samples to both tables, concurrently
# with the steps of the main session; the tables stay equal in every snapshot
# whatever the interleaving.  An immediate shutdown may cut it off mid-way.
#
# Operations: every sample handed to INSERT or COPY counts one, whether its
# transaction commits or not (a sample written to both tables counts once),
# and every other command counts one (BEGIN, COMMIT, ROLLBACK, SAVEPOINT,
# VACUUM, compaction, restart, ...).  The comparison queries are not counted.
# The run stops after TSDB_DIFF_OPS operations (default 120,000), then makes
# sure every kind of step ran at least once, restarts once more and checks.
#
# The seed is printed; TSDB_DIFF_SEED=n reruns the same workload (the random
# generator is our own xorshift128, so nothing else in the process shifts it;
# only the timing of the background writer against the main session varies).
# To run this test alone: sudo bash scripts/difftest.sh (same variables).
# Every statement is appended to workload.sql in the node's base directory,
# with the COPY files it reads beside it, for reproducing a failure.
#
# On a mismatch the test prints the step, the seed, the failing query and the
# first rows of each difference, and stops.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use IPC::Run;

# Set to 1 once tsdb.compact(regclass) has landed: the test then fails when
# the function is missing instead of reporting the steps as not exercised.
my $REQUIRE_COMPACT = 1;

sub env_or { my ($name, $default) = @_; return defined $ENV{$name} && $ENV{$name} ne '' ? $ENV{$name} : $default; }
my $seed = env_or('TSDB_DIFF_SEED', 60);
my $target_ops = env_or('TSDB_DIFF_OPS', 120_000);
die "TSDB_DIFF_SEED must be a non-negative integer" unless $seed =~ /^\d+$/;
die "TSDB_DIFF_OPS must be a positive integer" unless $target_ops =~ /^\d+$/ && $target_ops > 0;
diag("seed $seed (rerun with TSDB_DIFF_SEED=$seed), $target_ops operations (TSDB_DIFF_OPS)");

# ---------------------------------------------------------------------------
# Deterministic random numbers: xorshift128 on 32-bit words.
# ---------------------------------------------------------------------------
my @S;
{
	my $x = ($seed % 4294967296) ^ 0x9E3779B9;
	my $y = int($seed / 4294967296) % 4294967296;
	for my $i (0 .. 3)
	{
		$x = ($x * 1103515245 + 12345 + $y + $i * 2654435761) % 4294967296;
		$S[$i] = $x ^ 0x5bd1e995;
	}
	$S[3] ||= 1;
	rnd32() for 1 .. 64;
}

sub rnd32
{
	my $t = $S[0] ^ (($S[0] << 11) & 0xffffffff);
	@S[0 .. 2] = @S[1 .. 3];
	$S[3] = ($S[3] ^ ($S[3] >> 19)) ^ ($t ^ ($t >> 8));
	return $S[3];
}
sub rnd { return rnd32() / 4294967296; }
sub rint { return int(rnd() * $_[0]); }
sub chance { return rnd() < $_[0]; }
sub pick { return $_[ rint(scalar @_) ]; }

sub shuffled
{
	my @a = @_;
	for (my $i = $#a; $i > 0; $i--)
	{
		my $j = rint($i + 1);
		@a[ $i, $j ] = @a[ $j, $i ];
	}
	return @a;
}

sub weighted
{
	my %w = @_;
	my $total = 0;
	$total += $w{$_} for sort keys %w;
	my $r = rnd() * $total;
	for my $k (sort keys %w)
	{
		return $k if ($r -= $w{$k}) < 0;
	}
	return (sort keys %w)[-1];
}

# ---------------------------------------------------------------------------
# Series: label sets in the text syntax of README.md.
# ---------------------------------------------------------------------------
my @METRICS = ('up', 'http_requests_total', 'node_cpu_seconds_total', 'process_resident_memory_bytes',
	'go_gc_duration_seconds', 'node:cpu:rate5m', '_hidden', 'm', 'Mixed_Case:metric_x');
my %POOL = (
	job => [qw(api web db batch)],
	instance => [ 'h1:9100', 'h2:9100', '10.0.0.3:9100' ],
	code => [qw(200 404 500 503)],
	method => [qw(GET POST PUT)],
	env => [qw(prod dev)],
	le => [ '0.1', '1', '+Inf' ],
	mode => [qw(idle user system iowait)],
	cpu => [ 0 .. 7 ],
	region => [qw(eu-west-1 us-east-2)],
	_k => [qw(x y)],
	k9 => [qw(alpha beta gamma)],
	Path => [ '/api/v1/query', '/metrics' ]);
my @LABEL_NAMES = sort keys %POOL;
# Label values needing escapes or quoting somewhere (labels syntax, SQL, COPY
# text, CSV) and UTF-8 (bytes: the file has no "use utf8").
my @WEIRD = ('a"b', 'back\\slash', "two\nlines", "it's", "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	"\xf0\x9f\x99\x82", 'x,y}z', '{a="b"}', ' spaced out ', '\\"', '=~!', '%_*?', 'tab?;', '\\n', '"', '\\');

sub esc_label
{
	my $v = shift;
	$v =~ s/\\/\\\\/g;
	$v =~ s/"/\\"/g;
	$v =~ s/\n/\\n/g;
	return $v;
}

sub sql_str
{
	my $s = shift;
	$s =~ s/'/''/g;
	return "'$s'";
}

my $NSERIES = 300;
my @series;
for my $i (0 .. $NSERIES - 1)
{
	my $name = chance(0.93) ? pick(@METRICS) : undef;
	my $r = rnd();
	my $nl = $r < 0.1 ? 0 : $r < 0.4 ? 1 : $r < 0.65 ? 2 + rint(3) : 5 + rint(4);
	$nl = 1 if $nl == 0 && !defined $name;
	my @names = (shuffled(@LABEL_NAMES))[ 0 .. $nl - 1 ];
	my @labels;
	for my $k (@names)
	{
		my $v = chance(0.12) ? pick(@WEIRD) : pick(@{ $POOL{$k} });
		push @labels, [ $k, $v ];
	}
	# a few big label sets (under the 4 kB limit)
	push @labels, [ 'big', 'v' x 3500 ] if $i == 7;
	push @labels, [ 'big', "\xc3\xa9" x 700 ] if $i == 8;
	# a per-series id keeps most label sets distinct
	push @labels, [ 'sid', "s$i" ] if chance(0.85);
	my $kind = weighted(counter => 3, gauge => 3, double => 2, constant => 1, special => 1);
	my $interval = pick(1, 5, 10, 15, 60) * 1_000_000;
	push @series, {
		name => $name, labels => \@labels, kind => $kind, v => rint(1000),
		interval => $interval, jitter => chance(0.3) ? rint(500_000) : 0,
		clock => 1_767_225_600_000_000 + rint(3600) * 1_000_000 + rint(1_000_000),
		recent => [] };
}

# A random but equivalent text form of a series' labels.
sub render_labels
{
	my $s = shift;
	my @pairs = map { $_->[0] . '="' . esc_label($_->[1]) . '"' } shuffled(@{ $s->{labels} });
	push @pairs, 'empty_label=""' if chance(0.05);	# an empty value is no label
	my $name = $s->{name};
	if (defined $name && chance(0.3))
	{
		splice(@pairs, rint(@pairs + 1), 0, qq{__name__="$name"});
		$name = undef;
	}
	my $sep = chance(0.3) ? ', ' : ',';
	return $name if defined $name && !@pairs && chance(0.5);
	return ($name // '') . '{' . join($sep, @pairs) . '}';
}

sub random_series_index
{
	# skewed: low indexes are hot series
	my $r = rnd();
	return int($NSERIES * $r * $r);
}

# A label set that is never written.
sub absent_labels { return pick('never_written{job="api"}', '{sid="nope"}', 'up{job="none",code="999"}'); }

# ---------------------------------------------------------------------------
# Timestamps (microseconds since the Unix epoch, or +/-infinity) and values.
# ---------------------------------------------------------------------------
my $PG_EPOCH_US = 946_684_800_000_000;

sub fmt_ts
{
	my $us = shift;
	return $us unless $us =~ /^-?\d+$/;
	my $s = int($us / 1_000_000);
	my $f = $us - $s * 1_000_000;
	if ($f < 0) { $s--; $f += 1_000_000; }
	my @t = gmtime($s);
	return sprintf('%04d-%02d-%02d %02d:%02d:%02d.%06d+00',
		$t[5] + 1900, $t[4] + 1, $t[3], $t[2], $t[1], $t[0], $f);
}

my @FAR_TS = (-2_208_988_800_000_000, -1, 0, $PG_EPOCH_US, $PG_EPOCH_US - 1, 4_102_444_800_000_000,
	-631_152_000_000_000 + 123_456, 7_258_118_399_999_999);

sub next_ts
{
	my $s = shift;
	my $r = rnd();
	my $ts;
	if ($r < 0.78)
	{
		$s->{clock} += $s->{interval} + ($s->{jitter} ? rint(2 * $s->{jitter} + 1) - $s->{jitter} : 0);
		$ts = $s->{clock};
	}
	elsif ($r < 0.88)    # late: up to 6 hours behind
	{
		$ts = $s->{clock} - 1 - rint(6 * 3600) * 1_000_000 - rint(1_000_000);
	}
	elsif ($r < 0.97)    # the timestamp of an earlier sample
	{
		$ts = @{ $s->{recent} } ? pick(@{ $s->{recent} }) : $s->{clock};
	}
	elsif ($r < 0.996)
	{
		$ts = pick(@FAR_TS);
	}
	else
	{
		$ts = pick('infinity', '-infinity');
	}
	remember_ts($s, $ts);
	return $ts;
}

sub remember_ts
{
	my ($s, $ts) = @_;
	push @{ $s->{recent} }, $ts;
	shift @{ $s->{recent} } if @{ $s->{recent} } > 16;
}

# Values as float8 input text: all of these read back bit for bit.
my @SPECIAL = ('NaN', 'Infinity', '-Infinity', '-0', '0', '4.9406564584124654e-324', '2.2250738585072009e-308',
	'2.2250738585072014e-308', '1.7976931348623157e+308', '-1.7976931348623157e+308', '0.30000000000000004',
	'0.1', '0.2', '1e-300', '-1e+300', '9007199254740993', '1.2345678901234568e+29', '3.141592653589793', '-2.5',
	'1e+22');
# NaN payloads only binary COPY can write (float8in makes every NaN the same);
# 7ff0000000000002 is Prometheus' staleness marker.
my @NAN_BITS = ('7ff8000000000001', 'fff8000000000000', '7ff0000000000002', 'fff0000000000001', '7fffffffffffffff');

sub next_value
{
	my $s = shift;
	return pick(@SPECIAL) if chance(0.04);
	my $k = $s->{kind};
	if ($k eq 'counter') { $s->{v} += rint(50); return "$s->{v}"; }
	if ($k eq 'gauge') { return sprintf('%.2f', rnd() * 1000 - 100); }
	if ($k eq 'double') { return sprintf('%.17g', (rnd() - 0.5) * 10**(rint(40) - 20)); }
	if ($k eq 'constant') { return '1'; }
	return pick(@SPECIAL);
}

sub float_bits
{
	my $v = shift;
	return pack('H16', '7ff8000000000000') if $v eq 'NaN';
	return pack('H16', '7ff0000000000000') if $v eq 'Infinity';
	return pack('H16', 'fff0000000000000') if $v eq '-Infinity';
	return pack('H16', '8000000000000000') if $v eq '-0';
	return pack('d>', $v + 0);
}

# One sample: [series index, timestamp, value], sometimes an exact repeat of
# a recent sample.
my @recent_samples;

sub next_sample
{
	return [ @{ pick(@recent_samples) } ] if @recent_samples && chance(0.03);
	my $idx = random_series_index();
	my $s = $series[$idx];
	my $smp = [ $idx, next_ts($s), next_value($s) ];
	push @recent_samples, $smp;
	shift @recent_samples if @recent_samples > 64;
	return $smp;
}

# A value in SQL: mostly a quoted literal, sometimes a numeric literal or an
# expression.
sub sql_value
{
	my $v = shift;
	my $r = rnd();
	return '(0.1::float8 + 0.2::float8)' if $r < 0.005;
	return 'tsdb.staleness_marker()' if $r < 0.01;
	return q{('Infinity'::float8 - 'Infinity'::float8)} if $r < 0.012;
	return q{'-0'::float8} if $r < 0.015;
	return $v if $r < 0.3 && $v =~ /^-?\d+(\.\d+)?(e[-+]?\d+)?$/ && $v !~ /^-0$/;
	return "'$v'";
}

# ---------------------------------------------------------------------------
# The cluster and the sessions.
# ---------------------------------------------------------------------------
my $node = PostgreSQL::Test::Cluster->new('diff');
$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
# wal_level stays minimal (the default here), so a TRUNCATE followed by
# writes in the same transaction takes the WAL-skipping path.  Small
# shared_buffers make pages leave the buffer pool often; autovacuum runs
# concurrently.
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'tsdb'
shared_buffers = 1MB
max_prepared_transactions = 4
autovacuum_naptime = 1s
log_statement = none
log_min_messages = warning
# merges at every second segment of a level in 10-minute windows: the few
# hours of data time a run writes go through several merge levels
tsdb.merge_min_segments = 2
tsdb.merge_base_window = '10min'
# compactions are the workload's own steps, so a seed replays a run
tsdb.worker_enabled = off
});
$node->start;
# PostgreSQL::Test::BackgroundPsql came to PostgreSQL 15 in minor release 15.4.
BAIL_OUT('PostgreSQL::Test::Cluster has no background_psql (PostgreSQL 15.4 or later needed)')
  unless $node->can('background_psql');

my $base = $node->basedir;
my $copydir = "$base/copy";
mkdir $copydir or die "mkdir $copydir: $!";
my $workload = "$base/workload.sql";
my $chunkfile = "$base/chunk.sql";
open(my $wl, '>', $workload) or die "could not write $workload: $!";
$wl->autoflush(1);
note("workload log: $workload");

# The two tables have the same columns in the same order, picked from the seed
# (any order is allowed for tsdb); statements always name the columns.
my @cols = shuffled(qw(series ts value));
my %coltype = (series => 'tsdb.labels NOT NULL', ts => 'timestamptz NOT NULL', value => 'float8 NOT NULL');
my $coldefs = join(', ', map { "$_ $coltype{$_}" } @cols);
note("column order: @cols");
$node->safe_psql('postgres', qq{
	CREATE EXTENSION tsdb;
	CREATE TABLE m ($coldefs) USING tsdb;
	CREATE TABLE h ($coldefs);
	CREATE TABLE compact_probe (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
});
print $wl "CREATE EXTENSION tsdb;\nCREATE TABLE m ($coldefs) USING tsdb;\nCREATE TABLE h ($coldefs);\n";

my $have_compact = $node->safe_psql('postgres', q{SELECT to_regproc('tsdb.compact') IS NOT NULL}) eq 't';
my $have_drop_before =
  $node->safe_psql('postgres', q{SELECT to_regprocedure('tsdb.drop_before(regclass,timestamptz)') IS NOT NULL}) eq 't';
my $compact_in_xact = 0;
if ($have_compact)
{
	# Compaction inside a transaction block (that then commits or rolls back)
	# is exercised only if the function accepts it.
	my ($rc, $out, $err) = $node->psql('postgres',
		q{BEGIN; SELECT tsdb.compact('compact_probe'::regclass); ROLLBACK;});
	$compact_in_xact = $rc == 0 ? 1 : 0;
	note("tsdb.compact present; inside a transaction block: "
		  . ($compact_in_xact ? 'accepted' : "refused ($err)"));
}
else
{
	note('tsdb.compact not present: compaction steps are skipped');
}
note('tsdb.drop_before ' . ($have_drop_before ? 'present' : 'not present: retention steps are skipped'));

my %SESSION_SETUP = (
	main => q{SET client_min_messages = warning; SET lock_timeout = '60s';},
	aux => q{SET client_min_messages = warning; SET lock_timeout = '3s';},
	reader => q{SET client_min_messages = warning;});

# Prepared statements of the main session, executed with several parameters
# by the checks (after five executions the plan may turn generic).
my $PREPARES = join("\n", map {
	(   "PREPARE p_range_$_(tsdb.labels, timestamptz, timestamptz) AS "
		  . "SELECT ts, encode(float8send(value), 'hex') FROM $_ WHERE series = \$1 AND ts >= \$2 AND ts < \$3;",
		"PREPARE p_match_$_(text) AS "
		  . "SELECT series, count(*), min(ts), max(ts), sum(value::numeric) FROM $_ WHERE series \@\@ \$1 GROUP BY series;",
		"PREPARE p_label_$_(text, timestamptz) AS "
		  . "SELECT series, ts, encode(float8send(value), 'hex') FROM $_ WHERE series -> 'job' = \$1 AND ts > \$2 - interval '3 hours';",
		"PREPARE p_latest_$_(tsdb.labels) AS "
		  . "SELECT ts FROM $_ WHERE series = \$1 ORDER BY ts DESC LIMIT 3;")
} qw(m h));

my %sess;

sub open_session
{
	my $role = shift;
	my $s = $node->background_psql('postgres', on_error_stop => 0);
	$s->set_query_timer_restart();
	$sess{$role} = $s;
	sq($role, $SESSION_SETUP{$role});
	sq($role, $PREPARES) if $role eq 'main';
	return $s;
}

sub close_session
{
	my $role = shift;
	my $s = delete $sess{$role} or return;
	$s->quit;
}

my $step = 0;
my $ops = 0;
my %kind_count;
my $failed = 0;

# Run SQL in a session; returns (stdout, stderr).  The SQL goes through a
# file (psql's \i), so long statements stay out of the TAP log, and is
# appended to workload.sql.
sub q_raw
{
	my ($role, $sql) = @_;
	my $s = $sess{$role} or die "no session $role";
	print $wl "-- step $step [$role]\n$sql\n";
	open(my $fh, '>', $chunkfile) or die "could not write $chunkfile: $!";
	print $fh $sql, "\n";
	close $fh;
	$s->{stderr} = '';
	my ($out) = $s->query("\\i $chunkfile");
	my $err = $s->{stderr};
	$s->{stderr} = '';
	return ($out, $err);
}

# Same, but any error is fatal.
sub sq
{
	my ($role, $sql) = @_;
	my ($out, $err) = q_raw($role, $sql);
	die "step $step: error in session $role: $err\nSQL: " . substr($sql, 0, 2000) . "\n" if $err ne '';
	return $out;
}

# ---------------------------------------------------------------------------
# Write statements.  Each is a template with {{T}} for the table written; it
# is run for m, then for h (or in the order given by "order").
# ---------------------------------------------------------------------------
my $copyseq = 0;
my $collist = '(series, ts, value)';

sub w_single
{
	my $n = 1 + rint(20);
	my @stmts;
	for (1 .. $n)
	{
		my $smp = next_sample();
		push @stmts, "INSERT INTO {{T}} $collist VALUES ("
		  . sql_str(render_labels($series[ $smp->[0] ])) . ", '" . fmt_ts($smp->[1]) . "', "
		  . sql_value($smp->[2]) . ');';
	}
	return { kind => 'single', sql => join("\n", @stmts), n => $n };
}

sub w_values
{
	my $n = 1 + rint(200);
	my @rows;
	for (1 .. $n)
	{
		my $smp = next_sample();
		push @rows, '(' . sql_str(render_labels($series[ $smp->[0] ])) . ", '" . fmt_ts($smp->[1]) . "', "
		  . sql_value($smp->[2]) . ')';
	}
	return { kind => 'values', sql => "INSERT INTO {{T}} $collist VALUES\n" . join(",\n", @rows) . ';', n => $n };
}

sub gs_value_expr
{
	return pick('i', 'i * 0.1', '(i % 13)::float8 / 7', 'sin(i) * 1e6', '1e-310 * i', "'NaN'::float8",
		q{CASE WHEN i % 50 = 0 THEN 'NaN'::float8 WHEN i % 77 = 0 THEN '-0'::float8 WHEN i % 101 = 0 THEN '-Infinity'::float8 ELSE i / 3.0 END},
		q{CASE WHEN i % 9 = 0 THEN tsdb.staleness_marker() ELSE 0.1 * (i % 4) + 0.2 END},
		'1.7976931348623157e308::float8 * (i % 2)');
}

sub w_gs
{
	my $k = 1 + rint(3);
	my $per = 10 + rint(800);
	my @idx = map { random_series_index() } 1 .. $k;
	my $step_us = pick(1, 1000, 1_000_000, 10_000_000, 15_000_000);
	my $div = chance(0.2) ? 2 + rint(2) : 1;    # timestamps repeated $div times
	my $s0 = $series[ $idx[0] ];
	# from the first series' clock, or late: hours before it
	my $t0 = $s0->{clock} - (chance(0.3) ? rint(12 * 3600) * 1_000_000 : 0);
	my $tmax = $t0 + int($per / $div) * $step_us;
	for my $i (@idx)
	{
		my $s = $series[$i];
		$s->{clock} = $tmax if $tmax > $s->{clock};
		remember_ts($s, $t0 + $step_us * (1 + rint(int($per / $div))));
	}
	my $vals = join(', ', map { '(' . sql_str(render_labels($series[$_])) . ')' } @idx);
	my $order = chance(0.2) ? ' ORDER BY i DESC' : '';
	my $sql = "INSERT INTO {{T}} $collist SELECT s.l, '" . fmt_ts($t0)
	  . "'::timestamptz + (i / $div) * interval '$step_us microseconds', " . gs_value_expr()
	  . " FROM generate_series(1, $per) i, (VALUES $vals) s(l)$order;";
	return { kind => 'gs', sql => $sql, n => $k * $per };
}

sub copy_text_field
{
	my $f = shift;
	$f =~ s/\\/\\\\/g;
	$f =~ s/\t/\\t/g;
	$f =~ s/\n/\\n/g;
	$f =~ s/\r/\\r/g;
	return $f;
}

sub csv_field
{
	my $f = shift;
	$f =~ s/"/""/g;
	return qq{"$f"};
}

# Writes the COPY file; returns (file, format, column list).  $bad appends a
# line that fails (a label name that is not valid).
sub write_copy_file
{
	my ($n, $bad) = @_;
	my $format = weighted(text => 4, csv => 2, binary => 3);
	my @perm = chance(0.3) ? shuffled(qw(series ts value)) : qw(series ts value);
	my %pos = map { $perm[$_] => $_ } 0 .. 2;
	my $file = sprintf('%s/copy_%05d.%s', $copydir, ++$copyseq, $format);
	open(my $fh, '>:raw', $file) or die "could not write $file: $!";
	print $fh "PGCOPY\n\377\r\n\0" . pack('NN', 0, 0) if $format eq 'binary';
	my @rows = map { next_sample() } 1 .. $n;
	push @rows, 'BAD' if $bad;
	for my $smp (@rows)
	{
		my @f;
		if ($smp eq 'BAD')
		{
			@f = ('bad{1x="y"}', '2026-01-01 00:00:00+00', '1');
		}
		else
		{
			@f = (render_labels($series[ $smp->[0] ]), fmt_ts($smp->[1]), $smp->[2]);
		}
		@f = @f[ map { { series => 0, ts => 1, value => 2 }->{$_} } @perm ];
		if ($format eq 'text')
		{
			print $fh join("\t", map { copy_text_field($_) } @f), "\n";
		}
		elsif ($format eq 'csv')
		{
			print $fh join(',', map { $perm[$_] eq 'series' ? csv_field($f[$_]) : $f[$_] } 0 .. 2), "\n";
		}
		else
		{
			my $tuple = pack('n', 3);
			for my $c (@perm)
			{
				my $v = $f[ $pos{$c} ];
				my $bytes;
				if ($c eq 'series') { $bytes = "\x01" . $v; }
				elsif ($c eq 'ts')
				{
					$bytes = $v eq 'infinity' ? pack('q>', 9223372036854775807)
					  : $v eq '-infinity' ? pack('q>', -9223372036854775807 - 1)
					  : pack('q>', ($smp eq 'BAD' ? 0 : $smp->[1]) - $PG_EPOCH_US);
				}
				else
				{
					$bytes = chance(0.05) ? pack('H16', pick(@NAN_BITS)) : float_bits($v);
				}
				$tuple .= pack('N', length($bytes)) . $bytes;
			}
			print $fh $tuple;
		}
	}
	print $fh pack('n', 0xffff) if $format eq 'binary';
	close $fh;
	return ($file, $format, '(' . join(', ', @perm) . ')');
}

sub copy_sql
{
	my ($file, $format, $cl) = @_;
	my $via = weighted(file => 4, program => 1, stdin => 3);
	return "COPY {{T}} $cl FROM '$file' (FORMAT $format);" if $via eq 'file';
	return "COPY {{T}} $cl FROM PROGRAM 'cat $file' (FORMAT $format);" if $via eq 'program';
	# psql's \copy: COPY ... FROM STDIN, the data sent by the client
	return "\\copy {{T}} $cl FROM '$file' (FORMAT $format)";
}

sub w_copy
{
	my $n = 20 + rint(1500);
	return { kind => 'copy', sql => copy_sql(write_copy_file($n, 0)), n => $n };
}

sub w_copy_bad
{
	my $n = 1 + rint(1500);
	return { kind => 'copy_bad', sql => copy_sql(write_copy_file($n, 1)), n => $n,
		expect_error => qr/invalid input syntax for tsdb\.labels/ };
}

sub w_fail_insert
{
	my $caught = shift;
	my $n = 2 + rint(1000);
	my $s = $series[ random_series_index() ];
	my $t0 = fmt_ts($s->{clock});
	my $sql = "INSERT INTO {{T}} $collist SELECT " . sql_str(render_labels($s))
	  . ", '$t0'::timestamptz + i * interval '1 ms', 1.0 / ($n - i) FROM generate_series(1, $n) i;";
	if ($caught || chance(0.5))
	{
		# the error caught inside the statement by PL/pgSQL (a subtransaction)
		$sql = "DO \$do\$ BEGIN $sql EXCEPTION WHEN division_by_zero THEN NULL; END \$do\$;";
		return { kind => 'do_fail', sql => $sql, n => $n };
	}
	return { kind => 'fail_insert', sql => $sql, n => $n, expect_error => qr/division by zero/ };
}

# INSERT ... SELECT from the table itself (a statement sees none of its own
# samples), or one table into the other.  With the source "m", h is written
# first (from m, unchanged yet), then m from itself, so both get the same
# samples; likewise with "h".  RETURNING counts the samples, which must be the
# same for both tables.
sub w_self
{
	my $s = $series[ random_series_index() ];
	my $src = pick('self', 'm', 'h');
	my $from = $src eq 'self' ? '{{T}}' : $src;
	my $lo = fmt_ts($s->{clock} - rint(3 * 3600) * 1_000_000);
	my $hi = fmt_ts($s->{clock} + 1);
	my $shift = pick('1 ms', '-1 hour', '0');
	my $sql = "WITH ins AS (INSERT INTO {{T}} $collist SELECT series, ts + interval '$shift', value FROM $from "
	  . 'WHERE series = ' . sql_str(render_labels($s)) . " AND ts >= '$lo' AND ts < '$hi' RETURNING 1) "
	  . 'SELECT count(*) FROM ins;';
	return { kind => 'self', sql => $sql, n => 0, count_output => 1, order => ($src eq 'm' ? [qw(h m)] : [qw(m h)]) };
}

# Set to force the next write's kind and transaction mode (the end of the
# run makes sure every kind ran once).
my ($force_write, $force_mode);
my %WRITE_WEIGHT = (single => 10, values => 22, gs => 14, copy => 22, copy_bad => 3, fail => 4, self => 5);
my %MODE_WEIGHT = (auto => 35, commit => 30, rollback => 10, savepoints => 17, twophase => 5, truncate_then_write => 3,
	many_subxacts => 3);

my $bg;    # the background writer, when one runs

sub random_write
{
	# With a background writer running, INSERT ... SELECT from the tables
	# would read different data for m and for h (two statements, two
	# snapshots, its commits in between), so there is none then.
	my $k = $force_write // weighted(%WRITE_WEIGHT, $bg ? (self => 0) : ());
	$force_write = undef;
	return w_single() if $k eq 'single';
	return w_values() if $k eq 'values';
	return w_gs() if $k eq 'gs';
	return w_copy() if $k eq 'copy';
	return w_copy_bad() if $k eq 'copy_bad';
	return w_fail_insert() if $k eq 'fail';
	return w_self();
}

sub for_table
{
	my ($sql, $t) = @_;
	$sql =~ s/\{\{T\}\}/$t/g;
	return $sql;
}

# ---------------------------------------------------------------------------
# The checks.
# ---------------------------------------------------------------------------
sub matcher_value { return esc_label(shift); }

# A matcher of each kind, built from a random series so that most match
# something.
sub random_matchers
{
	my $s = $series[ random_series_index() ];
	my @l = @{ $s->{labels} };
	my ($k, $v) = @l ? @{ pick(@l) } : ('job', 'api');
	my $name = $s->{name} // 'up';
	return (
		[ 'match_eq', chance(0.5) ? qq(\{$k="@{[matcher_value($v)]}"\}) : qq($name\{$k="@{[matcher_value($v)]}"\}) ],
		[ 'match_ne', chance(0.5) ? qq(\{$k!="@{[matcher_value($v)]}"\}) : qq(\{__name__="$name", $k!="@{[matcher_value($v)]}"\}) ],
		[ 'match_re', pick('{code=~"5.."}', '{job=~"a.*|w.*"}', '{__name__=~"node_.*"}', '{instance=~".+"}',
			'{cpu=~"[0-3]"}', '{job=~""}', '{sid=~"s1.*"}', 'http_requests_total{code=~"2..|4.."}') ],
		[ 'match_nre', pick('{job!~"a.*"}', '{mode!~"idle|user"}', '{__name__!~"up|m"}', '{sid!~"s[0-9]"}',
			'{env!~""}', 'node_cpu_seconds_total{cpu!~"[4-7]"}') ],
		[ 'match_mixed', qq($name\{$k=~".*", job!="db", env!~"dev"\}) ]);
}

sub ts_lit { return "'" . fmt_ts($_[0]) . "'"; }

# The queries compared after each step, with fresh random parameters each
# time.  Each is run on m and on h and the results compared with EXCEPT ALL
# both ways, plus their row counts (batch_sql).
#
# Values are compared as float8send(value), the 8 bytes of the double, not as
# float8: float8 equality (and so EXCEPT ALL on float8) says -0 = 0 and that
# every NaN equals every other NaN, which would hide a -0 stored as 0 or a
# staleness marker stored as a plain NaN.  tsdb promises bit-exact values and
# heap stores the datum's bytes, so the bytes must be equal.
sub build_checks
{
	my @c;
	push @c, [ 'count', 'SELECT count(*) FROM {{T}}' ];
	push @c, [ 'whole', 'SELECT series, ts, float8send(value) FROM {{T}}' ];
	push @c, [ 'one_column', 'SELECT float8send(value) FROM {{T}} WHERE value > 0.5' ];
	for (1 .. 2)
	{
		my $lab = chance(0.1) ? absent_labels() : render_labels($series[ random_series_index() ]);
		push @c, [ 'series_eq', 'SELECT ts, float8send(value) FROM {{T}} WHERE series = ' . sql_str($lab) ];
	}
	push @c, [ 'series_in', 'SELECT series::text, ts, float8send(value) FROM {{T}} WHERE series IN ('
		  . join(', ', map { sql_str(render_labels($series[ random_series_index() ])) } 1 .. 3) . ')' ];
	for my $m (random_matchers())
	{
		push @c, [ $m->[0], 'SELECT series, ts, float8send(value) FROM {{T}} WHERE series @@ ' . sql_str($m->[1]) ];
	}
	my ($ck, $cv) = ('job', pick(@{ $POOL{job} }));
	push @c, [ 'contains', "SELECT series, ts, float8send(value) FROM {{T}} WHERE series \@> '{$ck=\"$cv\"}'" ];
	push @c, [ 'label_value', q{SELECT series -> 'job', series -> '__name__', count(*) FROM {{T}} GROUP BY 1, 2} ];

	# time ranges around a random series' clock
	my $s = $series[ random_series_index() ];
	my $a = $s->{clock} - rint(4 * 3600) * 1_000_000 - rint(1_000_000);
	my $b = $a + rint(3 * 3600) * 1_000_000 + 1;
	my $point = @{ $s->{recent} } ? pick(@{ $s->{recent} }) : $s->{clock};
	my $lab = sql_str(render_labels($s));
	push @c, [ 'range_closed', 'SELECT series, ts, float8send(value) FROM {{T}} WHERE ts >= ' . ts_lit($a) . ' AND ts < ' . ts_lit($b) ];
	push @c, [ 'range_between_series', 'SELECT ts, float8send(value) FROM {{T}} WHERE series = ' . $lab
		  . ' AND ts BETWEEN ' . ts_lit($a) . ' AND ' . ts_lit($b) ];
	push @c, [ 'range_from', 'SELECT series, ts, float8send(value) FROM {{T}} WHERE ts > ' . ts_lit($b) ];
	push @c, [ 'range_to', 'SELECT series, ts, float8send(value) FROM {{T}} WHERE ts <= ' . ts_lit($a) ];
	push @c, [ 'range_empty', 'SELECT series, ts FROM {{T}} WHERE ts > ' . ts_lit($b) . ' AND ts < ' . ts_lit($a) ];
	push @c, [ 'point', 'SELECT series, float8send(value) FROM {{T}} WHERE ts = ' . ts_lit($point) ];
	push @c, [ 'infinite', q{SELECT series, ts, float8send(value) FROM {{T}} WHERE NOT isfinite(ts)} ];

	# Aggregates.  sum() in numeric: exact, so the order in which the scan
	# returns samples cannot change the result (a float8 sum could differ in
	# the last bits, or overflow in one order only).  min/max of value in
	# float8 compare -0 = 0 and NaN = NaN, which is right here: which of two
	# equal values min() keeps depends on the scan order.
	push @c, [ 'agg_by_series',
		'SELECT series, count(*), min(ts), max(ts), min(value), max(value), sum(value::numeric) FROM {{T}} GROUP BY series' ];
	push @c, [ 'agg_buckets',
		q{SELECT series, date_bin('1 hour', ts, '2000-01-01'), count(*), sum(value::numeric) FROM {{T}} WHERE isfinite(ts) AND series @@ '{job=~"a.*|d.*"}' GROUP BY 1, 2} ];
	# Latest sample per series, tie-safe: DISTINCT ON gives (series, max(ts));
	# then every value at that timestamp, not one arbitrary among duplicates.
	push @c, [ 'latest', 'SELECT DISTINCT ON (series) series, ts FROM {{T}} ORDER BY series, ts DESC' ];
	push @c, [ 'latest_values',
		'SELECT series, ts, float8send(value) FROM {{T}} WHERE (series, ts) IN (SELECT series, max(ts) FROM {{T}} GROUP BY series)' ];
	push @c, [ 'duplicates', 'SELECT series, ts, count(*) FROM {{T}} GROUP BY 1, 2 HAVING count(*) > 1' ];
	# rescans: the table is the inner side of a nested loop
	push @c, [ 'lateral_rescan', 'SELECT v.i, x.n, x.mx FROM (VALUES '
		  . join(', ', map { "($_, " . sql_str(render_labels($series[ random_series_index() ])) . ')' } 1 .. 2)
		  . ') v(i, s) CROSS JOIN LATERAL (SELECT count(*) AS n, max(ts) AS mx FROM {{T}} WHERE series = v.s::tsdb.labels) x' ];
	# joins on the series and on a label, with time bounds from the outer
	# row: parameterized scans under a nested loop
	push @c, [ 'join_series', 'SELECT v.i, t.ts, float8send(t.value) FROM (VALUES '
		  . join(', ', map { "($_, " . sql_str(chance(0.1) ? absent_labels() : render_labels($series[ random_series_index() ])) . ')' } 1 .. 3)
		  . ') v(i, s) JOIN {{T}} t ON t.series = v.s::tsdb.labels' ];
	push @c, [ 'self_join', "SELECT a.ts, count(*) FROM {{T}} a JOIN {{T}} b ON a.series = b.series AND a.ts = b.ts WHERE a.series = $lab GROUP BY 1" ];

	# Clauses TsdbScan pushes down (scan.h), in more shapes: one label's
	# value, matchers with a range, bounds from stable expressions and from
	# subqueries (exec Params), one series in time order under a LIMIT
	# (only ts is returned, so ties at the limit cannot differ), and a
	# correlated subquery rescanned with a new series each time.
	my @l = @{ $s->{labels} };
	my ($lk, $lv) = @l ? @{ pick(@l) } : ('job', 'api');
	push @c, [ 'join_window', 'SELECT w.i, t.series, t.ts FROM (VALUES (1, ' . sql_str($lv) . ', '
		  . ts_lit($a) . '::timestamptz, ' . ts_lit($b) . '::timestamptz), (2, ' . sql_str($lv)
		  . ', NULL, ' . ts_lit($a) . "::timestamptz), (3, 'api', " . ts_lit($b) . '::timestamptz, ' . ts_lit($a)
		  . '::timestamptz)) w(i, v, lo, hi) JOIN {{T}} t ON t.series -> ' . sql_str($lk)
		  . ' = w.v AND t.ts >= w.lo AND t.ts <= w.hi' ];
	push @c, [ 'label_eq', "SELECT series, ts, float8send(value) FROM {{T}} WHERE series -> " . sql_str($lk) . ' = ' . sql_str($lv) ];
	push @c, [ 'label_eq_name', "SELECT series, ts FROM {{T}} WHERE " . sql_str($s->{name} // 'up') . " = series -> '__name__' AND ts < " . ts_lit($b) ];
	push @c, [ 'label_eq_absent', q{SELECT series, ts FROM {{T}} WHERE series -> 'no_such_label' = 'x' OR series -> 'job' = ''} ];
	push @c, [ 'match_range', 'SELECT series, ts, float8send(value) FROM {{T}} WHERE series @@ ' . sql_str((random_matchers())[ rint(5) ][1])
		  . ' AND ts BETWEEN ' . ts_lit($a) . ' AND ' . ts_lit($b) ];
	push @c, [ 'range_stable', 'SELECT series, ts FROM {{T}} WHERE ts >= ' . ts_lit($b) . "::timestamptz - interval '2 hours' AND ts <= "
		  . ts_lit($b) ];
	push @c, [ 'range_subquery', 'SELECT series, ts FROM {{T}} WHERE ts > (SELECT max(ts) FROM {{T}} WHERE isfinite(ts))'
		  . " - interval '20 minutes'" ];
	push @c, [ 'ordered_desc', "SELECT ts FROM {{T}} WHERE series = $lab ORDER BY ts DESC LIMIT 5" ];
	push @c, [ 'ordered_asc', "SELECT ts FROM {{T}} WHERE series = $lab AND ts > " . ts_lit($a) . ' ORDER BY ts LIMIT 7' ];
	push @c, [ 'ordered_all', "SELECT ts, float8send(value) FROM {{T}} WHERE series = $lab AND ts <= " . ts_lit($b) . ' ORDER BY ts DESC' ];
	# DISTINCT ON with a series filter: TsdbScan's "latest" mode; the
	# value's bytes break ties at the newest timestamp the same way on both
	push @c, [ 'latest_pushed', 'SELECT DISTINCT ON (series) series, ts, float8send(value) FROM {{T}} WHERE series @@ '
		  . sql_str((random_matchers())[ rint(5) ][1]) . ' AND ts <= ' . ts_lit($b) . ' ORDER BY series, ts DESC, float8send(value)' ];
	push @c, [ 'correlated', 'SELECT v.l, (SELECT count(*) FROM {{T}} WHERE series = v.l::tsdb.labels AND ts >= ' . ts_lit($a)
		  . ') FROM (VALUES ' . join(', ', map { '(' . sql_str(render_labels($series[ random_series_index() ])) . ')' } 1 .. 3)
		  . ') v(l)' ];
	return @c;
}

sub batch_sql
{
	my @checks = @_;
	my @parts;
	for my $i (0 .. $#checks)
	{
		my ($qm, $qh) = map { for_table($checks[$i][1], $_) } qw(m h);
		push @parts, "SELECT * FROM (WITH a AS MATERIALIZED ($qm), b AS MATERIALIZED ($qh) SELECT $i AS i, "
		  . '(SELECT count(*) FROM (TABLE a EXCEPT ALL TABLE b) x) AS ab, '
		  . '(SELECT count(*) FROM (TABLE b EXCEPT ALL TABLE a) y) AS ba, '
		  . "(SELECT count(*) FROM a) AS na, (SELECT count(*) FROM b) AS nb) q$i";
	}
	return join("\nUNION ALL\n", @parts) . ';';
}

sub mismatch
{
	my ($what, $detail) = @_;
	$failed = 1;
	fail("step $step: $what");
	diag("MISMATCH at step $step (seed $seed, TSDB_DIFF_SEED=$seed TSDB_DIFF_OPS=$target_ops): $what\n$detail\n"
		  . "workload so far: $workload");
}

my $checks_run = 0;
my $pushdown_rounds = 0;
my $rows = 0;    # rows in m at the last check
my $check_seconds = 0;
# TSDB_DIFF_PROFILE=1: time every check on its own (for tuning)
my $PROFILE = env_or('TSDB_DIFF_PROFILE', 0);
my %check_time;
my %step_time;    # seconds per step kind, checks excluded

# Runs the checks in a session; false (after reporting) on a mismatch.
sub run_checks
{
	my ($role, $where) = @_;
	my @checks = build_checks();
	my $t0 = time;
	my $out;
	if ($PROFILE)
	{
		# each check on its own, timed
		for my $i (0 .. $#checks)
		{
			my $t1 = time;
			my $o = sq($role, batch_sql($checks[$i]));
			$o =~ s/^0\|/$i|/;
			$out .= "$o\n";
			$check_time{ $checks[$i][0] } += time - $t1;
		}
	}
	else
	{
		# Every other round in the main session reads m with
		# tsdb.enable_pushdown off (sequential scans only): both kinds of
		# plans must give heap's rows.
		my $round = $pushdown_rounds++;
		my $off = $role eq 'main' && $round % 2 == 1;
		$out = sq($role, ($off ? "SET tsdb.enable_pushdown = off;\n" : '') . batch_sql(@checks)
			  . ($off ? "\nRESET tsdb.enable_pushdown;" : ''));
		if ($role eq 'main' && $round % 4 == 2)
		{
			# the joins again with nested loops only: parameterized
			# TsdbScans rescanned with each outer row's values
			my @j = grep { $checks[$_][0] =~ /^join_/ } 0 .. $#checks;
			my $o = sq($role, "SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;\n"
				  . batch_sql(map { $checks[$_] } @j) . "\nRESET enable_hashjoin; RESET enable_mergejoin; RESET enable_material;");
			$o =~ s/^(\d+)\|/$j[$1]|/gm;
			$out .= "\n$o";
		}
	}
	$check_seconds += time - $t0;
	note(sprintf('checks in %s: %.2f s, %d rows in m', $role, time - $t0, $1)) if $PROFILE && $out =~ /^1\|\d+\|\d+\|(\d+)\|/m;
	$checks_run += @checks;
	my @failing = map { $checks[$_->[0]][0] } grep { $_->[1] || $_->[2] || $_->[3] != $_->[4] }
	  map { [ split /\|/ ] } split /\n/, $out;
	for my $line (split /\n/, $out)
	{
		my ($i, $ab, $ba, $na, $nb) = split /\|/, $line;
		$rows = $na if $checks[$i][0] eq 'whole' && $role eq 'main';
		next if $ab == 0 && $ba == 0 && $na == $nb;
		my ($qm, $qh) = map { for_table($checks[$i][1], $_) } qw(m h);
		my $d1 = sq($role, "SELECT * FROM (($qm) EXCEPT ALL ($qh)) x LIMIT 10;");
		my $d2 = sq($role, "SELECT * FROM (($qh) EXCEPT ALL ($qm)) x LIMIT 10;");
		mismatch("check '$checks[$i][0]' $where",
			"tsdb query: $qm\nheap query: $qh\n"
			  . "rows: tsdb $na, heap $nb; only in tsdb: $ab, only in heap: $ba\n"
			  . "first rows only in tsdb:\n$d1\nfirst rows only in heap:\n$d2\n"
			  . "all checks failing in this batch: @failing");
		return 0;
	}
	return 1;
}

# The prepared statements, several parameters each, results compared as
# sorted lists.
sub run_prepared
{
	my @calls;
	for (1 .. 3)
	{
		my $s = $series[ random_series_index() ];
		my $a = $s->{clock} - rint(6 * 3600) * 1_000_000;
		my $b = $a + rint(6 * 3600) * 1_000_000;
		push @calls, [ 'p_range', sql_str(render_labels($s)) . ', ' . ts_lit($a) . ', ' . ts_lit($b) ];
	}
	push @calls, [ 'p_match', sql_str((random_matchers())[ rint(5) ][1]) ];
	{
		# series first written after the PREPARE are found too: ids are
		# looked up when the statement runs, not when it is planned
		my $s = $series[ random_series_index() ];
		push @calls, [ 'p_label', sql_str(pick(@{ $POOL{job} })) . ', ' . ts_lit($s->{clock}) ];
		push @calls, [ 'p_latest', sql_str(chance(0.1) ? absent_labels() : render_labels($s)) ];
	}
	for my $c (@calls)
	{
		# both in one snapshot: a background writer may be committing;
		# half the time with generic plans (Params in TsdbScan's bounds)
		my $mode = chance(0.5) ? 'force_generic_plan' : 'auto';
		my $out = sq('main', "BEGIN ISOLATION LEVEL REPEATABLE READ;\nSET LOCAL plan_cache_mode = $mode;\nEXECUTE $c->[0]_m($c->[1]);\n"
			  . "\\echo =====\nEXECUTE $c->[0]_h($c->[1]);\nCOMMIT;");
		my ($om, $oh) = split /^=====\n?/m, $out, 2;
		my %res = (m => join("\n", sort split /\n/, $om), h => join("\n", sort split /\n/, $oh // ''));
		next if $res{m} eq $res{h};
		mismatch("prepared statement $c->[0]($c->[1])",
			"tsdb:\n" . substr($res{m}, 0, 2000) . "\nheap:\n" . substr($res{h}, 0, 2000));
		return 0;
	}
	return 1;
}

# A SCROLL cursor over the tsdb table, read forward, backward and at absolute
# positions: backward must give the forward rows in reverse, FETCH ABSOLUTE k
# the k-th forward row, and the rows must be the heap table's (read in the
# same REPEATABLE READ transaction).
sub run_cursor
{
	# a few series only (the rows go through the TAP log), one row a hash
	my $where = chance(0.5) ? ' WHERE series @@ ' . sql_str((random_matchers())[0][1])
	  : ' WHERE series IN (' . join(', ', map { sql_str(render_labels($series[ random_series_index() ])) } 1 .. 3) . ')';
	my $cols = q{md5(series::text || ts::text || float8send(value)::text)};
	my $sql = "BEGIN ISOLATION LEVEL REPEATABLE READ;\n"
	  . "DECLARE c SCROLL CURSOR FOR SELECT $cols FROM m$where;\n"
	  . "FETCH FORWARD ALL FROM c;\n\\echo =====\nFETCH BACKWARD ALL FROM c;\n\\echo =====\n";
	my @abs = map { 1 + rint(500) } 1 .. 3;
	$sql .= "FETCH ABSOLUTE $_ FROM c;\n\\echo =====\n" for @abs;
	$sql .= "SELECT $cols FROM h$where;\nCOMMIT;";
	my @parts = split /^=====\n?/m, sq('main', $sql), -1;
	my @fwd = split /\n/, $parts[0];
	my @bwd = split /\n/, $parts[1];
	my @heap = split /\n/, $parts[5] // '';
	my $err;
	if (join("\n", reverse @bwd) ne join("\n", @fwd))
	{
		$err = sprintf('FETCH BACKWARD ALL (%d rows) is not FETCH FORWARD ALL (%d rows) reversed', scalar @bwd, scalar @fwd);
	}
	for my $i (0 .. 2)
	{
		my $got = $parts[ 2 + $i ];
		$got =~ s/\n$//;
		my $want = $fwd[ $abs[$i] - 1 ] // '';
		$err //= "FETCH ABSOLUTE $abs[$i] gave '$got', forward row $abs[$i] is '$want'" if $got ne $want;
	}
	$err //= sprintf('cursor rows (%d) differ from heap rows (%d)', scalar @fwd, scalar @heap)
	  if join("\n", sort @fwd) ne join("\n", sort @heap);
	$kind_count{cursor}++;
	return 1 unless $err;
	mismatch("SCROLL cursor on m$where", $err);
	return 0;
}

# ---------------------------------------------------------------------------
# Readers with old snapshots.
# ---------------------------------------------------------------------------
my $FINGERPRINT = join(', ', map {
	"(SELECT count(*) || ':' || coalesce(md5(string_agg(series::text || '|' || ts::text || '|' || float8send(value)::text, ',' "
	  . "ORDER BY series::text, ts, float8send(value))), '') FROM $_)"
} qw(m h));
my $reader;    # { fp => ..., until => step }
my $readers_verified = 0;

sub reader_open
{
	return if $reader;
	open_session('reader');
	sq('reader', 'BEGIN ISOLATION LEVEL REPEATABLE READ;');
	my $fp = sq('reader', "SELECT $FINGERPRINT;");
	my ($fm, $fh) = split /\|/, $fp;
	$reader = { fp => $fp, until => $step + 3 + rint(20), opened => $step };
	$kind_count{reader}++;
	mismatch('reader at its start', "tsdb $fm\nheap $fh") if $fm ne $fh;
}

sub reader_close
{
	return 1 unless $reader;
	my $fp = sq('reader', "SELECT $FINGERPRINT;");
	my $ok = 1;
	if ($fp ne $reader->{fp})
	{
		mismatch("REPEATABLE READ reader opened at step $reader->{opened} reads something else now",
			"at its start (tsdb|heap): $reader->{fp}\nnow: $fp");
		$ok = 0;
	}
	$ok &&= run_checks('reader', "in a REPEATABLE READ reader opened at step $reader->{opened}");
	sq('reader', 'COMMIT;');
	close_session('reader');
	$readers_verified++ if $ok;
	$reader = undef;
	return $ok;
}

# ---------------------------------------------------------------------------
# The background writer: a psql running a script of transactions, each
# writing the same samples to m and to h and then committing or rolling back,
# concurrently with the steps of the main session for a few steps.  Whatever
# the interleaving, every snapshot sees m and h equal, so the checks still
# hold; it adds inserts into the same pages at the same time as scans,
# VACUUM, compaction and the main session's own inserts.
# ---------------------------------------------------------------------------
my $bg_seq = 0;

sub bg_start
{
	return if $bg;
	my $file = sprintf('%s/background_%03d.sql', $base, ++$bg_seq);
	my $ntx = 3 + rint(20);
	my $script = "SET client_min_messages = warning;\n";
	for (1 .. $ntx)
	{
		$script .= "BEGIN;\n";
		$ops += 2;
		for (1 .. 1 + rint(2))
		{
			my $k = weighted(single => 10, values => 30, gs => 20, copy => 30, do_fail => 5);
			my $w = $k eq 'single' ? w_single() : $k eq 'values' ? w_values() : $k eq 'gs' ? w_gs()
			  : $k eq 'copy' ? w_copy() : w_fail_insert(1);
			my $sp = chance(0.2);
			$script .= "SAVEPOINT s;\n" if $sp;
			$script .= for_table($w->{sql}, 'm') . "\n" . for_table($w->{sql}, 'h') . "\n";
			$script .= chance(0.5) ? "ROLLBACK TO SAVEPOINT s;\n" : "RELEASE SAVEPOINT s;\n" if $sp;
			$ops += $w->{n} + ($sp ? 2 : 0);
		}
		$script .= chance(0.8) ? "COMMIT;\n" : "ROLLBACK;\n";
	}
	open(my $fh, '>', $file) or die "could not write $file: $!";
	print $fh $script;
	close $fh;
	print $wl "-- step $step: background writer starts $file\n";
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $file, '-d', $node->connstr('postgres') ],
		'<', \undef, '>', \$out, '2>', \$err);
	$bg = { h => $h, err => \$err, file => $file, until => $step + 1 + rint(6) };
	$kind_count{background_writer}++;
}

# Waits for the background writer to end; it must have run without error.
sub bg_finish
{
	return unless $bg;
	my $b = $bg;
	$bg = undef;
	my $ok = eval { $b->{h}->finish };
	print $wl "-- step $step: background writer $b->{file} done\n";
	die "step $step: background writer $b->{file} failed: ${ $b->{err} }\n" unless $ok && ${ $b->{err} } eq '';
}

# ---------------------------------------------------------------------------
# Steps.
# ---------------------------------------------------------------------------
my $compacted = 0;
my %aux_lock_timeouts;

sub exec_write
{
	my ($w, $in_xact) = @_;
	$kind_count{ $w->{kind} }++;
	$ops += $w->{n};
	my %counts;
	for my $t (@{ $w->{order} // [qw(m h)] })
	{
		my $sql = for_table($w->{sql}, $t);
		if ($w->{expect_error})
		{
			sq('main', 'SAVEPOINT werr;') if $in_xact;
			my ($out, $err) = q_raw('main', $sql);
			die "step $step: $w->{kind} on $t should have failed\n" if $err eq '';
			die "step $step: $w->{kind} on $t failed unexpectedly: $err\n" if $err !~ $w->{expect_error};
			sq('main', 'ROLLBACK TO SAVEPOINT werr; RELEASE SAVEPOINT werr;') if $in_xact;
		}
		else
		{
			$counts{$t} = sq('main', $sql);
		}
	}
	if ($w->{count_output})
	{
		$ops += $counts{m} =~ /^(\d+)/ ? $1 : 0;
		if ($counts{m} ne $counts{h})
		{
			mismatch("$w->{kind}: INSERT ... RETURNING counts differ", "tsdb: $counts{m}\nheap: $counts{h}\nSQL: $w->{sql}");
			return 0;
		}
	}
	return 1;
}

# Between the statements of an open transaction: checks in the writing
# session, VACUUM or compaction from another session, a reader starting.
sub mid_xact_hooks
{
	if (chance(0.15))
	{
		$kind_count{check_in_xact}++;
		return 0 unless run_checks('main', 'inside the writing transaction');
	}
	if (chance(0.1))
	{
		# another backend's view of the open transaction
		$kind_count{check_in_other_session}++;
		return 0 unless run_checks('aux', 'in another session while the writing transaction is open');
	}
	if (chance(0.08))
	{
		$kind_count{aux_vacuum}++;
		$ops++;
		sq('aux', pick('VACUUM m; VACUUM h;', 'VACUUM (FREEZE) m; VACUUM (FREEZE) h;'));
	}
	if ($have_compact && chance(0.1))
	{
		$ops++;
		my ($out, $err) = q_raw('aux', q{SELECT tsdb.compact('m'::regclass);});
		if ($err =~ /lock timeout/)
		{
			$aux_lock_timeouts{compact}++;
		}
		elsif ($err ne '')
		{
			die "step $step: tsdb.compact from a second session failed: $err\n";
		}
		else
		{
			$kind_count{aux_compact}++;
			$compacted++;
		}
	}
	reader_open() if !$reader && chance(0.05);
	return 1;
}

sub step_write
{
	my $mode = $force_mode // weighted(%MODE_WEIGHT);
	$force_mode = undef;
	my $nw = 1 + rint(3);
	$kind_count{"xact_$mode"}++;
	if ($mode eq 'auto')
	{
		for (1 .. $nw)
		{
			return 0 unless exec_write(random_write(), 0);
		}
		return 1;
	}
	if ($mode eq 'many_subxacts')
	{
		# More subtransactions with samples than a backend's PGPROC caches
		# (64): other snapshots see the transaction as "suboverflowed" and
		# must go through pg_subtrans.  Savepoints nest, some are released,
		# some rolled back.
		sq('main', 'BEGIN;');
		my $sql = '';
		my $n = 65 + rint(60);
		for my $i (1 .. $n)
		{
			my $w = chance(0.7) ? w_single() : w_values();
			$sql .= "SAVEPOINT x$i;\n" . for_table($w->{sql}, 'm') . "\n" . for_table($w->{sql}, 'h') . "\n";
			$sql .= chance(0.25) ? "ROLLBACK TO SAVEPOINT x$i;\n" : chance(0.5) ? "RELEASE SAVEPOINT x$i;\n" : '';
			$ops += $w->{n} + 2;
		}
		sq('main', $sql);
		return 0 unless mid_xact_hooks();
		# another backend's view of it, while it is in progress
		return 0 unless run_checks('aux', 'in another session while a transaction with many subtransactions runs');
		$ops += 2;
		sq('main', chance(0.8) ? 'COMMIT;' : 'ROLLBACK;');
		return 1;
	}
	if ($mode eq 'truncate_then_write')
	{
		# rare: empties both tables, then writes into the new relfilenodes
		return 1 if $reader;
		sq('main', 'BEGIN; TRUNCATE m, h;');
		$ops += 2;
	}
	else
	{
		sq('main', 'BEGIN;');
		$ops++;
	}
	# no second session can touch the tables after the TRUNCATE
	my $hooks = $mode ne 'truncate_then_write';
	my $spn = 0;
	for (1 .. $nw)
	{
		my $w = random_write();
		if ($mode eq 'savepoints' && chance(0.6))
		{
			my $sp = 'sp' . ++$spn;
			sq('main', "SAVEPOINT $sp;");
			$ops++;
			return 0 unless exec_write($w, 1);
			return 0 unless !$hooks || mid_xact_hooks();
			my $end = weighted(rollback_to => 45, release => 30, keep => 25);
			if ($end eq 'rollback_to') { sq('main', "ROLLBACK TO SAVEPOINT $sp;"); $ops++; }
			elsif ($end eq 'release') { sq('main', "RELEASE SAVEPOINT $sp;"); $ops++; }
			$kind_count{"savepoint_$end"}++;
		}
		else
		{
			return 0 unless exec_write($w, 1);
		}
		return 0 unless !$hooks || mid_xact_hooks();
	}
	if ($have_compact && $compact_in_xact && chance(0.1))
	{
		sq('main', q{SELECT tsdb.compact('m'::regclass);});
		$kind_count{compact_in_xact}++;
		$ops++;
	}
	$ops++;
	if ($mode eq 'rollback' || ($mode eq 'savepoints' && chance(0.15)))
	{
		sq('main', 'ROLLBACK;');
		return 1;
	}
	if ($mode eq 'twophase')
	{
		my $gid = "difftest_$step";
		sq('main', "PREPARE TRANSACTION '$gid';");
		return 0 unless run_checks('main', "with transaction $gid prepared");
		if (chance(0.25))
		{
			$kind_count{twophase_across_restart}++;
			$ops++;
			return 0 unless restart(chance(0.5) ? 'immediate' : 'fast');
		}
		my $end = chance(0.7) ? 'COMMIT' : 'ROLLBACK';
		sq('main', "$end PREPARED '$gid';");
		$ops++;
		return 1;
	}
	sq('main', 'COMMIT;');
	return 1;
}

sub restart
{
	my $mode = shift;
	return 0 if $reader && !reader_close();
	# An immediate shutdown may hit the background writer in the middle of
	# its transactions: each is then there in both tables or in neither.
	my $under_load = $mode eq 'immediate' && $bg && chance(0.5);
	bg_finish() unless $under_load;
	close_session($_) for qw(main aux);
	if ($mode eq 'immediate')
	{
		$node->stop('immediate');
		if ($under_load)
		{
			eval { $bg->{h}->finish };    # psql lost its connection
			print $wl "-- step $step: background writer $bg->{file} cut off by the crash\n";
			$bg = undef;
			$kind_count{crash_under_load}++;
		}
		$node->start;
	}
	else
	{
		$node->restart;
	}
	open_session($_) for qw(main aux);
	return 1;
}

my %STEP_WEIGHT = (
	write => 80,
	compact => ($have_compact ? 8 : 0),
	drop_before => ($have_drop_before ? 3 : 0),
	vacuum => 3,
	vacuum_freeze => 1,
	vacuum_full => 1,
	analyze => 2,
	checkpoint => 2,
	truncate => 2.5,
	truncate_rollback => 0.6,
	restart => 0.6,
	crash_restart => 0.6);

# Runs one step of the given kind; false on a mismatch.
sub run_step
{
	my $kind = shift;
	# lock-taking steps and restarts end the reader first (it would block
	# them); tsdb.drop_before does not wait for readers, which must keep
	# reading what they read before
	if ($reader && $kind =~ /^(vacuum_full|truncate|truncate_rollback|restart|crash_restart)$/)
	{
		return 0 unless reader_close();
	}
	# two statements that must see the same data
	bg_finish() if $kind eq 'drop_before';
	if ($kind eq 'write')
	{
		return step_write();
	}
	$kind_count{$kind}++;
	$ops++;
	if ($kind eq 'compact')
	{
		# one in four also merges every live segment into the new one
		my $merge = chance(0.25) ? 'true' : 'false';
		my $r = sq('main', "SELECT tsdb.compact('m'::regclass, merge => $merge);");
		die "step $step: tsdb.compact returned '$r', not a count\n" unless $r =~ /^\d+$/;
		$kind_count{compact_merge}++ if $merge eq 'true';
		$compacted++;
	}
	elsif ($kind eq 'drop_before')
	{
		# Assumed semantics: every sample with ts < the cutoff goes.
		my $s = $series[ random_series_index() ];
		my $cut = ts_lit($s->{clock} - rint(12 * 3600) * 1_000_000);
		sq('main', "SELECT tsdb.drop_before('m'::regclass, $cut); DELETE FROM h WHERE ts < $cut;");
	}
	elsif ($kind eq 'vacuum') { sq('main', 'VACUUM m; VACUUM h;'); }
	elsif ($kind eq 'vacuum_freeze') { sq('main', 'VACUUM (FREEZE, VERBOSE false) m; VACUUM (FREEZE) h;'); }
	elsif ($kind eq 'vacuum_full') { sq('main', 'VACUUM FULL m; VACUUM FULL h;'); }
	elsif ($kind eq 'analyze') { sq('main', 'ANALYZE m; ANALYZE h;'); }
	elsif ($kind eq 'checkpoint') { sq('main', 'CHECKPOINT;'); }
	elsif ($kind eq 'truncate') { sq('main', 'TRUNCATE m, h;'); }
	elsif ($kind eq 'truncate_rollback')
	{
		sq('main', 'BEGIN; TRUNCATE m, h;');
		return 0 unless exec_write(random_write(), 1);
		return 0 unless run_checks('main', 'after TRUNCATE inside the transaction');
		sq('main', 'ROLLBACK;');
		$ops += 2;
	}
	elsif ($kind eq 'restart') { return restart('fast'); }
	elsif ($kind eq 'crash_restart') { return restart('immediate'); }
	else { die "unknown step kind $kind"; }
	return 1;
}

# ---------------------------------------------------------------------------
# The run.
# ---------------------------------------------------------------------------
open_session($_) for qw(main aux);
my $t_start = time;

sub one_step
{
	my $kind = shift;
	$step++;
	my $t0 = time;
	my $ok = eval {
		my $r = run_step($kind);
		$step_time{$kind} += time - $t0;
		$r &&= one_step_end($kind);
		$r;
	};
	if (!defined $ok)
	{
		my $e = $@;
		$failed = 1;
		fail("step $step ($kind) raised an error");
		diag("ERROR at step $step (seed $seed, TSDB_DIFF_SEED=$seed TSDB_DIFF_OPS=$target_ops): $e\nworkload so far: $workload");
		return 0;
	}
	return $ok;
}

# After a step: the checks, the prepared statements, readers and the
# background writer coming and going.
sub one_step_end
{
	my $kind = shift;
	return 0 unless run_checks('main', "after step $step ($kind)");
	return 0 if chance(0.3) && !run_prepared();
	return 0 if chance(0.15) && !run_cursor();
	if ($reader && $step >= $reader->{until})
	{
		return 0 unless reader_close();
	}
	reader_open() if !$reader && chance(0.04);
	bg_finish() if $bg && $step >= $bg->{until};
	bg_start() if !$bg && chance(0.06);
	return 1;
}

while ($ops < $target_ops)
{
	# Keeps the tables small enough for the checks to stay fast.
	last unless one_step($rows > 30_000 && chance(0.4) ? 'truncate' : weighted(%STEP_WEIGHT));
}

# Every kind of step at least once, whatever the seed and size; then a clean
# restart and the checks once more.
unless ($failed)
{
	for my $kind (sort grep { $STEP_WEIGHT{$_} > 0 } keys %STEP_WEIGHT)
	{
		next if $kind eq 'write' || $kind_count{$kind};
		last unless one_step($kind);
	}
	for my $mode (sort keys %MODE_WEIGHT)
	{
		next if $failed || $kind_count{"xact_$mode"};
		$force_mode = $mode;
		last unless one_step('write');
	}
	for my $w (sort keys %WRITE_WEIGHT)
	{
		next if $failed || $kind_count{$w} || ($w eq 'fail' && ($kind_count{do_fail} || $kind_count{fail_insert}));
		$force_write = $w;
		last unless one_step('write');
	}
}
unless ($failed)
{
	$failed = 1 unless eval {
		bg_start() unless $bg_seq;
		bg_finish();
		reader_open() unless $reader;
		reader_close();
	};
	diag("ERROR at the end: $@") if $@;
}
unless ($failed)
{
	one_step('restart');
}

my $elapsed = time - $t_start;
my ($rows_m) = $failed ? ('?') : sq('main', 'SELECT count(*) FROM m;');
note(sprintf('%d steps, %d operations, %d checks, %d readers verified, %d compactions, %s rows at the end, %.1f s',
	$step, $ops, $checks_run, $readers_verified, $compacted, $rows_m, $elapsed));
note(sprintf('%.1f s of it in the comparison queries', $check_seconds));
note('seconds per check: ' . join(', ', map { sprintf('%s=%.1f', $_, $check_time{$_}) } sort { $check_time{$b} <=> $check_time{$a} } keys %check_time))
  if $PROFILE;
note('seconds per step kind: ' . join(', ', map { sprintf('%s=%.1f', $_, $step_time{$_}) } sort keys %step_time));
note('step kinds: ' . join(', ', map { "$_=$kind_count{$_}" } sort keys %kind_count));
note('compaction from a second session hit lock_timeout ' . ($aux_lock_timeouts{compact} // 0) . ' times')
  if $have_compact;

unless ($failed)
{
	cmp_ok($ops, '>=', $target_ops, "ran $ops operations in $step steps, tsdb and heap equal after every step");
	cmp_ok($readers_verified, '>=', 1, "$readers_verified REPEATABLE READ readers kept their snapshot");
	my @missing = grep { !$kind_count{$_} } (grep { $_ ne 'fail' } sort keys %WRITE_WEIGHT),
	  (map { "xact_$_" } sort keys %MODE_WEIGHT), (grep { $STEP_WEIGHT{$_} > 0 && $_ ne 'write' } sort keys %STEP_WEIGHT);
	is("@missing", '', 'every kind of step, write and transaction ran');
}
unless ($failed)
{
	# the nested-loop rounds did rescan parameterized TsdbScans: a join
	# check's plan under the same settings (on a compacted table: a head
	# read whole per outer row may cost a loop as much as a full scan)
	sq('main', "SELECT tsdb.compact('m');") if $have_compact;
	my $plan = sq('main', "SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;\n"
		  . 'EXPLAIN (COSTS OFF) ' . for_table((grep { $_->[0] eq 'join_series' } build_checks())[0][1], 'm')
		  . ";\nRESET enable_hashjoin; RESET enable_mergejoin; RESET enable_material;");
	like($plan, qr/Nested Loop.*TsdbScan\) on m t.*Series Filter: \(\("\*VALUES\*"\.column2\)::tsdb\.labels = series\)/s,
		'join_series plans a parameterized TsdbScan under a nested loop')
	  or diag($plan);
}
if (!$have_compact)
{
	diag('tsdb.compact not present: compaction steps not exercised');
	fail('tsdb.compact is required ($REQUIRE_COMPACT)') if $REQUIRE_COMPACT;
}

$bg->{h}->kill_kill if $bg;
close_session($_) for sort keys %sess;
close $wl;
$node->stop;
done_testing();
