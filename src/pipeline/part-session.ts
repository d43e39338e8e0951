/**
 * One part of the model (the embedding, a decoder layer, the head) as an ORT session for a layer-sequential run:
 * the part graph is built with the layer builder (src/graph/layer-graph.ts), its weights stream from the checkpoint
 * tensor by tensor into an external data file in the run's scratch dir (no digest: nothing records it), the session
 * opens (ORT maps the page-aligned weights), and the files go at once (the session holds its own copy). Releasing the session frees the layer: at most one part is resident per run.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ExternalDataWriter, type GraphBuilder, writeModel } from '../onnx/builder.js';
import type { Device } from '../runtime/device.js';
import { createSession, releaseSession, type Session } from '../runtime/session.js';

export interface PartPlace {
  /** The run's scratch dir. */
  readonly dir: string;
  readonly device: Device;
  /** ORT intra-op threads (default: the runtime's). */
  readonly threads?: number;
}

export interface PartSession {
  readonly session: Session;
  release(): Promise<void>;
}

export async function openPart(
  name: string,
  build: (data: ExternalDataWriter) => Promise<GraphBuilder>,
  place: PartPlace,
): Promise<PartSession> {
  const modelPath = join(place.dir, `${name}.onnx`);
  const dataPath = `${modelPath}.data`;
  const data = new ExternalDataWriter(dataPath, { digest: false });
  try {
    writeModel((await build(data)).model(), modelPath);
  } finally {
    data.close();
  }
  try {
    const session = await createSession(modelPath, {
      device: place.device,
      ...(place.threads !== undefined && place.threads > 0 ? { threads: place.threads } : {}),
    });
    return { session, release: () => releaseSession(session) };
  } finally {
    rmSync(modelPath, { force: true });
    rmSync(dataPath, { force: true });
  }
}
