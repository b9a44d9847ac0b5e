/**
 * The import graph of the non-test code, collapsed to its top-level folders (domain, commands, projections, infra,
 * write-api, read-api, operator, bin, bench, scripts): no folder may depend on itself through others.
 * Run: npx depcruise --config .dependency-cruiser.cjs --collapse '^[^/]+' domain commands projections infra write-api read-api operator bin
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle-between-top-level-folders',
      comment:
        'A cycle between top-level folders means a layer reaches back up; see the README layout table.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['\\.spec\\.ts$', '^test/', '^dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
