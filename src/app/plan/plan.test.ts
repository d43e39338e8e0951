import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../ir/model.js';
import { kjvConfig, kjvShape } from '../../../test/support/kjv-shape.js';
import { parseRecipeText } from '../../recipe/load.js';
import { InputError, RuntimeSetupError } from '../../util/errors.js';
import { plan } from './plan.js';
import { formatPlan } from './format.js';

const kjv = kjvConfig;
const recipeOf = (text = '') => parseRecipeText(text, '/tmp/recipe.yaml');
const model = kjvShape;
const everything = { unavailable: {} };
const planOf = (text = '') => plan({ recipe: recipeOf(text), model, environment: everything });

describe('plan for kjv-llama under the default recipe', () => {
  const p = planOf();
  // Per layer at eval context (128 + 1) / 2 = 64.5: projections 128·32·(8 + 8) = 65536,
  // scores 2·4·32·64.5 = 16512, FFN 3·128·512 = 196608; 4 layers + LM head 128·256 = 32768.
  const dense = 4 * (65536 + 16512 + 196608) + 32768;
  // Router 128·64 + 64·4 = 8448 MACs per layer.
  const router = 8448;

  it('prices the dense model', () => {
    expect(p.model.context).toBe(64.5);
    expect(p.model.denseMacsPerToken).toBe(dense);
    expect(p.model.params).toBe(2 * 256 * 128 + 4 * (65536 + 196608 + 256) + 128);
  });

  it('lays out the expert grid with FFN MACs and whole-model fractions', () => {
    expect(p.experts.map((e) => e.neurons)).toEqual([64, 128, 256, 384, 512]);
    expect(p.experts.map((e) => e.fraction)).toEqual([0.125, 0.25, 0.5, 0.75, 1]);
    expect(p.experts.map((e) => e.ffnMacsPerToken)).toEqual(
      [64, 128, 256, 384, 512].map((n) => 4 * 3 * 128 * n),
    );
    p.experts.forEach((e) => {
      const macs = 4 * (65536 + 16512 + 3 * 128 * e.neurons + router) + 32768;
      expect(e.flopsFraction).toBeCloseTo(macs / dense, 12);
    });
    // Smallest expert by hand: 4·(65536 + 16512 + 3·128·64 + 8448) + 32768 = 493056 of 1147392 MACs.
    expect(p.experts[0]!.flopsFraction).toBeCloseTo(493056 / 1147392, 12);
    expect(p.experts.at(-1)!.flopsFraction).toBeGreaterThan(1); // full width still pays for the router
  });

  it('counts router parameters and cost', () => {
    expect(p.router).toEqual({
      kind: 'mlp',
      hidden: 64,
      paramsPerLayer: 129 * 64 + 65 * 4,
      params: 4 * (129 * 64 + 65 * 4),
      macsPerToken: 4 * router,
      flopsFraction: (4 * router) / dense,
    });
    const ridge = planOf('router: { kind: ridge }').router;
    expect([ridge.paramsPerLayer, ridge.macsPerToken]).toEqual([129 * 4, 4 * 128 * 4]);
    // x and log‖r‖: one more input row and d MACs for ‖r‖².
    const logNorm = planOf('router: { kind: ridge, input: normed+log_norm }').router;
    expect([logNorm.paramsPerLayer, logNorm.macsPerToken]).toEqual([130 * 4, 4 * (128 + 129 * 4)]);
  });

  it('estimates memory and disk from the weights and calibration buffers', () => {
    const layerBytes = 4 * (65536 + 196608 + 256);
    expect(p.memory.layersBytes).toBe(2 * layerBytes);
    // Calibration rows of every layer, and one layer's adapted experts (each stage reads a layer's as it goes).
    expect(p.memory.calibrationBytes).toBe(
      4 * 8192 * (128 + 1 + 2 * 5) * 4 + (65 + 129 + 257 + 385) * 128 * 4,
    );
    // The whole graphs for the timings, the MoE ones with their adapted experts.
    expect(p.memory.evalBytes).toBe((4 * p.model.params + 4 * (65 + 129 + 257 + 385) * 128) * 4);
    // One layer's adaptation in the calibration pass, independent of the depth: the larger of (the float64 sums,
    // here one Gram block of all 513 rows, beside the largest expert's system gathered from them: 385 = 384
    // neurons + bias, one tile) and (the system solved in place, the sums dropped: a tile's inverse, two tile-row
    // GEMM outputs, the 257-row expert's copy of Z and every expert's float32 weights).
    const sums = (513 * 513 + 513 * 128) * 8;
    const system = ((385 * (385 + 385)) / 2 + 385 * 128) * 8;
    const solve = system + (385 * 385 + 2 * 385 * 128 + 257 * 128) * 8 + (65 + 129 + 257 + 385) * 128 * 4;
    expect(p.memory.adaptBytes).toBe(Math.max(sums + system, solve));
    const { memory: m } = p;
    const layered = m.layersBytes + m.hiddenBytes + m.calibrationBytes + 300e6;
    expect(m.peakBytes).toBeGreaterThanOrEqual(Math.max(layered, m.evalBytes + m.calibrationBytes + 300e6));
    expect(m.peakBytes).toBeLessThanOrEqual(
      Math.max(layered + m.headBytes + m.adaptBytes, m.evalBytes + m.calibrationBytes + 300e6),
    );
    // Without the whole-graph timings, the layer-sequential stages set the peak: it does not grow with depth.
    const untimed = planOf('eval: { latency: { enabled: false } }').memory;
    expect(untimed.evalBytes).toBe(0);
    expect(untimed.peakBytes).toBeLessThanOrEqual(layered + m.headBytes + m.adaptBytes);
    // memory.max_gb caps the hidden states held in RAM (the rest spills to disk).
    const capped = planOf('memory: { max_gb: 0.001 }\neval: { latency: { enabled: false } }').memory;
    expect(capped.hiddenBytes).toBeLessThan(untimed.hiddenBytes);
    expect(p.disk.denseGraphBytes).toBe(4 * p.model.params);
    expect(p.disk.routersBytes).toBe(4 * p.router.params);
    // Adapted experts: Σ_k<K (n_k + 1)·d per layer, sizes 64/128/256/384, d = 128, 4 layers.
    const adapted = 4 * (65 + 129 + 257 + 385) * 128;
    expect(p.disk.adaptedBytes).toBe(4 * adapted);
    expect(p.disk.moeGraphBytes).toBe(4 * p.model.params + 4 * adapted + 4 * p.router.params);
    const half = planOf('dtype: float16\noutput: { dense: false }').disk;
    expect([half.denseGraphBytes, half.moeGraphBytes]).toEqual([
      0,
      2 * p.model.params + 2 * adapted + 4 * p.router.params,
    ]);
    const bare = planOf('experts: { adapt: none }');
    expect([bare.disk.adaptedBytes, bare.memory.adaptBytes, bare.stages.experts.adapt.extraParams]).toEqual([
      0, 0, 0,
    ]);
    // joint: no extra parameters (the shared down projection is refitted), one system over all 512 neurons.
    const joint = planOf('experts: { adapt: joint }');
    expect([joint.disk.adaptedBytes, joint.stages.experts.adapt.extraParams]).toEqual([0, 0]);
    const jointSystem = ((512 * (512 + 512)) / 2 + 512 * 128) * 8;
    const jointSolve = jointSystem + (512 * 512 + 2 * 512 * 128) * 8 + 512 * 128 * 4;
    expect(joint.memory.adaptBytes).toBe(Math.max(sums + jointSystem, jointSolve));
  });

  it('states the basis of its time estimate and warns where a set latency prompt runs past the positions', () => {
    expect(p.time.totalSeconds).toBeCloseTo(
      p.time.ioSeconds +
        p.time.calibrationSeconds +
        p.time.targetsSeconds +
        p.time.trainSeconds +
        p.time.evalSeconds,
      9,
    );
    // The forward's FLOPs, plus each layer's weights read from the checkpoint (fed to its part graph as inputs on
    // CPU: nothing written), plus the
    // adaptation: per layer the Gram products over every token (one block: the whole 513²), the tiled Cholesky of
    // the largest system (385, one tile: its panel term 385²·385), its forward substitution and the four experts'
    // back substitutions, all float64.
    const layer = 65536 + 196608 + 256;
    const solves =
      385 ** 3 / 3 + 385 ** 3 + 385 ** 2 * 128 + [65, 129, 257, 385].reduce((s, q) => s + q * q * 128, 0);
    const compute =
      (2 * 32768 * (4 * (65536 + 2 * 4 * 32 * 128.5 + 196608) + 32768)) / 100e9 +
      4 * ((2 * 32768 * 513 * (513 + 128)) / 100e9 + solves / 15e9);
    const read = (4 * layer * 4) / 200e6;
    expect(p.time.calibrationSeconds).toBeCloseTo(compute + read, 9);
    expect(p.time.basis).toMatch(
      /^rates of the reference box \(ORT probe 70 GFLOP\/s; not measured here\): calibration at 100 GFLOP\/s effective, evaluation and router training at 45, disk at 200 MB\/s/,
    );
    // A machine measured twice as fast as the reference box computes in half the time; the disk is not scaled.
    const fast = plan({
      recipe: recipeOf(),
      model,
      environment: { unavailable: {}, machineRate: { flopsPerSecond: 140e9, device: 'cpu' } },
    }).time;
    expect(fast.calibrationSeconds).toBeCloseTo(compute / 2 + read, 9);
    expect(fast.targetsSeconds).toBeCloseTo(p.time.targetsSeconds / 2, 9);
    expect(fast.basis).toMatch(
      /^ORT on cpu measured at 140 GFLOP\/s now \(reference box 70\), rates scaled ×2\.00: calibration at 200 GFLOP\/s/,
    );
    // Evaluation parts on CPU feed float32/bf16 weights; float16 weights are written as initializers per layer
    // (four graph kinds), as on CUDA.
    const written = (4 * 4 * layer * 2) / 200e6;
    expect(planOf('dtype: float16').time.evalSeconds - p.time.evalSeconds).toBeCloseTo(written, 9);

    // The built-in recipe does not warn about itself: the default prompt shortens to 256 − 32 tokens.
    expect(p.warnings).toEqual([]);
    expect(planOf('eval: { latency: { seq: 256 } }').warnings).toEqual([
      'eval.latency: prompt 256 + 32 decoded tokens runs past max_position_embeddings 256; timings stay valid ' +
        'for rotary positions, generated text would not',
    ]);
  });

  it('lists the work and device of every stage', () => {
    expect(p.stages).toEqual({
      calibrate: { device: 'cpu', windows: 128, seqLen: 256, rowsPerLayer: 8192 },
      experts: {
        ordering: 'activation',
        grouping: 'none',
        adapt: { method: 'lsq', ridge: 0.001, extraParams: 4 * (65 + 129 + 257 + 385) * 128 },
      },
      targets: { device: 'cpu', rowsPerLayer: 8192, errorsPerRow: 5 },
      router: { train: { device: 'cpu', steps: 400 } },
      emit: {
        graphs: [
          { role: 'moe', file: 'model.onnx', dtype: 'fp32' },
          { role: 'moe_choice', file: 'model_choice.onnx', dtype: 'fp32' },
          { role: 'moe_fixed', file: 'model_fixed.onnx', dtype: 'fp32' },
          { role: 'moe_oracle', file: 'model_oracle.onnx', dtype: 'fp32' },
          { role: 'transformers_js', file: 'onnx/model.onnx', dtype: 'fp32' },
          { role: 'dense', file: 'dense.onnx', dtype: 'fp32' },
          // output.dtypes [fp32, q4]: q4's router and fixed graphs, their transformers.js copy, its dense baseline.
          { role: 'moe', file: 'model_q4.onnx', dtype: 'q4' },
          { role: 'moe_fixed', file: 'model_fixed_q4.onnx', dtype: 'q4' },
          { role: 'transformers_js', file: 'onnx/model_q4.onnx', dtype: 'q4' },
          { role: 'dense', file: 'dense_q4.onnx', dtype: 'q4' },
        ],
      },
      // + q4's dense and its router graph at the 10 thresholds, all timed.
      eval: { device: 'cpu', windows: 512, seqLen: 128, points: 37, timed: 27 },
    });
  });

  it('renders as text', () => {
    const text = formatPlan(p, 'recipes/kjv-llama.yaml');
    expect(text).toContain('source    local /models/kjv-llama');
    expect(text).toContain(
      'llama (LlamaForCausalLM), 4 layers, hidden 128, heads 4 (kv 4) × 32, FFN 512 (gated)',
    );
    expect(text).toContain('           0       64   12.5%            197 k        43.0%');
    expect(text).toContain('mlp, hidden 64: 8.52 k parameters per layer, 34.1 k in all');
  });
});

describe('plan at Llama-3-8B shape (vocab 128256, hidden 4096)', () => {
  const llama8b: ModelConfig = {
    ...kjv,
    vocabSize: 128256,
    hidden: 4096,
    numLayers: 32,
    numHeads: 32,
    numKvHeads: 8,
    headDim: 128,
    ffnDim: 14336,
    maxPositions: 8192,
    sourceDtype: 'bfloat16',
  };
  const planAt = (config: ModelConfig, text: string) =>
    plan({ recipe: recipeOf(text), model: { ...model, config }, environment: everything }).memory;
  const light =
    'calibration: { tokens: 1024, seq_len: 256, rows_per_layer: 1024 }\neval: { tokens: 256, seq_len: 256, latency: { enabled: false } }\nrouter: { train: { batch: 512 } }\nexperts: { adapt: none }';

  it('prices the head as one vocabulary chunk and the embedding as the rows of the ids in use', () => {
    const m = planAt(llama8b, `${light}\noutput: { dtypes: [fp32, q8] }`);
    // 16384 rows × 4096 float32 = 256 MiB per chunk, ~3 copies while built (read, transposed, packed).
    expect(m.headBytes).toBe(3 * 16384 * 4096 * 4);
    // At most one row per token: 1024 calibration tokens.
    expect(m.embedBytes).toBe(1024 * 4096 * 4);
    expect(m.peakBytes).toBeLessThan(
      m.layersBytes + m.headBytes + m.hiddenBytes + m.calibrationBytes + 300e6 + 1,
    );
  });

  it('keeps a tied q8 head whole (one scale over the table)', () => {
    const tied = { ...llama8b, tiedEmbeddings: true };
    expect(planAt(tied, `${light}\noutput: { dtypes: [fp32, q8] }`).headBytes).toBe(3 * 128256 * 4096 * 4);
    expect(planAt(tied, `${light}\noutput: { dtypes: [fp32, q4] }`).headBytes).toBe(3 * 16384 * 4096 * 4);
  });
});

describe('plan errors', () => {
  it('refuses windows longer than the model positions', () => {
    expect(() => planOf('calibration: { seq_len: 512, tokens: 32768 }')).toThrow(
      new InputError(
        "calibration.seq_len 512 exceeds the model's max_position_embeddings 256; set a shorter window in the recipe",
      ),
    );
    const learned = {
      recipe: recipeOf('eval: { latency: { seq: 256 } }'),
      model: { ...model, ffnKind: 'plain', positions: 'learned' },
      environment: everything,
    } as const;
    expect(() => plan(learned)).toThrow(
      new InputError(
        "eval.latency.seq + decode_tokens 288 exceeds the model's max_position_embeddings 256; " +
          'set a shorter window in the recipe',
      ),
    );
  });

  it('refuses eval.tasks without the dense graph they score the baseline on; prices no timings then', () => {
    const text = 'output: { dense: false }\neval: { tasks: [hellaswag] }';
    const message =
      'output.dense: false: eval.tasks scores the dense baseline on dense.onnx, which it leaves out; ' +
      'set output.dense: true or remove eval.tasks';
    expect(() => planOf(text)).toThrow(InputError);
    expect(() => planOf(text)).toThrow(new InputError(message));
    // Only where the evaluation runs.
    expect(
      plan({ recipe: recipeOf(text), model, environment: everything, stages: ['calibrate'] }).recipe.output
        .dense,
    ).toBe(false);
    // Latency is skipped without dense.onnx (app/eval/eval.ts): its whole graphs are never opened.
    expect(planOf('output: { dense: false }').memory.evalBytes).toBe(0);
    expect(planOf('output: { dense: false }').stages.eval.timed).toBe(0);
    expect(planOf().memory.evalBytes).toBeGreaterThan(0);
  });

  it('checks only the stages that will run', () => {
    const recipe = recipeOf('calibration: { seq_len: 512, tokens: 32768 }');
    expect(plan({ recipe, model, environment: everything, stages: ['eval'] }).recipe).toBe(recipe);
    expect(() => plan({ recipe, model, environment: everything, stages: ['calibrate'] })).toThrow(InputError);
  });

  it('refuses a model device this machine cannot run, for every stage that runs the model, before any work', () => {
    const environment = { unavailable: { cuda: 'Failed to load shared library' } };
    const recipe = recipeOf('device: cuda\nrouter: { kind: ridge }');
    const refusal = new RuntimeSetupError(
      'device cuda: cannot run here (Failed to load shared library); install the CUDA build of ' +
        'onnxruntime-node: `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` (needs CUDA 12 and ' +
        'cuDNN 9 libraries on the library path), or use --device cpu',
    );
    for (const stage of ['calibrate', 'targets', 'eval'] as const) {
      expect(() => plan({ recipe, model, environment, stages: [stage] })).toThrow(refusal);
    }
    // Stages that never open a model session run anywhere; where cuda runs, every model stage is on it.
    expect(plan({ recipe, model, environment, stages: ['emit'] }).recipe.device).toBe('cuda');
    const stages = plan({ recipe, model, environment: everything }).stages;
    expect([stages.calibrate.device, stages.targets.device, stages.eval.device]).toEqual([
      'cuda',
      'cuda',
      'cuda',
    ]);
  });

  it('refuses a router training device this machine cannot run, naming the field and the fix', () => {
    const environment = { unavailable: { cuda: 'Failed to load shared library' } };
    const recipe = recipeOf('router: { train: { device: cuda } }');
    expect(() => plan({ recipe, model, environment })).toThrow(
      new RuntimeSetupError(
        'router.train.device cuda: cannot run here (Failed to load shared library); install the CUDA build of ' +
          'onnxruntime-node: `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` (needs CUDA 12 and ' +
          'cuDNN 9 libraries on the library path), or use --device cpu',
      ),
    );
    // The ridge router trains nothing; evaluation runs on the CPU.
    const ridge = recipeOf('router: { kind: ridge, train: { device: cuda } }');
    expect(plan({ recipe: ridge, model, environment }).stages.router.train).toBeNull();
    expect(plan({ recipe, model, environment, stages: ['eval'] }).stages.router.train).toEqual({
      device: 'cuda',
      steps: 400,
    });
  });

  it('refuses expert sizes the alignment cannot keep apart', () => {
    expect(() => planOf('experts: { sizes: [0.1, 0.11, 1], align: 64 }')).toThrow(InputError);
  });
});

describe("the plan's peak against the RAM a conversion may use", () => {
  const withRam = (text: string, ramBytes?: number) =>
    plan({ recipe: recipeOf(text), model, environment: { unavailable: {}, ...(ramBytes && { ramBytes }) } });

  it("checks this machine's RAM, or memory.ram_gb where the recipe sets it", () => {
    const peak = planOf().memory.peakBytes;
    expect(withRam('', peak).ramProblem).toBeNull();
    expect(withRam('', peak - 1).ramProblem).toMatch(/^estimated peak memory .* \(this machine's RAM\); /);
    expect(withRam('memory: { ram_gb: 64 }', peak - 1).ramProblem).toBeNull();
    expect(withRam('memory: { ram_gb: 0.01 }').ramProblem).toMatch(/ exceeds 10.7 MB \(memory.ram_gb\); /);
    // Without a machine figure (moefy eval's plan) nothing is checked.
    expect(withRam('').ramProblem).toBeNull();
  });

  it('names the largest part and the setting that shrinks it, and plan lists it as a warning', () => {
    const p = withRam('', 1);
    expect(p.ramProblem).toContain('the largest part is the hidden states in flight');
    expect(p.warnings).toContain(p.ramProblem);
    expect(
      withRam(
        'eval: { latency: { enabled: true } }\ncalibration: { tokens: 400000, rows_per_layer: 400000 }',
        1,
      ).ramProblem,
    ).toContain('the largest part is the calibration rows of every layer');
  });

  it("moefy eval's plan (the eval stage alone) is not refused for convert's peak", () => {
    const p = plan({
      recipe: recipeOf('memory: { ram_gb: 0.01 }'),
      model,
      environment: everything,
      stages: ['eval'],
    });
    expect(p.ramProblem).toBeNull();
  });
});
