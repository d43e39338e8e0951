/** The `moefy.json` manifest of a dense export: where the weights came from and what the graph is. */
import type { ResolvedCheckpoint } from '../../checkpoint/resolve.js';
import type { WeightDtype } from '../../graph/context.js';
import type { ModelIR } from '../../ir/model.js';
import { type DenseManifest, MANIFEST_SCHEMA_ID, modelToManifest } from '../shared/manifest.js';
import {
  fileHashes,
  graphSection,
  type GraphIo,
  sourceSection,
  writeManifest,
} from '../shared/manifest-write.js';
import { VERSION } from '../shared/version.js';

export interface DenseManifestInput {
  readonly dir: string;
  readonly checkpoint: ResolvedCheckpoint;
  readonly ir: ModelIR;
  readonly dtype: WeightDtype;
  readonly withPast: boolean;
  readonly graph: {
    readonly file: string;
    readonly data: string;
    readonly io: GraphIo;
    readonly dataSha256: string;
  };
}

export async function writeDenseManifest(m: DenseManifestInput): Promise<void> {
  const manifest: DenseManifest = {
    schema: MANIFEST_SCHEMA_ID,
    moefy_version: VERSION,
    kind: 'dense',
    source: await sourceSection(m.checkpoint),
    model: modelToManifest(m.ir),
    dtype: m.dtype,
    with_past: m.withPast,
    graphs: [await graphSection(m.dir, { role: 'dense', ...m.graph })],
    files: await fileHashes(m.dir, [m.graph.file, m.graph.data], {
      [m.graph.data]: m.graph.dataSha256,
    }),
  };
  await writeManifest(m.dir, manifest);
}
