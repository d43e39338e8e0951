/**
 * One part of the model (the embedding, a decoder layer, the head) as an ORT session for a layer-sequential run,
 * its graph built with the layer builder (src/graph/layer-graph.ts). Releasing the part frees the layer: at most
 * one part is resident per run.
 *
 * On CPU the part's float32 weights are graph inputs (onnx/weight-inputs.ts), fed with every run: opening the
 * session then takes milliseconds, where initializers cost a data file written and read back, constant folding and
 * MLAS prepacking — 1–2 s a layer at hidden 2048, more than the layer's compute over ~1000 tokens. A MatMul whose
 * weight is an input packs it per run instead, a small cost beside the run's own work. On CUDA the weights stay
 * initializers: onnxruntime-node has no device binding, so an input would be copied to the device at every run;
 * they stream into an external data file in the run's scratch dir, the session opens and the files go at once.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeModel,
  ExternalDataWriter,
  type GraphBuilder,
  type WeightSink,
  WeightInputs,
  writeModel,
} from '../onnx/builder.js';
import type { Device } from '../runtime/device.js';
import { createSession, type Feeds, releaseSession, type Session } from '../runtime/session.js';
import { materializeWeights } from './weight-feeds.js';

export interface PartPlace {
  /** The run's scratch dir. */
  readonly dir: string;
  readonly device: Device;
  /** ORT intra-op threads (default: the runtime's). */
  readonly threads?: number;
  /** How parts hold their float32 weights (default: inputs on CPU, initializers on CUDA; see above). */
  readonly weights?: 'inputs' | 'initializers';
}

export interface PartSession {
  readonly session: Session;
  /** The weights the graph takes as inputs (none on CUDA): every run of the part needs them. */
  readonly weights: Feeds;
  release(): Promise<void>;
}

export async function openPart(
  name: string,
  build: (data: WeightSink) => Promise<GraphBuilder>,
  place: PartPlace,
): Promise<PartSession> {
  const options = {
    device: place.device,
    ...(place.threads !== undefined && place.threads > 0 ? { threads: place.threads } : {}),
  };
  const weights = place.weights ?? (place.device === 'cuda' ? 'initializers' : 'inputs');
  if (weights === 'initializers') return openWithInitializers(name, build, place, options);
  const inputs = new WeightInputs();
  const model = encodeModel((await build(inputs)).model());
  const session = await createSession(model, options);
  try {
    const fed = materializeWeights(inputs.weights, place);
    return {
      session,
      weights: fed.feeds,
      release: async () => {
        await releaseSession(session);
        fed.release();
      },
    };
  } catch (err) {
    await releaseSession(session);
    throw err;
  }
}

async function openWithInitializers(
  name: string,
  build: (data: WeightSink) => Promise<GraphBuilder>,
  place: PartPlace,
  options: Parameters<typeof createSession>[1],
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
    const session = await createSession(modelPath, options);
    return { session, weights: {}, release: () => releaseSession(session) };
  } finally {
    rmSync(modelPath, { force: true });
    rmSync(dataPath, { force: true });
  }
}
