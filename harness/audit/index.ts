// Public API of the audit parser: record parser -> event assembler -> normalizer, plus streaming helpers.
export type { AuditEvent, AuditProcess, AuditFile, AuditSocket } from './event.js';
export { parseRecord, isRecordError, type AuditRecord, type RecordError } from './record.js';
export { EventAssembler, isSingleRecordType, DEFAULT_WINDOW, MAX_SERIAL_GAP, type AssemblerOptions } from './assembler.js';
export { normalizeEvent, fieldText, fieldNumber, decodeArgv, decodeSockaddr, decodeTitle, decodeKey, stampToIso } from './normalize.js';
export { AuditStream, auditEvents, LineSplitter, MAX_LINE_BYTES, OVERLONG_LINE, type AuditStats, type AuditStreamOptions, type MalformedHandler } from './stream.js';
export { followLines, type FollowOptions } from './follow.js';
export { ChunkWriter, writeEventJsonl } from './jsonl.js';
export { syscallName } from './syscalls.js';
