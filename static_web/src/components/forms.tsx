// Forms: labelled fields that show the server's field errors (problem+json `errors` / `field`), and a form
// banner for the error that belongs to no field.
import { useCallback, useState, type ReactNode } from "react";
import { ApiError, errorMessage } from "../api/client";

export interface FormErrors {
  fields: Record<string, string>;
  form: string | null;
}

const NONE: FormErrors = { fields: {}, form: null };

/** Turns a failed request into per-field messages plus one message for the rest. */
export function toFormErrors(error: unknown, knownFields: readonly string[] = []): FormErrors {
  if (!(error instanceof ApiError)) return { fields: {}, form: errorMessage(error) };
  const all = error.fieldErrors();
  const fields: Record<string, string> = {};
  const stray: string[] = [];
  for (const [field, message] of Object.entries(all)) {
    const known = knownFields.length === 0 || knownFields.some((name) => field === name || field.startsWith(`${name}.`));
    if (known) fields[field] = message;
    else stray.push(`${field}: ${message}`);
  }
  const form = Object.keys(fields).length === 0 || stray.length ? [errorMessage(error), ...stray].join(" · ") : null;
  return { fields, form };
}

export function useFormErrors(knownFields: readonly string[] = []) {
  const [errors, setErrors] = useState<FormErrors>(NONE);
  const fail = useCallback((error: unknown) => setErrors(toFormErrors(error, knownFields)), [knownFields]);
  const clear = useCallback(() => setErrors(NONE), []);
  /** The message for a field: its own, or the first of its sub-fields (`rules.max_installments`). */
  const of = useCallback(
    (name: string) =>
      errors.fields[name] ??
      Object.entries(errors.fields).find(([field]) => field.startsWith(`${name}.`))?.[1] ??
      undefined,
    [errors],
  );
  return { errors, fail, clear, of };
}

export function Field({
  label,
  htmlFor,
  error,
  hint,
  children,
}: {
  label: string;
  htmlFor: string;
  error?: string;
  hint?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={htmlFor} className="text-sm font-medium">
        {label}
      </label>
      {children}
      {error ? (
        <p id={`${htmlFor}-error`} role="alert" className="text-xs text-danger">
          {error}
        </p>
      ) : (
        hint && <p className="text-xs text-muted">{hint}</p>
      )}
    </div>
  );
}

export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div role="alert" className="rounded-lg border border-danger/60 bg-danger/10 px-3 py-2 text-sm text-danger">
      {message}
    </div>
  );
}

/** aria attributes of an input tied to its Field's error. */
export function invalid(id: string, error: string | undefined) {
  return error ? { "aria-invalid": true as const, "aria-describedby": `${id}-error` } : {};
}
