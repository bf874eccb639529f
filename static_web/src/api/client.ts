// The REST client: JSON over fetch with the API key header, problem+json errors turned into ApiError (with
// the field errors forms show), and a hook for "the key stopped working" (sign out).
import { config } from "../config";

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details as the API sends them (functions/api/problems.py). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  field?: string;
  errors?: FieldError[];
  reasons?: string[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
    this.status = problem.status;
    this.problem = problem;
  }

  /** Field path → message, for forms: every `errors` entry, else the single `field`. */
  fieldErrors(): Record<string, string> {
    const result: Record<string, string> = {};
    for (const error of this.problem.errors ?? []) {
      if (!(error.field in result)) result[error.field] = error.message;
    }
    if (this.problem.field && !(this.problem.field in result)) {
      result[this.problem.field] = this.problem.detail;
    }
    return result;
  }
}

let apiKey: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setApiKey(key: string | null): void {
  apiKey = key;
}

export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  query?: Query;
  /** JSON body, or a string/FormData sent as is (with `contentType`). */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Override the stored key (sign-in checks a key before keeping it). */
  key?: string;
}

async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (parsed && typeof parsed === "object" && "status" in parsed) {
      return { type: "about:blank", title: response.statusText, detail: "", ...parsed } as Problem;
    }
  } catch {
    // not JSON: a proxy or gateway answered
  }
  return {
    type: "about:blank",
    title: response.statusText || "Error",
    status: response.status,
    detail: text.slice(0, 200) || `HTTP ${response.status}`,
  };
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const key = options.key ?? apiKey;
  if (key) headers["X-API-Key"] = key;
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) {
    body = options.body;
  } else if (typeof options.body === "string") {
    body = options.body;
    headers["Content-Type"] = options.contentType ?? "text/plain";
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  let response: Response;
  try {
    response = await fetch(config.apiBaseUrl + withQuery(path, options.query), {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError({
      type: "urn:archer:problem:network",
      title: "Network error",
      status: 0,
      detail: "The API could not be reached. Check your connection and try again.",
    });
  }
  if (!response.ok) {
    const problem = await problemOf(response);
    if (response.status === 401 && options.key === undefined) onUnauthorized?.();
    throw new ApiError(problem);
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("content-type") ?? "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>(path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>(path, { method: "POST", body: body ?? {} }),
  put: <T>(path: string, body: unknown) => request<T>(path, { method: "PUT", body }),
  patch: <T>(path: string, body: unknown) => request<T>(path, { method: "PATCH", body }),
  delete: <T = void>(path: string) => request<T>(path, { method: "DELETE" }),
};

/** A human sentence for any error a query or mutation throws. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `Not allowed: ${error.problem.detail}`;
    // A route the server does not have (not a missing record): Starlette's bare "Not Found".
    if (error.status === 404 && error.problem.detail === "Not Found") return "This server does not offer this yet.";
    const reasons = error.problem.reasons?.length ? ` (${error.problem.reasons.join("; ")})` : "";
    return (error.problem.detail || error.problem.title) + reasons;
  }
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

/** The rows of a list endpoint, whether it answers a page `{data, count}` or a bare array. */
export function rowsOf<T>(data: { data: T[] } | T[] | undefined): T[] {
  if (!data) return [];
  return Array.isArray(data) ? data : data.data;
}
