import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { rawJson } from '../../api/client';
import type { components } from '../../api/client';
import type { Whoami } from '../../api/types';
import { fetchWhoami } from '../../api/whoami';
import { Logo } from '../../ui/brand/Logo';
import { ErrorBox } from '../../ui/ErrorBox';
import { SecretReveal } from '../../ui/forms/SecretReveal';
import { Loading } from '../../ui/Status';
import { Time } from '../../ui/Time';
import { useTitle } from '../../ui/useTitle';

type Accepted = components['schemas']['AddedMemberDto'];

/** What the link invites to: `POST /invitations/preview`'s answer. */
interface Preview {
  business_name: string;
  invited_by: string;
  email: string;
  role: string;
  expires_at: string;
}

/** The invitation link's token, from `/admin/#/invitation?token=…` (after `#`: never sent). */
export function invitationToken(): string | null {
  const hash = window.location.hash;
  if (!hash.startsWith('#/invitation?')) return null;
  const token = new URLSearchParams(hash.slice('#/invitation?'.length)).get('token');
  return token && token.length <= 100 ? token : null;
}

/**
 * An invitation's link, opened: the page names the business and who invited, and accepting it
 * makes the person a member and answers their first token to them alone. The token is then
 * shown once, with the next step (sign in with it), and nothing else: no sign-in form to mistake
 * for where it goes.
 */
export function Invitation({
  token,
  onSignedIn,
  onLeave,
}: {
  token: string;
  onSignedIn: (token: string, whoami: Whoami, remember: boolean) => void;
  /** Back to the sign-in page, the link left behind. */
  onLeave: () => void;
}) {
  useTitle('Invitation');
  const preview = useQuery({
    queryKey: ['invitation-preview', token],
    queryFn: () =>
      rawJson<Preview>('/invitations/preview', null, { method: 'POST', body: { token } }),
    retry: false,
    staleTime: Infinity,
  });
  const [accepted, setAccepted] = useState<Accepted | null>(null);
  const accept = useMutation({
    mutationFn: () =>
      rawJson<Accepted>('/invitations/accept', null, { method: 'POST', body: { token } }),
    onSuccess: (answer) => {
      // The link works once: it leaves the address bar and the history.
      window.history.replaceState(null, '', '/admin/');
      setAccepted(answer);
    },
  });
  const invite = preview.data;
  return (
    <main id="main" className="page narrow signin">
      <Logo name={false} size="2.5em" />
      {accepted && invite ? (
        <FirstToken accepted={accepted} invite={invite} onSignedIn={onSignedIn} />
      ) : (
        <>
          <h1>You are invited</h1>
          {preview.isPending && <Loading>Reading the invitation…</Loading>}
          <ErrorBox error={preview.error} title="This invitation cannot be accepted" />
          {invite && (
            <section className="card" aria-label="The invitation">
              <p>
                <strong className="wrap">{invite.invited_by}</strong> invites you to join{' '}
                <strong className="wrap">{invite.business_name}</strong> as {invite.role}.
              </p>
              <p className="muted">
                It was sent to <span className="wrap">{invite.email}</span>, and works once, until{' '}
                <Time iso={invite.expires_at} />. Accepting it gives you your first token, shown
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
            </section>
          )}
          <p>
            <button type="button" className="button ghost" onClick={onLeave}>
              Sign in another way
            </button>
          </p>
        </>
      )}
    </main>
  );
}

/** The first token, once, and what to do with it next. */
function FirstToken({
  accepted,
  invite,
  onSignedIn,
}: {
  accepted: Accepted;
  invite: Preview;
  onSignedIn: (token: string, whoami: Whoami, remember: boolean) => void;
}) {
  const first = accepted.first_token;
  const signIn = useMutation({
    mutationFn: () => fetchWhoami(first.token),
    onSuccess: (who) => onSignedIn(first.token, who, false),
  });
  return (
    <>
      <h1>
        You joined <span className="wrap">{invite.business_name}</span>
      </h1>
      <section className="card" aria-labelledby="first-token-heading">
        <h2 id="first-token-heading">Your first token</h2>
        <SecretReveal secret={first.token} heading="Copy your first token now" />
      </section>
      <section className="card" aria-labelledby="next-heading">
        <h2 id="next-heading">Next</h2>
        <ol>
          <li>Store the token where you keep passwords: it is not shown again.</li>
          <li>
            Sign in with it. It expires <Time iso={first.expires_at} />: before then, make your own
            tokens under Tokens.
          </li>
        </ol>
        <div className="actions">
          <button
            type="button"
            className="button primary"
            disabled={signIn.isPending}
            onClick={() => signIn.mutate()}
          >
            Sign in with it
          </button>
        </div>
        <ErrorBox error={signIn.error} />
      </section>
    </>
  );
}
