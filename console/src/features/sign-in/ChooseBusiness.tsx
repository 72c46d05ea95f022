import { useQuery } from '@tanstack/react-query';
import { Logo } from '../../ui/brand/Logo';
import { ErrorBox } from '../../ui/ErrorBox';
import { Loading } from '../../ui/Status';
import { useTitle } from '../../ui/useTitle';
import { fetchSsoChoices } from '../../api/sso';

/**
 * After the identity provider vouched for a person whose groups reach several businesses: the
 * businesses, by name, with the role each gives, to choose one. The list and the choice go with
 * this sign-in's hand-off and cookie alone; a suspended business is named, and not offered.
 */
export function ChooseBusiness({
  handoff,
  choosing,
  error,
  onChoose,
  onLeave,
}: {
  handoff: string;
  /** A choice is being collected. */
  choosing: boolean;
  /** Why the last choice was refused, if it was. */
  error: unknown;
  onChoose: (businessId: string) => void;
  onLeave: () => void;
}) {
  useTitle('Choose a business');
  const choices = useQuery({
    queryKey: ['sso-choices', handoff],
    queryFn: () => fetchSsoChoices(handoff),
    retry: false,
    staleTime: Infinity,
  });
  return (
    <main id="main" className="page narrow signin">
      <Logo name={false} size="2.5em" />
      <h1>Choose a business</h1>
      <p className="muted">
        Your identity provider signed you in, and your groups give you a role in each of these.
        Choose where to sign in.
      </p>
      {choices.isPending && <Loading>Reading where your groups lead…</Loading>}
      <ErrorBox error={choices.error} title="Single sign-on did not complete" />
      {choices.data && (
        <ul className="plain-list" aria-label="Businesses">
          {choices.data.map((c) => (
            <li key={c.business_id} className="actions">
              <span className="wrap">
                <strong>{c.name}</strong>{' '}
                <span className="muted">
                  {c.status === 'active'
                    ? `as ${c.role}`
                    : '(suspended: no one signs in to it now)'}
                </span>
              </span>
              {c.status === 'active' && (
                <button
                  type="button"
                  className="button primary"
                  disabled={choosing}
                  onClick={() => onChoose(c.business_id)}
                >
                  Sign in<span className="visually-hidden"> to {c.name}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {choosing && <Loading>Signing in…</Loading>}
      <ErrorBox error={error} title="Single sign-on did not complete" />
      <p>
        <button type="button" className="button ghost" onClick={onLeave}>
          Sign in another way
        </button>
      </p>
    </main>
  );
}
