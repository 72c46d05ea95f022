/** The tags the controllers use (`@ApiTags`), in the order Swagger UI shows them. */
export const TAGS: [name: string, description: string][] = [
  ['me', 'The caller: who the token belongs to, and its role in the business'],
  [
    'tokens',
    "A business's API tokens: create, list, rename, rotate and revoke. A member manages their " +
      'own; an owner or admin manages every token of the business.',
  ],
  [
    'token policy',
    "A business's rules for its tokens (lifetime, expiry, scopes, networks, disuse), held on " +
      'every path that issues one, and the tokens that break them',
  ],
  [
    'limits',
    "A business's shared limits: caps on its gateway checks, per business and per identity " +
      '(docs/quotas.md)',
  ],
  [
    'credits',
    "A business's credit balances, and its identities': what each gateway check spends " +
      '(docs/quotas.md)',
  ],
  ['members', 'The people of a business, their roles, and their first tokens'],
  [
    'invitations',
    'Invitations by email: the emailed link makes the invitee a member (docs/people.md)',
  ],
  [
    'approvals',
    'Token requests: a token the business marks as needing approval is asked for, approved or ' +
      'denied by an owner or admin (never its requester), and collected once by its requester ' +
      '(docs/people.md)',
  ],
  [
    'sso',
    "Console sign-in through the installation's identity provider (OpenID Connect), and each " +
      "business's rules from the provider's groups to its roles (docs/people.md)",
  ],
  [
    'resources',
    'The MCP servers and APIs a business registers, with the scopes each understands: the ' +
      'audiences its tokens will be issued for (owners and admins manage them; members read them)',
  ],
  [
    'connected apps',
    'Apps (MCP clients, agents) a person allows to act for them at a resource: the consent ' +
      "screen's request and decision, and the connected apps they may withdraw (docs/agents.md)",
  ],
  ['machine identities', 'Non-human identities of a business, which hold tokens of their own'],
  ['audit', "The business's audit log: list, export, and verify its hash chain"],
  [
    'analytics',
    "Verifications of the business's tokens per minute, hour or day, by outcome and tag, and " +
      'their export (docs/analytics.md)',
  ],
  [
    'webhooks',
    "Signed webhooks (Standard Webhooks) of the business's token, member and audit events: " +
      'endpoints, their deliveries, redelivery and a test event',
  ],
  ['platform: businesses', 'Platform admins create, list, suspend and resume businesses'],
  ['platform: admins', 'Platform admins add and remove platform admins'],
  ['platform: tokens', 'Platform admins list and revoke the tokens of every business'],
  ['platform: audit', 'The platform audit log and hash chain, across tenants'],
  ['platform: analytics', 'Verifications across businesses, unknown tokens included'],
  ['platform: webhooks', "Webhooks of the platform chain's events, for platform admins"],
  [
    'oauth2',
    'RFC 7009 revocation, RFC 7662 introspection, RFC 8693 token exchange, and each ' +
      "business's authorization server for its connected apps (RFC 8414 metadata, the " +
      'authorization endpoint, the code and refresh grants), in their RFC shapes',
  ],
  [
    'federation',
    "Trust rules that let a workload's OIDC token (GitHub Actions, GitLab CI, Kubernetes) be " +
      'exchanged at POST /oauth2/token (RFC 8693) for a short-lived token, with no stored secret',
  ],
  [
    'gateways',
    'The check a gateway (nginx, Caddy, Traefik, Envoy) makes before it passes a request to your ' +
      'API: the answer is in the status and headers (docs/gateways.md)',
  ],
  [
    'leaks',
    "Secret scanners' reports of tokens found in public (GitHub's partner program), which revoke them",
  ],
  [
    'status lists',
    "Token Status Lists: each token's status in a signed list that relying parties fetch once per " +
      'ttl and check offline (docs/edge.md)',
  ],
  [
    'shared signals',
    'The Shared Signals transmitter (SSF 1.0): streams a receiver manages with a token of ' +
      'ssf:manage, to which token changes are pushed as signed CAEP events (docs/edge.md)',
  ],
  [
    'signing keys',
    'The public keys (a JWK set) that verify the JWTs this installation signs: token status ' +
      'lists and security event tokens',
  ],
  ['operations', 'Liveness and readiness probes, and Prometheus metrics'],
];
