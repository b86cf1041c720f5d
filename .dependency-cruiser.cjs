// Imports run one way, bottom to top (ARCHITECTURE.md). A module may import its own layer and the layers below it,
// never one above; no import cycles anywhere. Checked by `npm test` (test/architecture/dependencies.test.ts).
/** Bottom first. */
const LAYERS = [
  { name: 'shared', path: '^harness/shared/' },
  { name: 'audit parsing', path: '^harness/audit/' },
  { name: 'event meaning', path: '^harness/events/' },
  { name: 'telemetry, host and ATT&CK data', path: '^harness/(telemetry|host|attack)/' },
  { name: 'collectors and detectors', path: '^(harness/collectors|detectors)/' },
  { name: 'scenario and run', path: '^harness/(scenario|run)/|^harness/config\\.ts$' },
  { name: 'targets and reports', path: '^(harness/targets|reports)/' },
  { name: 'CLI', path: '^harness/cli/' },
];

/** Known, owned exceptions: each names who removes it. */
const KNOWN = [
  // Issue 17 moves the scoring half of reports/coverage.ts into harness/run/; then this edge goes.
  { from: '^harness/run/suite\\.ts$', to: '^reports/coverage\\.ts$' },
];

/** One rule per (layer, higher layer) pair; a known exception's source file gets its own rule without that edge. */
const upward = LAYERS.flatMap((layer, i) =>
  LAYERS.slice(i + 1).flatMap((above) => {
    const rule = (from, to) => ({
      name: 'layer-order',
      comment: `${layer.name} must not import ${above.name} (a higher layer)`,
      severity: 'error',
      from,
      to,
    });
    const exceptions = KNOWN.filter((k) => new RegExp(layer.path).test(plain(k.from)) && new RegExp(above.path).test(plain(k.to)));
    return [
      rule({ path: layer.path, pathNot: exceptions.map((k) => k.from) }, { path: above.path }),
      ...exceptions.map((k) => rule({ path: k.from }, { path: above.path, pathNot: k.to })),
    ];
  }),
);

/** A file path from an anchored, escaped pattern (for matching exceptions to layers). */
function plain(pattern) {
  return pattern.replace(/^\^|\$$/g, '').replace(/\\/g, '');
}

module.exports = {
  forbidden: [
    ...upward,
    { name: 'no-cycles', comment: 'two modules must not import each other, directly or through others', severity: 'error', from: {}, to: { circular: true } },
    { name: 'not-to-tests', comment: 'product code never imports tests', severity: 'error', from: { pathNot: '^test/' }, to: { path: '^test/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
