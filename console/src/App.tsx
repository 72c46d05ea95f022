import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { asApiError } from './api/errors';
import type { Whoami } from './api/types';
import { fetchWhoami } from './api/whoami';
import { ErrorBox } from './ui/ErrorBox';
import { Loading } from './ui/Status';
import { Shell } from './Shell';
import { SignIn } from './features/sign-in/SignIn';
import { routeOf, usePath } from './router';
import { SessionProvider } from './session';
import { endSsoSession } from './api/sso';
import { clearSession, loadSsoBusiness, loadToken, saveToken } from './storage';

export const UNAUTHORIZED_EVENT = 'latchkey:unauthorized';

export function App() {
  const queryClient = useQueryClient();
  const [token, setToken] = useState<string | null>(loadToken);
  const [ended, setEnded] = useState<unknown>(null);
  const path = usePath();
  const tokenRef = useRef(token);
  tokenRef.current = token;

  const whoami = useQuery({
    queryKey: ['whoami', token],
    queryFn: () => fetchWhoami(token ?? ''),
    enabled: token !== null,
    staleTime: Infinity,
    gcTime: Infinity,
    retry: false,
  });

  const signOut = useCallback(
    (why: unknown = null) => {
      // A session SSO made is revoked when its holder signs out, not left to expire.
      const ssoBusiness = loadSsoBusiness();
      if (why === null && tokenRef.current !== null && ssoBusiness !== null) {
        endSsoSession(tokenRef.current, ssoBusiness);
      }
      clearSession();
      queryClient.clear();
      setEnded(why);
      setToken(null);
    },
    [queryClient],
  );

  // A 401 from any call (the token was revoked, expired, or its member removed) ends the session.
  useEffect(() => {
    const onUnauthorized = (e: Event) => {
      if (tokenRef.current !== null) signOut((e as CustomEvent).detail);
    };
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
  }, [signOut]);

  const signedIn = useCallback(
    (newToken: string, who: Whoami, remember: boolean) => {
      saveToken(newToken, remember);
      queryClient.setQueryData(['whoami', newToken], who);
      setEnded(null);
      setToken(newToken);
    },
    [queryClient],
  );

  // Come from an app's authorization request: signed in, the person lands back on it.
  const purpose =
    routeOf(path).name === 'consent'
      ? 'An app asks to act for you. Sign in to the business it asks about, and you come back here to allow or deny it.'
      : undefined;

  if (token === null) return <SignIn onSignedIn={signedIn} ended={ended} purpose={purpose} />;
  if (whoami.isPending) {
    return (
      <main id="main" className="page narrow">
        <h1>Latchkey console</h1>
        <Loading>Signing in…</Loading>
      </main>
    );
  }
  if (whoami.isError) {
    if (asApiError(whoami.error).status === 401) {
      return (
        <SignIn
          onSignedIn={signedIn}
          ended={whoami.error}
          onShown={() => clearSession()}
          purpose={purpose}
        />
      );
    }
    return (
      <main id="main" className="page narrow">
        <h1>Latchkey console</h1>
        <ErrorBox error={whoami.error} title="Could not load your session" />
        <div className="actions">
          <button type="button" className="button" onClick={() => void whoami.refetch()}>
            Try again
          </button>
          <button type="button" className="button ghost" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </main>
    );
  }
  return (
    <SessionProvider token={token} whoami={whoami.data} onSignOut={signOut}>
      <Shell />
    </SessionProvider>
  );
}
