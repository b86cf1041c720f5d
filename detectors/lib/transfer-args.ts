// What a transfer command line sends, as the event layer reads it (harness/events/transfer-args.ts).
export * from '../../harness/events/transfer-args.js';
