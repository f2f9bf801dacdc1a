/**
 * Drawing figures: a Vega-Lite spec to an SVG document by Vega (headless, no canvas), an SVG to PNG
 * by resvg, and the SVG clean-up a page that inlines several figures needs.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';

/**
 * Advance widths (in em) of DejaVu Sans, the font figures name first. Without a canvas Vega
 * estimates every character at 0.8 em, which overestimates text by a third and pushes titles and
 * legends away from the plot; this table makes layout close to what browsers and resvg draw.
 */
const EM: Record<string, number> = {
  ' ': 0.318,
  '.': 0.318,
  ',': 0.318,
  ':': 0.337,
  ';': 0.337,
  '·': 0.318,
  "'": 0.275,
  '"': 0.46,
  '(': 0.39,
  ')': 0.39,
  '[': 0.39,
  ']': 0.39,
  '-': 0.361,
  '–': 0.5,
  '—': 1,
  _: 0.5,
  '/': 0.337,
  '%': 0.95,
  '×': 0.838,
  '…': 1,
  '@': 1,
  '+': 0.838,
  '=': 0.838,
  '<': 0.838,
  '>': 0.838,
  '≈': 0.838,
  i: 0.278,
  j: 0.278,
  l: 0.278,
  f: 0.352,
  t: 0.392,
  r: 0.411,
  s: 0.521,
  z: 0.525,
  c: 0.55,
  k: 0.579,
  v: 0.592,
  x: 0.592,
  y: 0.592,
  a: 0.613,
  e: 0.615,
  o: 0.612,
  w: 0.818,
  m: 0.974,
  I: 0.295,
  J: 0.295,
  L: 0.557,
  F: 0.575,
  P: 0.603,
  T: 0.611,
  Y: 0.611,
  E: 0.632,
  S: 0.635,
  K: 0.656,
  A: 0.684,
  V: 0.684,
  X: 0.685,
  Z: 0.685,
  B: 0.686,
  R: 0.695,
  C: 0.698,
  U: 0.732,
  N: 0.748,
  H: 0.752,
  D: 0.77,
  G: 0.775,
  O: 0.787,
  Q: 0.787,
  M: 0.863,
  W: 0.989,
};

/** Approximate width in pixels of `text` in DejaVu Sans at `fontSize` (bold about 8% wider). */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const ch of text) em += EM[ch] ?? (/[0-9]/.test(ch) ? 0.636 : /[a-z]/.test(ch) ? 0.634 : 0.7);
  return em * fontSize * (bold ? 1.08 : 1);
}

type TextItem = { fontSize?: number | string; fontWeight?: number | string; limit?: number };
let metricsInstalled = false;

function installTextMetrics(): void {
  if (metricsInstalled) return;
  metricsInstalled = true;
  const tm = (vega as unknown as { textMetrics?: { width: (item: TextItem, text: unknown) => number } })
    .textMetrics;
  if (!tm) return;
  tm.width = (item, text) => {
    const t = text == null ? '' : String(text).trim();
    const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
    const w = item.fontWeight;
    const bold =
      w === 'bold' || (typeof w === 'number' && w >= 600) || (typeof w === 'string' && Number(w) >= 600);
    const width = textWidth(t, size, bold);
    return item.limit && item.limit > 0 ? Math.min(width, item.limit) : width;
  };
}

/** Renders a Vega-Lite spec to an SVG document (headless; no canvas needed). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  installTextMetrics();
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterizes an SVG to PNG with resvg, at `scale` × its size (2 for crisp figures on screens). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/**
 * Makes the ids of an SVG unique within a page that inlines several (Vega names clip paths
 * `clip1`, `clip2`, ... in every figure): prefixes every id and every `#id` reference.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_, a: string, id: string) => `${a}${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (m, id: string) => (ids.has(id) ? `url(#${prefix}${id})` : m))
    .replace(/((?:xlink:)?href=")#([^"]+)"/g, (m, a: string, id: string) =>
      ids.has(id) ? `${a}#${prefix}${id}"` : m,
    );
}
