import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api } from "../api/client";
import { money } from "../lib/format";
import type { CustomerPublic, Page } from "../types";

/** Search-as-you-type customer selector. */
export function CustomerPicker({
  value,
  onChange,
  id = "customer-picker",
}: {
  value: string | null;
  onChange: (customer: CustomerPublic | null) => void;
  id?: string;
}) {
  const [text, setText] = useState("");
  const [q, setQ] = useState("");
  useEffect(() => {
    const timer = window.setTimeout(() => setQ(text), 250);
    return () => window.clearTimeout(timer);
  }, [text]);
  const results = useQuery({
    queryKey: ["customers", "picker", q],
    queryFn: ({ signal }) => api.get<Page<CustomerPublic>>("/customers", { q, limit: 8 }, signal),
  });
  const selected = useQuery({
    queryKey: ["customers", "detail", value],
    queryFn: () => api.get<CustomerPublic>(`/customers/${value}`),
    enabled: Boolean(value),
  });
  if (value && selected.data) {
    const customer = selected.data;
    return (
      <div className="flex items-center justify-between gap-2 rounded-lg border border-accent/50 bg-raised px-3 py-2" data-testid="picked-customer">
        <div className="min-w-0">
          <div className="truncate font-medium">{customer.name}</div>
          <div className="text-xs text-muted">
            {customer.external_ref} · {money(customer.balance)} · {customer.days_overdue} days · {customer.state} {customer.postal_code}
          </div>
        </div>
        <button type="button" className="text-xs text-accent-text underline" onClick={() => onChange(null)}>
          Change
        </button>
      </div>
    );
  }
  return (
    <div>
      <input
        id={id}
        type="search"
        className="input"
        placeholder="Search a customer by name, phone or reference…"
        value={text}
        onChange={(event) => setText(event.target.value)}
        aria-label="Search a customer"
      />
      <ul className="mt-2 max-h-64 overflow-y-auto rounded-lg border border-border" role="listbox" aria-label="Customers">
        {results.isPending && <li className="px-3 py-2 text-sm text-muted">Searching…</li>}
        {results.error && <li className="px-3 py-2 text-sm text-danger">Could not search customers.</li>}
        {results.data?.data.length === 0 && <li className="px-3 py-2 text-sm text-muted">No customer matches.</li>}
        {results.data?.data.map((customer) => (
          <li key={customer.id}>
            <button
              type="button"
              role="option"
              aria-selected={false}
              className="flex w-full items-center justify-between gap-2 px-3 py-2 text-left text-sm hover:bg-raised"
              onClick={() => onChange(customer)}
            >
              <span className="truncate">{customer.name}</span>
              <span className="shrink-0 text-xs text-muted">{money(customer.balance)} · {customer.days_overdue}d</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
