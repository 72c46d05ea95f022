import { Logo } from '../../ui/brand/Logo';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { navigate } from '../../router';
import { saveSsoBusiness } from '../../storage';
import { ChooseBusiness } from './ChooseBusiness';
import { Invitation, invitationToken } from './Invitation';
import {
  collectSsoSession,
  fetchSsoStatus,
  SSO_REFUSALS,
  ssoLanding,
  ssoReturn,
  startSso,
} from '../../api/sso';
import type { Whoami } from '../../api/types';
import { fetchWhoami } from '../../api/whoami';
import { ErrorBox } from '../../ui/ErrorBox';
import { Check } from '../../ui/forms/Field';
import { Loading } from '../../ui/Status';
import { useTitle } from '../../ui/useTitle';

/**
 * Latchkey has no passwords: a person signs in with an API token (their first token, say), or,
 * where the installation has an identity provider, through it (single sign-on).
 */
export function SignIn({
  onSignedIn,
  ended,
  onShown,
  purpose,
}: {
  onSignedIn: (token: string, whoami: Whoami, remember: boolean) => void;
  /** Why a sign-in is asked for here (a consent screen's request), above the usual words. */
  purpose?: ReactNode;
  /** Why the last session ended, if it did (a 401). */
  ended?: unknown;
  onShown?: () => void;
}) {
  useTitle('Sign in');
  const id = useId();
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const signIn = useMutation({
    mutationFn: (t: string) => fetchWhoami(t),
    onSuccess: (who, t) => onSignedIn(t, who, remember),
  });
  useEffect(() => onShown?.(), [onShown]);

  // Back from the identity provider: the hand-off is collected once, and leaves the address bar.
  const [back] = useState(ssoReturn);
  const [invited, setInvited] = useState(invitationToken);
  // A link pasted into a tab the console is open in changes only the part after `#`.
  useEffect(() => {
    const onHash = () => setInvited(invitationToken());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const collecting = useRef(false);
  const collect = useMutation({
    mutationFn: async ({ handoff, businessId }: { handoff: string; businessId?: string }) => {
      const session = await collectSsoSession(handoff, businessId);
      return { session, who: await fetchWhoami(session.token) };
    },
    onSuccess: ({ session, who }) => {
      onSignedIn(session.token, who, false);
      saveSsoBusiness(session.business_id);
      navigate(ssoLanding(session.return_to), { replace: true });
    },
  });
  // Whose groups reach several businesses chooses one first; the hand-off stays in memory only.
  const [choosing, setChoosing] = useState<string | null>(null);
  useEffect(() => {
    if ((!back?.handoff && !back?.choose) || collecting.current) return;
    collecting.current = true;
    window.history.replaceState(null, '', '/admin/sso');
    if (back.choose) setChoosing(back.choose);
    else if (back.handoff) collect.mutate({ handoff: back.handoff });
  }, [back, collect]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (t) signIn.mutate(t);
  };

  if (choosing) {
    return (
      <ChooseBusiness
        handoff={choosing}
        choosing={collect.isPending}
        error={collect.error}
        onChoose={(businessId) => collect.mutate({ handoff: choosing, businessId })}
        onLeave={() => {
          window.history.replaceState(null, '', '/admin/');
          collect.reset();
          setChoosing(null);
        }}
      />
    );
  }

  if (invited) {
    const leave = () => {
      window.history.replaceState(null, '', '/admin/');
      setInvited(null);
    };
    return <Invitation token={invited} onSignedIn={onSignedIn} onLeave={leave} />;
  }

  return (
    <main id="main" className="page narrow signin">
      <Logo name={false} size="2.5em" />
      <h1>Sign in to Latchkey</h1>
      {purpose && <p className="lead">{purpose}</p>}
      <p className="muted">
        Sign in with an API token: your first token, one you made, or a platform admin token. It
        stays in this tab unless you ask to be remembered on this device.
      </p>
      {ended !== null && ended !== undefined && !signIn.isError && (
        <ErrorBox error={ended} title="You were signed out" />
      )}
      {back?.error && (
        <div className="error-box" role="alert">
          <p className="error-title">
            Single sign-on was refused:{' '}
            {SSO_REFUSALS[back.error] ?? 'the sign-in did not complete. Sign in again.'}
          </p>
          <p className="muted">
            Code <code>{back.error.slice(0, 40)}</code>
          </p>
        </div>
      )}
      {collect.isPending && <Loading>Signing in…</Loading>}
      <ErrorBox error={collect.error} title="Single sign-on did not complete" />
      <SsoStart />
      <form className="form card" onSubmit={submit}>
        <div className="field">
          <label htmlFor={id}>Token</label>
          <input
            id={id}
            className="input mono"
            type="password"
            name="token"
            autoComplete="off"
            spellCheck={false}
            required
            value={token}
            onChange={(e) => setToken(e.currentTarget.value)}
          />
        </div>
        <Check label="Remember on this device" checked={remember} onChange={setRemember} />
        <div className="actions">
          <button type="submit" className="button primary" disabled={signIn.isPending}>
            Sign in
          </button>
        </div>
        {signIn.isPending && <Loading>Signing in…</Loading>}
        <ErrorBox error={signIn.error} />
      </form>
    </main>
  );
}

/**
 * Single sign-on, when the installation has an identity provider. It asks for nothing: the
 * provider answers first, and a person whose groups reach several businesses chooses then.
 */
function SsoStart() {
  const status = useQuery({ queryKey: ['sso-status'], queryFn: fetchSsoStatus, retry: false });
  if (!status.data?.enabled) return null;
  const start = (e: FormEvent) => {
    e.preventDefault();
    startSso();
  };
  return (
    <form className="form card" onSubmit={start} aria-label="Single sign-on">
      <p className="muted">Sign in through your organization's identity provider.</p>
      <div className="actions">
        <button type="submit" className="button primary">
          Sign in with SSO
        </button>
      </div>
    </form>
  );
}
