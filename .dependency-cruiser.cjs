/**
 * The import rules between the folders of src/, run by `npm run lint` (a broken rule fails it).
 * Folders sit in layers, bottom first; a folder imports only from its own layer's folders when
 * the layer says so, and from the layers below. docs/architecture.md explains each place.
 */
const LAYERS = [
  ['config', 'common', 'metrics'],
  ['database'],
  ['bus'],
  ['throttle'],
  ['auth'],
  ['tenancy'],
  ['governance'],
  ['tokens'],
  ['workflows'],
  ['audit', 'oauth2', 'health', 'leaks', 'gateway'],
  ['webhooks'],
  ['federation'],
  ['docs'],
  ['wiring'],
  ['cli'],
];

const folder = (names) => `^src/(${names.join('|')})/`;

/** For each layer: no import from any layer above it. */
const layerRules = LAYERS.map((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  return {
    name: `layer-${layer.join('-')}`,
    severity: 'error',
    comment: `${layer.join(', ')} may not import ${above.join(', ')}, nor the app's root files`,
    from: { path: folder(layer) },
    to: { path: [...(above.length ? [folder(above)] : []), '^src/[^/]+\\.ts$'] },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No file imports itself back through others.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'config-and-common-apart',
      severity: 'error',
      comment: 'config and common, at the bottom, know nothing of each other: callers pass what is needed.',
      from: { path: '^src/(config|common)/' },
      to: { path: '^src/(config|common)/', pathNot: '^src/$1/' },
    },
    {
      name: 'tokens-never-imports-audit',
      severity: 'error',
      comment: 'Tokens tells Audit what happened through domain events only.',
      from: { path: '^src/tokens/' },
      to: { path: '^src/audit/' },
    },
    {
      name: 'same-layer-features-apart',
      severity: 'error',
      comment: 'audit, oauth2, health and gateway do not import one another.',
      from: { path: '^src/(audit|oauth2|health|gateway)/' },
      to: { path: '^src/(audit|oauth2|health|gateway)/', pathNot: '^src/$1/' },
    },
    {
      name: 'no-test-imports-bench',
      severity: 'error',
      comment: 'Tests and code stand alone: bench/ may use them, not the other way.',
      from: { path: '^(src|test)/' },
      to: { path: '^bench/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
