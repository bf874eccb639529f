import { useEffect, useRef, useState, type ReactNode } from "react";
import { NavLink } from "react-router";
import { useAuth } from "../auth/AuthProvider";
import { useLive } from "../live/LiveProvider";
import { useTheme } from "../theme/ThemeProvider";

const NAV: ReadonlyArray<{ to: string; label: string; icon: string }> = [
  { to: "/", label: "Dashboard", icon: "◉" },
  { to: "/calls", label: "Calls", icon: "☏" },
  { to: "/customers", label: "Customers", icon: "◎" },
  { to: "/campaigns", label: "Campaigns", icon: "➚" },
  { to: "/tactics", label: "Tactics", icon: "✦" },
  { to: "/prompts", label: "Prompts", icon: "❡" },
  { to: "/policy", label: "Negotiation policy", icon: "⚖" },
  { to: "/test-call", label: "Test call", icon: "▶" },
  { to: "/settings", label: "Settings", icon: "⚙" },
];

export function Layout({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-screen bg-bg text-text">
      <aside className="sticky top-0 hidden h-screen w-60 shrink-0 flex-col border-r border-border bg-panel px-3 py-5 md:flex">
        <Brand />
        <nav aria-label="Main" className="mt-8 flex flex-col gap-0.5">
          {NAV.map((item) => (
            <NavLink
              key={item.to}
              to={item.to}
              end={item.to === "/"}
              className={({ isActive }) =>
                `flex items-center gap-3 rounded-lg px-3 py-2 text-sm ${
                  isActive ? "bg-raised font-medium text-accent-text" : "text-muted hover:bg-raised hover:text-text"
                }`
              }
            >
              <span aria-hidden="true" className="w-4 text-center">
                {item.icon}
              </span>
              {item.label}
            </NavLink>
          ))}
        </nav>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-30 flex h-14 items-center justify-between gap-4 border-b border-border bg-bg/85 px-6 backdrop-blur">
          <div className="md:hidden">
            <Brand />
          </div>
          <MobileNav />
          <div className="ml-auto flex items-center gap-4">
            <LiveIndicator />
            <UserMenu />
          </div>
        </header>
        <main className="mx-auto w-full max-w-7xl flex-1 px-6 py-8">{children}</main>
      </div>
    </div>
  );
}

function Brand() {
  return (
    <div className="flex items-center gap-2.5 px-2">
      <svg viewBox="0 0 32 32" className="h-7 w-7" aria-hidden="true">
        <rect width="32" height="32" rx="7" fill="var(--color-raised)" />
        <path d="M8 24 16 7l8 17M11.5 17h9" fill="none" stroke="var(--color-accent)" strokeWidth="2.6" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <span className="text-lg font-semibold tracking-tight">Archer</span>
    </div>
  );
}

function MobileNav() {
  return (
    <nav aria-label="Main (compact)" className="flex gap-1 overflow-x-auto md:hidden">
      {NAV.slice(0, 4).map((item) => (
        <NavLink key={item.to} to={item.to} end={item.to === "/"} className="rounded px-2 py-1 text-xs text-muted">
          {item.label}
        </NavLink>
      ))}
    </nav>
  );
}

function LiveIndicator() {
  const { status, error } = useLive();
  const tone = status === "live" ? "bg-success" : status === "connecting" ? "bg-warning" : "bg-danger";
  const label = status === "live" ? "Live" : status === "connecting" ? "Reconnecting…" : "Live offline";
  return (
    <span className="flex items-center gap-2 text-xs text-muted" title={error ?? undefined} data-testid="live-status" data-status={status}>
      <span className={`live-dot h-2 w-2 rounded-full ${tone}`} aria-hidden="true" />
      {label}
    </span>
  );
}

function UserMenu() {
  const { organization, signOut } = useAuth();
  const { theme, toggle } = useTheme();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === "Escape" : !ref.current?.contains(event.target as Node)) {
        setOpen(false);
      }
    };
    window.addEventListener("mousedown", close);
    window.addEventListener("keydown", close);
    return () => {
      window.removeEventListener("mousedown", close);
      window.removeEventListener("keydown", close);
    };
  }, [open]);
  const initials = (organization?.name ?? "Archer")
    .split(/\s+/)
    .map((word) => word[0])
    .join("")
    .slice(0, 2)
    .toUpperCase();
  return (
    <div className="relative" ref={ref}>
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label="User menu"
        onClick={() => setOpen((value) => !value)}
        className="flex items-center gap-2 rounded-full border border-border bg-panel py-1 pr-3 pl-1 text-sm hover:border-accent"
      >
        <span className="flex h-7 w-7 items-center justify-center rounded-full bg-accent text-xs font-bold text-on-accent">{initials}</span>
        <span className="hidden max-w-40 truncate sm:inline">{organization?.name ?? "…"}</span>
      </button>
      {open && (
        <div role="menu" className="panel absolute right-0 mt-2 w-64 p-2 shadow-2xl">
          <div className="px-3 py-2">
            <div className="text-xs text-muted">Signed in to</div>
            <div className="truncate font-medium">{organization?.name ?? "…"}</div>
          </div>
          <div className="my-1 border-t border-border" />
          <button
            type="button"
            role="menuitemcheckbox"
            aria-checked={theme === "dark"}
            onClick={toggle}
            className="flex w-full items-center justify-between rounded-lg px-3 py-2 text-left text-sm hover:bg-raised"
          >
            <span>Dark theme</span>
            <span
              aria-hidden="true"
              className={`relative inline-flex h-5 w-9 items-center rounded-full transition ${theme === "dark" ? "bg-accent" : "bg-border"}`}
            >
              <span className={`inline-block h-4 w-4 rounded-full bg-white shadow transition-transform ${theme === "dark" ? "translate-x-4" : "translate-x-0.5"}`} />
            </span>
          </button>
          <button
            type="button"
            role="menuitem"
            onClick={signOut}
            className="w-full rounded-lg px-3 py-2 text-left text-sm text-muted hover:bg-raised hover:text-text"
          >
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}
