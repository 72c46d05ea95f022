import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { clientFor, type LatchkeyClient } from './api/client';
import type { Role, Whoami } from './api/types';
import { capsOf, type Caps } from './permissions';
import { loadBusiness, saveBusiness, type StoredBusiness } from './storage';

export interface ActiveBusiness extends StoredBusiness {
  /** The caller's role in it; null for a platform token, which may act in any business. */
  role: Role | null;
}

export interface Session {
  token: string;
  whoami: Whoami;
  business: ActiveBusiness | null;
  caps: Caps;
  /** For platform routes and whoami: no x-business-id. */
  platform: LatchkeyClient;
  /** For /api/v1 routes: x-business-id of the business open now. */
  api: LatchkeyClient | null;
  openBusiness(business: StoredBusiness): void;
  closeBusiness(): void;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({
  token,
  whoami,
  onSignOut,
  children,
}: {
  token: string;
  whoami: Whoami;
  onSignOut: () => void;
  children: ReactNode;
}) {
  const queryClient = useQueryClient();
  const [opened, setOpened] = useState<StoredBusiness | null>(() =>
    whoami.is_platform_token ? loadBusiness() : null,
  );

  const business = useMemo<ActiveBusiness | null>(() => {
    if (whoami.is_platform_token) return opened ? { ...opened, role: null } : null;
    const own = whoami.businesses[0];
    return own ? { id: own.id, name: own.name, status: own.status, role: own.role } : null;
  }, [whoami, opened]);

  const openBusiness = useCallback((b: StoredBusiness) => {
    saveBusiness(b);
    setOpened(b);
  }, []);
  const closeBusiness = useCallback(() => {
    saveBusiness(null);
    setOpened(null);
  }, []);

  const value = useMemo<Session>(
    () => ({
      token,
      whoami,
      business,
      caps: capsOf(whoami, business?.role ?? null),
      platform: clientFor(token),
      api: business ? clientFor(token, business.id) : null,
      openBusiness,
      closeBusiness,
      signOut: () => {
        queryClient.clear();
        onSignOut();
      },
    }),
    [token, whoami, business, openBusiness, closeBusiness, onSignOut, queryClient],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The business screens' session: a business is open (the router sees to it). */
export function useBusiness(): Session & { api: LatchkeyClient; business: ActiveBusiness } {
  const session = useSession();
  if (!session.api || !session.business) throw new Error('no business is open');
  return session as Session & { api: LatchkeyClient; business: ActiveBusiness };
}
