import { act, render, renderHook, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { StackedBars, groupOf } from "./Charts";
import { ConfirmButton } from "./ConfirmDialog";
import { Field, toFormErrors, useFormErrors } from "./forms";
import { useCursorPager } from "./Pager";
import { OutcomeBadge, ProgressBar, QueryState } from "./ui";

const problem = new ApiError({
  type: "urn:archer:problem:invalid-input",
  title: "Invalid input",
  status: 422,
  detail: "targeting.limit: must be at least 1",
  field: "targeting.limit",
  errors: [
    { field: "targeting.limit", message: "must be at least 1" },
    { field: "other", message: "unexpected" },
  ],
});

describe("ConfirmButton", () => {
  it("asks before acting, and does nothing when cancelled", async () => {
    const onConfirm = vi.fn();
    render(<ConfirmButton label="Revoke" title="Revoke this key?" message="It stops working." confirmLabel="Revoke key" onConfirm={onConfirm} />);
    await userEvent.click(screen.getByRole("button", { name: "Revoke" }));
    expect(screen.getByRole("alertdialog", { name: "Revoke this key?" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(onConfirm).not.toHaveBeenCalled();
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Revoke" }));
    await userEvent.click(screen.getByRole("button", { name: "Revoke key" }));
    expect(onConfirm).toHaveBeenCalledOnce();
  });

  it("closes on Escape", async () => {
    render(<ConfirmButton label="Delete" title="Delete?" message="Gone." onConfirm={vi.fn()} />);
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
  });
});

describe("QueryState", () => {
  it("shows loading, then an error with a retry, then empty, then the content", async () => {
    const retry = vi.fn();
    const { rerender } = render(<QueryState isPending error={null}>rows</QueryState>);
    expect(screen.getByRole("status")).toHaveTextContent("Loading");
    rerender(<QueryState isPending={false} error={problem} refetch={retry}>rows</QueryState>);
    expect(screen.getByRole("alert")).toHaveTextContent("targeting.limit: must be at least 1");
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(retry).toHaveBeenCalledOnce();
    rerender(<QueryState isPending={false} error={null} isEmpty>rows</QueryState>);
    expect(screen.getByTestId("empty-state")).toBeInTheDocument();
    rerender(<QueryState isPending={false} error={null} isEmpty={false}>rows</QueryState>);
    expect(screen.getByText("rows")).toBeInTheDocument();
  });
});

describe("forms", () => {
  it("puts the server's field errors on their fields and the rest in the form message", () => {
    expect(toFormErrors(problem, ["name", "targeting"])).toEqual({
      fields: { "targeting.limit": "must be at least 1" },
      form: "targeting.limit: must be at least 1 · other: unexpected",
    });
    expect(toFormErrors(new Error("offline"))).toEqual({ fields: {}, form: "offline" });
  });

  it("useFormErrors finds a field's message, or its first sub-field's", () => {
    const { result } = renderHook(() => useFormErrors(["targeting"]));
    act(() => result.current.fail(problem));
    expect(result.current.of("targeting.limit")).toBe("must be at least 1");
    expect(result.current.of("targeting")).toBe("must be at least 1");
    expect(result.current.of("name")).toBeUndefined();
    act(() => result.current.clear());
    expect(result.current.of("targeting")).toBeUndefined();
  });

  it("Field shows the error as an alert tied to the input", () => {
    render(
      <Field label="Name" htmlFor="n" error="too short">
        <input id="n" aria-describedby="n-error" />
      </Field>,
    );
    expect(screen.getByLabelText("Name")).toHaveAccessibleDescription("too short");
    expect(screen.getByRole("alert")).toHaveTextContent("too short");
  });
});

describe("useCursorPager", () => {
  it("walks forward by cursor and back to where it was", () => {
    const { result } = renderHook(() => useCursorPager());
    expect(result.current).toMatchObject({ cursor: null, page: 1 });
    act(() => result.current.next("c2"));
    act(() => result.current.next("c3"));
    expect(result.current).toMatchObject({ cursor: "c3", page: 3 });
    act(() => result.current.previous());
    expect(result.current).toMatchObject({ cursor: "c2", page: 2 });
    act(() => result.current.reset());
    expect(result.current).toMatchObject({ cursor: null, page: 1 });
  });
});

describe("charts and badges", () => {
  it("draws one bar per row with its total, and says so when there is nothing", () => {
    const { container, rerender } = render(
      <StackedBars title="By day" rows={[{ label: "Mon", counts: { resolved: 2, refused: 1 } }, { label: "Tue", counts: {} }]} />,
    );
    expect(container.querySelectorAll("rect title")).toHaveLength(2);
    expect(screen.getByRole("img", { name: "By day" })).toHaveTextContent("3");
    rerender(<StackedBars title="By day" rows={[{ label: "Mon", counts: {} }]} />);
    expect(screen.getByText(/No finished calls/)).toBeInTheDocument();
  });

  it("groups outcomes as a manager reads them", () => {
    expect(groupOf("promise_to_pay")).toBe("resolved");
    expect(groupOf("failed_verification")).toBe("refused");
    expect(groupOf(null)).toBe("nocontact");
  });

  it("names outcomes in words and reports progress accessibly", () => {
    render(<><OutcomeBadge outcome="promise_to_pay" /><ProgressBar value={140} label="Campaign" /></>);
    expect(screen.getByText("Promise to pay")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Campaign" })).toHaveAttribute("aria-valuenow", "100");
  });
});
