import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { AA_TEXT, contrastRatio, luminance } from "./contrast";
import { cssVariable, PALETTES, TEXT_PAIRS, type Palette, type ThemeName } from "./palette";


const css = readFileSync(resolve(__dirname, "../index.css"), "utf8");

function block(selector: RegExp): Record<string, string> {
  const match = selector.exec(css);
  if (!match) throw new Error(`no ${String(selector)} block in index.css`);
  const body = css.slice(match.index + match[0].length, css.indexOf("}", match.index));
  const pairs = [...body.matchAll(/(--color-[\w-]+):\s*(#[0-9a-f]{6})/gi)].map((m): [string, string] => [m[1]!, m[2]!.toLowerCase()]);
  return Object.fromEntries(pairs);
}

describe("the theme", () => {
  it("uses the seed design's palette exactly", () => {
    expect(PALETTES.dark).toMatchObject({ bg: "#0a0e1a", panel: "#141b2d", accent: "#00d9ff", text: "#e8edf5" });
    expect(PALETTES.light).toMatchObject({ bg: "#ffffff", panel: "#f5f7fa", accent: "#00d9ff", text: "#1e2739" });
  });

  it.each<[ThemeName, RegExp]>([
    ["dark", /@theme\s*\{/],
    ["light", /\.light\s*\{/],
  ])("defines the %s palette in index.css with the same values", (theme, selector) => {
    const variables = block(selector);
    for (const [token, value] of Object.entries(PALETTES[theme])) {
      expect(variables[cssVariable(token as keyof Palette)], token).toBe(value);
    }
  });

  it.each(Object.keys(PALETTES) as ThemeName[])("meets WCAG AA contrast for every text/background pair in %s", (theme) => {
    const palette = PALETTES[theme];
    const failures = TEXT_PAIRS.map(([text, background]) => ({
      pair: `${text} on ${background}`,
      ratio: contrastRatio(palette[text], palette[background]),
    })).filter(({ ratio }) => ratio < AA_TEXT);
    expect(failures).toEqual([]);
    expect(TEXT_PAIRS.length).toBeGreaterThanOrEqual(19);
  });
});

describe("contrast", () => {
  it("computes WCAG luminance and ratios", () => {
    expect(luminance("#000000")).toBe(0);
    expect(luminance("#ffffff")).toBeCloseTo(1, 10);
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrastRatio("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    expect(contrastRatio("#ffffff", "#777777")).toBe(contrastRatio("#777777", "#ffffff"));
  });

  it("refuses what is not a #rrggbb color", () => {
    expect(() => luminance("cyan")).toThrow(/not a #rrggbb/);
  });
});
