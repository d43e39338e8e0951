/**
 * curve.png from curve.svg with resvg, drawing text only with our shipped TTF (system fonts off) so the pixels do
 * not depend on the machine. resvg is a native module: where its binary cannot load, the PNG is skipped, not fatal.
 */
import { FONT_FAMILY, FONT_FILE } from './font.js';

/** Device pixels per SVG pixel: crisp on high-density screens and in PR previews. */
export const PNG_SCALE = 2;

export type PngResult = { ok: true; png: Buffer } | { ok: false; reason: string };

type ResvgModule = typeof import('@resvg/resvg-js');

async function loadResvg(): Promise<ResvgModule | string> {
  try {
    return await import('@resvg/resvg-js');
  } catch (err) {
    return `@resvg/resvg-js failed to load (${(err as Error).message.split('\n')[0]})`;
  }
}

/** Rasterizes an SVG; `ok: false` carries why the PNG could not be made, for the caller to log. */
export async function renderChartPng(svg: string): Promise<PngResult> {
  const resvg = await loadResvg();
  if (typeof resvg === 'string') return { ok: false, reason: resvg };
  const renderer = new resvg.Resvg(svg, {
    fitTo: { mode: 'zoom', value: PNG_SCALE },
    font: { fontFiles: [FONT_FILE], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    background: 'white',
  });
  return { ok: true, png: renderer.render().asPng() };
}
