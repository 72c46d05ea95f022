import { Logo } from '../../ui/brand/Logo';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { Whoami } from '../../api/types';
import { fetchWhoami } from '../../api/whoami';
import { ErrorBox } from '../../ui/ErrorBox';
import { Check } from '../../ui/forms/Field';
import { Loading } from '../../ui/Status';
import { useTitle } from '../../ui/useTitle';

/** Latchkey has no passwords: a person signs in with an API token (their first token, say). */
export function SignIn({
  onSignedIn,
  ended,
  onShown,
}: {
  onSignedIn: (token: string, whoami: Whoami, remember: boolean) => void;
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

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (t) signIn.mutate(t);
  };

  return (
    <main id="main" className="page narrow signin">
      <Logo name={false} size="2.5em" />
      <h1>Sign in to Latchkey</h1>
      <p className="muted">
        Sign in with an API token: your first token, one you made, or a platform admin token. It
        stays in this tab unless you ask to be remembered on this device.
      </p>
      {ended !== null && ended !== undefined && !signIn.isError && (
        <ErrorBox error={ended} title="You were signed out" />
      )}
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
