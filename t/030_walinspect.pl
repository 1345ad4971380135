# pg_walinspect names and describes tsdb WAL records (PostgreSQL 15's
# pg_waldump cannot load extension resource managers).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('walinspect');
$node->init(allows_streaming => 1);    # wal_level = replica: minimal skips WAL for new tables
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'tsdb'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION tsdb; CREATE EXTENSION pg_walinspect;');

is($node->safe_psql('postgres',
		q{SELECT rm_name FROM pg_get_wal_resource_managers() WHERE rm_id = 128 AND rm_builtin = false}),
	'tsdb', 'resource manager listed');

my $start = $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
$node->safe_psql('postgres', q{
	CREATE TABLE m (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO m VALUES ('up{job="a"}', '2026-01-01', 1);
	SET tsdb.insert_batch_samples = 0;    -- every row its own record
	INSERT INTO m SELECT 'up{job="b"}', '2026-01-01', i FROM generate_series(1, 500) i;
	RESET tsdb.insert_batch_samples;
	VACUUM (FREEZE) m;
	INSERT INTO m VALUES ('up{job="a"}', '2026-01-02', 1);
	SELECT tsdb.compact('m');
	VACUUM m;     -- recycles the compacted head pages
	INSERT INTO m VALUES ('up{job="a"}', '2026-01-03', 1);   -- reuses one
	CHECKPOINT;   -- VACUUM commits without an xid: make sure its WAL is flushed
});
my $end = $node->safe_psql('postgres', 'SELECT pg_current_wal_flush_lsn()');

my $rows = $node->safe_psql('postgres', qq{
	SELECT record_type, description FROM pg_get_wal_records_info('$start', '$end')
	 WHERE resource_manager = 'tsdb' ORDER BY start_lsn});
note($rows);
like($rows, qr/^INIT_META\|format version 5, storage id \d+$/m, 'INIT_META described');
like($rows, qr/^NEW_SERIES\|series id 1, new dictionary page$/m, 'first NEW_SERIES described');
like($rows, qr/^NEW_SERIES\|series id 2$/m, 'second NEW_SERIES described');
like($rows, qr/^HEAD_APPEND\|1 samples, new run at offset 24, new head page, packed in \d+ bytes$/m, 'first HEAD_APPEND');
like($rows, qr/^HEAD_APPEND\|\d+ samples, new run at offset \d+(, packed in \d+ bytes)?$/m, 'HEAD_APPEND starting a run');
like($rows, qr/^HEAD_APPEND\|\d+ samples, extends run at offset \d+(, packed in \d+ bytes)?$/m, 'HEAD_APPEND extending a run');
like($rows, qr/^FREEZE\|\d+ runs frozen or marked dead, conflict xid \d+$/m, 'FREEZE described');
like($rows, qr/^SEGMENT_PAGE\|segment page image$/m, 'SEGMENT_PAGE described');
like($rows, qr/^HEAD_CONSUME\|\d+ runs moved into a segment by xid \d+$/m, 'HEAD_CONSUME described');
like($rows, qr/^SEGMENT_LIST\|1 segments, next segment id 2, latest removed xid 0$/m, 'SEGMENT_LIST described');
like($rows, qr/^PAGE_FREE\|page recycled, \d+ free pages, next free \d+$/m, 'PAGE_FREE described');
like($rows, qr/^PAGE_REUSE\|free page reused as type 3, \d+ free pages, next free \d+$/m, 'PAGE_REUSE described');
unlike($rows, qr/UNKNOWN|unknown/, 'no unknown record');

# The insert buffer writes several commands' runs in one record: at a
# threshold of 10, 15 rows of one INSERT and 5 of the next become a record
# of 10 (a new run), then one of 5 extending that run and 5 in a new one.
$start = $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
$node->safe_psql('postgres', q{
	SET tsdb.insert_batch_samples = 10;
	BEGIN;
	INSERT INTO m SELECT 'up{job="c"}', '2026-01-04'::timestamptz + i * interval '1 s', i FROM generate_series(1, 15) i;
	INSERT INTO m SELECT 'up{job="c"}', '2026-01-05'::timestamptz + i * interval '1 s', i FROM generate_series(1, 5) i;
	INSERT INTO m VALUES ('up{job="c"}', '2026-01-06', 1);
	INSERT INTO m VALUES ('up{job="c"}', '2026-01-06 00:00:01', 2);
	COMMIT;
});
$end = $node->safe_psql('postgres', 'SELECT pg_current_wal_flush_lsn()');
$rows = $node->safe_psql('postgres', qq{
	SELECT description FROM pg_get_wal_records_info('$start', '$end')
	 WHERE resource_manager = 'tsdb' AND record_type = 'HEAD_APPEND' ORDER BY start_lsn});
like($rows, qr/^10 samples, new run at offset \d+(, new head page)?(, packed in \d+ bytes)?\n10 samples, 5 extend run at offset \d+, then 1 new runs(, packed in \d+ bytes)?\n2 samples, new run at offset \d+(, packed in \d+ bytes)?$/,
	'HEAD_APPEND of buffered samples: a new run, an extension and a new run, then the rest at commit in one run');

# A COPY logs one record per head page, not one per row.
$start = $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
$node->safe_psql('postgres', q{COPY m FROM PROGRAM 'seq 1 4070 | sed -e "s/^/copied\t2026-01-02 00:00:00+00\t/"'});
$end = $node->safe_psql('postgres', 'SELECT pg_current_wal_flush_lsn()');
my $appends = $node->safe_psql('postgres', qq{
	SELECT count(*) FROM pg_get_wal_records_info('$start', '$end')
	 WHERE resource_manager = 'tsdb' AND record_type = 'HEAD_APPEND'});
# 10 pages; COPY hands rows over in batches of 1000, so a page can take a
# record per batch.
ok($appends >= 10 && $appends <= 20, "COPY of 4070 rows wrote $appends HEAD_APPEND records, not one per row");

# The records carry the samples packed: one series, one timestamp and
# counting values take a few bytes each instead of the page's 20.  (Records
# with a full-page image carry no data and say nothing about packing.)
my ($packed, $packed_bytes, $packed_samples) = split /\|/, $node->safe_psql('postgres', qq{
	SELECT count(*),
	       sum(substring(description FROM 'packed in ([0-9]+) bytes')::int),
	       sum(substring(description FROM '^([0-9]+) samples')::int)
	  FROM pg_get_wal_records_info('$start', '$end')
	 WHERE resource_manager = 'tsdb' AND record_type = 'HEAD_APPEND'
	   AND description LIKE '%, packed in % bytes'});
cmp_ok($packed, '>=', 5, "$packed COPY records packed");
my $per_sample = $packed_bytes / $packed_samples;
cmp_ok($per_sample, '<', 6, sprintf('packed samples take %.1f bytes, not 20', $per_sample));

$node->stop;
done_testing();
