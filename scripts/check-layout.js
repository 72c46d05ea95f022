#!/usr/bin/env node
/**
 * Part of `npm run lint`: a feature has one home for each role. Under src/, a `*.controller.ts`
 * and a `*-routes.module.ts` (the HTTP app's module of a feature's controllers) live in an `http/`
 * folder, and a `*.repository.ts` or `*.entity.ts` in a `store/` folder
 * (docs/architecture.md, "Inside a feature"); the import rules of .dependency-cruiser.cjs hold
 * those folders to their directions, so a file outside them would escape the rules.
 */
// A script rather than a dependency-cruiser rule: those judge imports, and a file in the wrong
// folder is wrong whatever it imports.
const fs = require('node:fs');
const { join, relative, sep } = require('node:path');

const root = join(__dirname, '..');
const PLACES = [
  { suffix: '.controller.ts', folder: 'http' },
  { suffix: '-routes.module.ts', folder: 'http' },
  { suffix: '.repository.ts', folder: 'store' },
  { suffix: '.entity.ts', folder: 'store' },
];

function* files(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** The files of `paths` (relative, `/`-separated) whose role is out of its folder. */
function misplaced(paths) {
  return paths.flatMap((path) => {
    const place = PLACES.find((p) => path.endsWith(p.suffix));
    const folders = path.split('/').slice(0, -1);
    return place && !folders.includes(place.folder)
      ? [`${path}: a ${place.suffix} outside ${place.folder}/`]
      : [];
  });
}

function selfTest() {
  const found = misplaced([
    'src/a/http/a.controller.ts',
    'src/a/a.controller.ts',
    'src/a/store/a.entity.ts',
    'src/a/b/a.repository.ts',
    'src/a/a.service.ts',
    'src/a/http/a-routes.module.ts',
    'src/a/a-routes.module.ts',
    'src/a/a.module.ts',
  ]);
  if (
    found.length !== 3 ||
    !found[0].startsWith('src/a/a.controller.ts') ||
    !found[2].startsWith('src/a/a-routes.module.ts')
  ) {
    throw new Error(`check-layout: the self-test found ${JSON.stringify(found)}`);
  }
}

selfTest();
const paths = [...files(join(root, 'src'))].map((p) => relative(root, p).split(sep).join('/'));
const wrong = misplaced(paths);
if (wrong.length > 0) {
  console.error(
    `${wrong.join('\n')}\ncheck-layout: ${wrong.length} file(s) out of their role's folder`,
  );
  process.exit(1);
}
