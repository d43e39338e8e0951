import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { fakeReport } from '../../test/support/fake-report.js';
import { PNG_SCALE, renderChartPng } from './chart-png.js';
import { recommendPoint } from '../eval/recommend.js';
import { chartRows, PARETO_LABEL } from './chart-rows.js';
import { chartSpec } from './chart-spec.js';
import { SERIES_NAMES } from './chart-encodings.js';
import { renderChartSvg } from './chart-svg.js';
import { OutputError } from '../util/errors.js';
import { loadFontMetrics } from './font.js';
import { parseReport } from './parse.js';
import { writeReport } from './write-report.js';

/** Well-formedness: every tag closes in order, attributes are quoted, no bare ampersand. */
function assertWellFormedXml(xml: string): void {
  expect(xml).not.toMatch(/&(?!(amp|lt|gt|quot|apos|#\d+|#x[\da-f]+);)/i);
  const stack: string[] = [];
  for (const [, close, name, attrs, selfClose] of xml.matchAll(
    /<(\/?)([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g,
  )) {
    expect(attrs).toBeDefined();
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) stack.push(name!);
  }
  expect(stack).toEqual([]);
  expect(xml.replace(/<[^>]*>/g, '')).not.toMatch(/[<>]/);
}

function svgSize(svg: string): { width: number; height: number } {
  const m = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg);
  return { width: Number(m?.[1]), height: Number(m?.[2]) };
}

describe('curve.svg', () => {
  it('is well-formed, titled, labelled, names every series and renders byte-identically', async () => {
    const report = fakeReport();
    const svg = await renderChartSvg(report);
    assertWellFormedXml(svg);
    for (const text of [
      'HuggingFaceTB/SmolLM2-135M: perplexity vs FFN compute and measured speedup',
      'FFN + router compute (% of dense FFN MACs)',
      'Perplexity vs dense (%, lower is better)',
      'Near dense: axis clipped at +8%',
      'tolerance +2%',
      't=0.05, recommended',
      't=0.1, fixed graph',
      't=0.5',
      'Prefill speedup over dense (×, log scale, 99% interval)',
      'Perplexity (log scale, lower is better)',
      PARETO_LABEL,
      ...SERIES_NAMES,
    ]) {
      expect(svg).toContain(`>${text}</text>`);
    }
    expect(svg).toContain('font-family="DejaVu Sans"');
    expect(await renderChartSvg(report)).toBe(svg);
  });

  it('labels a threshold on the full-range panel only where the near-dense panel cuts it off', () => {
    const rows = chartRows(fakeReport());
    const full = rows.flatMap((r) => (r.label_full ? [r.label_full] : []));
    expect(full).toEqual(['t=0.3', 't=0.5']); // +12% and +26%, above the +8% axis
    const near = rows.flatMap((r) => (r.label ? [r.label] : []));
    expect(near).toContain('t=0.05, recommended');
    expect(near).toContain('t=0.1, fixed graph');
    expect(near).not.toContain('t=0.3');
  });

  it('has no Pareto rings on the latency panel: the frontier is computed on FLOPs', () => {
    const spec = chartSpec(fakeReport()) as { vconcat: [unknown, { layer: unknown[] }] };
    expect(JSON.stringify(spec.vconcat[1].layer)).not.toContain('pareto');
    expect(JSON.stringify(spec.vconcat[1].layer)).toContain('speedup_low');
  });

  it('renders without a vega warning when there is nothing to mark or to label', async () => {
    const report = fakeReport();
    const warn = vi.spyOn(console, 'warn');
    const near = report.points.filter((p) => p.perplexity < 12.6);
    await renderChartSvg({ ...report, points: near, recommended: recommendPoint(near, 0.0001) });
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('leaves out the latency panel when nothing was timed', async () => {
    const report = fakeReport();
    const svg = await renderChartSvg({
      ...report,
      points: report.points.map((p) => ({ ...p, latency: null })),
    });
    expect(svg).toContain('FFN + router compute (% of dense FFN MACs)');
    expect(svg).not.toContain('Prefill speedup');
    expect(svg).toContain('>HuggingFaceTB/SmolLM2-135M: perplexity vs FFN compute</text>');
  });
});

describe('font metrics', () => {
  it('reads DejaVu Sans advance widths (units per em 2048) and scales with the font size', () => {
    const font = loadFontMetrics();
    expect(font.textWidth(' iaW', 2048)).toBe(651 + 569 + 1255 + 2025);
    expect(font.textWidth('m', 11)).toBeCloseTo((1995 * 11) / 2048, 12);
  });
});

describe('curve.png and writeReport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moefy-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rasterizes the SVG at the documented scale', async () => {
    const svg = await renderChartSvg(fakeReport());
    const result = await renderChartPng(svg);
    if (!result.ok) throw new Error(result.reason);
    expect(result.png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const { width, height } = svgSize(svg);
    expect(result.png.readUInt32BE(16)).toBe(width * PNG_SCALE); // IHDR width
    expect(result.png.readUInt32BE(20)).toBe(height * PNG_SCALE);
    expect(result.png.length).toBeGreaterThan(20_000);
  });

  it('writes report.json, report.md, curve.svg and curve.png that read back', async () => {
    const lines: string[] = [];
    const { files } = await writeReport(dir, fakeReport(), { log: (l) => lines.push(l) });
    expect(files).toEqual(['report.json', 'report.md', 'curve.svg', 'curve.png'].map((f) => join(dir, f)));
    expect(lines).toEqual([]);
    const json = readFileSync(join(dir, 'report.json'), 'utf8');
    expect(parseReport(json, 'report.json').model.id).toBe('HuggingFaceTB/SmolLM2-135M');
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('## Learned routing');
  });

  it('refuses a directory that is a file, naming it', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const attempt = writeReport(join(file, 'out'), fakeReport(), { log: () => undefined });
    await expect(attempt).rejects.toThrow(OutputError);
    await expect(writeReport(join(file, 'out'), fakeReport())).rejects.toThrow(
      new RegExp(`^${join(file, 'out')}: cannot create the report directory \\(ENOTDIR`),
    );
  });
});
