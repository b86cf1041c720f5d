#!/usr/bin/perl
# Collects every file of a folder into one blob and "encrypts" it with a repeating XOR key.
#
# T1560.003 Archive via Custom Method: no zip, no tar, no module. The container format is the
# attacker's own, the same in the Python, Perl and Bash variants of this scenario:
#     "XAR1"                                   plain magic, so the operator can recognise it
#     XOR(key, for each file: name "\n" length "\n" data)
# The key is random, KEY_LENGTH bytes, and never written to disk.
#
# usage: xor-archive.pl SOURCE_DIR OUTPUT_FILE KEY_LENGTH
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Path qw(make_path);

@ARGV == 3 or die "usage: xor-archive.pl SOURCE_DIR OUTPUT_FILE KEY_LENGTH\n";
my ($source, $output, $key_length) = @ARGV;

my $body = '';
opendir(my $dh, $source) or die "cannot open $source: $!\n";
for my $name (sort readdir $dh) {
    my $path = "$source/$name";
    next unless -f $path;
    open(my $in, '<:raw', $path) or die "cannot read $path: $!\n";
    local $/;
    my $data = <$in>;
    close $in;
    $body .= "$name\n" . length($data) . "\n" . $data;
}
closedir $dh;

open(my $random, '<:raw', '/dev/urandom') or die "no /dev/urandom: $!\n";
read($random, my $key, $key_length) == $key_length or die "short read from /dev/urandom\n";
close $random;

# Perl XORs two byte strings directly: repeat the key to the body's length.
my $stream = substr($key x (int(length($body) / $key_length) + 1), 0, length $body);
my $encrypted = $body ^ $stream;

make_path(dirname($output));
open(my $out, '>:raw', $output) or die "cannot write $output: $!\n";
print $out 'XAR1', $encrypted;
close $out or die "cannot write $output: $!\n";
printf "archived %d bytes from %s into %s with a %d-byte key\n", length $body, $source, $output, $key_length;
