// Who is signed in. The browser holds only the HttpOnly session cookie; the CSRF token comes
// from the sign-in answer or, after a reload, from /me. A 401 anywhere signs the app out.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, onSignedOut, setCsrfToken } from './api';
import type { MfaStatus } from './components/TwoStep';

export type Role = 'boss' | 'admin' | 'manager' | 'member';

export interface Me {
  user: {
    id: number;
    login: string;
    name: string;
    email: string;
    mobile: string;
    role: Role;
    department_id: number | null;
    must_change_password: boolean;
    mfa_enabled?: boolean;
  };
  role: Role;
  mfa: MfaStatus;
  data_scope: string;
  csrf_token?: string;
  tenant: { id: number; slug: string; name: string; state: string; seats: number };
}

export interface OperatorMe {
  kind: 'operator';
  id: number;
  name: string;
  email: string;
  csrf_token: string;
  mfa: MfaStatus;
}

type Status = 'loading' | 'signed-out' | 'signed-in';

interface Session<T> {
  status: Status;
  me: T | null;
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

function useSessionState<T extends { csrf_token?: string }>(mePath: string, logoutPath: string, audience: 'tenant' | 'operator'): Session<T> {
  const [status, setStatus] = useState<Status>('loading');
  const [me, setMe] = useState<T | null>(null);
  const refresh = useCallback(async () => {
    try {
      const m = await api.get<T>(mePath);
      setCsrfToken(m.csrf_token);
      setMe(m);
      setStatus('signed-in');
    } catch {
      setMe(null);
      setStatus('signed-out');
    }
  }, [mePath]);
  const signOut = useCallback(async () => {
    try {
      await api.post(logoutPath);
    } finally {
      setCsrfToken('');
      setMe(null);
      setStatus('signed-out');
    }
  }, [logoutPath]);
  useEffect(() => {
    onSignedOut((who) => {
      if (who !== audience) return;
      setMe(null);
      setStatus('signed-out');
    });
    void refresh();
  }, [refresh, audience]);
  return useMemo(() => ({ status, me, refresh, signOut }), [status, me, refresh, signOut]);
}

const TenantContext = createContext<Session<Me> | null>(null);
const OperatorContext = createContext<Session<OperatorMe> | null>(null);

export function TenantSessionProvider({ children }: { children: ReactNode }) {
  const s = useSessionState<Me>('/api/v1/me', '/api/v1/auth/logout', 'tenant');
  return <TenantContext.Provider value={s}>{children}</TenantContext.Provider>;
}

export function OperatorSessionProvider({ children }: { children: ReactNode }) {
  const s = useSessionState<OperatorMe>('/api/v1/operator/me', '/api/v1/operator/auth/logout', 'operator');
  return <OperatorContext.Provider value={s}>{children}</OperatorContext.Provider>;
}

export function useSession(): Session<Me> {
  const s = useContext(TenantContext);
  if (!s) throw new Error('useSession outside TenantSessionProvider');
  return s;
}

export function useOperatorSession(): Session<OperatorMe> {
  const s = useContext(OperatorContext);
  if (!s) throw new Error('useOperatorSession outside OperatorSessionProvider');
  return s;
}

// The signed-in user (inside the app's guarded routes, where one always is).
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('useMe without a signed-in user');
  return me;
}

export function isManagerial(role: Role): boolean {
  return role === 'boss' || role === 'admin' || role === 'manager';
}

export function isAdmin(role: Role): boolean {
  return role === 'boss' || role === 'admin';
}
