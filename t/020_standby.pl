# A streaming standby replays every kind of tsdb WAL record and returns the
# same results as the primary; wal_consistency_checking = 'tsdb' compares
# each replayed page with the primary's full-page image.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
# No background worker: ret_t's tsdb.retention of 2 days, applied against
# today's clock, would drop every sample of 2026 the test checks (when a
# visit falls between the setup and the checks, as it does on a busy
# machine).  t/070 tests the worker, on a standby too.
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'tsdb'
wal_consistency_checking = 'tsdb'
tsdb.worker_enabled = off
});
$primary->start;
$primary->safe_psql('postgres', q{
	CREATE EXTENSION tsdb;
	CREATE TABLE m (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO m VALUES ('up{job="a"}', '2026-01-01', 1);
});
# With page images on every record the primary writes WAL faster than a
# checkpoint keeps it: a slot holds it until the standby has it.
$primary->safe_psql('postgres', "SELECT pg_create_physical_replication_slot('standby_slot')");
$primary->backup('bk');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->append_conf('postgresql.conf', "primary_slot_name = 'standby_slot'");
$standby->start;
# The primary attaches a page image to every tsdb record and the standby
# compares each page it replays with it.
is($primary->safe_psql('postgres', 'SHOW wal_consistency_checking'), 'tsdb', 'primary logs images for checking');
is($standby->safe_psql('postgres', 'SHOW wal_consistency_checking'), 'tsdb', 'standby checks replayed pages');

# Warm the standby's series cache before more series arrive.
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', 'SELECT count(*) FROM m'), '1', 'standby sees the first sample');

$primary->safe_psql('postgres', q{
	INSERT INTO m VALUES ('up{job="b"}', '2026-01-01 00:00:05', 2);
	INSERT INTO m VALUES ('up{job="a"}', '2026-01-01 00:00:10', 'NaN'),
	                     ('up{job="c"}', '2026-01-01 00:00:10', '-Infinity');
	-- enough series to fill several dictionary pages, and many head pages
	INSERT INTO m SELECT 'node_cpu_seconds_total{cpu="' || (i % 300) || '",mode="user",instance="host-' || (i % 7) || '"}',
	       '2026-01-01'::timestamptz + i * interval '1 s', i * 0.25
	  FROM generate_series(1, 20000) i;
	BEGIN; INSERT INTO m VALUES ('rolled_back', now(), 1); ROLLBACK;
	BEGIN;
	INSERT INTO m VALUES ('sp{k="1"}', '2026-01-02', 1);
	SAVEPOINT s; INSERT INTO m VALUES ('sp{k="2"}', '2026-01-02', 2); ROLLBACK TO s;
	INSERT INTO m VALUES ('sp{k="3"}', '2026-01-02', 3);
	COMMIT;
	-- the insert buffer's records: several runs per record, and a record
	-- that extends the page's last run and then starts new ones
	CREATE TABLE buf_t (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	SET tsdb.insert_batch_samples = 10;
	BEGIN;
	INSERT INTO buf_t SELECT 'b{i="' || i % 3 || '"}', '2026-01-07'::timestamptz + i * interval '1 s', i FROM generate_series(1, 15) i;
	INSERT INTO buf_t SELECT 'b{i="' || i % 3 || '"}', '2026-01-08'::timestamptz + i * interval '1 s', i FROM generate_series(1, 5) i;
	INSERT INTO buf_t VALUES ('b{i="9"}', '2026-01-09', 1);
	INSERT INTO buf_t VALUES ('b{i="9"}', '2026-01-09 00:00:01', 2);
	SAVEPOINT s; INSERT INTO buf_t VALUES ('b{i="gone"}', '2026-01-09', 3); ROLLBACK TO s;
	COMMIT;
	RESET tsdb.insert_batch_samples;
	BEGIN;
	INSERT INTO buf_t SELECT 'b{i="' || i % 7 || '"}', '2026-01-10'::timestamptz + i * interval '1 s', i FROM generate_series(1, 6000) i;
	INSERT INTO buf_t VALUES ('b{i="9"}', '2026-01-10', 4);
	COMMIT;
	CREATE TABLE copy_t (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	COPY copy_t FROM PROGRAM 'seq 1 3000 | sed -e "s/^/copied{i=\"x\"}\t2026-01-03 00:00:00+00\t/"';
	VACUUM (FREEZE) m;
	CREATE TABLE trunc_t (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO trunc_t VALUES ('gone', now(), 1);
	TRUNCATE trunc_t;
	INSERT INTO trunc_t VALUES ('kept', '2026-01-04', 1);
	BEGIN;
	CREATE TABLE inplace_t (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO inplace_t VALUES ('x', now(), 1);
	TRUNCATE inplace_t;
	INSERT INTO inplace_t VALUES ('y', '2026-01-05', 2);
	COMMIT;
	CREATE TABLE full_t (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO full_t SELECT 'f{i="' || i % 5 || '"}', '2026-01-06', i FROM generate_series(1, 1000) i;
	BEGIN; INSERT INTO full_t VALUES ('aborted', now(), 0); ROLLBACK;
	VACUUM FULL full_t;
	ALTER TABLE copy_t SET ACCESS METHOD heap;
	ALTER TABLE copy_t SET ACCESS METHOD tsdb;
	-- compaction: segment pages, consumed runs, segment lists; an aborted
	-- compaction, a merge, and VACUUM dropping what no snapshot needs
	CREATE TABLE cmp_t (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO cmp_t SELECT 'c{i="' || i % 50 || '"}', '2026-01-07'::timestamptz + (i / 50) * interval '5 s',
	       round((i * 0.37)::numeric, 2) FROM generate_series(1, 30000) i;
	SELECT tsdb.compact('cmp_t');
	INSERT INTO cmp_t VALUES ('c{i="late"}', '2026-01-01', 'NaN');
	BEGIN; SELECT tsdb.compact('cmp_t'); ROLLBACK;
	SELECT tsdb.compact('cmp_t');
	INSERT INTO cmp_t VALUES ('c{i="head"}', '2026-01-08', 1);
	SELECT tsdb.compact('cmp_t', merge => true);
	VACUUM cmp_t;
	-- page recycling: consumed head pages and merged-away segment pages go
	-- on the free list (PAGE_FREE), new head and segment pages come off it
	-- (PAGE_REUSE), free pages at the end are truncated, and VACUUM FULL
	-- copies segments page by page
	INSERT INTO cmp_t SELECT 'c{i="' || i % 50 || '"}', '2026-01-09'::timestamptz + (i / 50) * interval '5 s',
	       i FROM generate_series(1, 20000) i;
	SELECT tsdb.compact('cmp_t');
	VACUUM cmp_t;
	INSERT INTO cmp_t SELECT 'c{i="' || i % 50 || '"}', '2026-01-10'::timestamptz + (i / 50) * interval '5 s',
	       -i FROM generate_series(1, 5000) i;
	SELECT tsdb.compact('cmp_t', merge => true);
	VACUUM cmp_t;
	CREATE TABLE full_seg_t (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO full_seg_t SELECT * FROM cmp_t;
	SELECT tsdb.compact('full_seg_t');
	INSERT INTO full_seg_t VALUES ('c{i="head"}', '2026-01-11', 2);
	VACUUM FULL full_seg_t;
	-- segment directories (segments of 32 pages and more): written by a
	-- compaction, by a merge onto recycled pages, and by VACUUM FULL
	CREATE TABLE dir_t (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO dir_t SELECT 'd{i="' || i % 20 || '"}', '2026-01-12'::timestamptz + (i / 20) * interval '10 s',
	       (i * 2654435761::int8) % 1000003 / 7.0 FROM generate_series(1, 100000) i;
	SELECT tsdb.compact('dir_t');
	INSERT INTO dir_t SELECT 'd{i="' || i % 20 || '"}', '2026-01-13'::timestamptz + (i / 20) * interval '10 s',
	       (i * 40503::int8) % 1000003 / 7.0 FROM generate_series(1, 50000) i;
	SELECT tsdb.compact('dir_t', merge => true);
	VACUUM dir_t;
	INSERT INTO dir_t SELECT 'd{i="' || i % 20 || '"}', '2026-01-14'::timestamptz + (i / 20) * interval '10 s',
	       -i FROM generate_series(1, 50000) i;
	SELECT tsdb.compact('dir_t', merge => true);
	VACUUM FULL dir_t;
	-- the merge policy (levels moved up in place, merges in the compaction's
	-- transaction) and retention: a segment retired whole, one rewritten
	-- without its old samples, consumed head runs, the empty entry of a
	-- retention that writes nothing, and VACUUM dropping the old entries
	CREATE TABLE ret_t (series tsdb.labels, ts timestamptz, value float8) USING tsdb
	  WITH (tsdb.retention = '2 days');
	SET tsdb.merge_min_segments = 2;
	SET tsdb.merge_base_window = '30min';
	INSERT INTO ret_t SELECT 'r{i="' || i % 10 || '"}', '2026-02-01'::timestamptz + i * interval '2 s',
	       i * 0.5 FROM generate_series(1, 300) i;
	SELECT tsdb.compact('ret_t');
	INSERT INTO ret_t SELECT 'r{i="' || i % 10 || '"}', '2026-02-01 00:10'::timestamptz + i * interval '2 s',
	       -i FROM generate_series(1, 300) i;
	SELECT tsdb.compact('ret_t');
	INSERT INTO ret_t SELECT 'r{i="' || i % 10 || '"}', '2026-02-02'::timestamptz + i * interval '10 s',
	       i FROM generate_series(1, 600) i;
	SELECT tsdb.compact('ret_t');
	INSERT INTO ret_t VALUES ('r{i="late"}', '2026-01-31', 1), ('r{i="late"}', '2026-02-01 00:15', 2);
	SELECT * FROM tsdb.drop_before('ret_t', '2026-02-01 00:15');
	SELECT * FROM tsdb.drop_before('ret_t', '2026-02-01 23:00');
	VACUUM ret_t;
	RESET tsdb.merge_min_segments;
	RESET tsdb.merge_base_window;
});
# Wait for everything inserted, not just what was written out (an
# asynchronously flushed record would otherwise be missed).
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

my @queries = (
	'SELECT series, ts, value, float8send(value) FROM m ORDER BY 1, 2, 3',
	'SELECT count(*), sum(value) FROM m WHERE series @@ \'{__name__="node_cpu_seconds_total", instance=~"host-[0-3]"}\'',
	'SELECT * FROM tsdb.series(\'m\') ORDER BY 1',
	'SELECT state, count(*), sum(nsamples) FROM tsdb.head_runs(\'m\') WHERE state IN (\'frozen\', \'dead\') GROUP BY 1 ORDER BY 1',
	'SELECT count(*), sum(value) FROM copy_t',
	'SELECT series, ts, value FROM buf_t ORDER BY 1, 2, 3',
	'SELECT * FROM tsdb.head_runs(\'buf_t\') ORDER BY 1, 2',
	'SELECT * FROM trunc_t',
	'SELECT * FROM inplace_t',
	'SELECT count(*), sum(value) FROM full_t',
	'SELECT series, ts, float8send(value) FROM cmp_t ORDER BY 1, 2, 3',
	'SELECT segment_id, pages, level, xmax, samples FROM tsdb.segments(\'cmp_t\') ORDER BY 1',
	'SELECT pg_relation_size(\'cmp_t\')',
	'SELECT series, ts, float8send(value) FROM full_seg_t ORDER BY 1, 2, 3',
	'SELECT segment_id, first_block, pages, frozen, samples FROM tsdb.segments(\'full_seg_t\') ORDER BY 1',
	'SELECT series, ts, float8send(value) FROM ret_t ORDER BY 1, 2, 3',
	'SELECT segment_id, pages, level, xmax, samples, min_ts, max_ts, state FROM tsdb.segments(\'ret_t\') ORDER BY 1',
	'SELECT reloptions FROM pg_class WHERE relname = \'ret_t\'',
	'SELECT * FROM tsdb.chunks(\'cmp_t\') ORDER BY blkno, chunk_offset',
	'SELECT * FROM tsdb.page_types(\'m\')',
	'SELECT segment_id, first_block, pages, directory_pages, samples FROM tsdb.segments(\'dir_t\') ORDER BY 1',
	'SELECT count(*), sum(value) FROM dir_t WHERE series = \'d{i="7"}\' AND ts >= \'2026-01-13 01:00\' AND ts < \'2026-01-13 02:00\'',
	'SELECT series, ts, float8send(value) FROM dir_t ORDER BY 1, 2, 3',
);
for my $q (@queries)
{
	my $p = $primary->safe_psql('postgres', $q);
	my $s = $standby->safe_psql('postgres', $q);
	is($s, $p, "standby equals primary: $q");
}
cmp_ok($primary->safe_psql('postgres', q{SELECT directory_pages FROM tsdb.segments('dir_t')}),
	'>=', 1, 'the big segment has a directory');
is($primary->safe_psql('postgres', q{SELECT count(*) FROM dir_t WHERE series = 'd{i="7"}' AND ts >= '2026-01-13 01:00' AND ts < '2026-01-13 02:00'}),
	'360', 'an hour of one series through the directory');
cmp_ok($primary->safe_psql('postgres', q{SELECT pages FROM tsdb.page_types('m') WHERE page_type = 'dictionary'}),
	'>=', 3, 'the series dictionary spans several pages');
is($primary->safe_psql('postgres', q{SELECT count(*) FROM m WHERE series = 'rolled_back'}), '0',
	'rolled back sample absent');
is($primary->safe_psql('postgres', q{SELECT count(*) FROM m WHERE series @@ '{__name__="sp"}'}), '2',
	'savepoint rollback applied');
is($primary->safe_psql('postgres', q{SELECT count(*), min(ts) = '2026-02-02'::timestamptz + interval '10 s' FROM ret_t}),
	'600|t', 'retention removed everything before the cutoffs');

# The standby is still streaming, and replayed with consistency checks.
ok($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()') eq 't', 'standby in recovery');
my $log = slurp_file($standby->logfile);
unlike($log, qr/inconsistent page found/, 'no page inconsistency during replay');
unlike($log, qr/PANIC|FATAL:  .*resource manager/, 'no replay failure');

# Promote: the standby becomes a writable primary with the same data.
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()');
$standby->safe_psql('postgres', q{INSERT INTO m VALUES ('after_promote', now(), 1)});
is($standby->safe_psql('postgres', q{SELECT count(*) FROM m WHERE series = 'after_promote'}), '1',
	'promoted standby accepts inserts');

$standby->stop;
$primary->stop;
done_testing();
