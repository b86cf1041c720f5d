// Quoting for POSIX sh command lines (cron jobs, commands run over SSH).

export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
