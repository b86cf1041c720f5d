// The reader of purple's output can go away while it runs: `purple run | head`, a CI log streamer killed, a closed
// terminal. Every write then fails (EPIPE); unhandled, the first failure would end the process before its cleanup,
// and reporting it (on the same stream) would fail again, endlessly. Instead the stream is muted, and the command is
// told as by SIGHUP: a run stops, removes what it made and writes its report.
const muted = new WeakSet<NodeJS.WriteStream>();

export function muteOutputWhenClosed(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      if (muted.has(stream)) return;
      muted.add(stream);
      stream.write = (() => true) as typeof stream.write;
      process.emit('SIGHUP', 'SIGHUP');
    });
  }
}
