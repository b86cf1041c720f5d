// Reading a file-transfer command line: where it sends to, and which local files it sends.
import { baseName } from './facts.js';
import { absolutePath } from './paths.js';

export interface TransferTarget {
  /** Host names or addresses named on the command line. */
  hosts: string[];
  /** Local files the command uploads (absolute when the cwd is known). */
  sources: string[];
  /** Whether the command pushes data out (an upload), as far as the arguments tell. */
  push: boolean;
}

// Options that take a value, per tool (so the value is not mistaken for a host or file).
const VALUE_OPTIONS: Record<string, string> = {
  scp: 'cFiJloPS',
  sftp: 'BbcDFiJloPRsS',
  rsync: 'eBfT',
  ftp: 'Ps',
  pftp: 'Ps',
  lftp: 'uepfcd',
  tftp: 'mRlrb', // tftp-hpa's -m -R -l; busybox tftp's -r -b (and -l)
  atftp: 'lrbmt',
  ncftpput: 'upPjmtUyYrE',
  smbclient: 'UWpOnRsiltmAcDbdT',
  curl: 'TFuoHXdeAbcKrwCmxzEy',
  wget: 'OoaPeUtTwQlABhDIXRi',
};

/** Tools whose command lines transferTarget() reads. */
export const TRANSFER_TOOLS: ReadonlySet<string> = new Set(Object.keys(VALUE_OPTIONS));

const URL_RE = /^[a-z][\w+.-]*:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/?#]+)/i;
const REMOTE_SPEC_RE = /^(?:[^@/\s]+@)?(\[[^\]]+\]|[^:/\s[\]]+):(?!:)/;

function stripBrackets(h: string): string {
  return h.replace(/^\[|\]$/g, '');
}

/** Split argv into options (with their values) and operands, tool-aware. */
function operands(tool: string, argv: string[]): { operands: string[]; options: [string, string | null][] } {
  const withValue = VALUE_OPTIONS[tool] ?? '';
  const ops: string[] = [];
  const options: [string, string | null][] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      ops.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) options.push([a.slice(0, eq), a.slice(eq + 1)]);
      else if (LONG_WITH_VALUE.has(a)) options.push([a, argv[++i] ?? null]);
      else options.push([a, null]);
    } else if (a.startsWith('-') && a.length > 1) {
      const letter = a[a.length - 1]!;
      if (a.length === 2 && withValue.includes(letter)) options.push([a, argv[++i] ?? null]);
      else if (withValue.includes(a[1]!)) options.push([a.slice(0, 2), a.slice(2)]);
      else options.push([a, null]);
    } else ops.push(a);
  }
  return { operands: ops, options };
}

const LONG_WITH_VALUE = new Set(['--upload-file', '--form', '--data-binary', '--post-file', '--rsh', '--user', '--output', '--header']);

/** Files named by `put X` / `mput X Y` inside an ftp-style command string. */
function putFiles(commands: string): string[] {
  const out: string[] = [];
  for (const m of commands.matchAll(/\bm?put\s+((?:[^\s;"']+\s*)+)/g)) {
    const words = m[1]!.trim().split(/\s+/);
    out.push(m[0].startsWith('mput') ? words.join(' ') : words[0]!);
  }
  return out.flatMap((w) => w.split(' ')).filter(Boolean);
}

export function transferTarget(argv: string[], cwd: string | null): TransferTarget {
  const tool = baseName(argv[0]);
  const { operands: ops, options } = operands(tool, argv);
  const hosts = new Set<string>();
  const sources: string[] = [];
  let push = false;
  const abs = (p: string) => absolutePath(p, cwd) ?? p;
  const opt = (...names: string[]) => options.filter(([n]) => names.includes(n)).map(([, v]) => v ?? '');

  for (const a of ops) {
    const url = URL_RE.exec(a);
    if (url) hosts.add(stripBrackets(url[1]!));
  }
  switch (tool) {
    case 'scp':
    case 'rsync': {
      const remote = (a: string) => URL_RE.test(a) || (REMOTE_SPEC_RE.test(a) && !a.startsWith('/') && !a.startsWith('.'));
      for (const a of ops) {
        const m = REMOTE_SPEC_RE.exec(a);
        if (m && remote(a)) hosts.add(stripBrackets(m[1]!));
      }
      const last = ops[ops.length - 1];
      push = last !== undefined && remote(last);
      if (push) sources.push(...ops.slice(0, -1).filter((a) => !remote(a)).map(abs));
      break;
    }
    case 'sftp': {
      const target = ops[ops.length - 1];
      const m = target ? /^(?:[^@\s]+@)?(\[[^\]]+\]|[^:/\s]+)/.exec(target.replace(/^sftp:\/\//, '')) : null;
      if (m) hosts.add(stripBrackets(m[1]!));
      push = true; // a batch upload cannot be told apart from a download without the batch file
      break;
    }
    case 'curl': {
      const uploads = opt('-T', '--upload-file');
      const forms = opt('-F', '--form').map((f) => /=@([^;]+)/.exec(f)?.[1]).filter((f): f is string => !!f);
      const data = opt('--data-binary', '-d').map((d) => (d.startsWith('@') ? d.slice(1) : '')).filter(Boolean);
      sources.push(...[...uploads, ...forms, ...data].filter((f) => f !== '-' && f !== '.').map(abs));
      push = sources.length > 0;
      break;
    }
    case 'wget': {
      sources.push(...opt('--post-file').map(abs));
      push = sources.length > 0;
      break;
    }
    case 'tftp': {
      if (ops[0] && !URL_RE.test(ops[0])) hosts.add(stripBrackets(ops[0]));
      const c = argv.indexOf('-c');
      if (c > 0 && argv[c + 1] === 'put') {
        push = true;
        // -c put local [remote] | put file1 file2 ... remotedir
        const files = argv.slice(c + 2);
        sources.push(...(files.length === 2 ? files.slice(0, 1) : files.length > 2 ? files.slice(0, -1) : files).map(abs));
        if (ops[0] === 'put') hosts.clear();
      } else if (argv.includes('-p')) {
        // busybox tftp -p -l LOCAL [-r REMOTE] HOST
        push = true;
        sources.push(...opt('-l').map(abs));
      }
      break;
    }
    case 'atftp': {
      if (ops[0]) hosts.add(stripBrackets(ops[0]));
      push = options.some(([n]) => n === '-p' || n === '--put');
      if (push) sources.push(...opt('-l', '--local-file').map(abs));
      break;
    }
    case 'ncftpput': {
      if (ops[0]) hosts.add(stripBrackets(ops[0]));
      push = true;
      sources.push(...ops.slice(2).map(abs));
      break;
    }
    case 'lftp': {
      if (ops[0] && !URL_RE.test(ops[0])) hosts.add(stripBrackets(ops[0]));
      const cmds = opt('-e', '-c').join(';');
      const puts = putFiles(cmds);
      const open = /\bopen\s+(?:-u\s+\S+\s+)?(?:[a-z]+:\/\/)?(?:[^@\s]*@)?([^\s:/;]+)/.exec(cmds);
      if (open) hosts.add(open[1]!);
      sources.push(...puts.map(abs));
      push = puts.length > 0;
      break;
    }
    default: {
      // ftp, pftp, smbclient, ncftp...: the first operand is the host (or //host/share).
      const first = ops[0];
      if (first && !URL_RE.test(first)) hosts.add(stripBrackets(first.replace(/^\/\/([^/]+).*$/, '$1')));
      push = true;
    }
  }
  return { hosts: [...hosts], sources, push };
}
