#!/usr/bin/perl
# Convert the real-data TSV ("series<TAB>unix_ms<TAB>value", see
# data/README.md) to PostgreSQL COPY text format
# ("series<TAB>timestamptz<TAB>value"), exact to the millisecond, in UTC.
# Values are passed through verbatim (Go's shortest float form, which
# float8 input reads exactly).  Usage: zstd -dc data/x.tsv.zst | tsv2copy.pl
use strict;
use warnings;
use POSIX qw(strftime);

while (my $line = <STDIN>)
{
	chomp $line;
	my ($series, $ms, $value) = split /\t/, $line, -1;
	die "tsv2copy: malformed line $.: $line\n"
	  unless defined $value && $ms =~ /^-?\d+$/;
	$series =~ s/\\/\\\\/g;    # backslash is COPY text's escape character
	my $secs = int($ms / 1000);
	my $frac = $ms - $secs * 1000;
	if ($frac < 0) { $secs -= 1; $frac += 1000; }
	printf "%s\t%s.%03d+00\t%s\n", $series, strftime('%Y-%m-%d %H:%M:%S', gmtime($secs)), $frac, $value;
}
