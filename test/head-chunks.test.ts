/**
 * The LM head in vocabulary chunks and the embedding gathered to the ids in use (src/eval/head-scores.ts,
 * src/pipeline/vocab-rows.ts), on real checkpoints and ORT sessions: the quality the layer-sequential head gives
 * equals the whole graph's (≤ 1e-5 relative: the layered hidden states differ by ≤ 1e-5), and the head cut into
 * small chunks gives the quality of the head in one piece (float64 rounding), untied and tied heads, Gemma 2's
 * soft-capped logits, and every precision that evaluates layer by layer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { textWindows } from '../src/data/windows.js';
import { headChunkRows, headQualities } from '../src/eval/head-scores.js';
import { QualityAccumulator } from '../src/eval/perplexity.js';
import { nextTokens } from '../src/eval/quality.js';
import { loadModelIR } from '../src/families/load.js';
import { buildLayerGraph } from '../src/graph/layer-graph.js';
import { LOGITS } from '../src/graph/names.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import type { ModelIR } from '../src/ir/model.js';
import type { Precision } from '../src/ir/precision.js';
import { partModel } from '../src/pipeline/float32-storage.js';
import type { HiddenStates } from '../src/pipeline/hidden-states.js';
import {
  batchWindows,
  dtypeOf,
  embedAll,
  newHiddenStates,
  passBatches,
  type RunnerSetup,
} from '../src/pipeline/layer-runner.js';
import { openPart } from '../src/pipeline/part-session.js';
import { tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, run } from '../src/runtime/session.js';
import { readFloat32 } from '../src/runtime/tensors.js';
import { fixtureDir, openReference } from './support/golden.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-head-chunks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Embedding and every decoder layer, one part at a time: the hidden states the head part takes. */
async function lastHidden(setup: RunnerSetup): Promise<HiddenStates> {
  const hidden = newHiddenStates(setup, 'hidden');
  await embedAll(setup, hidden);
  for (const layer of setup.ir.layers) {
    const part = await openPart(
      `layer.${layer.index}`,
      (data) => buildLayerGraph(setup.ir, layer.index, { data, ...dtypeOf(setup) }),
      setup,
    );
    await passBatches(setup, part, hidden);
    await part.release();
  }
  return hidden;
}

async function setupOf(name: string, precision: Precision = 'fp32') {
  const ir = await loadModelIR(fixtureDir(name));
  const ref = await openReference(fixtureDir(name));
  const seq = ref.ids[0]!.length;
  const windows = textWindows({ ids: ref.ids.flat(), seqLen: seq, maxTokens: ref.ids.flat().length });
  const setup: RunnerSetup = {
    ir: partModel(ir, undefined),
    batches: batchWindows(windows, 1),
    dir: mkdtempSync(join(root, `${name}-`)),
    device: 'cpu',
    threads: 1,
    memoryBudgetBytes: Infinity,
    precision,
    // As the layer sweep runs them: quantized parts keep initializers.
    ...(precision !== 'fp32' && { weights: 'initializers' as const }),
  };
  return { ir, ref, setup };
}

/** 256 ids in chunks of 100, 100, 56 (and of 7: 37 chunks). */
const SMALL_CHUNKS = [100, 7];

describe.each(['kjv-llama', 'llama-sharded-bf16', 'qwen2-tied', 'gpt2', 'gemma2'])('%s head', (name) => {
  it('in vocabulary chunks scores as the whole graph’s logits, the embedding gathered to the ids in use', async () => {
    const { ir, ref, setup } = await setupOf(name);
    const graph = await writeDecoder(ir, { dir: setup.dir });
    const whole = await run(
      await createSession(graph.modelPath, { threads: 1 }),
      tokenFeeds({ ids: ref.ids }),
      [LOGITS],
    );
    const expected = new QualityAccumulator();
    expected.add({
      logits: readFloat32(whole[LOGITS]!),
      batch: ref.ids.length,
      seq: ref.ids[0]!.length,
      vocab: ir.config.vocabSize,
      targets: nextTokens(ref.ids),
    });
    const want = expected.totals();
    const hidden = await lastHidden(setup);
    const [one, ...chunked] = await headQualities(setup, { ir, states: [hidden] }).then(async (first) => [
      first[0]!,
      ...(await Promise.all(
        SMALL_CHUNKS.map(
          async (rows) => (await headQualities(setup, { ir, states: [hidden], chunkRows: rows }))[0]!,
        ),
      )),
    ]);
    hidden.release();
    expect(headChunkRows(ir, 'fp32')).toBe(ir.config.vocabSize);
    expect(one!.tokens).toBe(want.tokens);
    expect(Math.abs(one!.meanNll - want.meanNll) / want.meanNll).toBeLessThan(1e-5);
    for (const got of chunked) {
      expect(got.tokens).toBe(one!.tokens);
      expect(got.accuracy).toBe(one!.accuracy);
      expect(Math.abs(got.meanNll - one!.meanNll) / one!.meanNll).toBeLessThan(1e-12);
    }
  });
});

describe.each(['q4', 'q8', 'fp16', 'q4f16'] as const)('the %s head', (precision) => {
  it.each(['kjv-llama', 'qwen2-tied'])(
    'of %s in chunks scores as in one piece (tied q8: kept whole)',
    async (name) => {
      const { ir, setup } = await setupOf(name, precision);
      const hidden = await lastHidden(setup);
      const one = (await headQualities(setup, { ir, states: [hidden], chunkRows: ir.config.vocabSize }))[0]!;
      const tiedQ8 = precision === 'q8' && name === 'qwen2-tied';
      const chunked = (
        await headQualities(setup, { ir, states: [hidden], ...(!tiedQ8 && { chunkRows: 100 }) })
      )[0]!;
      hidden.release();
      expect(chunked.tokens).toBe(one.tokens);
      expect(chunked.accuracy).toBe(one.accuracy);
      expect(Math.abs(chunked.meanNll - one.meanNll) / one.meanNll).toBeLessThan(1e-12);
    },
  );
});

describe('head chunk size', () => {
  it('is 256 MiB of float32 rows, except a tied q8 head (one scale over the whole table)', async () => {
    const ir = await loadModelIR(fixtureDir('qwen2-tied'));
    const big: ModelIR = { ...ir, config: { ...ir.config, vocabSize: 128256, hidden: 4096 } };
    expect(headChunkRows(big, 'fp32')).toBe(16384);
    expect(headChunkRows(big, 'q4')).toBe(16384);
    expect(headChunkRows(big, 'q8')).toBe(128256);
    const untied = await loadModelIR(fixtureDir('kjv-llama'));
    expect(
      headChunkRows({ ...untied, config: { ...untied.config, vocabSize: 128256, hidden: 4096 } }, 'q8'),
    ).toBe(16384);
  });
});
