/** Reads the golden references (fixtures/golden/*, fixtures/kjv-llama) and compares tensors against them. */
import { openSafetensors } from '../../src/checkpoint/safetensors-read.js';

export const GOLDEN_CASES = [
  'llama-gqa',
  'qwen2-tied',
  'gpt2',
  'llama-sharded-bf16',
  'llama3-rope-tied',
  'phi3',
  'phi4-mini-partial',
  'gemma2',
  'mistral-swa',
  'qwen3',
  'gemma3-text',
] as const;

export function fixtureDir(name: string): string {
  return new URL(`../../fixtures/${name === 'kjv-llama' ? name : `golden/${name}`}`, import.meta.url)
    .pathname;
}

export interface Reference {
  /** input_ids as [batch][seq] numbers. */
  readonly ids: number[][];
  readonly names: ReadonlySet<string>;
  read(name: string): Promise<Float32Array>;
}

export async function openReference(dir: string): Promise<Reference> {
  const file = await openSafetensors(`${dir}/reference.safetensors`);
  const [batch, seq] = file.tensors.get('input_ids')!.shape as [number, number];
  const raw = await file.readRaw('input_ids');
  const flat = Array.from(new BigInt64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8), Number);
  const ids = Array.from({ length: batch }, (_, b) => flat.slice(b * seq, (b + 1) * seq));
  return { ids, names: new Set(file.tensors.keys()), read: (name) => file.readFloat32(name) };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Fraction of rows (last axis = `width`) whose argmax agrees. */
export function top1Agreement(a: Float32Array, b: Float32Array, width: number): number {
  const rows = a.length / width;
  let same = 0;
  for (let r = 0; r < rows; r++) if (argmax(a, r * width, width) === argmax(b, r * width, width)) same++;
  return same / rows;
}

function argmax(x: Float32Array, start: number, width: number): number {
  let best = 0;
  for (let i = 1; i < width; i++) if (x[start + i]! > x[start + best]!) best = i;
  return best;
}

/** Reference tensor names in forward order, so the first mismatch names the first wrong layer. */
export function forwardOrder(layers: number): string[] {
  const names = ['hidden_states.0'];
  for (let i = 0; i < layers; i++) names.push(`mlp_input.${i}`, `mlp_output.${i}`, `hidden_states.${i + 1}`);
  return [...names, 'logits'];
}
