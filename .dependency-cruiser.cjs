/**
 * The layers of src/, lowest first: a module imports only from its own folder and from layers
 * below it; folders that share a line are neighbours that do not import each other. Type-only
 * imports and dynamic import() count as imports. docs/architecture.md says what each layer is.
 *
 * Checked by `npm test` (test/unit/layering.test.ts runs `depcruise --validate` on src/), and by
 * hand with `npx depcruise src --validate`.
 */
const LAYERS = [
  ['util'],
  ['vault'],
  ['config'],
  ['providers', 'store'],
  ['oauth', 'sandbox'],
  ['trace'],
  ['inspector'],
  ['registry'],
  ['tokens'],
  ['broker'],
  ['compose'],
  ['cli', 'tools'],
];

/** src/types holds declarations for untyped packages; anything may use them. */
const EVERYWHERE = ['types'];

const folder = (names) => `^src/(${names.join('|')})/`;

const forbidden = LAYERS.flatMap((layer, index) => {
  const below = LAYERS.slice(0, index).flat().concat(EVERYWHERE);
  const above = LAYERS.slice(index + 1).flat();
  return layer.flatMap((name) => {
    const notAllowed = [...above, ...layer.filter((neighbour) => neighbour !== name)];
    if (notAllowed.length === 0) return [];
    return [
      {
        name: `layer-${name}`,
        comment: `src/${name}/ imports only from itself and ${below.join(', ')} (the layers in .dependency-cruiser.cjs, docs/architecture.md)`,
        severity: 'error',
        from: { path: folder([name]) },
        to: { path: folder(notAllowed) },
      },
    ];
  });
});

const known = LAYERS.flat().concat(EVERYWHERE);

module.exports = {
  forbidden: [
    ...forbidden,
    {
      name: 'layer-unknown-folder',
      comment: `every folder of src/ has a place in LAYERS (.dependency-cruiser.cjs); known: ${known.join(', ')}`,
      severity: 'error',
      from: { path: '^src/', pathNot: folder(known) },
      to: {},
    },
    {
      name: 'layer-unknown-folder-imported',
      comment: `every folder of src/ has a place in LAYERS (.dependency-cruiser.cjs); known: ${known.join(', ')}`,
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: folder(known) },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // `import type` is a dependency too: a layer that names another layer's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    moduleSystems: ['es6'],
  },
};
