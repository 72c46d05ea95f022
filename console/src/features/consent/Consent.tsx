import type { ReactNode } from 'react';
import { useSession } from '../../session';
import { Logo } from '../../ui/brand/Logo';
import { useTitle } from '../../ui/useTitle';
import { askedConsent } from './consent.api';
import { EXPIRED } from './consent-refusals';
import { ConsentRequest } from './ConsentRequest';
import './consent.css';

/**
 * The consent screen an app's authorization request lands on (`/admin/consent?business=&request=`).
 * Only a person signed in to the request's business answers it: anyone else is asked to sign in
 * again, and the sign-in comes back to this address (App keeps it for a token, ssoLanding for SSO).
 * It stands alone, with no navigation, so nothing but the question competes for the person.
 */
export function Consent() {
  useTitle('Allow an app');
  const { whoami, business, signOut } = useSession();
  const asked = askedConsent(window.location.search);

  let body: ReactNode;
  if (!asked) {
    body = (
      <div className="error-box" role="alert">
        <p className="error-title">{EXPIRED}.</p>
        <p>The address carries no authorization request.</p>
      </div>
    );
  } else if (whoami.is_platform_token) {
    body = (
      <SignInAgain onSignOut={signOut}>
        You are signed in with a platform admin token. Only a person of the business the app asks
        about may allow it: sign in with your own token.
      </SignInAgain>
    );
  } else if (whoami.identity.kind !== 'user') {
    body = (
      <SignInAgain onSignOut={signOut}>
        You are signed in as a machine identity. Only a person may allow an app to act for them:
        sign in with your own token.
      </SignInAgain>
    );
  } else if (business?.id !== asked.business) {
    body = (
      <SignInAgain onSignOut={signOut}>
        You are signed in to <strong className="wrap">{business?.name ?? 'no business'}</strong>,
        and this request is for another business. Sign in to that one to answer it.
      </SignInAgain>
    );
  } else {
    body = <ConsentRequest asked={asked} />;
  }

  return (
    <main id="main" className="page narrow consent">
      <Logo name={false} size="2.5em" />
      <h1>An app asks to act for you</h1>
      {body}
      <p className="muted small consent-who">
        Signed in as <strong className="wrap">{whoami.identity.label}</strong>
        {business && (
          <>
            {' '}
            in <strong className="wrap">{business.name}</strong>
          </>
        )}
        .{' '}
        <button type="button" className="link-button" onClick={() => signOut()}>
          Sign out
        </button>
      </p>
    </main>
  );
}

/** Why this session cannot answer, and the way out: signing out keeps this address. */
function SignInAgain({ children, onSignOut }: { children: ReactNode; onSignOut: () => void }) {
  return (
    <section className="card" aria-label="Sign in again">
      <p>{children}</p>
      <div className="actions">
        <button type="button" className="button primary" onClick={() => onSignOut()}>
          Sign in again
        </button>
      </div>
    </section>
  );
}
