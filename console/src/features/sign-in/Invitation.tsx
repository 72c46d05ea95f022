import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { rawJson } from '../../api/client';
import type { components } from '../../api/client';
import type { Whoami } from '../../api/types';
import { fetchWhoami } from '../../api/whoami';
import { ErrorBox } from '../../ui/ErrorBox';
import { SecretReveal } from '../../ui/forms/SecretReveal';
import { Loading } from '../../ui/Status';

type Accepted = components['schemas']['AddedMemberDto'];

/** The invitation link's token, from `/admin/#/invitation?token=…` (after `#`: never sent). */
export function invitationToken(): string | null {
  const hash = window.location.hash;
  if (!hash.startsWith('#/invitation?')) return null;
  const token = new URLSearchParams(hash.slice('#/invitation?'.length)).get('token');
  return token && token.length <= 100 ? token : null;
}

/**
 * An invitation's link, opened: accepting it makes the person a member and answers their first
 * token to them alone, shown once; they keep it, then sign in with it.
 */
export function Invitation({
  token,
  onSignedIn,
}: {
  token: string;
  onSignedIn: (token: string, whoami: Whoami, remember: boolean) => void;
}) {
  const [firstToken, setFirstToken] = useState<string | null>(null);
  const accept = useMutation({
    mutationFn: () =>
      rawJson<Accepted>('/invitations/accept', null, { method: 'POST', body: { token } }),
    onSuccess: (accepted) => {
      // The link works once: it leaves the address bar and the history.
      window.history.replaceState(null, '', '/admin/');
      setFirstToken(accepted.first_token.token);
    },
  });
  const signIn = useMutation({
    mutationFn: (t: string) => fetchWhoami(t),
    onSuccess: (who, t) => onSignedIn(t, who, false),
  });
  return (
    <section className="card" aria-labelledby="invitation-heading">
      <h2 id="invitation-heading">You are invited</h2>
      {firstToken === null ? (
        <>
          <p>
            Accept the invitation to join the business. You will be given your first token, shown
            once: keep it, as it is how you sign in and make your own tokens.
          </p>
          <div className="actions">
            <button
              type="button"
              className="button primary"
              disabled={accept.isPending}
              onClick={() => accept.mutate()}
            >
              Accept invitation
            </button>
          </div>
          {accept.isPending && <Loading>Accepting…</Loading>}
          <ErrorBox error={accept.error} title="The invitation could not be accepted" />
        </>
      ) : (
        <>
          <SecretReveal secret={firstToken} heading="Your first token" />
          <div className="actions">
            <button
              type="button"
              className="button primary"
              disabled={signIn.isPending}
              onClick={() => signIn.mutate(firstToken)}
            >
              Sign in with it
            </button>
          </div>
          <ErrorBox error={signIn.error} />
        </>
      )}
    </section>
  );
}
