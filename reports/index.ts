// The renderers' public face: each format is a pure RunReport -> string function; writeRunOutputs
// (outputs.ts) puts the file formats into a run folder.
export { renderAttire } from './attire.js';
export { compareWithBaseline, scenarioChanges, withBaseline } from './baseline.js';
export { summarizeAnalytics } from './coverage.js';
export { exitCodeFor, exitReasons } from './exit-code.js';
export { renderHtml } from './html.js';
export { renderJson } from './json.js';
export { renderJUnit } from './junit.js';
export { renderMarkdown } from './markdown.js';
export { renderNavigatorLayer } from './navigator.js';
export { loadReport, validateReport, ReportFileError, type SchemaError } from './schema.js';
export { renderQuiet, renderTerminal } from './terminal.js';
export { FILE_FORMATS, isFileFormat, writeRunOutputs, type FileFormat } from './outputs.js';
