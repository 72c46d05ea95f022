import { useQuery } from '@tanstack/react-query';
import { bizKey } from '../../api/cache';
import { unwrap } from '../../api/call';
import { useBusiness } from '../../session';
import { scopeList } from './token-form';

/** Enough to pick from at a glance; a business with more types the rest. */
const SHOWN_MAX = 24;

/**
 * The scopes the business already uses, from what the caller may read: its token policy (the
 * scopes it allows and those that need an approver), its custom roles, and the tokens the
 * caller sees. A source the caller may not read adds nothing.
 */
function useScopesInUse(): string[] {
  const { api, business, caps } = useBusiness();
  const query = useQuery({
    queryKey: [...bizKey(business.id), 'scopes-in-use'],
    queryFn: async () => {
      const [policy, roles, tokens] = await Promise.allSettled([
        unwrap(api.GET('/api/v1/token-policy')),
        caps.membersRead ? unwrap(api.GET('/api/v1/custom-roles')) : Promise.resolve(null),
        unwrap(
          api.GET('/api/v1/tokens', { params: { query: { limit: 200, fields: ['scopes'] } } }),
        ),
      ]);
      const used = new Set<string>();
      const add = (scopes: readonly string[] | null | undefined) => {
        for (const s of scopes ?? []) used.add(s);
      };
      if (policy.status === 'fulfilled') {
        add(policy.value.allowed_scopes);
        add(policy.value.approval_required?.scopes);
      }
      if (roles.status === 'fulfilled') for (const r of roles.value?.items ?? []) add(r.scopes);
      if (tokens.status === 'fulfilled') for (const t of tokens.value.items) add(t.scopes);
      return [...used].sort();
    },
  });
  return query.data ?? [];
}

/**
 * Below a scopes field: the scopes the business already uses, each a button that adds it to the
 * field's text, which still takes any other (a new scope is typed as before).
 */
export function ScopeSuggestions({
  value,
  onChange,
}: {
  value: string;
  onChange: (value: string) => void;
}) {
  const chosen = new Set(scopeList(value));
  const offered = useScopesInUse()
    .filter((s) => !chosen.has(s))
    .slice(0, SHOWN_MAX);
  if (offered.length === 0) return null;
  const add = (scope: string) => onChange([...chosen, scope].join(', '));
  return (
    <div className="scope-suggestions" role="group" aria-label="Scopes in use in this business">
      <span className="muted">In use here:</span>
      {offered.map((scope) => (
        <button
          key={scope}
          type="button"
          className="button small"
          aria-label={`Add scope ${scope}`}
          onClick={() => add(scope)}
        >
          + {scope}
        </button>
      ))}
    </div>
  );
}
