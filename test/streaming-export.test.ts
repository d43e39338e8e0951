/**
 * Big models stream: a synthetic bf16 Llama checkpoint of ~480 MB exports (the conversion alone, `--no-verify`)
 * with a peak resident set well below the checkpoint's size, measured in the child process that does the work,
 * both when its bytes are kept (dtype auto) and when every weight is decoded to float32.
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
  it('peak RSS stays far below the checkpoint size, bf16 kept as it is and converted to float32', () => {
    const shape = { hidden: 1024, ffn: 2816, layers: 20, heads: 16, kvHeads: 4, vocab: 8192 };
    const file = writeSynthCheckpoint(join(root, 'ckpt'), shape, 'BF16');
    const size = statSync(file).size;
    // auto keeps the bf16 bytes (copied chunk by chunk); float32 decodes and transposes them block by block.
    // Decoded float32 tensors (twice the bytes) pass through the V8 heap, hence the looser bound for float32.
    for (const [dtype, ratio, bound] of [
      ['auto', 1, 0.5],
      ['float32', 2, 0.7],
    ] as const) {
      const out = join(root, `out-${dtype}`);
      const r = runCli(['export', join(root, 'ckpt'), '--out', out, '--no-verify', '--dtype', dtype], {
        preload: [rssHook],
      });
      expect(r.code, r.stderr).toBe(0);
      const peak = Number(/max-rss-kb (\d+)/.exec(r.stderr)?.[1]) * 1024;
      const written = statSync(join(out, 'model.onnx.data')).size;
      console.log(
        `streaming export (${dtype}): checkpoint ${(size / 2 ** 20).toFixed(0)} MiB (bf16), wrote ${(written / 2 ** 20).toFixed(0)} MiB, ` +
          `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB = ${(peak / size).toFixed(2)} × the checkpoint`,
      );
      expect(written).toBeGreaterThan(0.99 * ratio * size); // the whole model went through
      // The budget (3 layers + 300 MB) is the benchmark's; this proves the conversion never holds the model.
      expect(peak).toBeLessThan(bound * size);
      rmSync(out, { recursive: true });
    }
  });
});
