/**
 * Big models stream: a synthetic bf16 Llama checkpoint of ~480 MB exports (the conversion alone, `--no-verify`)
 * with a peak resident set well below the checkpoint's size, measured in the child process that does the work.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSynthCheckpoint } from '../bench/synth-checkpoint.js';
import { runCli } from './support/cli.js';

const rssHook = new URL('./support/report-max-rss.ts', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'moefy-stream-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('streaming export', () => {
  it('peak RSS stays far below the checkpoint size', () => {
    const shape = { hidden: 1024, ffn: 2816, layers: 20, heads: 16, kvHeads: 4, vocab: 8192 };
    const file = writeSynthCheckpoint(join(root, 'ckpt'), shape, 'BF16');
    const size = statSync(file).size;
    const r = runCli(['export', join(root, 'ckpt'), '--out', join(root, 'out'), '--no-verify'], {
      preload: [rssHook],
    });
    expect(r.code, r.stderr).toBe(0);
    const peak = Number(/max-rss-kb (\d+)/.exec(r.stderr)?.[1]) * 1024;
    const written = statSync(join(root, 'out', 'model.onnx.data')).size;
    console.log(
      `streaming export: checkpoint ${(size / 2 ** 20).toFixed(0)} MiB (bf16), wrote ${(written / 2 ** 20).toFixed(0)} MiB, ` +
        `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB = ${(peak / size).toFixed(2)} × the checkpoint`,
    );
    expect(written).toBeGreaterThan(1.9 * size); // float32 out of bf16: the whole model went through
    // The budget (3 layers + 300 MB) is the benchmark's; this proves the conversion never holds the model.
    expect(peak).toBeLessThan(0.6 * size);
  });
});
