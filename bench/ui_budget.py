"""The admin UI's JavaScript budget: what a browser downloads for the first screen, gzipped.

Reads the production build's manifest (static_web/dist/.vite/manifest.json; `npm run build` writes it) and
adds up, for the shell (entry chunk and its static imports: router, query client, sign-in, layout) and for
each route (its lazy chunk and the static imports the shell does not already carry), the gzipped size of the
JavaScript. The initial route is the dashboard at `/` (a signed-in user's landing page; a signed-out user
gets only the shell). Budget: the initial route <= 250 KB gzipped.

    .venv/bin/python bench/ui_budget.py [--build]     # --build runs `npm run build` first
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "static_web" / "dist"
MANIFEST = DIST / ".vite" / "manifest.json"
BUDGET_KB = 250.0
INITIAL_ROUTE = "src/pages/Dashboard.tsx"


def gzipped_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1024


def closure(manifest: dict[str, dict[str, object]], key: str) -> set[str]:
    """`key` and every chunk it imports statically, transitively (what loads with it)."""
    seen: set[str] = set()
    stack = [key]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        imports = manifest[current].get("imports", [])
        assert isinstance(imports, list)
        stack.extend(str(name) for name in imports)
    return seen


def size(manifest: dict[str, dict[str, object]], keys: set[str]) -> float:
    return sum(
        gzipped_kb(DIST / str(manifest[key]["file"]))
        for key in keys
        if str(manifest[key]["file"]).endswith(".js")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Print the admin UI's gzipped JavaScript per route.")
    parser.add_argument("--build", action="store_true", help="run `npm run build` first")
    args = parser.parse_args()
    if args.build or not MANIFEST.is_file():
        subprocess.run(["npm", "run", "build"], cwd=ROOT / "static_web", check=True, capture_output=True)
    manifest: dict[str, dict[str, object]] = json.loads(MANIFEST.read_text())
    entry = next(key for key, chunk in manifest.items() if chunk.get("isEntry"))
    shell = closure(manifest, entry)
    shell_kb = size(manifest, shell)
    routes = sorted(
        key for key in manifest if key.startswith("src/pages/") and manifest[key].get("isDynamicEntry")
    )
    rows = []
    for route in routes:
        extra = closure(manifest, route) - shell
        rows.append((Path(route).stem, size(manifest, extra), shell_kb + size(manifest, extra)))
    css_kb = sum(gzipped_kb(path) for path in (DIST / "assets").glob("*.css"))

    print(f"{'what':<28}{'own JS (KB gz)':>16}{'first load (KB gz)':>20}")
    print("-" * 64)
    print(f"{'shell (entry + sign-in)':<28}{shell_kb:>16.1f}{shell_kb:>20.1f}")
    for name, own, total in rows:
        marker = "  <- initial route" if f"src/pages/{name}.tsx" == INITIAL_ROUTE else ""
        print(f"{'route ' + name:<28}{own:>16.1f}{total:>20.1f}{marker}")
    print("-" * 64)
    initial = next(total for name, _, total in rows if f"src/pages/{name}.tsx" == INITIAL_ROUTE)
    heaviest = max(total for _, _, total in rows)
    print(f"CSS (all, gz): {css_kb:.1f} KB")
    print(
        f"initial route JS: {initial:.1f} KB gz (budget {BUDGET_KB:.0f} KB); heaviest route: {heaviest:.1f} KB gz"
    )
    return 0 if initial <= BUDGET_KB else 1


if __name__ == "__main__":
    sys.exit(main())
