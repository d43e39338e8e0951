import { copyFile, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSafetensors } from '../checkpoint/safetensors-read.js';
import { type TensorToWrite, writeSafetensors } from '../checkpoint/safetensors-write.js';
import type { Linear, ModelIR } from '../ir/model.js';
import { CheckpointFormatError, InputError } from '../util/errors.js';
import { loadModelIR, SUPPORTED_ARCHITECTURES } from './load.js';

const GOLDEN = 'fixtures/golden';

/** A copy of a fixture's weights with config.json patched (`undefined` deletes a key). */
async function variant(fixture: string, patch: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'moefy-fam-'));
  for (const name of await readdir(fixture)) {
    if (name.endsWith('.safetensors') || name.endsWith('.index.json'))
      await copyFile(join(fixture, name), join(dir, name));
  }
  const config = { ...JSON.parse(await readFile(join(fixture, 'config.json'), 'utf8')), ...patch };
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

function shapes(l: Linear) {
  return { w: l.weight.shape, b: l.bias?.shape, layout: l.layout, io: [l.inFeatures, l.outFeatures] };
}

describe('loadModelIR on the fixtures', () => {
  it('llama-gqa: GQA shapes, gated FFN, rope, untied head, no biases', async () => {
    const ir = await loadModelIR(`${GOLDEN}/llama-gqa`);
    expect(ir.config).toMatchObject({
      family: 'llama',
      architecture: 'LlamaForCausalLM',
      vocabSize: 256,
      hidden: 64,
      numLayers: 3,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 16,
      ffnDim: 176,
      maxPositions: 128,
      tiedEmbeddings: false,
    });
    expect(ir.positions).toEqual({ kind: 'rope', theta: 10000, rotaryDim: 16, scaling: { type: 'default' } });
    expect(ir.math).toEqual({});
    expect(ir.layers.map((l) => [l.window, l.rope])).toEqual([
      [undefined, 'global'],
      [undefined, 'global'],
      [undefined, 'global'],
    ]);
    const layer = ir.layers[2]!;
    expect(shapes(layer.attn.k)).toEqual({ w: [32, 64], b: undefined, layout: 'out_in', io: [64, 32] });
    expect(shapes(layer.attn.o)).toEqual({ w: [64, 64], b: undefined, layout: 'out_in', io: [64, 64] });
    expect(layer.ffn.kind).toBe('gated');
    expect(layer.ffn.kind === 'gated' && shapes(layer.ffn.gate)).toEqual({
      w: [176, 64],
      b: undefined,
      layout: 'out_in',
      io: [64, 176],
    });
    expect(shapes(layer.ffn.down)).toEqual({ w: [64, 176], b: undefined, layout: 'out_in', io: [176, 64] });
    expect(layer.attnNorm).toMatchObject({ kind: 'rms', eps: 1e-5, bias: undefined });
    expect(layer.ffnNorm.weight.name).toBe('model.layers.2.post_attention_layernorm.weight');
    expect(ir.lmHead.weight.name).toBe('lm_head.weight');
  });

  it('qwen2-tied: q/k/v biases, 1 kv head, tied head is the embedding handle', async () => {
    const ir = await loadModelIR(`${GOLDEN}/qwen2-tied`);
    expect(ir.config).toMatchObject({
      architecture: 'Qwen2ForCausalLM',
      numKvHeads: 1,
      ffnDim: 160,
      tiedEmbeddings: true,
    });
    expect(ir.positions).toMatchObject({ theta: 1e6 });
    expect(ir.layers[1]!.attn.q.bias!.name).toBe('model.layers.1.self_attn.q_proj.bias');
    expect(ir.layers[1]!.attn.v.bias!.shape).toEqual([16]);
    expect(ir.layers[1]!.attn.o.bias).toBeUndefined();
    expect(ir.lmHead.weight).toBe(ir.embed);
    expect(ir.lmHead).toMatchObject({ layout: 'out_in', inFeatures: 64, outFeatures: 256 });
  });

  it('gpt2: plain FFN, layer norms with bias, learned positions, tied head', async () => {
    const ir = await loadModelIR(`${GOLDEN}/gpt2`);
    expect(ir.config).toMatchObject({
      family: 'gpt2',
      numKvHeads: 4,
      headDim: 16,
      ffnDim: 256,
      tiedEmbeddings: true,
    });
    expect(ir.positions.kind === 'learned' && ir.positions.table.shape).toEqual([128, 64]);
    const layer = ir.layers[1]!;
    expect(layer.ffn).toMatchObject({ kind: 'plain', activation: 'gelu_new' });
    expect(layer.ffn).not.toHaveProperty('gate');
    expect(shapes(layer.ffn.up)).toEqual({ w: [64, 256], b: [256], layout: 'in_out', io: [64, 256] });
    expect(layer.attnNorm).toMatchObject({ kind: 'layer', eps: 1e-5 });
    expect(layer.attnNorm.bias!.name).toBe('transformer.h.1.ln_1.bias');
    expect(ir.finalNorm.bias!.name).toBe('transformer.ln_f.bias');
    expect(ir.lmHead.weight).toBe(ir.embed);
  });

  it('gpt2: q/k/v views equal the matching columns of c_attn (weight and bias)', async () => {
    const ir = await loadModelIR(`${GOLDEN}/gpt2`);
    const file = await openSafetensors(`${GOLDEN}/gpt2/model.safetensors`);
    const packed = await file.readFloat32('transformer.h.1.attn.c_attn.weight'); // [64, 192]
    const packedBias = await file.readFloat32('transformer.h.1.attn.c_attn.bias'); // [192]
    const { q, k, v } = ir.layers[1]!.attn;
    for (const [index, linear] of [q, k, v].entries()) {
      expect(shapes(linear)).toEqual({ w: [64, 64], b: [64], layout: 'in_out', io: [64, 64] });
      const weight = await linear.weight.read();
      for (let row = 0; row < 64; row++) {
        const start = row * 192 + index * 64;
        expect(weight.subarray(row * 64, row * 64 + 64)).toEqual(packed.subarray(start, start + 64));
      }
      expect(await linear.bias!.read()).toEqual(packedBias.subarray(index * 64, index * 64 + 64));
    }
  });

  it('llama-sharded-bf16 and kjv-llama load with their shapes', async () => {
    const sharded = await loadModelIR(`${GOLDEN}/llama-sharded-bf16`);
    expect(sharded.config).toMatchObject({ numLayers: 4, sourceDtype: 'bfloat16' });
    expect(sharded.layers[3]!.ffn.up.weight.dtype).toBe('BF16');
    expect((await sharded.layers[3]!.ffn.up.weight.read()).length).toBe(176 * 64);
    const kjv = await loadModelIR('fixtures/kjv-llama');
    expect(kjv.config).toMatchObject({
      hidden: 128,
      numLayers: 4,
      numHeads: 4,
      numKvHeads: 4,
      headDim: 32,
      ffnDim: 512,
      maxPositions: 256,
    });
  });

  it('llama3-rope-tied: llama3 scaling read from rope_scaling', async () => {
    const ir = await loadModelIR(`${GOLDEN}/llama3-rope-tied`);
    expect(ir.positions).toEqual({
      kind: 'rope',
      theta: 5e5,
      rotaryDim: 16,
      scaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 },
    });
    expect(ir.lmHead.weight).toBe(ir.embed);
  });

  it('phi3: fused qkv_proj and gate_up_proj become views, rows [q | k | v] and [gate | up]', async () => {
    const ir = await loadModelIR(`${GOLDEN}/phi3`);
    const file = await openSafetensors(`${GOLDEN}/phi3/model.safetensors`);
    const layer = ir.layers[1]!;
    expect(ir.config).toMatchObject({ family: 'phi3', numKvHeads: 2, headDim: 16, ffnDim: 160 });
    const qkv = await file.readFloat32('model.layers.1.self_attn.qkv_proj.weight'); // [128, 64]
    const gateUp = await file.readFloat32('model.layers.1.mlp.gate_up_proj.weight'); // [320, 64]
    const rows = (data: Float32Array, from: number, to: number) => data.subarray(from * 64, to * 64);
    expect(shapes(layer.attn.k)).toEqual({ w: [32, 64], b: undefined, layout: 'out_in', io: [64, 32] });
    expect(await layer.attn.q.weight.read()).toEqual(rows(qkv, 0, 64));
    expect(await layer.attn.k.weight.read()).toEqual(rows(qkv, 64, 96));
    expect(await layer.attn.v.weight.read()).toEqual(rows(qkv, 96, 128));
    expect(layer.ffn.kind).toBe('gated');
    const gate = layer.ffn.kind === 'gated' ? layer.ffn.gate : undefined;
    expect(await gate?.weight.read()).toEqual(rows(gateUp, 0, 160));
    expect(await layer.ffn.up.weight.read()).toEqual(rows(gateUp, 160, 320));
    expect(layer.ffn.up.fusedFrom).toBe('model.layers.1.mlp.gate_up_proj.weight');
    expect(layer.window).toBeUndefined(); // sliding_window 2047: not applied by Phi-3 (transformers 4.45 eager)
  });

  it('phi4-mini-partial: 12 of 16 channels rotate', async () => {
    const ir = await loadModelIR(`${GOLDEN}/phi4-mini-partial`);
    expect(ir.positions).toMatchObject({ rotaryDim: 12, scaling: { type: 'default' } });
  });

  it('gemma2: (1 + w) norms, four per layer, √H embeddings, scalar, soft-caps, even layers slide', async () => {
    const ir = await loadModelIR(`${GOLDEN}/gemma2`);
    expect(ir.config).toMatchObject({ family: 'gemma2', headDim: 24, tiedEmbeddings: true });
    expect(ir.math).toEqual({ embedScale: 8, attnScalar: 32, attnSoftcap: 2, finalSoftcap: 3 });
    const layer = ir.layers[0]!;
    expect(layer.attnNorm).toMatchObject({ gainOffset: 1, eps: 1e-6 });
    expect(layer.postAttnNorm!.weight.name).toBe('model.layers.0.post_attention_layernorm.weight');
    expect(layer.ffnNorm.weight.name).toBe('model.layers.0.pre_feedforward_layernorm.weight');
    expect(layer.postFfnNorm!.weight.name).toBe('model.layers.0.post_feedforward_layernorm.weight');
    expect(layer.ffn).toMatchObject({ kind: 'gated', activation: 'gelu_pytorch_tanh' });
    expect(ir.layers.map((l) => l.window)).toEqual([5, undefined, 5]);
  });

  it('gemma3-text: sliding pattern 3, local RoPE on sliding layers, linear scaling on global ones, q/k norms', async () => {
    const ir = await loadModelIR(`${GOLDEN}/gemma3-text`);
    expect(ir.layers.map((l) => [l.window, l.rope])).toEqual([
      [5, 'local'],
      [5, 'local'],
      [undefined, 'global'],
    ]);
    expect(ir.positions).toMatchObject({
      theta: 1e6,
      scaling: { type: 'linear', factor: 8 },
      local: { theta: 1e4, rotaryDim: 32, scaling: { type: 'default' } },
    });
    expect(ir.layers[2]!.attn.qNorm).toMatchObject({ gainOffset: 1 });
    expect(ir.layers[2]!.attn.kNorm!.weight.shape).toEqual([32]);
    expect(ir.math).toEqual({ embedScale: 8, attnScalar: 32 });
  });

  it('mistral-swa and qwen3: windows on every Mistral layer; Qwen3 q/k norms and none', async () => {
    const mistral = await loadModelIR(`${GOLDEN}/mistral-swa`);
    expect(mistral.layers.map((l) => l.window)).toEqual([5, 5]);
    const qwen3 = await loadModelIR(`${GOLDEN}/qwen3`);
    expect(qwen3.config).toMatchObject({ family: 'qwen3', headDim: 24 });
    expect(qwen3.layers[0]!.attn.qNorm).toMatchObject({ eps: 1e-6 });
    expect(qwen3.layers[0]!.attn.qNorm!.gainOffset).toBeUndefined();
    expect(qwen3.layers.map((l) => l.window)).toEqual([undefined, undefined]);
  });

  it('reads newer configs: layer_types lists and rope_parameters (transformers 5)', async () => {
    const gemma3 = await variant(`${GOLDEN}/gemma3-text`, {
      layer_types: ['full_attention', 'sliding_attention', 'full_attention'],
      sliding_window_pattern: undefined,
      rope_theta: undefined,
      rope_scaling: undefined,
      rope_local_base_freq: undefined,
      rope_parameters: {
        full_attention: { rope_type: 'linear', factor: 4, rope_theta: 5e5 },
        sliding_attention: { rope_type: 'default', rope_theta: 2e4 },
      },
    });
    const ir = await loadModelIR(gemma3);
    expect(ir.layers.map((l) => [l.window, l.rope])).toEqual([
      [undefined, 'global'],
      [5, 'local'],
      [undefined, 'global'],
    ]);
    expect(ir.positions).toMatchObject({
      theta: 5e5,
      scaling: { type: 'linear', factor: 4 },
      local: { theta: 2e4, scaling: { type: 'default' } },
    });
    // Qwen3 with its window switched on: layers from max_window_layers slide, or as layer_types says.
    const on = { use_sliding_window: true, sliding_window: 4, max_window_layers: 1 };
    expect((await loadModelIR(await variant(`${GOLDEN}/qwen3`, on))).layers.map((l) => l.window)).toEqual([
      undefined,
      4,
    ]);
    const listed = { ...on, layer_types: ['sliding_attention', 'full_attention'] };
    expect((await loadModelIR(await variant(`${GOLDEN}/qwen3`, listed))).layers.map((l) => l.window)).toEqual(
      [4, undefined],
    );
    const off = { layer_types: ['sliding_attention', 'sliding_attention'], sliding_window: 4 };
    expect((await loadModelIR(await variant(`${GOLDEN}/qwen3`, off))).layers.map((l) => l.window)).toEqual([
      undefined,
      undefined,
    ]);
    const flat = await variant(`${GOLDEN}/llama-gqa`, {
      rope_theta: undefined,
      rope_parameters: { rope_type: 'linear', factor: 2, rope_theta: 3e4 },
    });
    expect((await loadModelIR(flat)).positions).toMatchObject({
      theta: 3e4,
      scaling: { type: 'linear', factor: 2 },
    });
  });

  it('longrope: attention factor from the two lengths, or as given', async () => {
    const factors = { short_factor: [1, 1, 1, 1, 1, 1], long_factor: [1, 2, 3, 4, 5, 6] };
    const dir = await variant(`${GOLDEN}/phi4-mini-partial`, {
      max_position_embeddings: 512,
      rope_scaling: { type: 'longrope', ...factors },
    });
    expect((await loadModelIR(dir)).positions).toMatchObject({
      rotaryDim: 12,
      scaling: {
        type: 'longrope',
        longFactor: factors.long_factor,
        originalMaxPositions: 128,
        attentionFactor: Math.sqrt(1 + Math.log(4) / Math.log(128)),
      },
    });
    const given = await variant(`${GOLDEN}/phi4-mini-partial`, {
      rope_scaling: { rope_type: 'longrope', attention_factor: 1.5, ...factors },
    });
    expect((await loadModelIR(given)).positions).toMatchObject({ scaling: { attentionFactor: 1.5 } });
  });

  it('gpt2 without the transformer. prefix loads the same tensors', async () => {
    const dir = await variant(`${GOLDEN}/gpt2`, {});
    const file = await openSafetensors(join(dir, 'model.safetensors'));
    const tensors: Record<string, TensorToWrite> = {};
    for (const info of file.tensors.values()) {
      tensors[info.name.replace(/^transformer\./, '')] = {
        dtype: 'F32',
        shape: info.shape,
        data: await file.readRaw(info.name),
      };
    }
    await writeSafetensors(join(dir, 'model.safetensors'), tensors);
    const ir: ModelIR = await loadModelIR(dir);
    expect(ir.embed.name).toBe('wte.weight');
    expect(ir.layers[0]!.attn.k.weight.name).toBe('h.0.attn.c_attn.weight[64:128]');
  });
});

describe('loadModelIR rejects bad checkpoints', () => {
  const cases: [string, string, Record<string, unknown>, new (...args: never[]) => Error, RegExp][] = [
    [
      'unsupported architecture',
      'llama-gqa',
      { architectures: ['MambaForCausalLM'] },
      InputError,
      /architectures: MambaForCausalLM is not supported; supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GPT2LMHeadModel, Phi3ForCausalLM, Qwen3ForCausalLM, Gemma2ForCausalLM, Gemma3ForCausalLM$/,
    ],
    [
      'yarn rope scaling',
      'llama-gqa',
      { rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32 } },
      InputError,
      /config\.json: rope_scaling\.rope_type: not supported yet \(got "yarn"; expected one of default, linear, llama3, longrope\)$/,
    ],
    [
      'dynamic NTK scaling (old `type` key)',
      'qwen3',
      { rope_scaling: { type: 'dynamic', factor: 2 } },
      InputError,
      /config\.json: rope_scaling\.type: not supported yet \(got "dynamic"; expected one of default, linear, llama3, longrope\)$/,
    ],
    [
      'yarn in transformers 5 rope_parameters',
      'gemma3-text',
      {
        rope_parameters: { full_attention: { rope_type: 'yarn', factor: 4, rope_theta: 1e6 } },
        rope_scaling: undefined,
      },
      InputError,
      /config\.json: rope_parameters\.full_attention\.rope_type: not supported yet \(got "yarn"/,
    ],
    [
      'linear scaling without a factor',
      'llama-gqa',
      { rope_scaling: { rope_type: 'linear' } },
      CheckpointFormatError,
      /config\.json: rope_scaling\.factor: expected a positive number, got undefined/,
    ],
    [
      'longrope factors of the wrong length',
      'phi4-mini-partial',
      { rope_scaling: { type: 'longrope', short_factor: [1, 1], long_factor: [1, 2] } },
      CheckpointFormatError,
      /config\.json: rope_scaling\.short_factor: expected 6 positive numbers \(rotary dim 12 \/ 2\), got \[1,1\]/,
    ],
    [
      'odd partial rotary',
      'phi4-mini-partial',
      { partial_rotary_factor: 0.35 },
      CheckpointFormatError,
      /config\.json: partial_rotary_factor: 0\.35 × head_dim 16 gives 5 rotary channels; expected an even number in \[2, 16\]$/,
    ],
    [
      'a layer type we do not run',
      'gemma3-text',
      { layer_types: ['sliding_attention', 'chunked_attention', 'full_attention'] },
      InputError,
      /config\.json: layer_types\[1\]: not supported yet \(got "chunked_attention"; expected sliding_attention or full_attention\)$/,
    ],
    [
      'layer_types of the wrong length',
      'gemma2',
      { layer_types: ['sliding_attention'] },
      CheckpointFormatError,
      /config\.json: layer_types: expected 3 entries \(one per layer\), got 1/,
    ],
    [
      'bidirectional Gemma 3 (EmbeddingGemma)',
      'gemma3-text',
      { use_bidirectional_attention: true },
      InputError,
      /config\.json: use_bidirectional_attention: not supported yet \(got true; expected null or absent\)$/,
    ],
    [
      'negative soft-cap',
      'gemma2',
      { attn_logit_softcapping: -1 },
      CheckpointFormatError,
      /config\.json: attn_logit_softcapping: expected a positive number, got -1/,
    ],
    [
      'hidden as a string',
      'llama-gqa',
      { hidden_size: '64' },
      CheckpointFormatError,
      /config\.json: hidden_size: expected an integer in \[1, 65536\], got "64"/,
    ],
    [
      'zero layers',
      'llama-gqa',
      { num_hidden_layers: 0 },
      CheckpointFormatError,
      /num_hidden_layers: expected an integer in \[1, 1024\], got 0/,
    ],
    [
      'absurd vocab',
      'llama-gqa',
      { vocab_size: 1e12 },
      CheckpointFormatError,
      /vocab_size: expected an integer in \[1, 4000000\]/,
    ],
    [
      'heads not dividing hidden',
      'llama-gqa',
      { num_attention_heads: 5, num_key_value_heads: 5 },
      CheckpointFormatError,
      /num_attention_heads: 5 heads do not divide hidden_size 64/,
    ],
    [
      'kv heads not dividing heads',
      'llama-gqa',
      { num_key_value_heads: 3 },
      CheckpointFormatError,
      /num_key_value_heads: 3 must divide num_attention_heads 4/,
    ],
    [
      'missing required key',
      'llama-gqa',
      { intermediate_size: undefined },
      CheckpointFormatError,
      /intermediate_size: required/,
    ],
    [
      'unknown activation',
      'llama-gqa',
      { hidden_act: 'swish3' },
      CheckpointFormatError,
      /hidden_act: expected one of silu, .* got swish3/,
    ],
    [
      'shape disagreeing with config',
      'llama-gqa',
      { intermediate_size: 200 },
      CheckpointFormatError,
      /model\.layers\.0\.mlp\.gate_proj\.weight\.shape: expected \[200, 64\] \(role ffn\.gate, layer 0\), got \[176, 64\]/,
    ],
    [
      'tensor missing',
      'llama-gqa',
      { num_hidden_layers: 4 },
      CheckpointFormatError,
      /model\.layers\.3\.input_layernorm\.weight: missing from the checkpoint \(role norm\.attn, layer 3\)/,
    ],
    [
      'untied without lm_head',
      'qwen2-tied',
      { tie_word_embeddings: false },
      CheckpointFormatError,
      /lm_head\.weight: missing from the checkpoint \(role lm_head\)/,
    ],
    [
      'bias flag without bias tensors',
      'llama-gqa',
      { attention_bias: true },
      CheckpointFormatError,
      /model\.layers\.0\.self_attn\.q_proj\.bias: missing/,
    ],
  ];

  it.each(cases)('%s', async (_label, fixture, patch, errorClass, message) => {
    const dir = await variant(`${GOLDEN}/${fixture}`, patch);
    const error = await loadModelIR(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('lists the supported architectures', () => {
    expect(SUPPORTED_ARCHITECTURES).toEqual([
      'LlamaForCausalLM',
      'MistralForCausalLM',
      'Qwen2ForCausalLM',
      'GPT2LMHeadModel',
      'Phi3ForCausalLM',
      'Qwen3ForCausalLM',
      'Gemma2ForCausalLM',
      'Gemma3ForCausalLM',
    ]);
  });
});
