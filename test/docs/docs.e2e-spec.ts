import { readFileSync } from 'node:fs';
import {
  POLICY_DOC,
  policyMarkdown,
  printedTable,
  trustRulePolicyMarkdown,
  webhookPolicyMarkdown,
} from '../../scripts/policy-table';

/** Markdown with table padding and runs of spaces folded, as prettier may lay it out. */
const folded = (text: string) =>
  text
    .replace(/-{3,}/g, '---')
    .replace(/[ \t]+/g, ' ')
    .replace(/ ?\| ?/g, '|')
    .trim();

describe('docs', () => {
  it('print the token policy exactly as the code holds it (npm run docs:policy writes it)', () => {
    const printed = printedTable(readFileSync(POLICY_DOC, 'utf8'));
    expect(printed).not.toBeNull();
    expect(folded(printed!)).toBe(folded(policyMarkdown()));
  });

  it('print the webhook policy exactly as the code holds it (npm run docs:policy writes it)', () => {
    const printed = printedTable(readFileSync(POLICY_DOC, 'utf8'), 'webhook-policy');
    expect(printed).not.toBeNull();
    expect(folded(printed!)).toBe(folded(webhookPolicyMarkdown()));
  });

  it('print the trust-rule policy exactly as the code holds it (npm run docs:policy writes it)', () => {
    const printed = printedTable(readFileSync(POLICY_DOC, 'utf8'), 'trust-rule-policy');
    expect(printed).not.toBeNull();
    expect(folded(printed!)).toBe(folded(trustRulePolicyMarkdown()));
  });
});
