import { businessIdOption, noExtraArguments, optionsOnly } from './cli-argv';
import { AUDIT } from './audit-grammar';
import { required } from './cli-parsers';
import type { CommandSpec } from './cli-spec';
import { DPOP } from './dpop-grammar';
import { POLICY } from './governance-grammar';
import { CREATE_TOKEN, REVOKE, TOKENS } from './token-grammar';

/**
 * The CLI's grammar, declared once: every command, its arguments, options and descriptions, and
 * the checks of argv alone (`tokens …` in token-grammar.ts, `audit …` in audit-grammar.ts,
 * `dpop …` in dpop-grammar.ts, what a business governs in governance-grammar.ts). Two readers:
 * the front (cli-front.ts) parses argv with it and answers `--help`, usage errors and refused
 * secrets before any of the app loads; the command classes take their nest-commander metadata
 * from it (`@CliCommand`), and run its argv checks again to get what they hand on. Plain data:
 * importing it loads commander's grammar, nothing else.
 */

// ------------------------------------------------------------------------------------------------
// bootstrap, businesses

export const BOOTSTRAP = {
  name: 'bootstrap',
  description: 'Print a new platform admin token for EMAIL, making EMAIL a platform admin first',
  options: [required('--email <email>', 'the platform admin email')],
  argv: optionsOnly,
} satisfies CommandSpec;

export const BUSINESSES_CREATE = {
  name: 'create',
  description: "Create a business and print it as JSON, with its owner's first token (shown once)",
  options: [
    required('--name <name>', 'the business name'),
    required('--owner-email <email>', "the owner's email"),
  ],
  argv: optionsOnly,
} satisfies CommandSpec;

export const CREATE_BUSINESS = {
  ...BUSINESSES_CREATE,
  name: 'create-business',
  description: 'Old name of `businesses create`',
} satisfies CommandSpec;

export const BUSINESSES = {
  name: 'businesses',
  description: 'Create businesses',
  subcommands: [BUSINESSES_CREATE],
} satisfies CommandSpec;

// ------------------------------------------------------------------------------------------------
// members

export const MEMBERS_ADD = {
  name: 'add',
  description:
    'Add a person to a business (created if new) and print the membership as JSON, with the ' +
    "member's first token (shown once)",
  options: [
    required('--business <id>', 'the business id'),
    required('--email <email>', "the person's email"),
    {
      flags: '--role <role>',
      description:
        'member (the default) or admin; owner is refused, as only an owner adds an owner',
    },
    {
      flags: '--expires-in-days <n>',
      description: 'lifetime of the first token in days (default 7)',
      parse: Number,
    },
    {
      flags: '--dpop-jkt <thumbprint>',
      description:
        "bind the first token to the member's key (RFC 9449): its JWK SHA-256 thumbprint",
    },
  ],
  argv: (params: string[], options: { business?: string }) => {
    noExtraArguments(params, 0);
    return businessIdOption(options.business);
  },
} satisfies CommandSpec;

export const MEMBERS = {
  name: 'members',
  description: 'Add members to a business',
  subcommands: [MEMBERS_ADD],
} satisfies CommandSpec;

// ------------------------------------------------------------------------------------------------
// keys

export const KEYS_INIT = {
  name: 'init',
  description:
    "Make the installation's keys in KEYS_DIR (or SQLite's data folder), once: the audit " +
    'signing key, the webhook secrets key and the JWT signing keys, mode 0600 in a 0700 ' +
    'folder; keys already there are kept. Print {keys_dir, audit_signing_key, ' +
    'webhook_secrets_key, jwt_signing_keys, audit_verifier_key}, never a key itself',
  argv: optionsOnly,
} satisfies CommandSpec;

export const KEYS_ROTATE_JWT = {
  name: 'rotate-jwt',
  description:
    'Add a JWT signing key to jwt-signing-keys.json (JWT_SIGNING_KEYS_FILE, or the one in ' +
    'KEYS_DIR) that signs JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS from now, and drop the keys ' +
    'the JWKS no longer lists; restart every instance before then. Print {file, kid, ' +
    'active_from, listed_kids, removed_kids}, never a key itself',
  argv: optionsOnly,
} satisfies CommandSpec;

export const KEYS = {
  name: 'keys',
  description: "Make the installation's keys (every instance must share them), and rotate them",
  subcommands: [KEYS_INIT, KEYS_ROTATE_JWT],
} satisfies CommandSpec;

/** The top-level commands, in the order `--help` lists them; the old names come last. */
export const CLI_GRAMMAR: readonly CommandSpec[] = [
  BOOTSTRAP,
  BUSINESSES,
  TOKENS,
  MEMBERS,
  POLICY,
  KEYS,
  DPOP,
  AUDIT,
  CREATE_BUSINESS,
  CREATE_TOKEN,
  REVOKE,
];
