#!/usr/bin/perl
# Collects a folder's files, XORs them with a random 256-byte key, writes the result in 4 KB
# syswrite chunks to OUTPUT.part and renames it to OUTPUT when complete.
# usage: xor-rename.pl SOURCE_DIR OUTPUT_FILE
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Path qw(make_path);

my ($source, $output) = @ARGV;
die "usage: xor-rename.pl SOURCE_DIR OUTPUT_FILE\n" unless defined $output;
my $body = '';
opendir(my $dh, $source) or die "cannot open $source: $!\n";
for my $name (sort grep { -f "$source/$_" } readdir $dh) {
    open(my $in, '<:raw', "$source/$name") or die "cannot read $name: $!\n";
    local $/;
    my $data = <$in>;
    $body .= "$name\n" . length($data) . "\n" . $data;
}
open(my $rnd, '<:raw', '/dev/urandom') or die "no /dev/urandom: $!\n";
read($rnd, my $key, 256) == 256 or die "short key\n";
my $stream = substr($key x (int(length($body) / 256) + 1), 0, length($body));
my $cipher = $body ^ $stream;    # string XOR, byte by byte
make_path(dirname($output));
my $part = "$output.part";
open(my $out, '>:raw', $part) or die "cannot write $part: $!\n";
for (my $off = 0; $off < length($cipher); $off += 4096) {
    syswrite($out, $cipher, 4096, $off) // die "write failed: $!\n";
}
close($out) or die "close failed: $!\n";
rename($part, $output) or die "rename failed: $!\n";
print "wrote ", length($cipher), " bytes to $output via $part\n";
