import { randomBytes } from 'node:crypto';

/**
 * The one way tests make names and emails that no other test of the run uses: emails, machine
 * names and business names are unique in the database, and the suites of one worker may share an
 * app. The stem is drawn each time this module loads, which is once per suite (test/ modules load
 * afresh for each, test/setup/shared-modules.js), so two suites of one worker never meet.
 */
const STEM = `${process.pid}-${randomBytes(3).toString('hex')}`;
let counter = 0;

/** `label`, made unique in the run: `<label>-<pid>-<stem>-<n>`. */
export const uniqueLabel = (label: string): string => `${label}-${STEM}-${++counter}`;

/** An email that no other test of the run uses, at `domain`. */
export const uniqueEmail = (label: string, domain = 'example.test'): string =>
  `${uniqueLabel(label)}@${domain}`;
