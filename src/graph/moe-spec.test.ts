/** Bad MoE specs fail with InputError naming the field, before any weight is read; a single expert is the dense FFN. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelIR } from '../families/load.js';
import type { ModelIR } from '../ir/model.js';
import { ExternalDataWriter, writeModel } from '../onnx/builder.js';
import { initMlpRouter } from '../router/spec.js';
import { tokenFeeds } from '../runtime/decoder-feeds.js';
import { createSession, run } from '../runtime/session.js';
import { float32Tensor, readFloat32, readInt64 } from '../runtime/tensors.js';
import { InputError } from '../util/errors.js';
import { buildDecoder } from './decoder.js';
import { buildMoeDecoder, type MoeDecoderOptions } from './moe-decoder.js';
import type { LayerExperts } from './moe-spec.js';
import { buildProbe } from './probe.js';

const GPT2 = new URL('../../fixtures/golden/gpt2', import.meta.url).pathname; // hidden 64, ffn 256, 2 layers
const identity = Int32Array.from({ length: 256 }, (_, i) => i);
const router = initMlpRouter({ d: 64, hidden: 4, outputs: 2, seed: 1 });
const experts: LayerExperts[] = [
  { permutation: identity, router },
  { permutation: identity, router },
];
const good: MoeDecoderOptions = { experts, sizes: [64, 128, 256], choice: 'router' };
let ir: ModelIR;
const dir = mkdtempSync(join(tmpdir(), 'moefy-moe-spec-'));
beforeAll(async () => {
  ir = await loadModelIR(GPT2);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildMoeDecoder input checks', () => {
  const cases: [string, Partial<MoeDecoderOptions>, string][] = [
    [
      'sizes short of the FFN',
      { sizes: [64, 128] },
      'expert sizes [64, 128]: the last size must be the FFN width 256',
    ],
    [
      'sizes out of order',
      { sizes: [128, 64, 256] },
      'expert sizes [128, 64, 256]: expected strictly increasing positive integers, got 64 at 1',
    ],
    ['a missing layer', { experts: experts.slice(1) }, 'experts: expected 2 layers, got 1'],
    [
      'a short permutation',
      { experts: [{ permutation: Int32Array.of(0, 1, 2), router }, experts[1]!] },
      'experts.layers.0.permutation: expected 256 entries, got 3',
    ],
    [
      'a missing router',
      { experts: [experts[0]!, { permutation: identity }] },
      'experts.layers.1.router: required for router choices',
    ],
    [
      'a router of another width',
      {
        experts: [
          { permutation: identity, router: initMlpRouter({ d: 32, hidden: 4, outputs: 2, seed: 1 }) },
          experts[1]!,
        ],
      },
      'experts.layers.0.router: maps 32 → 2, expected 64 (hidden) → 2 (experts − 1)',
    ],
    [
      'a truncated router matrix',
      { experts: [{ permutation: identity, router: { ...router, w2: new Float32Array(3) } }, experts[1]!] },
      'experts.layers.0.router.w2: expected 8 values, got 3',
    ],
    [
      'a negative threshold scale',
      { experts: [experts[0]!, { permutation: identity, router, thresholdScale: -1 }] },
      'experts.layers.1.thresholdScale: expected a finite number ≥ 0, got -1',
    ],
    [
      'a fixed graph without threshold',
      { choice: 'fixed' },
      'fixed-threshold MoE graph: threshold is required',
    ],
    [
      'a fixed graph with a NaN threshold',
      { choice: 'fixed', threshold: NaN },
      'threshold: expected a finite number ≥ 0, got NaN',
    ],
    [
      'a router graph given a threshold',
      { threshold: 0.1 },
      'router-choice MoE graph: threshold is a graph input there, not an option',
    ],
  ];
  it.each(cases)('rejects %s', async (_, change, message) => {
    const build = buildMoeDecoder(ir, { ...good, ...change });
    await expect(build).rejects.toThrow(InputError);
    await expect(buildMoeDecoder(ir, { ...good, ...change })).rejects.toThrow(message);
  });

  it('needs no routers when choices come from the expert_choice input', async () => {
    const b = await buildMoeDecoder(ir, {
      ...good,
      choice: 'input',
      experts: experts.map((e) => ({ permutation: e.permutation })),
    });
    expect(b.model().graph!.input!.map((i) => i.name)).toContain('expert_choice');
  });

  it('rejects a probe of a layer the model lacks', async () => {
    const build = buildProbe(ir, { layer: 5, permutation: identity, sizes: [256] });
    await expect(build).rejects.toThrow(InputError);
    await expect(buildProbe(ir, { layer: 5, permutation: identity, sizes: [256] })).rejects.toThrow(
      'probe layer 5: the model has layers 0..1',
    );
  });
});

describe('a single expert', () => {
  it('is the dense model at any threshold and still takes router_threshold', async () => {
    const single = await buildMoeDecoder(ir, {
      experts: [{ permutation: identity }, { permutation: identity }],
      sizes: [256],
      choice: 'router',
    });
    writeModel(single.model(), join(dir, 'single.onnx'));
    writeModel((await buildDecoder(ir)).model(), join(dir, 'dense.onnx'));
    const feeds = tokenFeeds({ ids: [[1, 2, 3, 4]] });
    const moe = await run(await createSession(join(dir, 'single.onnx')), {
      ...feeds,
      router_threshold: float32Tensor([0.7], []),
    });
    const dense = await run(await createSession(join(dir, 'dense.onnx')), feeds);
    const [a, b] = [readFloat32(moe.logits!), readFloat32(dense.logits!)];
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThanOrEqual(1e-5);
    expect(readInt64(moe.expert_index!)).toEqual(new Array(8).fill(0));
  });
});

describe('float16 weights shared between graphs', () => {
  it('the second graph reuses the stored float16 blocks and computes the same logits', async () => {
    const data = new ExternalDataWriter(join(dir, 'f16.onnx.data'));
    const opts = { ...good, dtype: 'float16' as const, data };
    writeModel((await buildMoeDecoder(ir, opts)).model(), join(dir, 'f16-router.onnx'));
    const written = data.bytesWritten;
    writeModel(
      (await buildMoeDecoder(ir, { ...opts, choice: 'fixed', threshold: 0 })).model(),
      join(dir, 'f16-fixed.onnx'),
    );
    data.close();
    expect(data.bytesWritten).toBe(written);
    const feeds = tokenFeeds({ ids: [[5, 6, 7]] });
    const routed = await run(await createSession(join(dir, 'f16-router.onnx')), {
      ...feeds,
      router_threshold: float32Tensor([0], []),
    });
    const fixed = await run(await createSession(join(dir, 'f16-fixed.onnx')), feeds);
    expect(readFloat32(fixed.logits!)).toEqual(readFloat32(routed.logits!));
  });
});
