import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A fenced code block of a Markdown file, as a reader sees it. */
export interface CodeBlock {
  /** The file, relative to the repository's root. */
  file: string;
  /** The line of the opening fence (1-based); the block's first line is the next one. */
  line: number;
  /** The fence's language (`sh`, `ts`, …), or '' for none. */
  lang: string;
  /** The block's text, without its fences and without the indent of a list item. */
  text: string;
  /**
   * Why it is not run, from a `<!-- not run: <reason> -->` comment on the last line before the
   * fence that is not blank; null when there is none.
   */
  notRun: string | null;
}

const FENCE = /^(\s*)```\s*([A-Za-z0-9_-]*)\s*$/;
const NOT_RUN = /<!--\s*not run:\s*(.*?)\s*-->\s*$/;

/** Every fenced code block of the Markdown file `file` (relative to `root`), in order. */
export function codeBlocks(root: string, file: string): CodeBlock[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end < 0) throw new Error(`${file}:${i + 1}: a code block that never closes`);
    let before = i - 1;
    while (before >= 0 && lines[before].trim() === '') before--;
    const marker = before >= 0 ? NOT_RUN.exec(lines[before]) : null;
    blocks.push({
      file,
      line: i + 1,
      lang: open[2],
      text: lines
        .slice(i + 1, end)
        .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
        .join('\n'),
      notRun: marker ? marker[1] : null,
    });
    i = end;
  }
  return blocks;
}

/** A shell command as bash reads it: its physical lines joined where one ends with `\`. */
export interface LogicalLine {
  /** The first and last physical lines (1-based, within the block). */
  first: number;
  last: number;
  text: string;
}

/** A shell block's logical lines: continuation lines (ending in `\`) joined to the next. */
export function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let current: LogicalLine | null = null;
  text.split('\n').forEach((line, index) => {
    const n = index + 1;
    current = current
      ? { first: current.first, last: n, text: `${current.text}\n${line}` }
      : { first: n, last: n, text: line };
    if (!/\\$/.test(line)) {
      out.push(current);
      current = null;
    }
  });
  if (current) out.push(current);
  return out;
}

/**
 * The value a command's trailing comment says it prints, when the comment is a JSON value
 * (`… | jq .data.role   # "owner"`); null for any other comment, or none.
 */
export function expectedOutput(line: string): { command: string; value: string } | null {
  const match = /^(.*\S)\s+#\s*(\S.*?)\s*$/.exec(line);
  if (!match || match[1].trimStart().startsWith('#')) return null;
  try {
    JSON.parse(match[2]);
  } catch {
    return null;
  }
  return { command: match[1], value: match[2] };
}
