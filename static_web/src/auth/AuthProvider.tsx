import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { request, setApiKey, setUnauthorizedHandler } from "../api/client";
import type { OrganizationPublic } from "../types";

// The API key lives in sessionStorage (this tab, survives reloads) unless the user asks to be remembered on
// this device (localStorage). It is sent only as the X-API-Key header and the Socket.IO `auth`.
export const KEY_STORAGE = "archer.apiKey";

interface AuthState {
  apiKey: string | null;
  organization: OrganizationPublic | null;
  signIn: (key: string, remember: boolean) => Promise<void>;
  signOut: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

function forgetKey(): void {
  try {
    sessionStorage.removeItem(KEY_STORAGE);
    localStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage unavailable: nothing was kept
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [apiKey, setKey] = useState<string | null>(() => {
    const key = storedKey();
    setApiKey(key);
    return key;
  });
  const [organization, setOrganization] = useState<OrganizationPublic | null>(null);

  const signOut = useCallback(() => {
    forgetKey();
    setApiKey(null);
    setKey(null);
    setOrganization(null);
    queryClient.clear();
  }, [queryClient]);

  useEffect(() => {
    setUnauthorizedHandler(signOut);
    return () => setUnauthorizedHandler(null);
  }, [signOut]);

  // A remembered key: load its organization (a 401 signs out through the handler above).
  useEffect(() => {
    if (!apiKey || organization) return;
    let cancelled = false;
    request<OrganizationPublic>("/organization")
      .then((org) => {
        if (!cancelled) setOrganization(org);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [apiKey, organization]);

  const signIn = useCallback(async (key: string, remember: boolean) => {
    const trimmed = key.trim();
    const org = await request<OrganizationPublic>("/organization", { key: trimmed });
    forgetKey();
    try {
      (remember ? localStorage : sessionStorage).setItem(KEY_STORAGE, trimmed);
    } catch {
      // storage unavailable: signed in for this page only
    }
    setApiKey(trimmed);
    setKey(trimmed);
    setOrganization(org);
  }, []);

  const value = useMemo(() => ({ apiKey, organization, signIn, signOut }), [apiKey, organization, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside AuthProvider");
  return state;
}
