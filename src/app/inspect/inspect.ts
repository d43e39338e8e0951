/** `moefy inspect`: what a checkpoint contains — family, shapes, dtypes, parameter counts per part, files. */
import { type CheckpointSource, resolveCheckpoint } from '../../checkpoint/resolve.js';
import { loadModel } from '../../families/load.js';
import { type FamilyFeatures, familyFeatures } from '../../ir/features.js';
import type { ModelIR } from '../../ir/model.js';
import { countParameters, type ParameterCounts } from '../../ir/shapes.js';

export interface InspectOptions {
  revision?: string;
  offline?: boolean;
}

export interface InspectReport {
  family: string;
  architecture: string;
  source: CheckpointSource;
  shapes: {
    vocab: number;
    hidden: number;
    layers: number;
    heads: number;
    kvHeads: number;
    headDim: number;
    ffnDim: number;
    ffnKind: string;
    activation: string;
    positions: string;
    maxPositions: number;
    tiedEmbeddings: boolean;
  };
  /** RoPE variant, sliding layers, soft-caps, fused tensors, norm variants. */
  features: FamilyFeatures;
  sourceDtype: string;
  /** Stored dtype → how many tensors and bytes use it. */
  dtypes: Record<string, { tensors: number; bytes: number }>;
  parameters: ParameterCounts & { ffnShare: number };
  files: { name: string; size: number }[];
}

export async function inspectCheckpoint(ref: string, opts: InspectOptions = {}): Promise<InspectReport> {
  const resolved = await resolveCheckpoint(ref, { revision: opts.revision, offline: opts.offline });
  const { ir, store } = await loadModel(resolved.dir);
  const dtypes: InspectReport['dtypes'] = {};
  for (const info of [...store.tensors.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const entry = (dtypes[info.dtype] ??= { tensors: 0, bytes: 0 });
    entry.tensors += 1;
    entry.bytes += info.end - info.begin;
  }
  const counts = countParameters(ir);
  return {
    family: ir.config.family,
    architecture: ir.config.architecture,
    source: resolved.source,
    shapes: shapesOf(ir),
    features: familyFeatures(ir),
    sourceDtype: ir.config.sourceDtype,
    dtypes,
    parameters: { ...counts, ffnShare: counts.total === 0 ? 0 : counts.ffn / counts.total },
    files: resolved.files.map(({ name, size }) => ({ name, size })),
  };
}

function shapesOf(ir: ModelIR): InspectReport['shapes'] {
  const c = ir.config;
  const ffn = ir.layers[0]?.ffn;
  return {
    vocab: c.vocabSize,
    hidden: c.hidden,
    layers: c.numLayers,
    heads: c.numHeads,
    kvHeads: c.numKvHeads,
    headDim: c.headDim,
    ffnDim: c.ffnDim,
    ffnKind: ffn?.kind ?? 'none',
    activation: ffn?.activation ?? 'none',
    positions: ir.positions.kind,
    maxPositions: c.maxPositions,
    tiedEmbeddings: c.tiedEmbeddings,
  };
}
