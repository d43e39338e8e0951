/** curve.svg: vega-lite → vega → SVG string, headless and deterministic (same report → same bytes). */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { chartSpec } from './chart-spec.js';
import { loadFontMetrics, type FontMetrics } from './font.js';
import type { Report } from './types.js';

let metrics: FontMetrics | undefined;

/** vega re-exports vega-scenegraph's `textMetrics` hook at runtime; its typings omit it. */
interface TextItem {
  fontSize?: number;
  text?: unknown;
}
const hook = (vega as unknown as { textMetrics: { width: (item: TextItem, text?: unknown) => number } })
  .textMetrics;

/**
 * Vega measures text through a module-level hook; pointing it at our TTF's advance widths (what vl-convert does
 * too) makes the layout match what resvg draws. Idempotent: every render installs the same function.
 */
function useFontMetrics(): void {
  metrics ??= loadFontMetrics();
  const font = metrics;
  hook.width = (item, text) => {
    const size = item.fontSize ?? 11;
    const value = text ?? item.text;
    return font.textWidth(value === undefined || value === null ? '' : String(value), size);
  };
}

/** Renders the report's two-panel chart as an SVG document. */
export async function renderChartSvg(report: Report): Promise<string> {
  useFontMetrics();
  const compiled = vl.compile(chartSpec(report) as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  // Clip-path and gradient ids come from a process-wide counter; reset it so two renders match byte for byte.
  vega.resetSVGDefIds();
  const svg = await view.toSVG();
  view.finalize();
  return `${svg}\n`;
}
