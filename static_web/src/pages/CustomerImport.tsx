import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type ChangeEvent, type FormEvent } from "react";
import { Link } from "react-router";
import { request } from "../api/client";
import { FormError, toFormErrors } from "../components/forms";
import { Badge, Button, KpiCard, PageHeader, Panel, Table, td, th } from "../components/ui";
import type { CustomerImportReport } from "../types";

// The columns docs/API.md lists: required external_ref, name, phone_number, postal_code; one optional account.
const SAMPLE = `external_ref,name,phone_number,postal_code,state,email,account_external_ref,account_last_4,balance,past_due_amount,days_past_due
C-9001,Jordan Ashgrove,(602) 555-0142,85004,AZ,jordan@example.com,A-9001,4321,1200.00,300.00,45
C-9002,Riley Brookfield,+1 808 555 0101,96813,HI,,A-9002,8765,640.50,120.00,32
`;

export default function CustomerImport() {
  const queryClient = useQueryClient();
  const [csv, setCsv] = useState("");
  const [fileName, setFileName] = useState<string | null>(null);
  const upload = useMutation({
    mutationFn: (body: string) => request<CustomerImportReport>("/customers/import", { method: "POST", body, contentType: "text/csv" }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["customers"] }),
  });

  async function pick(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    setFileName(file.name);
    setCsv(await file.text());
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (csv.trim()) upload.mutate(csv);
  }

  const report = upload.data;
  return (
    <div>
      <PageHeader
        title="Import customers"
        subtitle="One row per customer account. Valid rows are stored; every rejected row is reported with its line number and reason."
        actions={<Link to="/customers" className="text-sm text-accent-text hover:underline">← Customers</Link>}
      />
      <div className="grid gap-6 xl:grid-cols-[1fr_1fr]">
        <Panel title="CSV file">
          <form onSubmit={submit} className="flex flex-col gap-4">
            <label className="flex cursor-pointer flex-col items-center justify-center gap-2 rounded-xl border-2 border-dashed border-border p-6 text-center hover:border-accent">
              <span className="text-sm font-medium">{fileName ?? "Choose a .csv file"}</span>
              <span className="text-xs text-muted">or paste the rows below</span>
              <input type="file" accept=".csv,text/csv" className="sr-only" aria-label="CSV file" onChange={(event) => void pick(event)} />
            </label>
            <textarea
              aria-label="CSV rows"
              className="input min-h-48 font-mono text-xs"
              value={csv}
              placeholder={SAMPLE}
              onChange={(event) => {
                setCsv(event.target.value);
                setFileName(null);
              }}
            />
            <FormError message={upload.error ? (toFormErrors(upload.error).form ?? "The import was refused.") : null} />
            <div className="flex gap-2">
              <Button type="submit" variant="primary" busy={upload.isPending} disabled={!csv.trim()}>
                Import
              </Button>
              <Button variant="ghost" onClick={() => setCsv(SAMPLE)}>
                Use the example
              </Button>
            </div>
          </form>
        </Panel>
        <Panel title="Result">
          {!report ? (
            <p className="py-8 text-center text-muted">The import report appears here.</p>
          ) : (
            <div data-testid="import-report">
              <div className="grid grid-cols-2 gap-3">
                <KpiCard label="Imported" value={<span data-testid="import-created">{report.created}</span>} />
                <KpiCard label="Rejected" value={<span data-testid="import-rejected" className={report.rejected.length ? "text-danger" : ""}>{report.rejected.length}</span>} hint={`of ${report.total_rows} rows`} />
              </div>
              {report.rejected.length > 0 ? (
                <div className="mt-4">
                  <Table label="Rejected rows">
                    <thead>
                      <tr>
                        <th className={th}>Line</th>
                        <th className={th}>Field</th>
                        <th className={th}>Reason</th>
                      </tr>
                    </thead>
                    <tbody>
                      {report.rejected.map((error, index) => (
                        <tr key={`${error.line}-${index}`} data-testid="import-error">
                          <td className={`${td} tabular-nums`}>{error.line}</td>
                          <td className={td}>{error.field ? <Badge tone="danger">{error.field}</Badge> : "—"}</td>
                          <td className={td}>{error.reason}</td>
                        </tr>
                      ))}
                    </tbody>
                  </Table>
                </div>
              ) : (
                <p className="mt-4 text-success">✓ Every row was imported.</p>
              )}
            </div>
          )}
        </Panel>
      </div>
    </div>
  );
}
