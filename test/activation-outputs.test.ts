/**
 * The dense graph's `mlp_act.{i}` outputs (calibration's h = act(gate)⊙up): down-projecting them in JS gives the
 * golden FFN outputs, on every golden case.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelIR } from '../src/families/load.js';
import { buildDecoder } from '../src/graph/decoder.js';
import { denseFfn } from '../src/graph/ffn-dense.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import { tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, run } from '../src/runtime/session.js';
import { readFloat32 } from '../src/runtime/tensors.js';
import { InternalError } from '../src/util/errors.js';
import { fixtureDir, GOLDEN_CASES, maxAbsDiff, openReference } from './support/golden.js';
import { loadJsFfn } from './support/moe-reference.js';
import { checkOnnxModel } from './support/onnx-checker.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-act-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(GOLDEN_CASES)('%s mlp_act outputs', (name) => {
  it('down-projected activations equal the golden mlp_output (≤ 1e-4)', async () => {
    const ir = await loadModelIR(fixtureDir(name));
    const ref = await openReference(fixtureDir(name));
    const dir = mkdtempSync(join(root, `${name}-`));
    const graph = await writeDecoder(ir, { dir, activationOutputs: true });
    checkOnnxModel(graph.modelPath);
    const session = await createSession(graph.modelPath, { threads: 1 });
    const out = await run(session, tokenFeeds({ ids: ref.ids }));
    const { hidden, ffnDim } = ir.config;
    let worst = 0;
    for (const layer of ir.layers) {
      const h = out[`mlp_act.${layer.index}`]!;
      expect(h.dims).toEqual([ref.ids.length, ref.ids[0]!.length, ffnDim]);
      const js = await loadJsFfn(layer, hidden);
      const y = downProject(readFloat32(h), js.down, { hidden, ffnDim, bias: js.downBias });
      worst = Math.max(worst, maxAbsDiff(y, await ref.read(`mlp_output.${layer.index}`)));
    }
    expect(worst).toBeLessThanOrEqual(1e-4);
    console.log(`${name}: mlp_act · W_down max |Δ| ${worst.toExponential(2)}`);
  });
});

describe('activationOutputs', () => {
  it('refuses a custom FFN (it records the dense activation)', async () => {
    const ir = await loadModelIR(fixtureDir('gpt2'));
    const build = buildDecoder(ir, { activationOutputs: true, ffn: denseFfn });
    await expect(build).rejects.toThrow(InternalError);
    await expect(buildDecoder(ir, { activationOutputs: true, ffn: denseFfn })).rejects.toThrow(
      'activationOutputs needs the dense FFN',
    );
  });
});

/** h [rows, ffn] · down [ffn, hidden] (+ bias) in float64. */
function downProject(
  h: Float32Array,
  down: Float32Array,
  s: { hidden: number; ffnDim: number; bias?: Float32Array | undefined },
): Float32Array {
  const rows = h.length / s.ffnDim;
  const y = new Float32Array(rows * s.hidden);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < s.hidden; o++) {
      let acc = s.bias?.[o] ?? 0;
      for (let i = 0; i < s.ffnDim; i++) acc += h[r * s.ffnDim + i]! * down[i * s.hidden + o]!;
      y[r * s.hidden + o] = acc;
    }
  }
  return y;
}
