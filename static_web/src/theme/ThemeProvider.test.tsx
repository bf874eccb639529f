import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { THEME_STORAGE_KEY, ThemeProvider, initialTheme, useTheme } from "./ThemeProvider";

function prefersLight(light: boolean) {
  const listeners: ((event: MediaQueryListEvent) => void)[] = [];
  vi.stubGlobal("matchMedia", (query: string) => ({
    matches: query.includes("light") ? light : false,
    media: query,
    addEventListener: (_: string, listener: (event: MediaQueryListEvent) => void) => listeners.push(listener),
    removeEventListener: vi.fn(),
  }));
  return listeners;
}

function Probe() {
  const { theme, toggle } = useTheme();
  return (
    <button type="button" onClick={toggle}>
      {theme}
    </button>
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  document.documentElement.className = "";
});

describe("ThemeProvider", () => {
  it("is dark on a first visit when the OS states no preference", () => {
    prefersLight(false);
    render(<ThemeProvider><Probe /></ThemeProvider>);
    expect(screen.getByRole("button")).toHaveTextContent("dark");
    expect(document.documentElement).toHaveClass("dark");
  });

  it("follows an OS preference for light on the first visit", () => {
    prefersLight(true);
    expect(initialTheme()).toBe("light");
  });

  it("keeps the user's choice over the OS preference", () => {
    prefersLight(true);
    localStorage.setItem(THEME_STORAGE_KEY, "dark");
    expect(initialTheme()).toBe("dark");
  });

  it("toggles, applies the class to <html> and persists the choice", async () => {
    prefersLight(false);
    render(<ThemeProvider><Probe /></ThemeProvider>);
    await userEvent.click(screen.getByRole("button"));
    expect(screen.getByRole("button")).toHaveTextContent("light");
    expect(document.documentElement).toHaveClass("light");
    expect(document.documentElement).not.toHaveClass("dark");
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe("light");
  });

  it("follows the OS changing its mind until the user chooses", () => {
    const listeners = prefersLight(false);
    render(<ThemeProvider><Probe /></ThemeProvider>);
    act(() => listeners.forEach((listener) => listener({ matches: true } as MediaQueryListEvent)));
    expect(screen.getByRole("button")).toHaveTextContent("light");
  });
});
