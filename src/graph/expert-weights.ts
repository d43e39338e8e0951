/**
 * One layer's FFN cut into nested blocks: neurons permuted (perm[new] = old) and block j = permuted neurons
 * [n_{j−1}, n_j). Gate/up columns and their biases and down rows move together, so Σ_j block_j = the dense FFN.
 * Each checkpoint tensor is read, permuted and written block by block before the next is read. Graphs sharing one
 * external data file (router, fixed, input-choice, probe graphs of one conversion) reuse the blocks already
 * written without reading the checkpoint again; they must therefore share the permutation and sizes.
 */
import { permuteRows } from '../experts/permutation.js';
import { ELEM, type ElemType } from '../onnx/builder.js';
import { elemSize, numElements } from '../onnx/dtype.js';
import type { Ffn, Linear } from '../ir/model.js';
import { InternalError } from '../util/errors.js';
import type { DecoderContext, WeightDtype } from './context.js';
import { sharedLinear, storeLinear } from './precision/linear-store.js';
import type { LinearWeight } from './precision/linear-weight.js';
import { transpose2d } from './transpose.js';
import { readLinear, readVector } from './weights.js';

/**
 * Block j's weights in the graph's precision (each its own initializer set, so a 4-bit block is its own
 * MatMulNBits; precision/linear-weight.ts); biases as float32 values.
 */
export interface BlockWeights {
  readonly up: LinearWeight; // [hidden, w_j]
  readonly down: LinearWeight; // [w_j, hidden]
  readonly gate?: LinearWeight; // [hidden, w_j]
  readonly upBias?: string; // [w_j]
  readonly gateBias?: string; // [w_j]
}

export interface ExpertWeights {
  readonly blocks: readonly BlockWeights[];
  /** The FFN output bias (GPT-2): added once, to block 0. */
  readonly downBias?: string;
}

interface Block {
  readonly start: number;
  readonly end: number;
}

export async function expertWeights(
  ctx: DecoderContext,
  ffn: Ffn,
  plan: {
    permutation: Int32Array;
    sizes: readonly number[];
    /** `experts.adapt: joint`: the shared down projection [ffn, hidden], already in the permuted order. */
    sharedDown?: () => Promise<Float32Array>;
  },
): Promise<ExpertWeights> {
  const bounds = plan.sizes.map((end, j) => ({ start: j === 0 ? 0 : plan.sizes[j - 1]!, end }));
  const hidden = ctx.config.hidden;
  const args = { perm: plan.permutation, bounds, hidden };
  const gate = ffn.kind === 'gated' ? await projectionBlocks(ctx, ffn.gate, args) : undefined;
  const up = await projectionBlocks(ctx, ffn.up, args);
  const down = plan.sharedDown
    ? await sharedDownBlocks(ctx, ffn.down, { ...args, read: plan.sharedDown })
    : await downBlocks(ctx, ffn.down, args);
  const blocks = bounds.map((_, j) => ({
    up: up.weights[j]!,
    down: down[j]!,
    ...(gate && { gate: gate.weights[j]! }),
    ...(up.biases && { upBias: up.biases[j]! }),
    ...(gate?.biases && { gateBias: gate.biases[j]! }),
  }));
  const downBias = ffn.down.bias
    ? ctx.weight(ffn.down.bias.name, await readVector(ffn.down.bias, hidden), [hidden])
    : undefined;
  return { blocks, ...(downBias && { downBias }) };
}

interface BlockArgs {
  readonly perm: Int32Array;
  readonly bounds: readonly Block[];
  readonly hidden: number;
}

/** gate/up: weight [hidden, ffn] → per block [hidden, w_j]; bias [ffn] → [w_j]. */
async function projectionBlocks(
  ctx: DecoderContext,
  lin: Linear,
  a: BlockArgs,
): Promise<{ weights: LinearWeight[]; biases?: string[] }> {
  const shape = (b: Block) => ({ k: a.hidden, n: b.end - b.start });
  const weights = await linearBlocks(ctx, lin.weight.name, a.bounds, shape, async () => {
    if (lin.layout === 'out_in') {
      // Stored [ffn, hidden] (torch): a block's neurons are whole rows there, so they are copied as rows and only
      // the block is transposed — the same values as transposing the whole tensor and gathering its columns
      // (out[r, c] = w[perm[c], r] either way), one pass over the tensor fewer.
      const w = await readLinear(lin, 'out_in'); // [ffn, hidden]
      return (b) =>
        transpose2d(permuteRows(w, a.perm.subarray(b.start, b.end), a.hidden), b.end - b.start, a.hidden);
    }
    const w = await readLinear(lin, 'in_out'); // [hidden, ffn]
    return (b) => gatherColumns(w, a.perm.subarray(b.start, b.end), lin.outFeatures);
  });
  if (!lin.bias) return { weights };
  const bias = lin.bias;
  const biases = await vectorBlocks(
    ctx,
    bias.name,
    a.bounds,
    (b) => [b.end - b.start],
    async () => {
      const v = await readVector(bias, lin.outFeatures); // [ffn]
      return (b) => permuteRows(v, a.perm.subarray(b.start, b.end), 1);
    },
  );
  return { weights, biases };
}

/** down: weight [ffn, hidden] → per block rows [w_j, hidden]. */
async function downBlocks(ctx: DecoderContext, lin: Linear, a: BlockArgs): Promise<LinearWeight[]> {
  return linearBlocks(
    ctx,
    lin.weight.name,
    a.bounds,
    (b) => ({ k: b.end - b.start, n: a.hidden }),
    async () => {
      const w = await readLinear(lin, 'in_out'); // [ffn, hidden]
      return (b) => permuteRows(w, a.perm.subarray(b.start, b.end), a.hidden);
    },
  );
}

/**
 * The joint shared down projection's row blocks, named apart from the checkpoint's (`<down>.joint.block.{j}`) so a
 * data file never mixes the two.
 */
async function sharedDownBlocks(
  ctx: DecoderContext,
  lin: Linear,
  a: BlockArgs & { read: () => Promise<Float32Array> },
): Promise<LinearWeight[]> {
  return linearBlocks(
    ctx,
    `${lin.weight.name}.joint`,
    a.bounds,
    (b) => ({ k: b.end - b.start, n: a.hidden }),
    async () => {
      const w = await a.read(); // [ffn, hidden], permuted rows
      if (w.length !== lin.inFeatures * a.hidden) {
        throw new InternalError(
          `joint down projection of ${lin.weight.name}: ${w.length} values, expected ${lin.inFeatures * a.hidden}`,
        );
      }
      return (b) => w.slice(b.start * a.hidden, b.end * a.hidden);
    },
  );
}

/**
 * The linear blocks of tensor `name`, named `${name}.block.${j}` ([k, n] = [in, out] each): reused when a graph
 * sharing the data file already wrote them all, else `load` reads the tensor once and cuts each block.
 */
async function linearBlocks(
  ctx: DecoderContext,
  name: string,
  bounds: readonly Block[],
  shape: (b: Block) => { k: number; n: number },
  load: () => Promise<(b: Block) => Float32Array>,
): Promise<LinearWeight[]> {
  const names = bounds.map((_, j) => `${name}.block.${j}`);
  const shared = bounds.map((b, j) => sharedLinear(ctx, { name: names[j]!, ...shape(b) }));
  if (shared.every((w) => w !== undefined)) return shared;
  if (shared.some((w) => w !== undefined))
    throw new InternalError(`shared weight ${name}: only some of its blocks were written`);
  const cut = await load();
  return bounds.map((b, j) =>
    storeLinear(ctx, { name: names[j]!, data: cut(b), ...shape(b), layout: 'in_out' }),
  );
}

/** Bias blocks [w_j], as float32 values; reused like `linearBlocks`. */
async function vectorBlocks(
  ctx: DecoderContext,
  name: string,
  bounds: readonly Block[],
  dims: (b: Block) => number[],
  load: () => Promise<(b: Block) => Float32Array>,
): Promise<string[]> {
  const names = bounds.map((_, j) => `${name}.block.${j}`);
  if (names.every((n) => ctx.b.data?.segment(n))) {
    return names.map((n, j) => reuseWeight(ctx, n, dims(bounds[j]!)));
  }
  const cut = await load();
  return bounds.map((b, j) => ctx.weight(names[j]!, cut(b), dims(b)));
}

const STORED: Readonly<Record<WeightDtype, ElemType>> = {
  float32: ELEM.float,
  float16: ELEM.float16,
  bfloat16: ELEM.bfloat16,
};

/** The stored vector as a float32 value: the same Cast-on-load `makeContext` emits for 16-bit weights. */
function reuseWeight(ctx: DecoderContext, name: string, dims: readonly number[]): string {
  const type = STORED[ctx.dtype];
  const bytes = numElements(dims) * elemSize(type);
  const length = ctx.b.data?.segment(name)?.length;
  if (length !== bytes) {
    throw new InternalError(
      `shared weight ${name}: ${length} bytes stored, ${bytes} expected (other dtype?)`,
    );
  }
  const stored = ctx.b.sharedWeight(name, type, dims);
  if (type === ELEM.float) return stored;
  return ctx.b.op('Cast', [stored], { to: ELEM.float }, { name: `${name}/to_float` })[0]!;
}

/** out[r, c] = w[r, cols[c]] for a row-major [rows, width] matrix: permutes and slices in one pass. */
export function gatherColumns(w: Float32Array, cols: Int32Array, width: number): Float32Array {
  const rows = w.length / width;
  const n = cols.length;
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const src = r * width;
    const dst = r * n;
    for (let c = 0; c < n; c++) out[dst + c] = w[src + cols[c]!]!;
  }
  return out;
}
