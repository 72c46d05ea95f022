#!/usr/bin/env node
/**
 * Builds the package into dist/: CommonJS in dist/cjs, ES modules in dist/esm, each with its
 * declarations, and the generated API types once, in dist/schema.d.ts, which both import.
 *
 * tsc writes extensionless relative imports (`./edge/http`), which Node's ESM loader refuses, so
 * each relative specifier of the ESM output is given its file's `.js`; `./schema` points at the
 * one shared copy. Each folder has a package.json that says which module system its .js is.
 *
 * `--out <dir>` builds there instead of dist/: the release (scripts/pack-clients.js) packs a copy
 * of the package built apart, so that two packs at once never empty each other's dist/.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outAt = process.argv.indexOf('--out');
const dist = outAt > 0 ? resolve(process.argv[outAt + 1]) : join(root, 'dist');
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');

function compile(outDir, module) {
  const args = [tsc, '-p', join(root, 'tsconfig.json'), '--outDir', outDir, '--module', module];
  const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** `./x` as the file it names in `dir`: `./x.js`, or `./x/index.js` for a folder. */
function withExtension(dir, specifier, esm) {
  if (/(^|\/)schema$/.test(specifier)) return `${dirname(specifier) === '.' ? '..' : `${dirname(specifier)}/..`}/schema${esm ? '.js' : ''}`;
  if (!esm) return specifier;
  if (existsSync(join(dir, `${specifier}.js`)) || existsSync(join(dir, `${specifier}.d.ts`))) {
    return `${specifier}.js`;
  }
  return `${specifier}/index.js`;
}

const RELATIVE = /(\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)(['"])(\.{1,2}\/[^'"]*)\2/g;

function relink(dir, esm) {
  for (const file of filesUnder(dir)) {
    if (!file.endsWith('.js') && !file.endsWith('.d.ts')) continue;
    const source = readFileSync(file, 'utf8');
    const out = source.replace(
      RELATIVE,
      (_all, lead, quote, specifier) => `${lead}${quote}${withExtension(dirname(file), specifier, esm)}${quote}`,
    );
    if (out !== source) writeFileSync(file, out);
  }
}

rmSync(dist, { recursive: true, force: true });
compile(join(dist, 'cjs'), 'commonjs');
compile(join(dist, 'esm'), 'es2022');
copyFileSync(join(root, 'src', 'schema.d.ts'), join(dist, 'schema.d.ts'));
relink(join(dist, 'cjs'), false);
relink(join(dist, 'esm'), true);
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
writeFileSync(join(dist, 'esm', 'package.json'), '{ "type": "module" }\n');
