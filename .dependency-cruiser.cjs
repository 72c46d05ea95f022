/**
 * The import rules between the folders of src/, run by `npm run lint` (a broken rule fails it).
 * Folders sit in layers, bottom first; a folder imports only from its own layer's folders when
 * the layer says so, and from the layers below. docs/architecture.md explains each place.
 */
const LAYERS = [
  ['config', 'common', 'metrics'],
  ['database', 'redis'],
  ['bus'],
  ['throttle'],
  ['auth'],
  ['signing'],
  ['tenancy'],
  ['governance'],
  ['tokens'],
  ['workflows'],
  ['invitations'],
  ['approvals'],
  ['resources'],
  ['authorization'],
  ['audit', 'oauth2', 'health', 'leaks', 'gateway', 'analytics'],
  ['webhooks'],
  ['ssf'],
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

/**
 * Inside a feature, its role folders (docs/architecture.md, "Inside a feature"): a rule per
 * direction that must not exist, for the features that have the folder.
 */
const insideFeatures = [
  {
    name: 'store-knows-only-store',
    comment:
      'store/ (entities and repositories) imports nothing else of its feature; audit store/ may use what imports nothing of audit but store/: codec/ (the entity is derived from its field table) and the Merkle math',
    from: { path: '^src/([^/]+)/store/' },
    to: {
      path: '^src/$1/',
      pathNot: '^src/$1/store/|^src/audit/(codec/|tree/merkle(-plan)?\\.ts$)',
    },
  },
  {
    name: 'http-only-from-http',
    comment:
      "a feature's http/ (controllers, routes module) is reached only from its http/ and its root (the feature's module, which registers its controllers), for every feature with one; common/http/ is the pipeline's, not a feature's routes",
    from: { path: '^src/(?!common/)([^/]+)/(?!http/)[^/]+/' },
    to: { path: '^src/$1/http/' },
  },
  {
    name: 'dto-below-services',
    comment:
      "every dto/ of a feature, its sub-features' too (governance/limits/dto/): it shapes what services answer, so it imports none of its feature's services, controllers or modules, by name or by the folders that hold them",
    from: { path: '^src/([^/]+)/(.*/|)dto/' },
    to: {
      path: [
        '^src/$1/(.*/|)(http|lifecycle|verify|sweeps|endpoints|messages|delivery|recording|streams|query|exchange)/',
        '^src/$1/.+\\.(service|controller|module)\\.ts$',
      ],
    },
  },
  {
    name: 'policy-below-lifecycle',
    comment: 'tokens policy/ decides; it never calls what acts on its decisions',
    from: { path: '^src/tokens/policy/' },
    to: { path: '^src/tokens/(lifecycle|verify|sweeps|http)/' },
  },
  {
    name: 'verify-apart-from-lifecycle',
    comment: 'the hot path (tokens verify/) does not reach the write paths or the sweeps',
    from: { path: '^src/tokens/verify/' },
    to: { path: '^src/tokens/(lifecycle|sweeps|http)/' },
  },
  {
    name: 'revocation-below-issuance',
    comment:
      'tokens lifecycle/issuance/ (issue, import, rotate) may revoke, as a rotation does; lifecycle/revocation/ never issues',
    from: { path: '^src/tokens/lifecycle/revocation/' },
    to: { path: '^src/tokens/lifecycle/issuance/' },
  },
  {
    name: 'lifecycle-below-sweeps',
    comment: 'the sweeps (tokens sweeps/) call the lifecycle, never the other way',
    from: { path: '^src/tokens/lifecycle/' },
    to: { path: '^src/tokens/(sweeps|http)/' },
  },
  {
    name: 'status-reads-only',
    comment: 'tokens status/ (the status lists) reads tokens and signs; it never acts on them',
    from: { path: '^src/tokens/status/' },
    to: { path: '^src/tokens/(lifecycle|verify|sweeps|usage|policy|http)/' },
  },
  {
    name: 'audit-codec-is-a-leaf',
    comment: 'audit codec/ (the one spelling of an entry) imports nothing else of audit',
    from: { path: '^src/audit/codec/' },
    to: { path: '^src/audit/', pathNot: '^src/audit/(codec/|store/audit-event\\.entity)' },
  },
  {
    name: 'audit-chain-and-tree-compute',
    comment: 'audit chain/ and tree/ compute; recording/, checkpoints/ and http/ use them',
    from: { path: '^src/audit/(chain|tree)/' },
    to: { path: '^src/audit/(recording|http|checkpoints)/' },
  },
].map(({ from, ...rule }) => ({
  severity: 'error',
  ...rule,
  from: { ...from, pathNot: '\\.spec\\.ts$' },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    ...insideFeatures,
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
      comment:
        'config and common, at the bottom, know nothing of each other: callers pass what is needed.',
      from: { path: '^src/(config|common)/' },
      to: { path: '^src/(config|common)/', pathNot: '^src/$1/' },
    },
    {
      name: 'store-behind-front-door',
      severity: 'error',
      comment:
        "A feature's store/ is its own: others go through its front door (a directory, a facade its module exports), as Twenty's modules export services, never repositories. wiring/ registers every feature's entities, and a repository joins another feature's table, through the list at that feature's root (`tenancy/tenancy.entities.ts`), never its store/.",
      from: { path: '^src/([^/]+)/' },
      to: {
        path: ['^src/[^/]+/store/', '^src/[^/]+/[^/]+/store/'],
        pathNot: ['^src/$1/store/', '^src/$1/[^/]+/store/'],
      },
    },
    {
      name: 'store-module-stays-home',
      severity: 'error',
      comment:
        "A feature's store module (tokens/token-store.module.ts, webhooks/webhook-store.module.ts) hands its repositories to the feature's own modules, its routes module among them; another feature imports the feature's module, which does not pass the store on.",
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/[^/]+-store\\.module\\.ts$', pathNot: '^src/$1/' },
    },
    {
      name: 'tokens-never-imports-audit',
      severity: 'error',
      comment: 'Tokens tells Audit what happened through domain events only.',
      from: { path: '^src/tokens/' },
      to: { path: '^src/audit/' },
    },
    {
      name: 'bus-behind-its-port',
      severity: 'error',
      comment:
        "Features hear and publish invalidations through common's Invalidations port, never src/bus/: only the bus itself, the places that choose a process's bus module (wiring/, cli/, the app's root files) and health/ (the bus's own readiness) import it.",
      from: { path: '^src/', pathNot: '^src/(bus|wiring|cli|health)/|^src/[^/]+\\.ts$' },
      to: { path: '^src/bus/' },
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
