// The layer rules, checked in `npm test` (test/layers.test.ts) with dependency-cruiser:
// the daemon (host/) and the simulator (simulator/) are products and import no demo, test or
// script code, nor each other; the demo (demo/) may use both; nothing imports in a cycle,
// type-only imports included. README "Where things live" names the folders.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'simulator-stands-alone',
      comment:
        'The simulator runs any firmware; it knows nothing of the daemon, the demo, the tests or the build scripts.',
      severity: 'error',
      from: { path: '^simulator/' },
      to: { path: '^(host|demo|test|scripts|bench|bin)/' },
    },
    {
      name: 'daemon-stands-alone',
      comment: 'The daemon is shipped as a bundle; simulator, demo, test and script code must not reach it.',
      severity: 'error',
      from: { path: '^host/' },
      to: { path: '^(simulator|demo|test|scripts|bench|bin)/' },
    },
    {
      name: 'no-cycles',
      comment: 'Import cycles, type-only ones included, tangle the layers.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'A relative import that resolves to nothing is a moved or misspelt file.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, dependencyTypesNot: ['core'] },
    },
  ],
  options: {
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|build|test/fixtures/layers)/' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      extensions: ['.ts', '.mts', '.mjs', '.js', '.json'],
      conditionNames: ['import', 'require', 'node', 'default'],
      exportsFields: ['exports'],
    },
  },
};
