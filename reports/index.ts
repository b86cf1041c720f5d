// The renderers' public face: each format is a pure RunReport -> string function; writeRunOutputs
// (outputs.ts) puts the file formats into a run folder. Judging (exit code, baseline, coverage) lives in
// harness/run/judge/; its entry points are re-exported here for callers that only know reports/.
export { renderAttire } from './attire.js';
export { compareWithBaseline, scenarioChanges, withBaseline, summarizeAnalytics, exitCodeFor, exitReasons } from '../harness/run/judge/index.js';
export { renderHtml } from './html.js';
export { renderJson } from './json.js';
export { renderJUnit } from './junit.js';
export { renderMarkdown } from './markdown.js';
export { renderNavigatorLayer } from './navigator.js';
export { loadReport, validateReport, ReportFileError, type SchemaError } from './schema.js';
export { renderQuiet, renderTerminal } from './terminal.js';
export { FILE_FORMATS, isFileFormat, writeRunOutputs, type FileFormat } from './outputs.js';
