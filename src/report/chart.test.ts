import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeReport } from '../../test/support/fake-report.js';
import { PNG_SCALE, renderChartPng } from './chart-png.js';
import { PARETO_LABEL, SERIES_NAMES } from './chart-spec.js';
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
      'HuggingFaceTB/SmolLM2-135M: perplexity vs FFN compute and latency',
      'FFN compute (% of dense neurons)',
      'Prefill latency (ms, 2 threads)',
      'Perplexity (log scale, lower is better)',
      PARETO_LABEL,
      ...SERIES_NAMES,
    ]) {
      expect(svg).toContain(`>${text}</text>`);
    }
    expect(svg).toContain('font-family="DejaVu Sans"');
    expect(await renderChartSvg(report)).toBe(svg);
  });

  it('leaves out the latency panel when nothing was timed', async () => {
    const report = fakeReport();
    const svg = await renderChartSvg({
      ...report,
      points: report.points.map((p) => ({ ...p, latency: null })),
    });
    expect(svg).toContain('FFN compute (% of dense neurons)');
    expect(svg).not.toContain('Prefill latency');
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
