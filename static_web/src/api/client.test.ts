import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, errorMessage, request, rowsOf, setApiKey, setUnauthorizedHandler, withQuery } from "./client";

function respond(status: number, body: unknown, type = "application/problem+json") {
  const fetchMock = vi.fn(() => Promise.resolve(new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "content-type": type } })));
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

afterEach(() => {
  vi.unstubAllGlobals();
  setApiKey(null);
  setUnauthorizedHandler(null);
});

describe("the API client", () => {
  it("sends the API key and JSON, and reads JSON back", async () => {
    const fetchMock = respond(200, { id: "1" }, "application/json");
    setApiKey("ak_test");
    await expect(request("/customers", { method: "POST", body: { name: "A" } })).resolves.toEqual({ id: "1" });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/customers");
    expect(init.headers).toMatchObject({ "X-API-Key": "ak_test", "Content-Type": "application/json" });
    expect(init.body).toBe('{"name":"A"}');
  });

  it("turns problem+json into an ApiError with the field errors", async () => {
    respond(422, {
      type: "urn:archer:problem:invalid-input", title: "Invalid input", status: 422, detail: "name: too short", field: "name",
      errors: [{ field: "name", message: "too short" }, { field: "rules.max_installments", message: "must be ≤ 120" }],
    });
    const error = await request("/x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).fieldErrors()).toEqual({ name: "too short", "rules.max_installments": "must be ≤ 120" });
    expect(errorMessage(error)).toBe("name: too short");
  });

  it("signs out on a 401, except when checking a key at sign-in", async () => {
    const signOut = vi.fn();
    setUnauthorizedHandler(signOut);
    respond(401, { type: "urn:archer:problem:unauthorized", title: "Unauthorized", status: 401, detail: "invalid or revoked API key" });
    await expect(request("/organization", { key: "ak_wrong" })).rejects.toBeInstanceOf(ApiError);
    expect(signOut).not.toHaveBeenCalled();
    await expect(request("/organization")).rejects.toBeInstanceOf(ApiError);
    expect(signOut).toHaveBeenCalledOnce();
  });

  it("explains a gateway's non-JSON error and an unreachable API", async () => {
    respond(502, "Bad gateway", "text/html");
    expect(errorMessage(await request("/x").catch((e: unknown) => e))).toBe("Bad gateway");
    vi.stubGlobal("fetch", vi.fn(() => Promise.reject(new TypeError("Failed to fetch"))));
    expect(errorMessage(await request("/x").catch((e: unknown) => e))).toMatch(/could not be reached/);
  });

  it("tells a route the server lacks from a record that does not exist", async () => {
    respond(404, { type: "urn:archer:problem:not-found", title: "Not found", status: 404, detail: "Not Found" });
    expect(errorMessage(await request("/compliance/check").catch((e: unknown) => e))).toBe("This server does not offer this yet.");
    respond(404, { type: "urn:archer:problem:not-found", title: "Not found", status: 404, detail: "customer not found" });
    expect(errorMessage(await request("/customers/x").catch((e: unknown) => e))).toBe("customer not found");
  });

  it("adds only the query parameters that have a value", () => {
    expect(withQuery("/calls", { status: "completed", outcome: "", cursor: null, limit: 25 })).toBe("/calls?status=completed&limit=25");
    expect(withQuery("/calls", {})).toBe("/calls");
  });

  it("reads rows from a page or a bare list", () => {
    expect(rowsOf({ data: [1, 2] })).toEqual([1, 2]);
    expect(rowsOf([3])).toEqual([3]);
    expect(rowsOf(undefined)).toEqual([]);
  });
});
