/**
 * Parts of one decoder layer opened together over one weight sink (pipeline/part-session.ts `openParts`, as the
 * layer sweep opens a layer's dense, input-choice, router and oracle graphs): the nested expert blocks and the
 * attention weights are stored once for every graph, each graph built over the shared sink is byte for byte the
 * graph built alone, and its outputs are the outputs of the part opened alone; on real kjv-llama weights (stored
 * bf16, as a bf16 checkpoint's parts are) and real ORT sessions, weights fed as inputs and as initializers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { textWindows } from '../src/data/windows.js';
import { loadModelIR } from '../src/families/load.js';
import { buildLayerGraph } from '../src/graph/layer-graph.js';
import { moeFfn } from '../src/graph/moe-ffn.js';
import { DIMS } from '../src/graph/context.js';
import { EXPERT_CHOICE, EXPERT_INDEX, HIDDEN_OUT, ROUTER_THRESHOLD } from '../src/graph/names.js';
import type { ModelIR } from '../src/ir/model.js';
import { ELEM, encodeModel, type WeightSink, WeightInputs } from '../src/onnx/builder.js';
import {
  batchWindows,
  embedAll,
  newHiddenStates,
  passBatches,
  type RunnerSetup,
} from '../src/pipeline/layer-runner.js';
import { openPart, openParts, type PartSession, type PartSpec } from '../src/pipeline/part-session.js';
import type { Feeds } from '../src/runtime/session.js';
import { float32Tensor, int64Tensor, readFloat32 } from '../src/runtime/tensors.js';
import { InternalError } from '../src/util/errors.js';

const KJV = new URL('../fixtures/kjv-llama/', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'moefy-shared-parts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const KINDS = ['input', 'oracle'] as const;
type Kind = (typeof KINDS)[number];

/** Layer 0 of kind `kind` with nested experts of a reversed neuron order, as the sweep builds it (bf16 weights). */
function layerSpec(ir: ModelIR, kind: Kind): PartSpec {
  const ffnDim = ir.layers[0]!.ffn.down.inFeatures;
  const sizes = [ffnDim / 4, ffnDim / 2, (3 * ffnDim) / 4, ffnDim];
  const permutation = Int32Array.from({ length: ffnDim }, (_, i) => ffnDim - 1 - i);
  return {
    name: `layer.0.${kind}`,
    build: async (data: WeightSink) => {
      let choice = '';
      const ffn = moeFfn({
        sizes,
        layers: ir.layers.map(() => ({ permutation })),
        choice: { kind },
        onChoice: (_, c) => (choice = c),
      });
      const b = await buildLayerGraph(ir, 0, { data, dtype: 'bfloat16', ffn });
      b.output(EXPERT_INDEX, choice, ELEM.int64, [DIMS.batch, DIMS.seq]);
      return b;
    },
  };
}

async function setupOf(weights: 'inputs' | 'initializers'): Promise<RunnerSetup> {
  const ir = await loadModelIR(KJV);
  const ids = loadTokenizer(KJV).encode(readFileSync(join(KJV, 'eval.txt'), 'utf8'));
  const windows = textWindows({ ids, seqLen: 32, maxTokens: 128 });
  return {
    ir,
    batches: batchWindows(windows, 2),
    dir: root,
    device: 'cpu',
    memoryBudgetBytes: 2 ** 30,
    weights,
  };
}

/** hidden_out and expert_index of every batch through `part`, from the same embedded hidden states. */
async function outputsOf(setup: RunnerSetup, part: PartSession, kind: Kind): Promise<Float32Array[]> {
  const hidden = newHiddenStates(setup, `h.${kind}`);
  await embedAll(setup, hidden);
  const got: Float32Array[] = [];
  const layers = setup.ir.config.numLayers;
  await passBatches(setup, part, hidden, {
    outputs: [EXPERT_INDEX],
    extraFeeds: (_, rows): Feeds =>
      kind === 'input'
        ? { [EXPERT_CHOICE]: int64Tensor(new BigInt64Array(layers * rows * 32).fill(2n), [layers, rows, 32]) }
        : { [ROUTER_THRESHOLD]: float32Tensor([0.05], []) },
    visit: (_, out) => {
      got.push(readFloat32(out[HIDDEN_OUT]!).slice());
      got.push(Float32Array.from(out[EXPERT_INDEX]!.data as BigInt64Array, Number));
    },
  });
  hidden.release();
  return got;
}

describe('parts opened together over one weight sink', () => {
  it('store every nested expert block once; each graph is the graph built alone, byte for byte', async () => {
    const { ir } = await setupOf('inputs');
    const shared = new WeightInputs();
    const models = [];
    for (const kind of KINDS) models.push(encodeModel((await layerSpec(ir, kind).build(shared)).model()));
    for (const [k, kind] of KINDS.entries()) {
      const alone = new WeightInputs();
      expect(Buffer.compare(encodeModel((await layerSpec(ir, kind).build(alone)).model()), models[k]!)).toBe(
        0,
      );
      // Every weight the graph takes alone is in the shared sink once, with the same bytes.
      for (const w of alone.weights) {
        const s = shared.weights.filter((x) => x.name === w.name);
        expect(s).toHaveLength(1);
        expect(s[0]!.stored).toBe(w.stored);
        expect(Buffer.compare(bytesOf(s[0]!.bytes), bytesOf(w.bytes))).toBe(0);
      }
    }
    const blocks = shared.weights.filter((w) => w.name.includes('.block.'));
    expect(blocks).toHaveLength(3 * 4); // gate, up, down × 4 blocks, once for both graphs
  });

  it.each(['inputs', 'initializers'] as const)(
    'compute what each part opened alone computes (weights as %s)',
    async (weights) => {
      const setup = await setupOf(weights);
      const together = await openParts(
        KINDS.map((k) => layerSpec(setup.ir, k)),
        setup,
      );
      try {
        for (const [k, kind] of KINDS.entries()) {
          const spec = layerSpec(setup.ir, kind);
          const alone = await openPart(`${spec.name}.alone`, spec.build, setup);
          try {
            expect(await outputsOf(setup, together[k]!, kind)).toEqual(await outputsOf(setup, alone, kind));
          } finally {
            await alone.release();
          }
        }
      } finally {
        for (const part of together) await part.release();
      }
    },
  );

  it('a weight added again under its name must be the same tensor (InternalError otherwise)', () => {
    const sink = new WeightInputs();
    sink.add('w', ELEM.float, [2, 2], new Uint8Array(16));
    sink.add('w', ELEM.float, [2, 2], new Uint8Array(16).fill(1)); // same name, same shape: the first bytes stay
    expect(sink.weights).toHaveLength(1);
    expect(sink.segment('w')).toEqual({ offset: 0, length: 16 });
    expect(sink.segment('v')).toBeUndefined();
    expect(() => sink.add('w', ELEM.float, [4], new Uint8Array(16))).toThrow(InternalError);
    expect(() => sink.add('w', ELEM.bfloat16, [2, 4], new Uint8Array(16))).toThrow(
      'weight input w: added again as BF16 [2, 4], was F32 [2, 2]',
    );
  });
});

function bytesOf(b: WeightInputs['weights'][number]['bytes']): Buffer {
  return b instanceof Uint8Array ? Buffer.from(b) : Buffer.concat([...b.chunks()]);
}
