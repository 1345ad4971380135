# Damaged segment pages are reported, never misread: a byte changed in a
# chunk's columns or in the page's base fails its checksum, a malformed
# header is inconsistent, a header cut off by pd_lower overruns the page, a
# wrong chunk count or a dangling shared timestamp column is caught; each
# as ERRCODE_DATA_CORRUPTED naming the relation, block and offset.  So are
# malformed series dictionary entries.  The relation file is patched with
# the server stopped, then restored.
use strict;
use warnings;
use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('corrupt');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'tsdb'
# pages are patched with the server stopped: nothing may move them
tsdb.worker_enabled = off
});
$node->start;

# 60 series scraped together (one shared timestamp column), half of them
# constant: one segment page of 60 chunks.
$node->safe_psql('postgres', q{
	CREATE EXTENSION tsdb;
	CREATE TABLE c (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO c SELECT format('m{i="%s"}', s)::tsdb.labels,
	       '2026-01-01'::timestamptz + t * interval '5 s',
	       CASE WHEN s % 2 = 0 THEN s ELSE (t * 7919 % 1000) * 0.001 + s END
	  FROM generate_series(1, 60) s, generate_series(1, 400) t;
	SELECT tsdb.compact('c');
	-- a segment big enough to have a directory page
	CREATE TABLE d (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
	INSERT INTO d SELECT format('n{i="%s"}', s)::tsdb.labels,
	       '2026-01-01'::timestamptz + t * interval '10 s', (t * 2654435761 + s) % 1000003 / 7.0
	  FROM generate_series(1, 10) s, generate_series(1, 5000) t;
	SELECT tsdb.compact('d');
	CHECKPOINT;
});
my $total = $node->safe_psql('postgres', 'SELECT count(*) FROM c');
is($total, '24000', 'all samples readable before any damage');

# Block and offsets of chunks to damage: the first two of the first segment
# page (the second shares the first one's timestamp column) and the last.
my $blk = $node->safe_psql('postgres', 'SELECT min(blkno) FROM tsdb.chunks(\'c\')');
my @chunks = map { [ split /\|/ ] } split /\n/, $node->safe_psql('postgres', qq{
	SELECT chunk_offset, header_bytes, bytes, shared_ts FROM tsdb.chunks('c')
	 WHERE blkno = $blk ORDER BY chunk_offset});
ok(@chunks > 2 && $chunks[0][3] eq 'f' && $chunks[1][3] eq 't',
	'first chunk owns the timestamp column, the second shares it');
my ($first, $second, $last) = ($chunks[0], $chunks[1], $chunks[-1]);

my $file = $node->data_dir . '/' . $node->safe_psql('postgres', q{SELECT pg_relation_filepath('c')});
my $saved = $node->basedir . '/c.saved';
my $dfile = $node->data_dir . '/' . $node->safe_psql('postgres', q{SELECT pg_relation_filepath('d')});
my $dsaved = $node->basedir . '/d.saved';
is($node->safe_psql('postgres', q{SELECT directory_pages FROM tsdb.segments('d')}), '1',
	'the big segment has a directory page');
my $d_total = $node->safe_psql('postgres', q{SELECT count(*) FROM d WHERE series = 'n{i="7"}'});
is($d_total, '5000', 'one series of the big segment reads through its directory');
$node->stop;
copy($file, $saved) or die "copy: $!";
copy($dfile, $dsaved) or die "copy: $!";
my $query = 'SELECT count(*) FROM c';

# Overwrite bytes at an offset of block $target.
my $target = $blk;

sub patch
{
	my ($off, $bytes) = @_;
	open(my $fh, '+<:raw', $file) or die "open: $!";
	sysseek($fh, $target * 8192 + $off, 0) or die "seek: $!";
	syswrite($fh, $bytes) == length($bytes) or die "write: $!";
	close($fh);
}

sub read_bytes
{
	my ($off, $len) = @_;
	open(my $fh, '<:raw', $file) or die "open: $!";
	sysseek($fh, $target * 8192 + $off, 0) or die "seek: $!";
	my $buf;
	sysread($fh, $buf, $len) == $len or die "read: $!";
	close($fh);
	return $buf;
}

# Restore the file, change it, and check the error a scan reports.
sub damaged_with
{
	my ($what, $change, $error_re, $detail_re) = @_;
	copy($saved, $file) or die "restore: $!";
	$change->();
	$node->start;
	my ($rc, $out, $err) = $node->psql('postgres',
		"\\set VERBOSITY verbose\n$query");
	$node->stop;
	isnt($rc, 0, "$what: the scan fails");
	like($err, $error_re, "$what: reported as data corruption where it is");
	like($err, $detail_re, "$what: says what is wrong");
}

sub damaged
{
	my ($what, $change, $detail_re, $off) = @_;
	damaged_with($what, $change,
		qr/ERROR:  XX001: corrupted chunk in tsdb relation "c" at block $blk, offset $off/,
		$detail_re);
}

my $xor = sub { my ($off) = @_; patch($off, chr(ord(read_bytes($off, 1)) ^ 0x10)) };

damaged('a byte of a value column', sub { $xor->($second->[0] + $second->[2] - 1) },
	qr/The chunk's checksum does not match/, $second->[0]);
damaged('a byte of the shared timestamp column',
	sub { $xor->($first->[0] + $first->[1]) },
	qr/The chunk's checksum does not match/, $first->[0]);
damaged('a byte of the page base', sub { $xor->(24 + 3) },
	qr/The chunk's checksum does not match/, $first->[0]);
damaged('a byte of a header', sub { $xor->($second->[0] + 6) },
	qr/checksum does not match|header is inconsistent/, $second->[0]);
damaged('a reserved header flag', sub { patch($second->[0] + 4, chr(0x80)) },
	qr/The chunk header is inconsistent/, $second->[0]);
# the first chunk made to share a column of a chunk that would follow it
damaged('a shared timestamp column that is not there',
	sub { patch($first->[0] + 4, chr(ord(read_bytes($first->[0] + 4, 1)) | 0x01)) },
	qr/The shared timestamp column is missing/, $first->[0]);
# pd_lower (bytes 12-13 of the page header) three bytes into the last header
damaged('a header cut off by pd_lower',
	sub { patch(12, pack('v', $last->[0] + 3)) },
	qr/The chunk header overruns the page/, $last->[0]);
# nitems (bytes 4-5 of the 16-byte special space)
damaged('a wrong chunk count',
	sub { patch(8192 - 16 + 4, pack('v', scalar(@chunks) + 1)) },
	qr/The page's chunk count does not match its chunks/, '\d+');

# The series dictionary: block 1, made by the first insert.
$target = 1;
is(unpack('v', read_bytes(8192 - 16 + 6, 2)), 2, 'block 1 is a dictionary page');
my $dict_error = qr/ERROR:  XX001: tsdb relation "c" has a corrupted series dictionary page at block 1/;
# the first entry's series id (a varint at the start of the contents)
damaged_with('a dictionary entry with series id 0', sub { patch(24, chr(0)) },
	$dict_error, qr/An entry's series id does not follow the previous one/);
# its label count (the next varint): more labels than the entries hold
damaged_with('a dictionary entry with too many labels', sub { patch(25, chr(0x7F)) },
	$dict_error, qr/An entry|entry count/);
damaged_with('a wrong dictionary entry count',
	sub { patch(8192 - 16 + 4, pack('v', unpack('v', read_bytes(8192 - 16 + 4, 2)) + 1)) },
	$dict_error, qr/The page's entry count does not match its entries/);
damaged_with('a dictionary page cut off by pd_lower',
	sub { patch(12, pack('v', unpack('v', read_bytes(12, 2)) - 1)) },
	$dict_error, qr/An entry/);
$target = $blk;
copy($saved, $file) or die "restore: $!";

# A segment directory: found by its page type (bytes 6-7 of the special
# space); its entries (block, series id, min_ts: 16 bytes each) follow the
# page header.  A query of two series (ids 1 and 7: the first page is
# series 1's) reads it first.
($file, $saved) = ($dfile, $dsaved);
$query = q{SELECT count(*) FROM d WHERE series @@ '{i=~"1|7"}'};
$target = 0;
while (unpack('v', read_bytes(8192 - 16 + 6, 2)) != 6) { $target++ }
note("directory page at block $target");
my $dir_error = qr/ERROR:  XX001: directory of segment \d+ of tsdb relation "d" is corrupted at block \d+/;
damaged_with('directory keys out of order',
	sub { patch(24 + 16 * 3 + 4, pack('V', 0xFFFFFF)) },
	$dir_error, qr/out of \(series, time\) order/);
damaged_with('a wrong directory entry count',
	sub { patch(8192 - 16 + 4, pack('v', unpack('v', read_bytes(8192 - 16 + 4, 2)) - 1)) },
	$dir_error, qr/entry count does not match/);
damaged_with('a directory of another segment',
	sub { patch(8192 - 16 + 12, pack('V', 999)) },
	$dir_error, qr/belongs to another segment/);
damaged_with('a block listed twice',
	sub { patch(24 + 16 * 2, read_bytes(24 + 16 * 1, 4)) },
	$dir_error, qr/lists a block twice/);
# an entry's key changed but still in order: the page read says so
damaged_with('a directory key that does not match its page',
	sub { patch(24 + 16 * 0 + 8, pack('q<', unpack('q<', read_bytes(24 + 8, 8)) - 1)) },
	qr/ERROR:  XX001: directory of segment \d+ of tsdb relation "d" does not match page \d+/,
	qr/The page starts with series/);
copy($dsaved, $dfile) or die "restore: $!";

# Restored, everything reads again.
copy($saved, $file) or die "restore: $!";
$node->start;
is($node->safe_psql('postgres', 'SELECT count(*) FROM c'), $total, 'restored file reads in full');
is($node->safe_psql('postgres', q{SELECT count(*) FROM d WHERE series = 'n{i="7"}'}), $d_total,
	'restored directory reads');
$node->stop;
done_testing();
