// Reading a hostile target's files on another host, with the rules of harness/telemetry/safe-read.ts applied on
// that host by a small Perl program run as root: the same component-by-component walk (O_PATH | O_NOFOLLOW, then
// /proc/self/fd/<dir fd>/<name>), regular files only (fstat on the fd), pseudo and network file systems refused,
// the same sample plan, an alarm per file. Perl because perl-base is Essential on Debian and Ubuntu and present
// on nearly every other server (python3 often is not on minimal installs), and `test -f && test ! -L` checks
// only the last component. Its output is framed, never one big string: per file a header line, the sampled
// bytes in blocks of known length, an end line, so the content streams into the analyzer.
import type { FileArtifact } from '../../telemetry/types.js';
import { contentAnalyzer, unreadArtifact } from '../../telemetry/content.js';
import { READ_LIMITS, REFUSED_FILESYSTEMS, sampledNote, type ReadLimits } from '../../telemetry/safe-read.js';
import type { SshSession } from './session.js';

/**
 * stdin: NUL-terminated paths relative to the root. stdout, per path index i (0-based):
 *   G i                          gone (a component does not exist)
 *   R i MODE UID SIZE REASON     refused ("-" for facts not known)
 *   F i MODE UID SIZE            then "B N" lines each followed by N bytes, then "E"
 * MODE is hex. Exits when a read outlasts the alarm: the caller marks the files it did not finish.
 */
export const REMOTE_READER = String.raw`
use strict; use warnings;
use Fcntl qw(O_RDONLY O_NOFOLLOW O_DIRECTORY O_NONBLOCK O_NOCTTY S_ISREG S_ISLNK S_ISDIR S_ISFIFO S_ISSOCK S_ISCHR S_ISBLK);
my ($root, $full, $block, $blocks, $timeout, $refused) = @ARGV;
my $O_PATH = 010000000;
binmode STDIN; binmode STDOUT;
my %bad = map { $_ => 1 } split /,/, $refused;
my %baddev;
my $mounts = $root =~ m{^/proc/(\d+)/root$} ? "/proc/$1/mountinfo" : "/proc/self/mountinfo";
if (open my $m, '<', $mounts) {
  while (my $l = <$m>) {
    my @f = split / /, $l;
    my ($sep) = grep { $f[$_] eq '-' } 0 .. $#f;
    next unless defined $sep;
    (my $type = $f[$sep + 1]) =~ s/\..*//;
    $baddev{$f[2]} = 1 if $bad{$type};
  }
}
sub at { "/proc/self/fd/" . fileno($_[0]) . "/$_[1]" }
sub kind {
  my $m = shift;
  return S_ISLNK($m) ? 'a symlink (not followed)' : S_ISDIR($m) ? 'a directory' : S_ISFIFO($m) ? 'a FIFO'
    : S_ISSOCK($m) ? 'a socket' : S_ISCHR($m) ? 'a character device' : S_ISBLK($m) ? 'a block device' : 'not a regular file';
}
sub one {
  my ($i, $p) = @_;
  my @names = grep { length && $_ ne '.' } split m{/}, $p;
  if (grep { $_ eq '..' } @names) { print "R $i - - - not read: .. in the path\n"; return }
  sysopen(my $dir, $root, $O_PATH | O_DIRECTORY) or die "cannot open the root: $!\n";
  my $walked = '';
  for my $k (0 .. $#names) {
    my $last = $k == $#names;
    $walked .= "/$names[$k]";
    my $next;
    unless (sysopen($next, at($dir, $names[$k]), $O_PATH | O_NOFOLLOW | ($last ? 0 : O_DIRECTORY))) {
      if ($!{ENOENT}) { print "G $i\n"; return }
      my $why = "$!";
      if (sysopen(my $e, at($dir, $names[$k]), $O_PATH | O_NOFOLLOW)) {
        my @s = stat($e);
        $why = S_ISLNK($s[2]) ? 'is a symlink (not followed)' : 'is ' . kind($s[2]) . ', not a directory' if @s;
      }
      print "R $i - - - not read: $walked $why\n";
      return;
    }
    $dir = $next;
  }
  my @st = stat($dir) or die "fstat: $!\n";
  my ($dev, $mode, $uid, $size) = @st[0, 2, 4, 7];
  my $meta = sprintf('%x %d %d', $mode, $uid, $size);
  if (!S_ISREG($mode)) { print "R $i $meta not read: " . kind($mode) . "\n"; return }
  my $majmin = ((($dev >> 8) & 0xfff) | (($dev >> 32) & ~0xfff)) . ':' . (($dev & 0xff) | (($dev >> 12) & ~0xff));
  if ($baddev{$majmin}) { print "R $i $meta not read: on a pseudo or network file system\n"; return }
  sysopen(my $fh, "/proc/self/fd/" . fileno($dir), O_RDONLY | O_NONBLOCK | O_NOCTTY) or die "open: $!\n";
  my @plan;
  if ($size <= $full) { for (my $o = 0; $o < $size; $o += $block) { push @plan, [$o, $size - $o < $block ? $size - $o : $block] } }
  else { push @plan, [int($_ * ($size - $block) / ($blocks - 1)), $block] for 0 .. $blocks - 1 }
  print "F $i $meta\n";
  alarm $timeout;
  for my $r (@plan) {
    sysseek($fh, $r->[0], 0) or last;
    my ($buf, $got) = ('', 0);
    while ($got < $r->[1]) {
      my $n = sysread($fh, $buf, $r->[1] - $got, $got);
      last unless $n;
      $got += $n;
    }
    print "B $got\n", $buf;
    last if $got < $r->[1];
  }
  alarm 0;
  print "E\n";
}
local $/ = "\0";
my $i = -1;
while (defined(my $p = <STDIN>)) {
  chomp $p;
  $i++;
  eval { one($i, $p); 1 } or do { (my $e = $@) =~ s/[\r\n]+/ /g; print "R $i - - - not read: $e\n" };
  STDOUT->flush();
}
`;

export interface RemoteFile {
  /** Path under the root, as the helper walks it. */
  relative: string;
  /** Path the target's processes saw, recorded in the artifact. */
  shown: string;
}

const MAX_LINE = 4096;

/**
 * Reads `files` under `root` on the session's host as root. Returns artifacts by `shown` path; gone files are left
 * out; a refused, cut or unfinished read is an artifact saying why.
 */
export async function readRemoteFiles(
  session: SshSession,
  root: string,
  files: RemoteFile[],
  host: string,
  signal?: AbortSignal,
  limits: ReadLimits = READ_LIMITS,
): Promise<Map<string, FileArtifact>> {
  const found = new Map<string, FileArtifact>();
  if (!files.length) return found;
  const refused = [...new Set(REFUSED_FILESYSTEMS.map((f) => f.name))].join(',');
  const args = [root, limits.fullBytes, limits.blockBytes, limits.blocks, Math.ceil(limits.timeoutMs / 1000), refused].map(String);
  const parser = new FrameParser(files, host, limits, found);
  const r = await session.run(session.as('root', ['perl', '-e', REMOTE_READER, ...args]), {
    stdin: Buffer.concat(files.map((f) => Buffer.from(`${f.relative}\0`))),
    keepStdout: false,
    onStdout: (chunk) => parser.push(chunk),
    timeoutMs: files.length * limits.timeoutMs + 15_000,
    ...(signal ? { signal } : {}),
  });
  const why = signal?.aborted ? 'the scenario deadline passed' : r.timedOut ? 'the remote reader timed out' : `the remote reader stopped (exit ${r.code ?? r.signal}: ${r.stderr.toString('utf8').trim().slice(-300)})`;
  parser.end(why);
  await parser.settled();
  return found;
}

/** Turns the helper's framed output into artifacts as it arrives. */
class FrameParser {
  private line: Buffer[] = [];
  private lineBytes = 0;
  private remaining = 0;
  private current: { file: RemoteFile; mode: string; uid: number; size: number; analyzer: ReturnType<typeof contentAnalyzer> } | undefined;
  private broken: string | undefined;
  /** Paths reported gone (never artifacts). */
  private readonly gone = new Set<string>();
  /** Files read to their end whose analysis (format recognition is asynchronous) is still finishing. */
  private readonly finishing = new Map<string, Promise<void>>();

  constructor(
    private readonly files: RemoteFile[],
    private readonly host: string,
    private readonly limits: ReadLimits,
    private readonly found: Map<string, FileArtifact>,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.broken) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - at);
        this.current?.analyzer.add(chunk.subarray(at, at + n));
        this.remaining -= n;
        at += n;
        continue;
      }
      const nl = chunk.indexOf(0x0a, at);
      const end = nl < 0 ? chunk.length : nl;
      this.lineBytes += end - at;
      if (this.lineBytes > MAX_LINE) {
        this.broken = 'the remote reader sent a line too long';
        return;
      }
      this.line.push(chunk.subarray(at, end));
      at = end;
      if (nl < 0) return;
      at++;
      const text = Buffer.concat(this.line).toString('utf8');
      this.line = [];
      this.lineBytes = 0;
      this.onLine(text);
    }
  }

  private onLine(text: string): void {
    const [tag = '', index = '', ...rest] = text.split(' ');
    if (tag === 'B' && this.current) {
      this.remaining = Number(index);
      if (!Number.isInteger(this.remaining) || this.remaining < 0 || this.remaining > this.limits.blockBytes) this.broken = `bad block length ${index}`;
      return;
    }
    if (tag === 'E' && this.current) {
      const { file, mode, uid, size, analyzer } = this.current;
      const sampled = size > this.limits.fullBytes ? sampledNote(size, this.limits) : undefined;
      this.finishing.set(file.shown, analyzer.finish(mode, uid, size, sampled).then((artifact) => void this.found.set(file.shown, artifact)));
      this.current = undefined;
      return;
    }
    const file = this.files[Number(index)];
    if (!file) {
      this.broken = `unexpected output ${JSON.stringify(text.slice(0, 80))}`;
      return;
    }
    if (tag === 'G') {
      this.gone.add(file.shown);
      return;
    }
    const [modeHex = '-', uid = '-', size = '-', ...reason] = rest;
    const facts = {
      host: this.host,
      mode: modeHex === '-' ? null : '0' + parseInt(modeHex, 16).toString(8),
      ownerUid: uid === '-' ? null : Number(uid),
      size: size === '-' ? 0 : Number(size),
    };
    if (tag === 'R') this.found.set(file.shown, unreadArtifact(file.shown, reason.join(' '), facts));
    else if (tag === 'F') {
      this.current = { file, mode: facts.mode ?? '0', uid: facts.ownerUid ?? -1, size: facts.size, analyzer: contentAnalyzer({ displayPath: file.shown, host: this.host }) };
    } else this.broken = `unexpected output ${JSON.stringify(text.slice(0, 80))}`;
  }

  /** Waits for the analyses of the files read to their end. */
  async settled(): Promise<void> {
    await Promise.all(this.finishing.values());
  }

  /** Files the helper did not finish: cut (the one it was reading) or not read. */
  end(why: string): void {
    const reason = this.broken ?? why;
    if (this.current) {
      const { file, mode, uid, size } = this.current;
      this.found.set(file.shown, unreadArtifact(file.shown, `cut: ${reason}`, { host: this.host, mode, ownerUid: uid, size }));
      this.current = undefined;
    }
    for (const file of this.files) {
      if (this.found.has(file.shown) || this.finishing.has(file.shown)) continue;
      if (this.gone.has(file.shown)) continue;
      this.found.set(file.shown, unreadArtifact(file.shown, `not read: ${reason}`, { host: this.host }));
    }
  }
}
