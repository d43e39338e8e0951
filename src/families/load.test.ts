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
    expect(ir.positions).toEqual({ kind: 'rope', theta: 10000, rotaryDim: 16 });
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
      /architectures: MambaForCausalLM is not supported; supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GPT2LMHeadModel/,
    ],
    [
      'rope_scaling',
      'llama-gqa',
      { rope_scaling: { type: 'linear', factor: 2 } },
      InputError,
      /config\.json: rope_scaling: not supported yet \(got \{"type":"linear","factor":2\}/,
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
    ]);
  });
});
