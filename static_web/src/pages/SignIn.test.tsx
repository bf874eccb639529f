import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { setApiKey } from "../api/client";
import { AuthProvider, KEY_STORAGE, useAuth } from "../auth/AuthProvider";
import { AfterSignIn, SignIn, safeNext } from "./SignIn";

function SignInRoute() {
  return useAuth().apiKey ? <AfterSignIn /> : <SignIn />;
}

function renderSignIn() {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter initialEntries={["/sign-in?next=/calls"]}>
        <AuthProvider>
          <Routes>
            <Route path="/sign-in" element={<SignInRoute />} />
            <Route path="/calls" element={<p>calls page</p>} />
          </Routes>
        </AuthProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  setApiKey(null);
});

describe("SignIn", () => {
  it("keeps a valid key for the tab and goes where the user was headed", async () => {
    const fetchMock = vi.fn(() => Promise.resolve(new Response(JSON.stringify({ id: "o1", name: "Demo Bank", settings: {} }), { status: 200, headers: { "content-type": "application/json" } })));
    vi.stubGlobal("fetch", fetchMock);
    renderSignIn();
    await userEvent.type(screen.getByLabelText("API key"), "  archer-local-dev-key ");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("calls page")).toBeInTheDocument();
    expect(sessionStorage.getItem(KEY_STORAGE)).toBe("archer-local-dev-key");
    expect(localStorage.getItem(KEY_STORAGE)).toBeNull();
    expect((fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1].headers).toMatchObject({ "X-API-Key": "archer-local-dev-key" });
  });

  it("says so when the key is wrong, and keeps nothing", async () => {
    vi.stubGlobal("fetch", vi.fn(() => Promise.resolve(new Response(JSON.stringify({ type: "urn:archer:problem:unauthorized", title: "Unauthorized", status: 401, detail: "invalid" }), { status: 401, headers: { "content-type": "application/problem+json" } }))));
    renderSignIn();
    await userEvent.type(screen.getByLabelText("API key"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("not valid, or it was revoked");
    expect(sessionStorage.getItem(KEY_STORAGE)).toBeNull();
  });

  it("asks for a key before calling the API", async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal("fetch", fetchMock);
    renderSignIn();
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Enter your organization's API key");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("only ever sends the user on to a path of this site", () => {
    expect(safeNext("/calls?status=completed")).toBe("/calls?status=completed");
    expect(safeNext("//evil.example/")).toBe("/");
    expect(safeNext("https://evil.example/")).toBe("/");
    expect(safeNext("/sign-in")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });
});
