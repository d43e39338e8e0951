/**
 * MoE and dense graphs in every precision on golden checkpoints, in real ORT sessions: the 4-bit MoE keeps each
 * nested block as its own MatMulNBits weight and at threshold 0 equals the 4-bit dense graph built from the MoE's
 * neuron order (the same quantized weights); fp16 routes in float32, so a threshold between a token's predicted
 * error and that threshold's float16 rounding still decides as float32 does; every variant passes the ONNX checker
 * (ORT checks the com.microsoft nodes by loading and running them). Also: graphs sharing a bf16 data file read the
 * blocks back as bf16.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { f16BitsToFloat, float32ToHalfBits } from '../src/checkpoint/float-convert.js';
import { permutedFfnIr } from '../src/experts/permuted-ir.js';
import { loadModelIR } from '../src/families/load.js';
import type { WeightDtype } from '../src/graph/context.js';
import { buildMoeDecoder, type MoeDecoderOptions } from '../src/graph/moe-decoder.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import { expertSizes } from '../src/ir/flops.js';
import type { ModelIR } from '../src/ir/model.js';
import { PRECISIONS, type Precision } from '../src/ir/precision.js';
import { ExternalDataWriter, writeModel } from '../src/onnx/builder.js';
import { onnx } from '../src/onnx/proto.js';
import { routerForward } from '../src/router/forward.js';
import { LOG_ERROR_DELTA } from '../src/router/targets.js';
import { tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, type Feeds, releaseSession, run, type Tensor } from '../src/runtime/session.js';
import { float32Tensor, int64Tensor, readFloat32, readInt64 } from '../src/runtime/tensors.js';
import { fixtureDir, maxAbsDiff, openReference } from './support/golden.js';
import { caseExperts } from './support/moe-build.js';
import { checkOnnxModel } from './support/onnx-checker.js';
import { chooseExpert } from './support/router-reference.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-precision-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const threshold = (t: number): Feeds => ({ router_threshold: float32Tensor([t], []) });

/** |Δ logits|: MoE at threshold 0 vs dense of the same precision, and that dense vs the fp32 golden logits. */
const TOLERANCE: Record<Precision, { moe: number; golden: number }> = {
  fp32: { moe: 1e-4, golden: 1e-4 },
  fp16: { moe: 1e-2, golden: 2e-2 },
  q8: { moe: 0.3, golden: 0.5 },
  q4: { moe: 1e-4, golden: 2 }, // 4 bits on 64-wide random weights: coarse (kjv perplexity is the real measure)
  q4f16: { moe: 1e-2, golden: 2 },
};

interface Built {
  readonly ir: ModelIR;
  readonly sizes: readonly number[];
  readonly experts: ReturnType<typeof caseExperts>;
}

async function setup(name: string, align: number): Promise<Built> {
  const ir = await loadModelIR(fixtureDir(name));
  const sizes = expertSizes(ir.config.ffnDim, [0.25, 0.5, 1], align);
  return { ir, sizes, experts: caseExperts(ir, sizes) };
}

/** Writes MoE graphs (sharing one data file) and returns their paths. */
async function writeMoe(
  c: Built,
  a: {
    dir: string;
    precision: Precision;
    dtype?: WeightDtype;
    graphs: Record<string, Partial<MoeDecoderOptions>>;
  },
): Promise<Record<string, string>> {
  const data = new ExternalDataWriter(join(a.dir, `moe_${a.precision}.onnx.data`));
  const paths: Record<string, string> = {};
  try {
    for (const [name, opts] of Object.entries(a.graphs)) {
      const b = await buildMoeDecoder(c.ir, {
        choice: 'router',
        ...opts,
        experts: c.experts,
        sizes: c.sizes,
        precision: a.precision,
        dtype: a.dtype ?? (a.precision === 'fp16' || a.precision === 'q4f16' ? 'float16' : 'float32'),
        data,
      });
      paths[name] = join(a.dir, `${name}_${a.precision}.onnx`);
      writeModel(b.model(), paths[name]!);
    }
  } finally {
    data.close();
  }
  return paths;
}

async function runOnce(path: string, feeds: Feeds): Promise<Record<string, Tensor>> {
  const session = await createSession(path, { threads: 1 });
  try {
    return await run(session, feeds);
  } finally {
    await releaseSession(session);
  }
}

/**
 * qwen2-tied: biases, a tied head (quantized from the embedding rows in 4-bit), the harder path of each precision;
 * gpt2: in_out weights, FFN biases, learned positions. The newer families in the precisions whose math differs
 * (float16 linears, 4-bit blocks): gemma2's embedding scale, sandwich norms and attention/final soft-caps,
 * gemma3's q/k norms and local RoPE, phi3's fused projections — norms, soft-caps and softmax stay float32.
 */
const CASES: readonly (readonly [string, readonly Precision[]])[] = [
  ['qwen2-tied', PRECISIONS],
  ['gpt2', PRECISIONS],
  ['gemma2', ['fp16', 'q4', 'q4f16']],
  ['gemma3-text', ['fp16', 'q4f16']],
  ['phi3', ['fp16', 'q4']],
];
describe.each(CASES)('%s in its precisions', (name, precisions) => {
  it.each(precisions)(
    '%s: MoE at threshold 0 equals the same-precision dense graph; graphs pass the checker',
    async (precision) => {
      const c = await setup(name, 32);
      const dir = mkdtempSync(join(root, `${name}-${precision}-`));
      const moe = await writeMoe(c, {
        dir,
        precision,
        graphs: { router: {}, fixed: { choice: 'fixed', threshold: 0.05 } },
      });
      const dense = await writeDecoder(
        permutedFfnIr(
          c.ir,
          c.experts.map((e) => e.permutation),
        ),
        {
          dir,
          fileName: `dense_${precision}.onnx`,
          precision,
          dtype: precision === 'fp16' || precision === 'q4f16' ? 'float16' : 'float32',
        },
      );
      for (const path of [...Object.values(moe), dense.modelPath]) checkOnnxModel(path);
      const ref = await openReference(fixtureDir(name));
      const ids = tokenFeeds({ ids: ref.ids });
      const routed = await runOnce(moe.router!, { ...ids, ...threshold(0) });
      const plain = await runOnce(dense.modelPath, ids);
      const diff = maxAbsDiff(readFloat32(routed.logits!), readFloat32(plain.logits!));
      // Same weights, block sums in another order: float32 rounding, or float16 where the linears compute in
      // it; q8 quantizes each block’s activations with their own range.
      expect(diff).toBeLessThan(TOLERANCE[precision].moe);
      const golden = maxAbsDiff(readFloat32(plain.logits!), await ref.read('logits'));
      expect(golden).toBeLessThan(TOLERANCE[precision].golden);
      console.log(
        `${name} ${precision}: |Δ| MoE t=0 vs dense ${diff.toExponential(2)}, dense vs fp32 golden ${golden.toExponential(2)}`,
      );
    },
  );
});

describe('4-bit MoE graph', () => {
  it('holds each nested block of every layer as its own MatMulNBits set, blocks of 32 along the input', async () => {
    const c = await setup('qwen2-tied', 32);
    const dir = mkdtempSync(join(root, 'q4-structure-'));
    const { router } = await writeMoe(c, { dir, precision: 'q4', graphs: { router: {} } });
    const model = onnx.ModelProto.decode(readFileSync(router!));
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([
      ['', 17],
      ['com.microsoft', 1],
    ]);
    const nbits = (model.graph?.node ?? []).filter((n) => n.opType === 'MatMulNBits');
    const attr = (n: (typeof nbits)[number], key: string) =>
      Number((n.attribute ?? []).find((a) => a.name === key)?.i);
    const { numLayers, ffnDim, hidden } = c.ir.config;
    // Per layer q, k, v, o + gate/up/down per block; the tied head quantized from the embedding rows.
    expect(nbits).toHaveLength(numLayers * (4 + 3 * c.sizes.length) + 1);
    expect(
      nbits.every(
        (n) => n.domain === 'com.microsoft' && attr(n, 'bits') === 4 && attr(n, 'block_size') === 32,
      ),
    ).toBe(true);
    const widths = c.sizes.map((n, j) => n - (c.sizes[j - 1] ?? 0)); // 32, 64, 64 neurons
    const downs = nbits.filter(
      (n) => n.input?.[1]?.includes('down_proj') && n.input[1]!.startsWith('model.layers.0.'),
    );
    expect(downs.map((n) => [attr(n, 'K'), attr(n, 'N')])).toEqual(widths.map((w) => [w, hidden]));
    expect(widths.every((w) => w % 32 === 0)).toBe(true);
    expect(c.sizes.at(-1)).toBe(ffnDim);
    const names = new Set((model.graph?.initializer ?? []).map((t) => t.name));
    for (let j = 0; j < c.sizes.length; j++) {
      for (const part of ['q4', 'q4.scales', 'q4.zero_points'])
        expect(names.has(`model.layers.0.mlp.down_proj.weight.block.${j}.${part}`)).toBe(true);
    }
  });
});

describe('fp16 routing', () => {
  it('compares predicted errors with the threshold in float32, where float16 rounding would flip the choice', async () => {
    const c = await setup('llama-gqa', 8);
    const dir = mkdtempSync(join(root, 'fp16-router-'));
    const { router } = await writeMoe(c, {
      dir,
      precision: 'fp16',
      graphs: { router: { debugOutputs: true } },
    });
    const ref = await openReference(fixtureDir('llama-gqa'));
    const feeds = tokenFeeds({ ids: ref.ids });
    const probe = await runOnce(router!, { ...feeds, ...threshold(0.05) });
    const x = readFloat32(probe['mlp_input.0']!); // layer 0's router input, as the fp16 graph computed it
    const rows = x.length / c.ir.config.hidden;
    const z = routerForward(c.experts[0]!.router!, x, rows);
    const k1 = c.sizes.length - 1;
    const e0 = Array.from({ length: rows }, (_, r) => Math.exp(z[r * k1]!) - LOG_ERROR_DELTA);
    // A row whose e0 sits low between two float16 neighbours: a float32 threshold just above e0 rounds to the
    // float16 value below e0, so comparing in float16 would reject expert 0 where float32 accepts it.
    const picked = e0
      .map((e, r) => ({ r, e, t: Math.fround(e * (1 + 1e-5)) }))
      .find(({ e, t }) => e > 1e-3 && halfRound(t) < e * (1 - 1e-5));
    expect(picked).toBeDefined();
    const { r, t } = picked!;
    const out = await runOnce(router!, { ...feeds, ...threshold(t) });
    const chosen = readInt64(out.expert_index!).slice(0, rows); // layer 0
    expect(chosen[r]).toBe(0);
    // Every other row of layer 0 chooses as the float32 reference does (away from float32 noise).
    for (let i = 0; i < rows; i++) {
      const zi = z.subarray(i * k1, (i + 1) * k1);
      const near = Array.from(zi).some((v) => Math.abs(Math.exp(v) - LOG_ERROR_DELTA - t) < 1e-6 * t);
      if (!near) expect(chosen[i]).toBe(chooseExpert(zi, t));
    }
  });
});

describe('graphs sharing a bf16 data file', () => {
  it('read the nested blocks back as bf16: the input-choice graph at full width equals the router at 0', async () => {
    const c = await setup('llama-sharded-bf16', 8);
    const dir = mkdtempSync(join(root, 'bf16-shared-'));
    const paths = await writeMoe(c, {
      dir,
      precision: 'fp32',
      dtype: 'bfloat16',
      graphs: { router: {}, input: { choice: 'input' } },
    });
    const ref = await openReference(fixtureDir('llama-sharded-bf16'));
    const [batch, seq] = [ref.ids.length, ref.ids[0]!.length];
    const layers = c.ir.config.numLayers;
    const full = int64Tensor(new Array<number>(layers * batch * seq).fill(c.sizes.length - 1), [
      layers,
      batch,
      seq,
    ]);
    const ids = tokenFeeds({ ids: ref.ids });
    const a = await runOnce(paths.router!, { ...ids, ...threshold(0) });
    const b = await runOnce(paths.input!, { ...ids, expert_choice: full });
    expect(maxAbsDiff(readFloat32(a.logits!), readFloat32(b.logits!))).toBeLessThan(1e-5);
    expect(maxAbsDiff(readFloat32(a.logits!), await ref.read('logits'))).toBeLessThan(1e-4);
  });
});

/** float32 → nearest float16 → float32. */
function halfRound(v: number): number {
  return f16BitsToFloat(float32ToHalfBits(Float32Array.of(v), 'F16')[0]!);
}
