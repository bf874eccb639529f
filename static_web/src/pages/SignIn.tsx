import { useState, type FormEvent } from "react";
import { Navigate, useSearchParams } from "react-router";
import { ApiError, errorMessage } from "../api/client";
import { useAuth } from "../auth/AuthProvider";
import { Field, FormError, invalid } from "../components/forms";
import { Button } from "../components/ui";

export function SignIn() {
  const { signIn } = useAuth();
  const [key, setKey] = useState("");
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!key.trim()) {
      setError("Enter your organization's API key.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // Signed in, the app routes /sign-in onward to `next` (App.tsx, AfterSignIn).
      await signIn(key, remember);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? "That API key is not valid, or it was revoked." : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="flex min-h-screen items-center justify-center bg-bg px-4 text-text">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center gap-3 text-center">
          <svg viewBox="0 0 32 32" className="h-12 w-12" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="var(--color-panel)" />
            <path d="M8 24 16 7l8 17M11.5 17h9" fill="none" stroke="var(--color-accent)" strokeWidth="2.6" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          <h1 className="text-2xl font-semibold tracking-tight">Sign in to Archer</h1>
          <p className="text-muted">Use your organization's API key. Admins create keys under Settings.</p>
        </div>
        <form onSubmit={(event) => void submit(event)} className="panel flex flex-col gap-4 p-6" noValidate>
          <Field label="API key" htmlFor="api-key" error={error ?? undefined}>
            <input
              id="api-key"
              name="api-key"
              type="password"
              autoComplete="current-password"
              autoFocus
              className="input font-mono"
              placeholder="ak_…"
              value={key}
              onChange={(event) => setKey(event.target.value)}
              {...invalid("api-key", error ?? undefined)}
            />
          </Field>
          <label className="flex items-center gap-2 text-sm text-muted">
            <input type="checkbox" checked={remember} onChange={(event) => setRemember(event.target.checked)} />
            Remember on this device
          </label>
          <FormError message={null} />
          <Button type="submit" variant="primary" busy={busy}>
            Sign in
          </Button>
        </form>
        <p className="mt-6 text-center text-xs text-muted">Running locally? The demo key is <code>archer-local-dev-key</code>.</p>
      </div>
    </div>
  );
}

/** Where a user goes once signed in: back where they were headed (a path on this site only), else home. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/sign-in") ? next : "/";
}

/** /sign-in once signed in: on to `next`. */
export function AfterSignIn() {
  const [params] = useSearchParams();
  return <Navigate to={safeNext(params.get("next"))} replace />;
}
