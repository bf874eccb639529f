import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api } from "../api/client";
import { Pager, useCursorPager } from "../components/Pager";
import { Badge, EmptyState, PageHeader, Panel, QueryState, Table, td, th } from "../components/ui";
import { humanize, money } from "../lib/format";
import type { CustomerPublic, Page } from "../types";

const SEGMENTS = ["early_stage", "mid_stage", "late_stage", "recovery"];

export default function Customers() {
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get("q") ?? "");
  const pager = useCursorPager();
  const { reset } = pager;
  const q = params.get("q") ?? "";
  const segment = params.get("segment") ?? "";

  // Search as the user types, once they pause.
  useEffect(() => {
    const timer = window.setTimeout(() => {
      if (text === q) return;
      const next = new URLSearchParams(params);
      if (text) next.set("q", text);
      else next.delete("q");
      setParams(next, { replace: true });
      reset();
    }, 300);
    return () => window.clearTimeout(timer);
  }, [text, q, params, setParams, reset]);

  const query = { q, segment, cursor: pager.cursor, limit: 25 };
  const customers = useQuery({
    queryKey: ["customers", "list", query],
    queryFn: ({ signal }) => api.get<Page<CustomerPublic>>("/customers", query, signal),
    placeholderData: keepPreviousData,
  });

  return (
    <div>
      <PageHeader
        title="Customers"
        subtitle="Search by name, phone number (any format), account last 4 or reference"
        actions={
          <Link to="/customers/import" className="rounded-lg bg-accent px-3.5 py-2 text-sm font-semibold text-on-accent">
            Import CSV
          </Link>
        }
      />
      <Panel>
        <div className="mb-4 flex flex-wrap gap-3">
          <input
            type="search"
            aria-label="Search customers"
            placeholder="Search customers…"
            className="input max-w-md"
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
          <select
            aria-label="Segment"
            className="input w-48"
            value={segment}
            onChange={(event) => {
              const next = new URLSearchParams(params);
              if (event.target.value) next.set("segment", event.target.value);
              else next.delete("segment");
              setParams(next, { replace: true });
              pager.reset();
            }}
          >
            <option value="">All segments</option>
            {SEGMENTS.map((name) => (
              <option key={name} value={name}>
                {humanize(name)}
              </option>
            ))}
          </select>
        </div>
        <QueryState
          isPending={customers.isPending}
          error={customers.error}
          refetch={customers.refetch}
          isEmpty={customers.data?.data.length === 0}
          empty={<EmptyState title={q || segment ? "No customer matches" : "No customers yet"}>Import a CSV file to add customers and their accounts.</EmptyState>}
        >
          <Table label="Customers">
            <thead>
              <tr>
                <th className={th}>Name</th>
                <th className={th}>Phone</th>
                <th className={th}>Reference</th>
                <th className={th}>Balance</th>
                <th className={th}>Days overdue</th>
                <th className={th}>Segment</th>
                <th className={th}>Location</th>
              </tr>
            </thead>
            <tbody>
              {customers.data?.data.map((customer) => (
                <tr key={customer.id} className="hover:bg-raised">
                  <td className={td}>
                    <Link to={`/customers/${customer.id}`} className="font-medium text-accent-text hover:underline">
                      {customer.name}
                    </Link>
                    {customer.legal_hold && <span className="ml-2"><Badge tone="warning">Legal hold</Badge></span>}
                  </td>
                  <td className={`${td} font-mono text-xs`}>{customer.phone_number}</td>
                  <td className={`${td} font-mono text-xs`}>{customer.external_ref}</td>
                  <td className={`${td} tabular-nums`}>{money(customer.balance)}</td>
                  <td className={`${td} tabular-nums`}>{customer.days_overdue}</td>
                  <td className={td}>{humanize(customer.segment)}</td>
                  <td className={td}>{[customer.city, customer.state].filter(Boolean).join(", ") || customer.postal_code}</td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pager
            page={pager.page}
            count={customers.data?.count ?? 0}
            shown={customers.data?.data.length ?? 0}
            nextCursor={customers.data?.next_cursor}
            onNext={pager.next}
            onPrevious={pager.previous}
          />
        </QueryState>
      </Panel>
    </div>
  );
}
