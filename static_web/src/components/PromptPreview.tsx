import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../api/client";
import type { PromptPreview as PromptPreviewModel } from "../types";
import { CustomerPicker } from "./CustomerPicker";
import { FormError, toFormErrors } from "./forms";
import { Button, Panel } from "./ui";

/** Renders a prompt (and tactic) for one customer, exactly as the agent would receive it. */
export function PromptPreview({ promptName, tacticName }: { promptName: string | null; tacticName?: string }) {
  const [customerId, setCustomerId] = useState<string | null>(null);
  const preview = useMutation({
    mutationFn: () =>
      api.post<PromptPreviewModel | string>(`/prompts/${promptName}/preview`, { customer_id: customerId, tactic_name: tacticName }),
  });
  const rendered = typeof preview.data === "string" ? preview.data : preview.data?.rendered;
  return (
    <Panel title="Preview for a customer">
      <div className="flex flex-col gap-3">
        <CustomerPicker value={customerId} onChange={(customer) => setCustomerId(customer?.id ?? null)} id="preview-customer" />
        <Button onClick={() => preview.mutate()} disabled={!customerId || !promptName} busy={preview.isPending}>
          Render preview
        </Button>
        {!promptName && <p className="text-xs text-muted">Save the prompt first to preview it.</p>}
        <FormError message={preview.error ? toFormErrors(preview.error).form : null} />
        {rendered && (
          <pre className="max-h-[28rem] overflow-auto rounded-lg bg-bg p-3 text-xs leading-relaxed whitespace-pre-wrap" data-testid="prompt-preview">
            {rendered}
          </pre>
        )}
      </div>
    </Panel>
  );
}
