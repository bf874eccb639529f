import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { api, errorMessage, rowsOf } from "../api/client";
import { CustomerPicker } from "../components/CustomerPicker";
import { Badge, Button, PageHeader, Panel } from "../components/ui";
import { agentWebSocketUrl } from "../config";
import { dateTime, humanize } from "../lib/format";
import { useAuth } from "../auth/AuthProvider";
import { useAgentChat, type ChatTool } from "../live/agentChat";
import type { AuditFinding, CallDetail, ComplianceCheck, CustomerPublic, Page, TacticPublic, TestCallPublic } from "../types";

// Personas of the simulated customers (agent_host/simulator); the API refuses one it does not know.
const PERSONAS = [
  "cooperative_payer", "needs_plan", "settlement_seeker", "hardship", "hostile_refuser", "wrong_person", "disputes_debt",
  "asks_for_human", "stop_calling", "voicemail", "fails_verification", "prompt_injection", "busy_callback",
];

export default function TestCall() {
  const [params, setParams] = useSearchParams();
  const customerId = params.get("customer");
  const [tactic, setTactic] = useState("");
  const [text, setText] = useState("");
  const chat = useAgentChat();
  const { apiKey } = useAuth();
  const { state } = chat;
  const customer = useQuery({ queryKey: ["customers", "detail", customerId], queryFn: () => api.get<CustomerPublic>(`/customers/${customerId}`), enabled: Boolean(customerId) });
  const tactics = useQuery({ queryKey: ["tactics"], queryFn: () => api.get<Page<TacticPublic> | TacticPublic[]>("/tactics") });
  const compliance = useQuery({
    queryKey: ["compliance", customerId],
    queryFn: () => api.get<ComplianceCheck>("/compliance/check", { customer_id: customerId }),
    enabled: Boolean(customerId),
    retry: false,
  });
  const record = useQuery({
    queryKey: ["calls", "detail", state.callId],
    queryFn: () => api.get<CallDetail & { findings?: AuditFinding[] | null }>(`/calls/${state.callId}`),
    enabled: state.status === "ended" && Boolean(state.callId),
    retry: 3,
  });
  const scroller = useRef<HTMLDivElement>(null);
  useEffect(() => {
    scroller.current?.scrollTo({ top: scroller.current.scrollHeight, behavior: "smooth" });
  }, [state.turns]);

  const live = state.status === "open" || state.status === "connecting";
  function send(event: FormEvent) {
    event.preventDefault();
    chat.say(text);
    setText("");
  }

  return (
    <div>
      <PageHeader title="Test call" subtitle="Talk to the agent as a customer would, in text, over the same protocol the phone bridge uses" />
      <div className="grid gap-6 xl:grid-cols-[340px_1fr_360px]">
        <div className="flex flex-col gap-6">
          <Panel title="Call as">
            <CustomerPicker
              value={customerId}
              onChange={(picked) => {
                const next = new URLSearchParams(params);
                if (picked) next.set("customer", picked.id);
                else next.delete("customer");
                setParams(next, { replace: true });
              }}
            />
            <label className="mt-4 flex flex-col gap-1 text-sm">
              Tactic
              <select className="input" value={tactic} onChange={(e) => setTactic(e.target.value)} disabled={live}>
                <option value="">As assigned to the customer</option>
                {rowsOf(tactics.data).map((t) => <option key={t.id} value={t.name}>{humanize(t.name)}</option>)}
              </select>
            </label>
            <div className="mt-4 flex gap-2">
              {!live ? (
                <Button
                  variant="primary"
                  disabled={!customerId}
                  onClick={() =>
                    customerId &&
                    chat.start({ url: agentWebSocketUrl(), apiKey, customerId, organizationId: customer.data?.organization_id, customerPhone: customer.data?.phone_number, tacticName: tactic || undefined })
                  }
                >
                  {state.status === "idle" ? "Start call" : "Call again"}
                </Button>
              ) : (
                <Button variant="danger" onClick={chat.hangUp}>Hang up</Button>
              )}
            </div>
            {customer.data && (
              <p className="mt-3 text-xs text-muted">
                To verify, the customer gives their name, the account's last 4 digits ({customer.data.account_last_4}) and postal code ({customer.data.postal_code}).
              </p>
            )}
          </Panel>
          <SimulatedCall customerId={customerId} tactic={tactic} />
          <Panel title="Compliance now">
            {!customerId ? (
              <p className="text-sm text-muted">Pick a customer.</p>
            ) : compliance.data ? (
              <div className="text-sm" data-testid="compliance-now">
                <p className={compliance.data.allowed ? "text-success" : "text-warning"}>{compliance.data.allowed ? "✓ A real call would be allowed now" : "A real call would not be placed now"}</p>
                {compliance.data.reasons.map((reason) => <p key={reason} className="mt-1 text-muted">· {reason}</p>)}
                {compliance.data.zones.length > 0 && <p className="mt-1 text-xs text-muted">Zones: {compliance.data.zones.join(", ")}</p>}
              </div>
            ) : (
              <p className="text-sm text-muted">{compliance.isPending ? "Checking…" : errorMessage(compliance.error)}</p>
            )}
          </Panel>
        </div>

        <Panel
          title={
            <span className="flex items-center gap-2">
              Conversation
              <Badge tone={state.status === "open" ? "accent" : state.status === "error" ? "danger" : "neutral"}>{humanize(state.status)}</Badge>
            </span>
          }
          actions={state.callId && state.status === "ended" ? <Link className="text-sm text-accent-text hover:underline" to={`/calls/${state.callId}`}>Open call record</Link> : undefined}
        >
          <div ref={scroller} className="flex h-[28rem] flex-col gap-3 overflow-y-auto pr-1" data-testid="chat" aria-live="polite">
            {state.turns.length === 0 && <p className="m-auto text-center text-muted">{state.status === "connecting" || state.status === "open" ? "Waiting for the agent…" : "Start a call to hear the agent's greeting."}</p>}
            {state.turns.map((turn) =>
              turn.speaker === "system" ? (
                <p key={turn.id} className="text-center text-xs text-muted">{turn.text}</p>
              ) : (
                <div key={turn.id} className={`flex ${turn.speaker === "customer" ? "justify-end" : "justify-start"}`}>
                  <div data-testid={`turn-${turn.speaker}`} className={`max-w-[80%] rounded-2xl px-4 py-2 ${turn.speaker === "customer" ? "bg-accent text-on-accent" : "bg-raised"}`}>
                    {turn.text}
                  </div>
                </div>
              ),
            )}
            {state.error && <p role="alert" className="text-center text-sm text-danger">{state.error}</p>}
          </div>
          <form onSubmit={send} className="mt-4 flex gap-2">
            <input aria-label="Say to the agent" className="input" placeholder={state.status === "open" ? "Type what the customer says…" : "Start a call first"} value={text} onChange={(e) => setText(e.target.value)} disabled={state.status !== "open"} />
            <Button type="submit" variant="primary" disabled={state.status !== "open" || !text.trim()}>Say</Button>
          </form>
        </Panel>

        <div className="flex flex-col gap-6">
          <Panel title="Tool calls">
            {state.tools.length === 0 ? <p className="text-sm text-muted">The agent's tool calls — verification, disclosures, offers — appear here as it makes them.</p> : (
              <ol className="flex flex-col gap-2" data-testid="tool-calls">
                {state.tools.map((tool) => <ToolCard key={tool.id} tool={tool} />)}
              </ol>
            )}
          </Panel>
          <Panel title="Compliance audit">
            {state.status !== "ended" ? (
              <p className="text-sm text-muted">The auditor reads the call when it ends.</p>
            ) : record.data ? (
              record.data.findings && record.data.findings.length > 0 ? (
                <ul className="flex flex-col gap-2 text-sm">
                  {record.data.findings.map((finding, index) => <li key={index} className="text-danger">{humanize(finding.code)}: <span className="text-muted">{finding.message}</span></li>)}
                </ul>
              ) : (
                <p className="text-sm text-success">✓ {record.data.findings ? "No findings" : "Recorded"} · outcome {humanize(record.data.outcome)} · {dateTime(record.data.end_time)}</p>
              )
            ) : (
              <p className="text-sm text-muted">{record.isPending ? "Reading the call…" : errorMessage(record.error)}</p>
            )}
          </Panel>
        </div>
      </div>
    </div>
  );
}

function ToolCard({ tool }: { tool: ChatTool }) {
  const result = tool.result as Record<string, unknown> | null;
  const ok = result && typeof result === "object" ? (result.verified ?? result.allowed ?? result.ok ?? result.success) : undefined;
  return (
    <li className="rounded-lg border border-border bg-raised/60 p-2 text-sm" data-testid="tool-call" data-tool={tool.name} data-passed={ok === undefined ? undefined : String(Boolean(ok))}>
      <div className="flex items-center justify-between">
        <span className="font-mono text-accent-text">{tool.name}</span>
        {ok !== undefined && <Badge tone={ok ? "success" : "warning"}>{ok ? "passed" : "not passed"}</Badge>}
      </div>
      <details className="mt-1">
        <summary className="cursor-pointer text-xs text-muted">arguments and result</summary>
        <pre className="mt-1 max-h-40 overflow-auto rounded bg-bg p-2 font-mono text-xs">{JSON.stringify({ arguments: tool.arguments, result: tool.result }, null, 2)}</pre>
      </details>
    </li>
  );
}

function SimulatedCall({ customerId, tactic }: { customerId: string | null; tactic: string }) {
  const [persona, setPersona] = useState("cooperative_payer");
  const run = useMutation({
    mutationFn: () => api.post<TestCallPublic>("/test-calls", { persona, customer_id: customerId, tactic_name: tactic || null }),
  });
  return (
    <Panel title="Or let a simulated customer talk">
      <div className="flex gap-2">
        <input aria-label="Persona" list="personas" className="input" value={persona} onChange={(e) => setPersona(e.target.value)} />
        <datalist id="personas">{PERSONAS.map((name) => <option key={name} value={name} />)}</datalist>
        <Button onClick={() => run.mutate()} busy={run.isPending} disabled={!persona.trim()}>Run</Button>
      </div>
      {run.error && <p role="alert" className="mt-2 text-sm text-danger">{errorMessage(run.error)}</p>}
      {run.data && (
        <p className="mt-2 text-sm">
          {humanize(run.data.mode)} call started —{" "}
          <Link className="text-accent-text underline" to={`/calls/${run.data.call_id}`}>follow it</Link> or watch the dashboard.
        </p>
      )}
    </Panel>
  );
}
