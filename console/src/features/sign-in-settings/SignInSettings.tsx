import { useId, useState, type FormEvent } from 'react';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';
import { ErrorBox } from '../../ui/ErrorBox';
import { PageHead } from '../../ui/PageHead';
import { Loading, Notice } from '../../ui/Status';
import { useSetSignInSetting, useSignInSetting, useSsoStatus } from './sign-in-settings.api';

/**
 * How the business's people sign in to the console: with a token or single sign-on, or with
 * single sign-on alone. Owners and admins read it; owners change it. Token sign-in may be turned
 * off only where the server would take it: an identity provider exists, and the caller is in
 * an SSO session (or a platform token), so no one turns it off and shuts themselves out.
 */
export function SignInSettings() {
  const { business, whoami, caps } = useBusiness();
  const setting = useSignInSetting();
  const sso = useSsoStatus();
  const [notice, setNotice] = useState<string | null>(null);
  const owner = (caps.platform || business.role === 'owner') && caps.membersWrite;
  const current = setting.data?.token_sign_in;
  return (
    <>
      <PageHead
        title="Sign-in"
        lead="How the business's people sign in to the console. It governs the console, not the API: their tokens keep working with the API as the token policy allows."
      />
      <Notice>{notice}</Notice>
      {setting.isPending && <Loading />}
      <ErrorBox error={setting.error} />
      {current !== undefined && (
        <section className="card" aria-labelledby="sign-in-now">
          <h2 id="sign-in-now">Now</h2>
          <p>
            {current
              ? 'People sign in to the console with a token or with single sign-on.'
              : 'People sign in to the console with single sign-on only: the console refuses their other tokens (SSO_REQUIRED). Machines are unaffected.'}
          </p>
          <p>
            Which provider groups sign people in, and at which role, is set on{' '}
            <Link to={paths.roles}>Roles</Link>.
          </p>
          {!owner && <p className="hint">Only an owner can change how people sign in.</p>}
        </section>
      )}
      {owner && current !== undefined && (
        <SettingForm
          current={current}
          ssoEnabled={sso.data?.enabled === true}
          inSsoSession={caps.platform || whoami.token.origin === 'console-sso'}
          onDone={setNotice}
        />
      )}
    </>
  );
}

function SettingForm({
  current,
  ssoEnabled,
  inSsoSession,
  onDone,
}: {
  current: boolean;
  ssoEnabled: boolean;
  inSsoSession: boolean;
  onDone: (notice: string) => void;
}) {
  const id = useId();
  const [tokenSignIn, setTokenSignIn] = useState(current);
  const save = useSetSignInSetting((saved) =>
    onDone(
      saved.token_sign_in
        ? 'Token sign-in is on: people sign in to the console with a token or with single sign-on.'
        : "Token sign-in is off: the console takes only single sign-on sessions from the business's people.",
    ),
  );
  // Why token sign-in may not be turned off here, if it may not: the server would refuse it.
  const held = !ssoEnabled
    ? 'This installation has no identity provider: single sign-on only would leave no way into the console.'
    : !inSsoSession
      ? 'You signed in with a token, which the console would then refuse. Sign in with single sign-on to turn token sign-in off.'
      : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ token_sign_in: tokenSignIn });
  };
  return (
    <form className="form card" onSubmit={submit} aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Change it</h2>
      <div className="check">
        <input
          id={`${id}-token`}
          type="checkbox"
          name="token_sign_in"
          checked={tokenSignIn}
          disabled={held !== null && current}
          aria-describedby={`${id}-hint`}
          onChange={(e) => setTokenSignIn(e.currentTarget.checked)}
        />
        <label htmlFor={`${id}-token`}>People may sign in to the console with a token</label>
      </div>
      <p className="hint" id={`${id}-hint`}>
        {held ??
          'Untick it for single sign-on only: the console then takes only SSO sessions from the business’s people, and refuses their other tokens. Machines are unaffected.'}
      </p>
      <div className="actions">
        <button
          type="submit"
          className="button primary"
          disabled={save.isPending || tokenSignIn === current}
        >
          Save
        </button>
      </div>
      {save.isPending && <Loading>Saving…</Loading>}
      <ErrorBox error={save.error} title="The setting was not changed" />
    </form>
  );
}
