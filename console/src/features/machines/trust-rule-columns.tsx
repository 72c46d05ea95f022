import type { TrustRule } from '../../api/types';
import { Clip, Token } from '../../ui/names/Clip';
import type { Column } from '../../ui/lists/DataTable';

/**
 * A trust rule as a list's row: what it matches (subject, issuer, audience, each an identifier
 * kept whole on one line, cut with its title in a narrow column), its keys, the scopes it grants
 * (one tag each) and the longest life of a token it issues.
 */
export const TRUST_RULE_COLUMNS: Column<TrustRule>[] = [
  {
    header: 'Subject',
    primary: true,
    cell: (r) => (
      <code>
        <Clip text={r.subject} />
      </code>
    ),
  },
  {
    header: 'Issuer',
    cell: (r) => (
      <code>
        <Clip text={r.issuer} />
      </code>
    ),
  },
  {
    header: 'Audience',
    cell: (r) => (
      <code>
        <Clip text={r.audience} />
      </code>
    ),
  },
  { header: 'Keys', cell: (r) => (r.jwks_uri ? 'fetched' : 'inline') },
  {
    header: 'Scopes',
    cell: (r) => (
      <ul className="tags">
        {r.scopes.map((s) => (
          <li key={s}>
            <code>{s}</code>
          </li>
        ))}
      </ul>
    ),
  },
  {
    header: 'Longest life',
    cell: (r) => <Token>{`${r.max_ttl_seconds} s`}</Token>,
  },
];
