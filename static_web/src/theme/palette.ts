// The theme's colors: the seed design's palette (background, panels, accent, text) plus the supporting tones
// the UI needs. src/index.css defines the same values as CSS custom properties; a unit test keeps the two
// identical and checks every text/background pair below for WCAG AA contrast.

export type ThemeName = "dark" | "light";

export interface Palette {
  /** page background (seed: --bg-primary) */
  bg: string;
  /** panels and cards (seed: --bg-secondary) */
  panel: string;
  /** raised surfaces inside panels: inputs, table headers */
  raised: string;
  /** hairlines between things */
  border: string;
  /** the cyan accent as a fill: buttons, progress, focus (seed: --accent-primary) */
  accent: string;
  /** text drawn on an accent fill */
  onAccent: string;
  /** accent-colored text and links */
  accentText: string;
  /** body text (seed: --text-primary) */
  text: string;
  /** secondary text: labels, captions, timestamps */
  muted: string;
  success: string;
  warning: string;
  danger: string;
}

export const PALETTES: Record<ThemeName, Palette> = {
  dark: {
    bg: "#0a0e1a",
    panel: "#141b2d",
    raised: "#1c2540",
    border: "#2a3552",
    accent: "#00d9ff",
    onAccent: "#0a0e1a",
    accentText: "#00d9ff",
    text: "#e8edf5",
    muted: "#9aa7bf",
    success: "#34d399",
    warning: "#fbbf24",
    danger: "#ff7a7a",
  },
  light: {
    bg: "#ffffff",
    panel: "#f5f7fa",
    raised: "#ffffff",
    border: "#d9dfe8",
    accent: "#00d9ff",
    onAccent: "#0a0e1a",
    accentText: "#006a80",
    text: "#1e2739",
    muted: "#52607a",
    success: "#17693f",
    warning: "#8a5300",
    danger: "#b42318",
  },
};

type Token = keyof Palette;

/** Every text color the UI draws, on every background it draws it on. */
export const TEXT_PAIRS: ReadonlyArray<readonly [text: Token, background: Token]> = [
  ...(["text", "muted", "accentText", "success", "warning", "danger"] as const).flatMap((text) =>
    (["bg", "panel", "raised"] as const).map((background) => [text, background] as const),
  ),
  ["onAccent", "accent"],
];

/** The CSS custom property of each token (`--color-muted`), as src/index.css names them. */
export function cssVariable(token: Token): string {
  return `--color-${token.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}
