import {
  businessIdOption,
  CliUsageError,
  namesSecretSource,
  noExtraArguments,
  oneTokenId,
  optionsOnly,
  SecretOptions,
  secretSource,
  tokenIdArgument,
} from './cli-argv';
import { AUDIT } from './audit-grammar';
import {
  BUSINESS_OPTION,
  CIDRS_FLAG,
  PAGE_OPTIONS,
  parseCidrs,
  parseMeta,
  parseRateLimit,
  parseRefill,
  parseScopes,
  RATE_LIMIT_FLAG,
  required,
} from './cli-parsers';
import type { CommandSpec } from './cli-spec';
import { POLICY, TOKENS_DISABLE, TOKENS_ENABLE, TOKENS_UPDATE } from './governance-grammar';

/**
 * The CLI's grammar, declared once: every command, its arguments, options and descriptions, and
 * the checks of argv alone. Two readers: the front (cli-front.ts) parses argv with it and answers
 * `--help`, usage errors and refused secrets before any of the app loads; the command classes
 * take their nest-commander metadata from it (`@CliCommand`), and run its argv checks again to
 * get what they hand on. Plain data: importing it loads commander's grammar, nothing else.
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
// tokens

export interface ListOptions {
  business?: string;
  identity?: string;
  name?: string;
  status?: string;
  limit?: string;
  cursor?: string;
}

export const TOKENS_LIST = {
  name: 'list',
  description:
    "List tokens as JSON ({items, next_cursor}): a business's with --business, else every " +
    'business and the platform tokens',
  options: [
    { flags: '--business <id>', description: "only this business's tokens" },
    { flags: '--identity <id>', description: 'only the tokens of this identity' },
    { flags: '--name <prefix>', description: 'only tokens whose name starts so' },
    { flags: '--status <status>', description: 'active, expired or revoked' },
    ...PAGE_OPTIONS,
  ],
  argv: (params: string[], options: ListOptions) => {
    noExtraArguments(params, 0);
    if (options.business !== undefined) businessIdOption(options.business);
  },
} satisfies CommandSpec;

export const TOKENS_SHOW = {
  name: 'show',
  arguments: '<token_id>',
  description: 'Print one token of any business as JSON (never its secret or hash)',
  argv: oneTokenId,
} satisfies CommandSpec;

export const TOKENS_ROTATE = {
  name: 'rotate',
  arguments: '<token_id>',
  description:
    'Rotate a business token: print the new secret alone (shown once); the old one is revoked ' +
    'now, or expires after --grace-period-seconds',
  options: [
    {
      flags: '--grace-period-seconds <n>',
      description: 'how long the old token keeps working, 0 to 604800 (default 0)',
      parse: Number,
    },
    {
      flags: '--expires-at <date-time>',
      description: "the new token's expiry (default: the old one's lifetime, from now)",
    },
    {
      flags: CIDRS_FLAG,
      description:
        "comma-separated networks the new token may be used from, or 'any' (default: the old token's)",
      parse: parseCidrs,
    },
    {
      flags: RATE_LIMIT_FLAG,
      description: "the new token's own limit, or 'none' (default: the old token's)",
      parse: parseRateLimit,
    },
  ],
  argv: oneTokenId,
} satisfies CommandSpec;

export const TOKENS_CREATE = {
  name: 'create',
  description: 'Print a new token for a member of a business (the secret alone, shown once)',
  options: [
    BUSINESS_OPTION,
    required('--email <email>', "the member's email"),
    required('--name <name>', 'the token name'),
    {
      flags: '--scopes <list>',
      description: 'comma-separated scopes (default: unrestricted)',
      parse: parseScopes,
    },
    {
      flags: '--expires-in-days <n>',
      description: 'lifetime in days (default: none)',
      parse: Number,
    },
    {
      flags: CIDRS_FLAG,
      description: 'comma-separated networks the token may be used from (default: anywhere)',
      parse: parseCidrs,
    },
    {
      flags: RATE_LIMIT_FLAG,
      description: 'requests per minute of its own, 1 to 1000000 (default: none)',
      parse: parseRateLimit,
    },
    {
      flags: '--uses-limit <n>',
      description: 'how many requests it may make, 1 to 1000000000 (default: no limit)',
      parse: Number,
    },
    {
      flags: '--refill <interval:amount>',
      description: "uses set back to amount each 'daily' or 'monthly' (UTC), with --uses-limit",
      parse: parseRefill,
    },
    {
      flags: '--meta <json>',
      description: 'a JSON object that travels with the token (at most 4 KiB and 4 levels)',
      parse: parseMeta,
    },
  ],
  argv: optionsOnly,
} satisfies CommandSpec;

export const CREATE_TOKEN = {
  ...TOKENS_CREATE,
  name: 'create-token',
  description: 'Old name of `tokens create`',
} satisfies CommandSpec;

/**
 * Revoke by id (an argument) or by value, the secret read as every command reads one
 * (`--token-file PATH`, `-` for stdin, stdin when nothing is given): never a secret in argv.
 */
export const TOKENS_REVOKE = {
  name: 'revoke',
  arguments: '[token_id]',
  description:
    'Revoke a token by id, or by value (the secret in --token-file, "-" or nothing for stdin, ' +
    'never in argv); print it as JSON',
  options: [
    {
      flags: '--token-file <path>',
      description: 'revoke by value: read the secret from this file ("-" for stdin)',
    },
    {
      flags: '--token <value>',
      description: 'only "-": the same as --token-file - (a secret here is refused)',
    },
    { flags: '--reason <text>', description: 'why (at most 500 characters)' },
  ],
  argv: (params: string[], options: SecretOptions) => {
    noExtraArguments(params, 1);
    const source = secretSource(options);
    const tokenId = params.length === 1 ? tokenIdArgument(params[0]) : undefined;
    if (tokenId !== undefined && namesSecretSource(options)) {
      throw new CliUsageError('Give a token id or --token-file, not both');
    }
    return { tokenId, source };
  },
} satisfies CommandSpec;

export const REVOKE = {
  ...TOKENS_REVOKE,
  name: 'revoke',
  description: 'Old name of `tokens revoke`',
} satisfies CommandSpec;

export const TOKENS = {
  name: 'tokens',
  description: 'List, show, create, rotate, update, disable, enable and revoke tokens',
  subcommands: [
    TOKENS_LIST,
    TOKENS_SHOW,
    TOKENS_CREATE,
    TOKENS_ROTATE,
    TOKENS_UPDATE,
    TOKENS_DISABLE,
    TOKENS_ENABLE,
    TOKENS_REVOKE,
  ],
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
    'signing key and the webhook secrets key, mode 0600 in a 0700 folder; keys already there ' +
    'are kept. Print {keys_dir, audit_signing_key, webhook_secrets_key, audit_verifier_key}, ' +
    'never a key itself',
  argv: optionsOnly,
} satisfies CommandSpec;

export const KEYS = {
  name: 'keys',
  description: "Make the installation's keys (every instance must share them)",
  subcommands: [KEYS_INIT],
} satisfies CommandSpec;

/** The top-level commands, in the order `--help` lists them; the old names come last. */
export const CLI_GRAMMAR: readonly CommandSpec[] = [
  BOOTSTRAP,
  BUSINESSES,
  TOKENS,
  MEMBERS,
  POLICY,
  KEYS,
  AUDIT,
  CREATE_BUSINESS,
  CREATE_TOKEN,
  REVOKE,
];
