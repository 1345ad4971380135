#!/usr/bin/perl
# Latency percentiles from pgbench per-transaction logs (pgbench -l): the
# third field of each line is the transaction's latency in microseconds.
# Prints "p50_ms p95_ms p99_ms transactions" (nearest-rank percentiles).
use strict;
use warnings;

my @lat;
for my $file (@ARGV)
{
	open(my $fh, '<', $file) or die "latency.pl: $file: $!\n";
	while (<$fh>)
	{
		my @f = split;
		push @lat, $f[2] if @f >= 3 && $f[2] =~ /^\d+$/;
	}
	close($fh);
}
if (!@lat)
{
	print "- - - 0\n";
	exit 0;
}
@lat = sort { $a <=> $b } @lat;
my $pct = sub {
	my $p = shift;
	my $i = int($p / 100 * @lat + 0.999999) - 1;
	$i = 0 if $i < 0;
	return sprintf('%.2f', $lat[$i] / 1000);
};
printf "%s %s %s %d\n", $pct->(50), $pct->(95), $pct->(99), scalar @lat;
