import { businessIdOption, noExtraArguments, oneTokenId } from './cli-argv';
import {
  BUSINESS_OPTION,
  CIDRS_FLAG,
  jsonOption,
  MetaOption,
  PAGE_OPTIONS,
  parseCidrList,
  parseCidrs,
  parseMeta,
  parseRateLimit,
  parseScopes,
  RATE_LIMIT_FLAG,
} from './cli-parsers';
import type { CommandSpec } from './cli-spec';

/**
 * The grammar of what a business governs: pausing and narrowing its tokens
 * (`tokens disable|enable|update`, part of the `tokens` group) and its token policy
 * (`policy …`). Each names the business, so another business's token is not found, and runs
 * the service that the matching route runs, as the operator (`CLI_CALLER`, audited as "cli").
 */

/** The token id in argv and the business in --business: a token of another business is 404. */
const tokenInBusiness = (params: string[], options: { business?: string }) => ({
  tokenId: oneTokenId(params),
  businessId: businessIdOption(options.business),
});

/** The business alone, for `policy …`. */
const businessOnly = (params: string[], options: { business?: string }): string => {
  noExtraArguments(params, 0);
  return businessIdOption(options.business);
};

export const TOKENS_DISABLE = {
  name: 'disable',
  arguments: '<token_id>',
  description:
    "Pause a business's token (401 TOKEN_DISABLED on every instance until enabled) and print " +
    'it as JSON; disabling again keeps the first pause (ALREADY_DISABLED on stderr). The ' +
    'tokens it made keep working unless --include-children is given',
  options: [
    BUSINESS_OPTION,
    { flags: '--reason <text>', description: 'why (at most 500 characters)' },
    {
      flags: '--include-children',
      description:
        'also pause every active token that descends from it (made with it, or with those, ' +
        'and their successors); children in the JSON says which',
    },
  ],
  argv: tokenInBusiness,
} satisfies CommandSpec;

export const TOKENS_ENABLE = {
  name: 'enable',
  arguments: '<token_id>',
  description:
    'Resume a paused token and print it as JSON; a revoked token is refused (TOKEN_IS_REVOKED)',
  options: [BUSINESS_OPTION],
  argv: tokenInBusiness,
} satisfies CommandSpec;

export interface UpdateOptions {
  business?: string;
  name?: string;
  scopes?: string[];
  expiresAt?: string;
  allowedCidrs?: string[] | 'any';
  rateLimitPerMinute?: number | 'none';
  usesLimit?: number;
  meta?: MetaOption;
}

const NARROW = 'only narrower than now (anything wider is WIDENING_NOT_ALLOWED)';

export const TOKENS_UPDATE = {
  name: 'update',
  arguments: '<token_id>',
  description:
    'Rename a token, set its meta, or narrow it (as PATCH /api/v1/tokens/{token_id}) and print ' +
    'it as JSON; at least one option',
  options: [
    BUSINESS_OPTION,
    { flags: '--name <name>', description: 'a new name' },
    {
      flags: '--scopes <list>',
      description: `comma-separated scopes, ${NARROW}`,
      parse: parseScopes,
    },
    { flags: '--expires-at <date-time>', description: `an RFC 3339 expiry, ${NARROW}` },
    { flags: CIDRS_FLAG, description: `comma-separated networks, ${NARROW}`, parse: parseCidrs },
    {
      flags: RATE_LIMIT_FLAG,
      description: `requests per minute, ${NARROW}`,
      parse: parseRateLimit,
    },
    { flags: '--uses-limit <n>', description: `how many uses, ${NARROW}`, parse: Number },
    {
      flags: '--meta <json>',
      description: "a JSON object replacing the token's meta (null clears it)",
      parse: parseMeta,
    },
  ],
  argv: tokenInBusiness,
} satisfies CommandSpec;

// ------------------------------------------------------------------------------------------------
// policy

export const POLICY_SHOW = {
  name: 'show',
  description: "Print a business's token policy as JSON (every rule null when none is set)",
  options: [BUSINESS_OPTION],
  argv: businessOnly,
} satisfies CommandSpec;

export interface PolicySetOptions {
  business?: string;
  maxLifetimeDays?: number;
  requireExpiry?: boolean;
  allowedScopes?: string[];
  requiredCidrs?: string[];
  inactivityRevokeDays?: number;
  requireDpop?: string;
  approvalRequired?: MetaOption;
}

export const POLICY_SET = {
  name: 'set',
  description:
    "Replace a business's whole token policy (as PUT /api/v1/token-policy: a rule not given is " +
    'no rule) and print it as JSON; audited as token_policy.updated, with before and after',
  options: [
    BUSINESS_OPTION,
    {
      flags: '--max-lifetime-days <n>',
      description: 'the longest a new token may live, in days',
      parse: Number,
    },
    { flags: '--require-expiry', description: 'refuse a new token that would have no expiry' },
    {
      flags: '--allowed-scopes <list>',
      description: "comma-separated scope patterns every new token's scopes must lie within",
      parse: parseScopes,
    },
    {
      flags: '--required-cidrs <list>',
      description: "comma-separated networks every new token's allowed_cidrs must lie within",
      parse: parseCidrList,
    },
    {
      flags: '--inactivity-revoke-days <n>',
      description: 'revoke (reason inactive) a token unused for this many days',
      parse: Number,
    },
    {
      flags: '--require-dpop <which>',
      description:
        "bind new tokens to keys (DPoP): 'all', or 'machines' for machine identities' alone",
    },
    {
      flags: '--approval-required <json>',
      description:
        'what a new token needs approval for, as JSON: {"scopes":[…],"lifetime_days_over":n,' +
        '"machine_tokens":true}, each optional',
      parse: jsonOption('approval_required'),
    },
  ],
  argv: businessOnly,
} satisfies CommandSpec;

export const POLICY_VIOLATIONS = {
  name: 'violations',
  description:
    "List the business's active tokens that break its current policy, and how, as JSON " +
    '({items, next_cursor}); listed, never revoked',
  options: [BUSINESS_OPTION, ...PAGE_OPTIONS],
  argv: businessOnly,
} satisfies CommandSpec;

export const POLICY = {
  name: 'policy',
  description: "Show and replace a business's token policy, and list the tokens that break it",
  subcommands: [POLICY_SHOW, POLICY_SET, POLICY_VIOLATIONS],
} satisfies CommandSpec;
