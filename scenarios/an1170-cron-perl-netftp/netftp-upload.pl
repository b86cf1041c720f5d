#!/usr/bin/perl
# Uploads FILE to HOST over FTP with Net::FTP (passive mode, account drop/drop) and checks the
# size the server reports.
# usage: netftp-upload.pl FILE HOST
use strict;
use warnings;
use File::Basename qw(basename);
use Net::FTP;

my ($file, $host) = @ARGV;
die "usage: netftp-upload.pl FILE HOST\n" unless defined $host;
my $name = basename($file);
my $ftp = Net::FTP->new($host, Passive => 1, Timeout => 30) or die "cannot connect to $host: $@\n";
$ftp->login('drop', 'drop') or die 'login failed: ', $ftp->message;
$ftp->binary;
$ftp->put($file, $name) or die 'upload failed: ', $ftp->message;
my $remote = $ftp->size($name) // -1;
$ftp->quit;
die "upload not confirmed: the server reports $remote bytes\n" unless $remote == -s $file;
print "sent $remote bytes of $file to $host with Net::FTP\n";
