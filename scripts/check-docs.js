#!/usr/bin/env node
/**
 * Part of `npm run lint`: the docs are references that read as text. Fails on a line of README.md
 * or docs/**\/*.md longer than 400 characters (a table packed into one line is written as a list,
 * or as shorter rows), and on a docs/performance.md longer than 400 lines, naming the file and
 * line. Files are read as UTF-8 and lengths counted in characters, as an editor shows them.
 */
const fs = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const MAX_LINE_CHARS = 400;
const MAX_LINES = { 'docs/performance.md': 400 };

function markdownUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownUnder(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** What is wrong with one file's text, one line of report each. */
function problems(name, text) {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const found = [];
  lines.forEach((line, i) => {
    const length = [...line].length;
    if (length > MAX_LINE_CHARS) {
      found.push(`${name}:${i + 1}: ${length} characters, over ${MAX_LINE_CHARS}`);
    }
  });
  const cap = MAX_LINES[name];
  if (cap !== undefined && lines.length > cap) {
    found.push(`${name}: ${lines.length} lines, over ${cap}`);
  }
  return found;
}

const files = [join(root, 'README.md'), ...markdownUnder(join(root, 'docs'))];
const found = files.flatMap((file) =>
  problems(relative(root, file).split('\\').join('/'), fs.readFileSync(file, 'utf8')),
);
if (found.length > 0) {
  process.stderr.write(`${found.join('\n')}\ncheck-docs: ${found.length} problem(s)\n`);
  process.exit(1);
}
