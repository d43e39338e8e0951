/**
 * `output.dense: false` (no dense.onnx, to save disk on big models): convert still succeeds, its report's dense
 * point measured layer by layer from the checkpoint, the timings left out with the reason in report.json and
 * report.md (they are speedups against the dense graph); `moefy eval` on such a directory refuses in one line
 * naming the field, since its whole-graph sweep measures against dense.onnx.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertKjv, moefy } from './support/kjv-convert.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-dense-false-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('output.dense: false', () => {
  it('converts with the dense point from the layer-by-layer pass and says why latency is missing', () => {
    // SMALL_EVAL enables latency: it is what gets skipped.
    const out = convertKjv(root, 'output: { dense: false }');
    expect(existsSync(join(out, 'dense.onnx'))).toBe(false);
    expect(existsSync(join(out, 'dense.onnx.data'))).toBe(false);
    type P = { kind: string; perplexity: number; latency: unknown; ffn_fraction: number };
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      points: P[];
      timing: unknown;
      skipped: { measurement: string; reason: string }[];
      recommended: { ppl_increase: number } | null;
    };
    const dense = report.points.filter((p) => p.kind === 'dense');
    expect(dense).toHaveLength(1);
    expect(dense[0]!.perplexity).toBeGreaterThan(1);
    expect(dense[0]!.ffn_fraction).toBe(1);
    // Every Δppl is against that point: the recommendation has one.
    expect(report.recommended).not.toBeNull();
    expect(report.points.every((p) => p.latency === null)).toBe(true);
    expect(report.timing).toBeNull();
    const reason = 'output.dense: false wrote no dense.onnx to time the speedups against';
    expect(report.skipped).toEqual([{ measurement: 'latency', reason }]);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(`- **Not measured:** latency: ${reason}`);

    const r = moefy(['eval', out, '--no-latency']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      `moefy: ${join(out, 'moefy.json')}: graphs: no dense graph (written with output.dense: false); the ` +
        'evaluation of a directory measures against it: rerun `moefy convert` with output.dense: true',
    );
  }, 600_000);
});
