/**
 * The token policy's table and the webhook policy's as Markdown, printed in docs/security.md
 * between the `token-policy` and `webhook-policy` markers. `npm run docs:policy` writes them
 * there; `test/docs/docs.e2e-spec.ts` fails when a printed table and the code disagree.
 *
 *   ts-node --transpile-only scripts/policy-table.ts [FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN_POLICY } from '../src/tokens/policy/token-policy';
import { CALLERS, Cell, TOKEN_ACTIONS, Verdict } from '../src/tokens/policy/token-policy-terms';
import {
  AUDIT_DATA_WHEN,
  WEBHOOK_ACTIONS,
  WEBHOOK_POLICY,
  WEBHOOK_ROLE,
} from '../src/webhooks/endpoints/webhook-policy';
import {
  TRUST_RULE_ACTIONS,
  TRUST_RULE_POLICY,
  TRUST_RULE_ROLE,
  TRUST_RULE_SCOPE,
  TRUST_RULE_TARGETS,
} from '../src/federation/rules/trust-rule-policy';

/** The file that prints the tables. */
export const POLICY_DOC = join(__dirname, '..', 'docs', 'security.md');

/** The tables, by the name their markers carry. */
export type PolicySection = 'token-policy' | 'webhook-policy' | 'trust-rule-policy';
const start = (section: PolicySection) => `<!-- ${section}:start`;
const end = (section: PolicySection) => `<!-- ${section}:end -->`;

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

/**
 * `text` broken at spaces into lines of at most `width` characters, so the printed prose reads in
 * an editor; never before a word Markdown would read as a list or heading marker at a line start.
 */
function wrapped(text: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const marker = /^([-*+#>]|\d+[.)])$/.test(word);
    if (line && !marker && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
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
    lines.push(wrapped(`Why: ${rule.why}`));
    lines.push('');
  }
  return lines.join('\n');
}

/** The webhook policy as Markdown: a row per action, then when an action touches audit data. */
export function webhookPolicyMarkdown(): string {
  const lines = [
    `Under \`/api/v1\` every route first needs the ${WEBHOOK_ROLE} role (else 403 ` +
      '`INSUFFICIENT_ROLE`), under `/platform/v1` a platform token (else 403 ' +
      '`PLATFORM_ADMIN_REQUIRED`); then a token allowing what the row says (else 403 ' +
      '`INSUFFICIENT_SCOPE`). `webhooks:write` covers `webhooks:read`.',
    '',
    '| action | route | needs | and when it touches audit data |',
    '|---|---|---|---|',
  ];
  for (const action of WEBHOOK_ACTIONS) {
    const rule = WEBHOOK_POLICY[action];
    const onAudit = rule.onAudit ? `\`${rule.onAudit}\` too` : 'nothing more';
    lines.push(`| \`${action}\` | ${rule.route} | \`${rule.scope}\` | ${onAudit} |`);
  }
  lines.push('', wrapped(AUDIT_DATA_WHEN), '');
  return lines.join('\n');
}

/** The trust-rule policy as Markdown: a row per action, then which ids are 404. */
export function trustRulePolicyMarkdown(): string {
  const lines = [
    `Under \`/api/v1\` every route first needs the ${TRUST_RULE_ROLE} role (else 403 ` +
      `\`INSUFFICIENT_ROLE\`) and a token allowing \`${TRUST_RULE_SCOPE}\` (else 403 ` +
      '`INSUFFICIENT_SCOPE`).',
    '',
    '| action | route | retiring token | token from an exchange |',
    '|---|---|---|---|',
  ];
  const refused = (closed: boolean, code: string) => (closed ? `403 \`${code}\`` : 'yes');
  for (const action of TRUST_RULE_ACTIONS) {
    const rule = TRUST_RULE_POLICY[action];
    lines.push(
      `| \`${action}\` | ${rule.route} | ${refused(rule.closedToRetiring, 'TOKEN_RETIRING')} | ` +
        `${refused(rule.closedToFederated, 'TOKEN_FEDERATED')} |`,
    );
  }
  lines.push('', wrapped(TRUST_RULE_TARGETS), '');
  return lines.join('\n');
}

const MARKDOWN: Record<PolicySection, () => string> = {
  'token-policy': policyMarkdown,
  'webhook-policy': webhookPolicyMarkdown,
  'trust-rule-policy': trustRulePolicyMarkdown,
};

/** The table as `text` prints it between the markers; null when the markers are missing. */
export function printedTable(text: string, section: PolicySection = 'token-policy'): string | null {
  const from = text.indexOf(start(section));
  const to = text.indexOf(end(section));
  if (from < 0 || to < from) return null;
  return text.slice(text.indexOf('\n', from) + 1, to);
}

/** `text` with each table written afresh between its markers. */
export function withTables(text: string, file: string): string {
  let out = text;
  for (const section of Object.keys(MARKDOWN) as PolicySection[]) {
    if (printedTable(out, section) === null) {
      throw new Error(`${file}: no ${start(section)} … ${end(section)} markers`);
    }
    const from = out.indexOf('\n', out.indexOf(start(section))) + 1;
    out = out.slice(0, from) + MARKDOWN[section]() + out.slice(out.indexOf(end(section)));
  }
  return out;
}

if (require.main === module) {
  const file = process.argv[2] ?? POLICY_DOC;
  try {
    writeFileSync(file, withTables(readFileSync(file, 'utf8'), file));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}
