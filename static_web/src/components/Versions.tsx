import { Badge } from "./ui";
import { dateTime } from "../lib/format";

export interface Versioned {
  id: string;
  version: number;
  is_active: boolean;
  created_at: string;
}

/** A version history: the newest first, the one being viewed marked. */
export function VersionList<T extends Versioned>({
  versions,
  selected,
  onSelect,
}: {
  versions: T[];
  selected: string | null;
  onSelect: (version: T) => void;
}) {
  const sorted = [...versions].sort((a, b) => b.version - a.version);
  return (
    <ol className="flex flex-col gap-1" aria-label="Versions">
      {sorted.map((version, index) => (
        <li key={version.id}>
          <button
            type="button"
            onClick={() => onSelect(version)}
            className={`flex w-full items-center justify-between rounded-lg px-3 py-2 text-left text-sm ${selected === version.id ? "bg-raised text-accent-text" : "hover:bg-raised"}`}
          >
            <span>
              v{version.version} {index === 0 && <Badge tone="accent">current</Badge>} {!version.is_active && <Badge>inactive</Badge>}
            </span>
            <span className="text-xs text-muted">{dateTime(version.created_at)}</span>
          </button>
        </li>
      ))}
    </ol>
  );
}
