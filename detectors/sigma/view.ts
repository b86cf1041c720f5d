// What a Sigma rule sees of one event: named fields (absent = undefined), each lower-cased at most once however many
// rules test it.

export type FieldValue = string | number | boolean | null | undefined | readonly (string | number)[];

export class EventView {
  private lowered: Map<string, string[] | undefined> | undefined;
  private keywordTexts: string[] | undefined;

  constructor(
    /** The logsource key this view answers for (`linux/process_creation`, `linux/auditd`). */
    readonly logsource: string,
    /** The audit record type for `service: auditd` views (SYSCALL, EXECVE, PATH...), else null. */
    readonly recordType: string | null,
    readonly fields: Readonly<Record<string, FieldValue>>,
    /** Audit event ids this view was built from (the alert's evidence). */
    readonly eventIds: readonly string[],
    readonly time: string,
    readonly pid: number | null,
  ) {}

  has(field: string): boolean {
    return this.fields[field] !== undefined;
  }

  /** The field's values as text (a list field gives several), or undefined when absent or null. */
  texts(field: string): string[] | undefined {
    const v = this.fields[field];
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v.map(String);
    return [String(v)];
  }

  lower(field: string): string[] | undefined {
    this.lowered ??= new Map();
    if (this.lowered.has(field)) return this.lowered.get(field);
    const out = this.texts(field)?.map((t) => t.toLowerCase());
    this.lowered.set(field, out);
    return out;
  }

  /** Every field value as text, for keyword searches (lower-cased when `lower`). */
  keywords(lower: boolean): string[] {
    if (!this.keywordTexts) {
      this.keywordTexts = [];
      for (const v of Object.values(this.fields)) {
        if (v === undefined || v === null) continue;
        if (Array.isArray(v)) for (const x of v) this.keywordTexts.push(String(x));
        else this.keywordTexts.push(String(v));
      }
    }
    return lower ? this.keywordTexts.map((t) => t.toLowerCase()) : this.keywordTexts;
  }
}
