# Helpers shared by the TAP tests that crash the server.
package TsdbProc;

use strict;
use warnings;
use Exporter 'import';

our @EXPORT = qw(server_pids);

# Every process of the server, postmaster first: its children, found in
# /proc (no dependency on procps).
sub server_pids
{
	my $pm = shift;
	my @pids = ($pm);
	opendir(my $d, '/proc') or die "could not read /proc: $!";
	for my $p (grep { /^\d+$/ } readdir $d)
	{
		open(my $fh, '<', "/proc/$p/stat") or next;
		my $stat = <$fh>;
		close $fh;
		# pid (comm) state ppid ...; comm may hold spaces and parentheses
		push @pids, $p if defined $stat && $stat =~ /^\d+ \(.*\) \S+ (\d+) / && $1 == $pm;
	}
	closedir $d;
	return @pids;
}

1;
