import { useMemo, useState } from "react";
import { Button } from "./ui";

/** Cursor pagination state: the cursor of the page shown, and the way back. */
export function useCursorPager() {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const moves = useMemo(
    () => ({
      next: (nextCursor: string) => setStack((s) => [...s, nextCursor]),
      previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
      reset: () => setStack((s) => (s.length === 1 && s[0] === null ? s : [null])),
    }),
    [],
  );
  return { cursor: stack[stack.length - 1] ?? null, page: stack.length, ...moves };
}

export function Pager({
  page,
  count,
  shown,
  nextCursor,
  onNext,
  onPrevious,
}: {
  page: number;
  count: number;
  shown: number;
  nextCursor: string | null | undefined;
  onNext: (cursor: string) => void;
  onPrevious: () => void;
}) {
  return (
    <div className="mt-4 flex items-center justify-between text-sm text-muted">
      <span>
        {count} total · page {page} ({shown} shown)
      </span>
      <div className="flex gap-2">
        <Button variant="ghost" onClick={onPrevious} disabled={page <= 1}>
          ← Previous
        </Button>
        <Button variant="ghost" onClick={() => nextCursor && onNext(nextCursor)} disabled={!nextCursor}>
          Next →
        </Button>
      </div>
    </div>
  );
}
