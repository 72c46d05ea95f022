/**
 * The token policy's table as Markdown, printed in docs/security.md between the `token-policy`
 * markers. `npm run docs:policy` writes it there; `test/docs.e2e-spec.ts` fails
 * when the printed table and the code disagree.
 *
 *   ts-node --transpile-only scripts/policy-table.ts [FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALLERS, Cell, TOKEN_ACTIONS, TOKEN_POLICY, Verdict } from '../src/tokens/token-policy';

/** The file that prints the table, and its markers. */
export const POLICY_DOC = join(__dirname, '..', 'docs', 'security.md');
const START = '<!-- token-policy:start';
const END = '<!-- token-policy:end -->';

function verdictText(v: Verdict): string {
  if (v === 'allow') return 'yes';
  if (v === 'hide') return '404';
  if (v === 'none') return '—';
  return `403 \`${v}\``;
}

function cellText(cell: Cell): string {
  if (typeof cell === 'string') return verdictText(cell);
  return `with \`${cell.scope}\`: ${verdictText(cell.with)}; else ${verdictText(cell.without)}`;
}

/** The table as Markdown. */
export function policyMarkdown(): string {
  const lines: string[] = [];
  for (const action of TOKEN_ACTIONS) {
    const rule = TOKEN_POLICY[action];
    lines.push(`**\`${action}\`**: ${rule.routes}.`);
    if (rule.gate) {
      lines.push(
        `Every caller first needs the ${rule.gate.role} role (else 403 \`INSUFFICIENT_ROLE\`) ` +
          `and a token allowing \`${rule.gate.scope}\` (else 403 \`INSUFFICIENT_SCOPE\`).`,
      );
    }
    lines.push('');
    lines.push(`| caller | ${rule.targets.join(' | ')} |`);
    lines.push(`|---|${rule.targets.map(() => '---').join('|')}|`);
    for (const caller of CALLERS) {
      const row = rule.cells[caller];
      if (!row) continue;
      lines.push(`| ${caller} | ${rule.targets.map((t) => cellText(row[t])).join(' | ')} |`);
    }
    lines.push('');
    lines.push(`Why: ${rule.why}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** The table as `text` prints it between the markers; null when the markers are missing. */
export function printedTable(text: string): string | null {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return null;
  return text.slice(text.indexOf('\n', start) + 1, end);
}

if (require.main === module) {
  const file = process.argv[2] ?? POLICY_DOC;
  const text = readFileSync(file, 'utf8');
  const printed = printedTable(text);
  if (printed === null) {
    process.stderr.write(`${file}: no ${START} … ${END} markers\n`);
    process.exit(1);
  }
  const start = text.indexOf('\n', text.indexOf(START)) + 1;
  writeFileSync(file, text.slice(0, start) + policyMarkdown() + text.slice(text.indexOf(END)));
}
