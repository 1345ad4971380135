#!/usr/bin/perl
# Convert the real-data TSV ("series<TAB>unix_ms<TAB>value", see
# data/README.md) to PostgreSQL COPY text format
# ("series<TAB>timestamptz<TAB>value"), exact to the millisecond, in UTC:
#   node_load1{...}<TAB>1795481762448<TAB>0.5
#   node_load1{...}<TAB>2026-11-24 00:56:02.448+00<TAB>0.5
# Values are passed through verbatim (Go's shortest float form, which
# float8 input reads exactly; NaN and +Inf/-Inf are accepted too).
# Usage: zstd -dc data/node-exporter-5s.tsv.zst | perl scripts/tsv2copy.pl
# Perl only, no modules beyond POSIX: a fresh Debian has perl, not python.
use strict;
use warnings;
use POSIX qw(strftime);

my ($last_secs, $last_stamp) = (undef, '');
while (my $line = <STDIN>)
{
	chomp $line;
	my ($series, $ms, $value) = split /\t/, $line, -1;
	die "tsv2copy: line $.: expected series<TAB>unix_ms<TAB>value: $line\n"
	  unless defined $value && $ms =~ /^-?\d+$/ && $value ne '';
	# COPY text format: backslash is the escape character; a newline or
	# carriage return inside a field must be escaped too.
	for ($series, $value)
	{
		s/\\/\\\\/g;
		s/\r/\\r/g;
	}
	my $secs = int($ms / 1000);
	my $frac = $ms - $secs * 1000;
	if ($frac < 0) { $secs -= 1; $frac += 1000; }
	if (!defined $last_secs || $secs != $last_secs)
	{
		$last_secs = $secs;
		$last_stamp = strftime('%Y-%m-%d %H:%M:%S', gmtime($secs));
	}
	printf "%s\t%s.%03d+00\t%s\n", $series, $last_stamp, $frac, $value;
}
