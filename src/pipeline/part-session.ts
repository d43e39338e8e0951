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

/**
 * Runs `use` on parts `from`..`to − 1` in order, opening part i + 1 while part i is in use: building a part's graph
 * (reading and widening its weights, ORT folding and packing them) overlaps the previous part's ORT runs, which
 * leave the JavaScript thread idle. Two parts are resident at most (DESIGN.md §4's "2 decoder layers"); each is
 * released after its use, and a part opened ahead is released when a use fails.
 */
export async function forEachPart(a: {
  readonly from: number;
  readonly to: number;
  readonly open: (index: number) => Promise<PartSession>;
  readonly use: (index: number, part: PartSession) => Promise<void>;
}): Promise<void> {
  let next = a.from < a.to ? a.open(a.from) : undefined;
  try {
    for (let i = a.from; i < a.to; i++) {
      const part = await next!;
      next = i + 1 < a.to ? a.open(i + 1) : undefined;
      // An opening that fails while this part is in use surfaces at its own turn (or in `finally` below).
      next?.catch(() => undefined);
      try {
        await a.use(i, part);
      } finally {
        await part.release();
      }
    }
  } finally {
    if (next) await next.then((p) => p.release()).catch(() => undefined);
  }
}
