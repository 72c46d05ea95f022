#!/usr/bin/env node
/**
 * Part of `npm run lint`: a comment says why, in a few lines, and the story lives in git. Fails
 * on a comment block (consecutive `//` lines, or one `/* *\/` comment) of more than 12 lines, and
 * on a comment that cites a ticket ("issue" or "stop" and its number) instead of a reason.
 * Comments are found by TypeScript's parser, so `//` in a string, a template or JSX text is none.
 * Files listed in scripts/check-comments.allow are not held to it. `--self-test` checks the
 * detection alone; every run checks it first, so the check cannot go blind unnoticed.
 */
const fs = require('node:fs');
const { join, relative, sep } = require('node:path');
const ts = require('typescript');

const root = join(__dirname, '..');
const FOLDERS = [
  'src',
  'console/src',
  'packages/client/src',
  'packages/client/scripts',
  'scripts',
  'test',
  'bench',
];
const EXTENSIONS = ['.ts', '.tsx', '.js', '.cjs', '.mjs'];
const ALLOW_FILE = join(__dirname, 'check-comments.allow');
const MAX_LINES = 12;
// "issue", "issues" or "stop" and a number (maybe after `#`): a pointer to a ticket, not a reason.
const TICKET = /\b(?:issues?|stop)\s*#?\s*\d+\b/gi;

function scriptKind(file) {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (file.endsWith('.ts')) return ts.ScriptKind.TS;
  return ts.ScriptKind.JS;
}

/** Every comment of a source text, in order, as `{ pos, end, kind }`. */
function comments(text, fileName = 'file.ts') {
  const sf = ts.createSourceFile(
    fileName,
    text,
    ts.ScriptTarget.Latest,
    true,
    scriptKind(fileName),
  );
  const found = new Map();
  const jsxTexts = [];
  const add = (ranges) => ranges?.forEach((range) => found.set(range.pos, range));
  const visit = (node) => {
    // A JSDoc node's children start inside the comment: scanned from there, its text would be
    // read as comments of their own.
    if (ts.isJSDoc(node)) return;
    if (node.kind === ts.SyntaxKind.JsxText) jsxTexts.push(node);
    add(ts.getLeadingCommentRanges(text, node.pos));
    add(ts.getTrailingCommentRanges(text, node.end));
    for (const child of node.getChildren(sf)) visit(child);
  };
  visit(sf);
  // Trivia scanned from the edge of JSX text reads that text as code.
  const inJsxText = (c) => jsxTexts.some((t) => c.pos >= t.pos && c.pos < t.end);
  return [...found.values()].filter((c) => !inJsxText(c)).sort((a, b) => a.pos - b.pos);
}

/**
 * The comment blocks of a text, each as `{ line, lines: [{ line, text }] }` (lines 1-based): a
 * `/* *\/` comment, or a run of `//` comments each alone on its line and on consecutive lines.
 */
function blocks(text, fileName) {
  const lineStarts = ts.computeLineStarts(text);
  const lineOf = (pos) => ts.computeLineAndCharacterOfPosition(lineStarts, pos).line + 1;
  const found = [];
  let run = null;
  for (const c of comments(text, fileName)) {
    const line = lineOf(c.pos);
    const body = text.slice(c.pos, c.end);
    if (c.kind === ts.SyntaxKind.MultiLineCommentTrivia) {
      run = null;
      const lines = body.split('\n').map((t, i) => ({ line: line + i, text: t }));
      found.push({ line, lines });
      continue;
    }
    const alone = text.slice(lineStarts[line - 1], c.pos).trim() === '';
    if (!alone) {
      run = null;
      found.push({ line, lines: [{ line, text: body }], trailing: true });
      continue;
    }
    if (run && run.lines[run.lines.length - 1].line === line - 1) {
      run.lines.push({ line, text: body });
    } else {
      run = { line, lines: [{ line, text: body }] };
      found.push(run);
    }
  }
  return found;
}

/** The problems of one text, each as `{ line, message }`. */
function check(text, fileName) {
  const problems = [];
  for (const block of blocks(text, fileName)) {
    if (!block.trailing && block.lines.length > MAX_LINES) {
      problems.push({
        line: block.line,
        message: `comment block of ${block.lines.length} lines (at most ${MAX_LINES}): keep the why, git keeps the story`,
      });
    }
    // The block's words joined across lines, so "issue\n// 40" is found too.
    const words = block.lines.map((l) => l.text.replace(/^\s*(\/\/+|\/\*+|\*+\/|\*)?/, ' '));
    for (const match of words.join(' ').matchAll(TICKET)) {
      let offset = match.index;
      let index = 0;
      while (index < words.length - 1 && offset >= words[index].length + 1) {
        offset -= words[index].length + 1;
        index++;
      }
      problems.push({
        line: block.lines[index].line,
        message: `comment cites "${match[0].replace(/\s+/g, ' ')}": say the reason, not the ticket`,
      });
    }
  }
  return problems;
}

function sourcesUnder(folder, found = []) {
  let entries;
  try {
    entries = fs.readdirSync(join(root, folder), { withFileTypes: true });
  } catch (e) {
    if (e.code === 'ENOENT') return found;
    throw e;
  }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') sourcesUnder(path, found);
    } else if (
      EXTENSIONS.some((ext) => entry.name.endsWith(ext)) &&
      // Declarations are generated (the typed client's schema.d.ts carries the API's own prose).
      !entry.name.endsWith('.d.ts')
    ) {
      found.push(path.split(sep).join('/'));
    }
  }
  return found;
}

/** The allow-list: one repository path a line; `#` starts a note. */
function allowed() {
  let text;
  try {
    text = fs.readFileSync(ALLOW_FILE, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') return new Set();
    throw e;
  }
  return new Set(
    text
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean),
  );
}

function main() {
  selfTest(false);
  const allow = allowed();
  const files = FOLDERS.flatMap((folder) => sourcesUnder(folder)).sort();
  let failed = 0;
  const clean = new Set(allow);
  for (const file of files) {
    const problems = check(fs.readFileSync(join(root, file), 'utf8'), file);
    if (problems.length > 0) clean.delete(file);
    else continue;
    if (allow.has(file)) continue;
    for (const p of problems) console.log(`${file}:${p.line}: ${p.message}`);
    failed += problems.length;
  }
  for (const file of clean) {
    const reason = files.includes(file) ? 'has no problem left' : 'does not exist';
    console.error(`${relative(root, ALLOW_FILE)}: ${file} ${reason}; remove it from the list`);
  }
  if (failed > 0) {
    console.log(
      `${failed} comment problem(s): a comment says why, in a few lines, and names no ticket`,
    );
    process.exit(1);
  }
}

/** Checks the detection on texts whose answers are known; lint runs it before each scan. */
function selfTest(say = true) {
  const assert = require('node:assert/strict');
  const slashes = (n) => Array.from({ length: n }, (_, i) => `// line ${i}`).join('\n');
  const star = (n) => ['/**', ...Array.from({ length: n - 2 }, () => ' * why'), ' */'].join('\n');
  const lines = (text, file) => check(text, file).map((p) => p.line);

  assert.deepEqual(lines(`${slashes(12)}\nconst a = 1;\n`), []);
  assert.deepEqual(lines(`const a = 1;\n${slashes(13)}\n`), [2]);
  assert.deepEqual(lines(`${star(12)}\nconst a = 1;\n`), []);
  assert.deepEqual(lines(`\n${star(13)}\nconst a = 1;\n`), [2]);
  // A blank line, or code, ends a run of `//` lines.
  assert.deepEqual(lines(`${slashes(8)}\n\n${slashes(8)}\n`), []);
  assert.deepEqual(lines(`${slashes(8)}\nf(); // and\n${slashes(8)}\n`), []);
  // At the end of a block, before `}`, and indented.
  assert.deepEqual(lines(`function f() {\n  g();\n${slashes(13).replace(/^/gm, '  ')}\n}\n`), [3]);
  // Ticket references are spelled by `ref`, so this file names none itself.
  const ref = (word, n) => `${word} ${n}`;
  const issue = (n) => ref('issue', n);
  // Not comments: `//` in a template, a string, JSX text.
  const template = `const t = \`\n${slashes(20)}\n\`;\nconst s = '// ${issue(4)}';\n`;
  assert.deepEqual(lines(template), []);
  assert.deepEqual(lines(`const x = <p>\n${slashes(20)}\n</p>;\n`, 'a.tsx'), []);
  assert.deepEqual(lines(`const x = <p>// ${issue(4)}</p>;\n`, 'a.tsx'), []);
  assert.deepEqual(lines(`const x = <p>{/* ${issue(4)} */}</p>;\n`, 'a.tsx'), [1]);

  assert.deepEqual(lines(`// the cache (${issue(40)})\nconst a = 1;\n`), [1]);
  assert.deepEqual(lines('const a = 1; // issue #35\n'), [1]);
  assert.deepEqual(lines(`/**\n * Why, from\n * ${issue(24)}'s review.\n */\n`), [3]);
  assert.deepEqual(lines('// as asked in issue\n// 39, because\n'), [1]);
  assert.deepEqual(lines(`/**\n * @param a // ${issue(7)}\n */\nfunction f(a) {}\n`), [2]);
  assert.deepEqual(lines(`/**\n * ${issue(4)} and\n * ${ref('issues', 5)}\n */\n`), [2, 3]);
  assert.deepEqual(lines(`/* ${ref('stop', 3)} */\n`), [1]);
  assert.deepEqual(lines(`// at the ${ref('STOP', 12)} mark\n`), [1]);
  assert.deepEqual(lines(`// an issue of 4 KiB; stops 2s later; t${issue(3)}\n`), []);
  assert.deepEqual(lines(`const m = '${issue(40)} is an issue';\n`), []);
  if (say) console.log('check-comments: self-test passed');
}

if (require.main === module) {
  if (process.argv.includes('--self-test')) selfTest();
  else main();
}

module.exports = { check };
