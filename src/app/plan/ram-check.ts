/**
 * The plan's peak memory against the RAM the conversion may use (`memory.ram_gb`, default this machine's): a
 * conversion that would be killed for memory hours in — at the latency timings of an 8B model, say — is refused
 * before any stage runs, naming the part that does not fit and the setting that shrinks it.
 */
import type { Recipe } from '../../recipe/types.js';
import { bytes } from './format.js';
import type { PlanMemory } from './types.js';

const GB = 2 ** 30;

/** The RAM a conversion may use: the recipe's `memory.ram_gb`, else the machine's (undefined: not checked). */
export function ramLimit(recipe: Recipe, machineBytes: number | undefined): number | undefined {
  return recipe.memory.ram_gb === null ? machineBytes : recipe.memory.ram_gb * GB;
}

/** Why the estimated peak does not fit in `limit` bytes, or null when it does. */
export function ramProblem(m: PlanMemory, limit: number | undefined, recipe: Recipe): string | null {
  if (limit === undefined || m.peakBytes <= limit) return null;
  const whose = recipe.memory.ram_gb === null ? "this machine's RAM" : 'memory.ram_gb';
  const [part, size, fix] = largestPart(m);
  return (
    `estimated peak memory ${bytes(m.peakBytes)} exceeds ${bytes(limit)} (${whose}); ` +
    `the largest part is ${part} (${bytes(size)}): ${fix}`
  );
}

function largestPart(m: PlanMemory): [string, number, string] {
  const parts: [string, number, string][] = [
    [
      "the latency timings' four whole graphs",
      m.evalBytes,
      'set eval.latency.enabled: false (time latency with `moefy eval` where the model fits)',
    ],
    ["one layer's adaptation sums", m.adaptBytes, 'set experts.adapt: none, or fewer expert sizes'],
    ['the calibration rows of every layer', m.calibrationBytes, 'lower calibration.rows_per_layer'],
    ['the hidden states in flight', m.hiddenBytes, 'set memory.max_gb to spill them to disk'],
    ['two float32 layers and one LM head chunk', m.layersBytes + m.headBytes, 'use a machine with more RAM'],
  ];
  return parts.reduce((a, b) => (b[1] > a[1] ? b : a));
}
