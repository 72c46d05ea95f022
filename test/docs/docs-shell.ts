import { readFileSync } from 'node:fs';
import { CodeBlock, expectedOutput, LogicalLine, logicalLines } from './markdown-blocks';

/**
 * The shell a docs block runs in, set up as the reader's is, with three stand-ins whose every use
 * the docs test checks afterwards:
 * - `curl` is curl, which also notes each call's HTTP status, by the line of the block it came
 *   from, in `$DOCS_RUN/curl.log`;
 * - `npm run -s cli -- …` is what that script runs (`node scripts/cli.js …`), in the reader's
 *   folder rather than the repository's, so the files the blocks write are where it reads them;
 *   any other npm command fails, as nothing else may run here;
 * - `__latchkey_expect <id>` passes its input through and keeps it in `$DOCS_RUN/expect-<id>`:
 *   a command whose comment says what it prints (`# "owner"`) is piped into it.
 */
export const SHELL_PRELUDE = [
  'curl() {',
  '  local headers rc=0 status',
  '  headers=$(mktemp)',
  '  command curl -D "$headers" "$@" || rc=$?',
  "  status=$(grep -E '^HTTP/' \"$headers\" | tail -n 1 | cut -d ' ' -f 2)",
  '  printf \'%s %s %s\\n\' "${BASH_SOURCE[1]}" "${BASH_LINENO[0]}" "${status:-none}" >> "$DOCS_RUN/curl.log"',
  '  rm -f "$headers"',
  '  return "$rc"',
  '}',
  'npm() {',
  '  if [ "$#" -ge 4 ] && [ "$1 $2 $3 $4" = "run -s cli --" ]; then',
  '    shift 4',
  '    node "$LATCHKEY_REPO/scripts/cli.js" "$@"',
  '  else',
  "    echo \"docs test: only 'npm run -s cli -- …' runs here, not 'npm $*'\" >&2",
  '    return 127',
  '  fi',
  '}',
  '__latchkey_expect() { tee "$DOCS_RUN/expect-$1"; }',
].join('\n');

/** What the docs test changes in a shell block, to run it as the reader would. */
export interface ShellScript {
  script: string;
  lines: LogicalLine[];
  /** What a command prints, by its logical line's first line, from its trailing comment. */
  expects: Map<number, string>;
  /** The values filled in, by variable. */
  filled: string[];
}

/** `NAME=value…` or `export NAME=value…`: the prefix, the name, the value, the rest. */
const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Z][A-Z0-9_]*)=(\S+)(.*)$/s;
const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * `block` as the session sources it: each assignment of a variable in `givens` (a value the
 * reader fills in, `ADMIN=lk_…`) given that value, and each command that says what it prints
 * piped into `__latchkey_expect <name>-<line>`. Nothing else changes, so a line's number is the
 * block's own.
 */
export function shellScript(
  block: CodeBlock,
  text: string,
  name: string,
  givens: Record<string, string>,
): ShellScript {
  const lines = logicalLines(text);
  const expects = new Map<number, string>();
  const filled: string[] = [];
  const script = lines.map((line) => {
    let command = line.text;
    const given = ASSIGNMENT.exec(command);
    if (given && given[2] in givens) {
      command = `${given[1]}${given[2]}=${quote(givens[given[2]])}${given[4]}`;
      filled.push(given[2]);
    } else if (given && given[3].includes('…')) {
      throw new Error(`${block.file}: ${given[2]} is left to the reader, and no given fills it`);
    }
    const expected = expectedOutput(command);
    if (expected) {
      command = `${expected.command} | __latchkey_expect ${name}-${line.first}`;
      expects.set(line.first, expected.value);
    }
    return command;
  });
  return { script: script.join('\n'), lines, expects, filled };
}

/** The variables a block leaves to the reader to fill in: `NAME=` then a value. */
export function assignedNames(text: string): string[] {
  return logicalLines(text).flatMap((l) => {
    const m = ASSIGNMENT.exec(l.text);
    return m ? [m[2]] : [];
  });
}

/** One curl call of a block: the logical line it came from, and the HTTP status it got. */
export interface CurlCall {
  line: LogicalLine | undefined;
  status: string;
}

/** The curl calls the block sourced from `file` made, from `$DOCS_RUN/curl.log`. */
export function curlCalls(log: string, file: string, lines: LogicalLine[]): CurlCall[] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${file} `))
    .map((l) => {
      const [, at, status] = l.split(' ');
      const n = Number(at);
      return { line: lines.find((x) => n >= x.first && n <= x.last), status };
    });
}
