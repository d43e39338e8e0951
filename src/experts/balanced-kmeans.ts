import { Rng } from '../util/random.js';
import { orderByImportance } from './permutation.js';

/**
 * Balanced (equal-size) spherical k-means: points are unit vectors, similarity is the dot product, and every
 * cluster ends with exactly `clusterSize` points. Cost O(iterations × n × clusters × dim).
 */
export interface KMeansInput {
  /** [n, dim] row-major, each row unit-norm (or zero). */
  readonly points: Float32Array;
  readonly n: number;
  readonly dim: number;
  /** Must divide n. */
  readonly clusterSize: number;
  readonly seed: number;
  readonly maxIterations: number;
}

/** Cluster of each point [n] and the iterations run (stops early once assignments repeat). */
export function balancedKMeans(input: KMeansInput): { assignment: Int32Array; iterations: number } {
  const { points, n, dim, clusterSize } = input;
  const groups = n / clusterSize;
  const centroids = initCentroids(points, { n, dim, groups, rng: new Rng(input.seed) }); // [groups, dim]
  let assignment: Int32Array = new Int32Array(n).fill(-1);
  let iterations = 0;
  while (iterations < input.maxIterations) {
    iterations++;
    const scores = cosineScores(points, centroids, { n, dim, groups }); // [n, groups]
    const next = balancedAssign(scores, { n, groups, capacity: clusterSize });
    if (next.every((g, i) => g === assignment[i])) break;
    assignment = next;
    updateCentroids(centroids, { points, assignment, dim });
  }
  return { assignment, iterations };
}

export function normalizeInPlace(v: Float32Array): void {
  let s = 0;
  for (const x of v) s += x * x;
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < v.length; j++) v[j] = (v[j] as number) * inv;
  }
}

function dot(a: Float32Array, aOff: number, b: Float32Array, bOff: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += (a[aOff + j] as number) * (b[bOff + j] as number);
  return s;
}

interface Dims {
  readonly n: number;
  readonly dim: number;
  readonly groups: number;
}

/** k-means++ seeding on cosine distance: spread-out starting centroids make planted groups recoverable. */
function initCentroids(points: Float32Array, d: Dims & { rng: Rng }): Float32Array {
  const { n, dim, groups, rng } = d;
  const centroids = new Float32Array(groups * dim);
  const minDist = new Float64Array(n).fill(Infinity);
  let pick = rng.int(n);
  for (let g = 0; g < groups; g++) {
    centroids.set(points.subarray(pick * dim, (pick + 1) * dim), g * dim);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const dist = Math.max(0, 1 - dot(points, i * dim, centroids, g * dim, dim));
      minDist[i] = Math.min(minDist[i] as number, dist);
      total += minDist[i] as number;
    }
    pick = total > 0 ? sampleProportional(minDist, total * rng.next()) : rng.int(n);
  }
  return centroids;
}

function sampleProportional(weights: Float64Array, target: number): number {
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i] as number;
    if (acc > target && (weights[i] as number) > 0) return i;
  }
  return weights.length - 1;
}

function cosineScores(points: Float32Array, centroids: Float32Array, d: Dims): Float32Array {
  const scores = new Float32Array(d.n * d.groups); // [n, groups]
  for (let i = 0; i < d.n; i++) {
    for (let g = 0; g < d.groups; g++)
      scores[i * d.groups + g] = dot(points, i * d.dim, centroids, g * d.dim, d.dim);
  }
  return scores;
}

/**
 * Equal-size assignment: points closest to some centroid choose first, each taking its best cluster that still
 * has room. Greedy, O(n·groups + n log n), deterministic (ties broken by index).
 */
function balancedAssign(
  scores: Float32Array,
  d: { n: number; groups: number; capacity: number },
): Int32Array {
  const { n, groups, capacity } = d;
  const room = new Int32Array(groups).fill(capacity);
  const best = Float64Array.from(
    { length: n },
    (_, i) => bestCluster(scores.subarray(i * groups, (i + 1) * groups), room).score,
  );
  const assignment = new Int32Array(n);
  for (const i of orderByImportance(best)) {
    const choice = bestCluster(scores.subarray(i * groups, (i + 1) * groups), room).cluster;
    assignment[i] = choice;
    room[choice] = (room[choice] as number) - 1;
  }
  return assignment;
}

/** Highest-scoring cluster that still has room (lowest index among ties). */
function bestCluster(row: Float32Array, room: Int32Array): { cluster: number; score: number } {
  let cluster = -1;
  let score = -Infinity;
  row.forEach((s, g) => {
    if ((room[g] as number) > 0 && s > score) [cluster, score] = [g, s];
  });
  return { cluster, score };
}

function updateCentroids(
  centroids: Float32Array,
  d: { points: Float32Array; assignment: Int32Array; dim: number },
): void {
  const { points, assignment, dim } = d;
  centroids.fill(0);
  assignment.forEach((g, i) => {
    for (let j = 0; j < dim; j++)
      centroids[g * dim + j] = (centroids[g * dim + j] as number) + (points[i * dim + j] as number);
  });
  for (let g = 0; g < centroids.length / dim; g++)
    normalizeInPlace(centroids.subarray(g * dim, (g + 1) * dim));
}
