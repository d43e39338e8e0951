import { InputError } from '../util/errors.js';
import { balancedKMeans, normalizeInPlace } from './balanced-kmeans.js';
import { orderByImportance } from './permutation.js';

/**
 * Co-activation grouping (DESIGN.md §3, MoEfication's construction): balanced k-means of neurons on their
 * normalized activation patterns, so neurons that fire together enter an expert together. Cost is
 * O(iterations × ffnDim × groups × rows); callers bound `rows` (a reservoir sample) and groups (ffnDim / groupSize).
 */
export interface GroupingInput {
  /** Intermediate activations h of a token sample, [rows, ffnDim] row-major. */
  readonly sample: Float32Array;
  readonly rows: number;
  readonly ffnDim: number;
  /** Neurons per group; must divide ffnDim. Aligning it with the expert-size `align` keeps groups whole. */
  readonly groupSize: number;
  readonly importance: ArrayLike<number>; // [ffnDim]
  readonly seed: number;
  readonly maxIterations?: number;
}

export interface Grouping {
  /** perm[newIndex] = oldIndex: groups by descending summed importance, neurons by importance inside each. */
  readonly perm: Int32Array;
  /** Rank of each (original) neuron's group, 0 = most important group. */
  readonly groupOf: Int32Array;
  readonly iterations: number;
}

const DEFAULT_MAX_ITERATIONS = 20;

export function coactivationGroups(input: GroupingInput): Grouping {
  const { rows, ffnDim, groupSize } = input;
  checkInput(input);
  const { assignment, iterations } = balancedKMeans({
    points: normalizedPatterns(input.sample, rows, ffnDim), // [ffnDim, rows]
    n: ffnDim,
    dim: rows,
    clusterSize: groupSize,
    seed: input.seed,
    maxIterations: input.maxIterations ?? DEFAULT_MAX_ITERATIONS,
  });
  return rankGroups(assignment, { groups: ffnDim / groupSize, importance: input.importance, iterations });
}

function checkInput({ sample, rows, ffnDim, groupSize, importance }: GroupingInput): void {
  if (!Number.isInteger(groupSize) || groupSize < 1 || ffnDim % groupSize !== 0) {
    throw new InputError(
      `experts.group_size: ${groupSize} must be a positive divisor of the FFN width ${ffnDim}`,
    );
  }
  if (rows < 1 || sample.length !== rows * ffnDim) {
    throw new InputError(
      `grouping sample: expected ${rows}×${ffnDim} activations (rows ≥ 1), got ${sample.length}`,
    );
  }
  if (importance.length !== ffnDim) {
    throw new InputError(`grouping importance: expected ${ffnDim} values, got ${importance.length}`);
  }
}

/** |h| patterns per neuron, transposed to [ffnDim, rows] and scaled to unit L2 norm (all-zero neurons stay zero). */
function normalizedPatterns(sample: Float32Array, rows: number, ffnDim: number): Float32Array {
  const out = new Float32Array(ffnDim * rows);
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < ffnDim; i++) out[i * rows + t] = Math.abs(sample[t * ffnDim + i] as number);
  }
  for (let i = 0; i < ffnDim; i++) normalizeInPlace(out.subarray(i * rows, (i + 1) * rows));
  return out;
}

function rankGroups(
  assignment: Int32Array,
  d: { groups: number; importance: ArrayLike<number>; iterations: number },
): Grouping {
  const summed = new Float64Array(d.groups);
  assignment.forEach((g, i) => (summed[g] = (summed[g] as number) + (d.importance[i] as number)));
  const groupRank = new Int32Array(d.groups);
  orderByImportance(summed).forEach((g, rank) => (groupRank[g] = rank));
  const groupOf = assignment.map((g) => groupRank[g] as number);
  // Buckets filled in importance order: groups laid end to end, most important neurons first inside each.
  const buckets: number[][] = Array.from({ length: d.groups }, () => []);
  for (const i of orderByImportance(d.importance)) buckets[groupOf[i] as number]?.push(i);
  return { perm: Int32Array.from(buckets.flat()), groupOf, iterations: d.iterations };
}
