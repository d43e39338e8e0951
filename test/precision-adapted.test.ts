/**
 * Adapted experts (experts.adapt: lsq) in every precision, on golden checkpoints in real ORT sessions: each smaller
 * expert's own down projection W_k is a linear of the precision like every other (q4: its own MatMulNBits with
 * K = n_k in blocks of 32; q8: uint8 columns behind MatMulInteger; fp16/q4f16: float16), threshold 0 of the MoE
 * graph still equals the same-precision dense graph, a token forced onto a smaller expert gets that expert's
 * adapted output (near the fp32 adapted expert computed in JS, far from the bare prefix), and every graph passes the
 * ONNX checker.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { permutedFfnIr } from '../src/experts/permuted-ir.js';
import { loadModelIR } from '../src/families/load.js';
import { buildMoeDecoder, type ChoiceKind } from '../src/graph/moe-decoder.js';
import type { LayerExperts } from '../src/graph/moe-spec.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import { expertSizes } from '../src/ir/flops.js';
import type { ModelIR } from '../src/ir/model.js';
import { computesInHalf, type Precision } from '../src/ir/precision.js';
import { ExternalDataWriter, writeModel } from '../src/onnx/builder.js';
import { onnx } from '../src/onnx/proto.js';
import { tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, type Feeds, releaseSession, run, type Tensor } from '../src/runtime/session.js';
import { float32Tensor, int64Tensor, readFloat32 } from '../src/runtime/tensors.js';
import { fixtureDir, maxAbsDiff, openReference, type Reference } from './support/golden.js';
import { adaptedExperts, caseExperts } from './support/moe-build.js';
import { adaptedFfn, loadJsFfn, prefixFfn } from './support/moe-reference.js';
import { checkOnnxModel } from './support/onnx-checker.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-precision-adapted-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** |Δ logits| of the MoE at threshold 0 vs the same-precision dense graph (as test/precision-graphs.test.ts). */
const MOE_TOLERANCE: Record<Exclude<Precision, 'fp32'>, number> = {
  fp16: 1e-2,
  q8: 0.3, // each nested block quantizes its own activations' range
  q4: 1e-4,
  q4f16: 1e-2,
};

interface Case {
  readonly ir: ModelIR;
  readonly ref: Reference;
  readonly sizes: readonly number[];
  readonly experts: readonly LayerExperts[];
}

async function setup(name: string): Promise<Case> {
  const ir = await loadModelIR(fixtureDir(name));
  const sizes = expertSizes(ir.config.ffnDim, [0.25, 0.5, 1], 32);
  const experts = caseExperts(ir, sizes).map((e, i) => ({
    ...e,
    adapted: adaptedExperts(ir, sizes, 40 + i),
  }));
  return { ir, ref: await openReference(fixtureDir(name)), sizes, experts };
}

const storage = (p: Precision) => (computesInHalf(p) ? 'float16' : 'float32');

/** The router and input-choice graphs of one precision, sharing a data file: their paths. */
async function writeMoe(
  c: Case,
  a: { dir: string; precision: Precision },
): Promise<Record<'router' | 'input', string>> {
  const tag = a.precision;
  const data = new ExternalDataWriter(join(a.dir, `moe_${tag}.onnx.data`));
  const paths = {} as Record<'router' | 'input', string>;
  try {
    for (const choice of ['router', 'input'] as const satisfies readonly ChoiceKind[]) {
      const b = await buildMoeDecoder(c.ir, {
        choice,
        experts: c.experts,
        sizes: c.sizes,
        precision: a.precision,
        dtype: storage(a.precision),
        data,
        debugOutputs: choice === 'input',
      });
      paths[choice] = join(a.dir, `${choice}_${tag}.onnx`);
      writeModel(b.model(), paths[choice]);
    }
  } finally {
    data.close();
  }
  return paths;
}

async function outputs(path: string, feeds: Feeds): Promise<Record<string, Tensor>> {
  const session = await createSession(path, { threads: 1 });
  try {
    return await run(session, feeds);
  } finally {
    await releaseSession(session);
  }
}

const logits = async (path: string, feeds: Feeds) => readFloat32((await outputs(path, feeds)).logits!);

/** Every token of every layer on expert `k` (the input-choice graph's feed). */
function everyTokenOn(c: Case, k: number): Feeds {
  const [L, B, T] = [c.ir.config.numLayers, c.ref.ids.length, c.ref.ids[0]!.length];
  return {
    ...tokenFeeds({ ids: c.ref.ids }),
    expert_choice: int64Tensor(new Array<number>(L * B * T).fill(k), [L, B, T]),
  };
}

/** The initializer names of a graph and its nodes of one op type. */
function structure(path: string, opType: string) {
  const model = onnx.ModelProto.decode(readFileSync(path));
  const names = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const nodes = (model.graph?.node ?? []).filter((n) => n.opType === opType);
  return { names, nodes };
}

describe.each(['qwen2-tied', 'gpt2'])('%s with adapted experts', (name) => {
  const precisions = ['fp16', 'q8', 'q4', 'q4f16'] as const;
  let c: Case;
  let dir: string;

  it.each(precisions)(
    '%s: threshold 0 equals the same-precision dense graph; a forced smaller expert is the adapted one',
    async (precision) => {
      if (!c) {
        c = await setup(name);
        dir = mkdtempSync(join(root, `${name}-`));
      }
      const moe = await writeMoe(c, { dir, precision });
      const dense = await writeDecoder(
        permutedFfnIr(
          c.ir,
          c.experts.map((e) => e.permutation),
        ),
        { dir, fileName: `dense_${precision}.onnx`, precision, dtype: storage(precision) },
      );
      for (const path of [...Object.values(moe), dense.modelPath]) checkOnnxModel(path);
      const ids = tokenFeeds({ ids: c.ref.ids });
      const atZero = maxAbsDiff(
        await logits(moe.router, { ...ids, router_threshold: float32Tensor([0], []) }),
        await logits(dense.modelPath, ids),
      );
      expect(atZero).toBeLessThan(MOE_TOLERANCE[precision]);

      // Every token on expert 0, layer by layer on the graph's own FFN inputs: the precision's FFN output
      // against the fp32 adapted expert (JS), which must be much nearer than the bare prefix is to it.
      const out = await outputs(moe.input, everyTokenOn(c, 0));
      let quantized = 0;
      let unadapted = 0;
      for (let l = 0; l < c.ir.config.numLayers; l++) {
        const x = readFloat32(out[`mlp_input.${l}`]!);
        const js = await loadJsFfn(c.ir.layers[l]!, c.ir.config.hidden);
        const e = c.experts[l]!;
        const { down, bias } = e.adapted![0]!;
        const want = adaptedFfn(js, x, { perm: e.permutation, width: c.sizes[0]!, down, bias });
        const rows = x.length / c.ir.config.hidden;
        const bare = prefixFfn(js, x, e.permutation, new Array<number>(rows).fill(c.sizes[0]!));
        quantized = Math.max(quantized, maxAbsDiff(readFloat32(out[`mlp_output.${l}`]!), want));
        unadapted = Math.max(unadapted, maxAbsDiff(bare, want));
      }
      console.log(
        `${name} ${precision} adapted: |Δ| t=0 vs dense ${atZero.toExponential(2)}; expert 0's FFN vs fp32 ` +
          `adapted ${quantized.toExponential(2)}, bare prefix vs adapted ${unadapted.toExponential(2)}`,
      );
      expect(quantized).toBeLessThan(unadapted / 4);
    },
  );

  it('q4 holds each adapted W_k as its own MatMulNBits (K = n_k, blocks of 32), q8 as uint8 columns', async () => {
    const down = (l: number) => c.ir.layers[l]!.ffn.down.weight.name;
    const q4 = structure(join(dir, 'router_q4.onnx'), 'MatMulNBits');
    const q8 = structure(join(dir, 'router_q8.onnx'), 'MatMulInteger');
    const fp16 = structure(join(dir, 'router_fp16.onnx'), 'MatMul');
    const attr = (n: (typeof q4.nodes)[number], key: string) =>
      Number((n.attribute ?? []).find((a) => a.name === key)?.i);
    for (let l = 0; l < c.ir.config.numLayers; l++) {
      for (let k = 0; k < c.sizes.length - 1; k++) {
        const w = `${down(l)}.adapted.${k}`;
        const nbits = q4.nodes.filter((n) => n.input?.[1] === `${w}.q4`);
        // One per graph use: the router graph runs expert k once (on its rows).
        expect(nbits.length, w).toBeGreaterThan(0);
        for (const n of nbits) {
          expect([attr(n, 'K'), attr(n, 'N'), attr(n, 'block_size')]).toEqual([
            c.sizes[k],
            c.ir.config.hidden,
            32,
          ]);
        }
        expect(c.sizes[k]! % 32).toBe(0);
        expect(q4.names.has(`${w}.q4.scales`) && q4.names.has(`${w}.q4.zero_points`)).toBe(true);
        expect(q4.names.has(`${down(l)}.adapted_bias.${k}`)).toBe(true);
        expect(q8.nodes.some((n) => n.input?.[1] === `${w}.q8`)).toBe(true);
        expect(fp16.names.get(w)?.dataType).toBe(onnx.TensorProto.DataType.FLOAT16);
      }
    }
  });
});
