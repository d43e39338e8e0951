/**
 * One part of the model (the embedding, a decoder layer, the head) as an ORT session for a layer-sequential run,
 * its graph built with the layer builder (src/graph/layer-graph.ts). Releasing the part frees the layer: at most
 * one layer's parts (`openParts`: several graphs of one layer over shared weights) are resident per run.
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

/** A part to open: its name (scratch files) and its graph, built into the sink it is handed. */
export interface PartSpec {
  readonly name: string;
  readonly build: (data: WeightSink) => Promise<GraphBuilder>;
}

export async function openPart(
  name: string,
  build: (data: WeightSink) => Promise<GraphBuilder>,
  place: PartPlace,
): Promise<PartSession> {
  const [part] = await openParts([{ name, build }], place);
  return part!;
}

/**
 * Several parts of one layer whose graphs share one weight sink, as the emitted MoE graphs share one data file:
 * a tensor one graph stored is referenced, not stored again, by the next (graph/expert-weights.ts reuses the nested
 * expert blocks; a weight added again under its name keeps its first bytes). The layer sweep opens a layer's
 * dense, input-choice, router and oracle graphs so: the checkpoint is read, permuted and widened once per layer
 * instead of once per graph. Weights stay while any of the parts is open; release every part (each part's
 * `release` releases its session; the weights go with the last).
 */
export async function openParts(specs: readonly PartSpec[], place: PartPlace): Promise<PartSession[]> {
  const options = {
    device: place.device,
    ...(place.threads !== undefined && place.threads > 0 ? { threads: place.threads } : {}),
  };
  const weights = place.weights ?? (place.device === 'cuda' ? 'initializers' : 'inputs');
  if (weights === 'initializers') return openWithInitializers(specs, place, options);
  const inputs = new WeightInputs();
  const sessions: Session[] = [];
  try {
    for (const spec of specs) {
      const model = encodeModel((await spec.build(inputs)).model());
      sessions.push(await createSession(model, options));
    }
    const fed = materializeWeights(inputs.weights, place);
    let open = sessions.length;
    return sessions.map((session) => {
      let released = false;
      return {
        session,
        weights: fed.feeds,
        release: async () => {
          if (released) return;
          released = true;
          await releaseSession(session);
          if (--open === 0) fed.release(); // the shared weights go with the last part
        },
      };
    });
  } catch (err) {
    for (const session of sessions) await releaseSession(session);
    throw err;
  }
}

async function openWithInitializers(
  specs: readonly PartSpec[],
  place: PartPlace,
  options: Parameters<typeof createSession>[1],
): Promise<PartSession[]> {
  const first = join(place.dir, `${specs[0]!.name}.onnx`);
  const dataPath = `${first}.data`;
  const modelPaths = specs.map((s) => join(place.dir, `${s.name}.onnx`));
  const sessions: Session[] = [];
  try {
    const data = new ExternalDataWriter(dataPath, { digest: false });
    try {
      for (const [i, spec] of specs.entries()) writeModel((await spec.build(data)).model(), modelPaths[i]!);
    } finally {
      data.close();
    }
    for (const path of modelPaths) sessions.push(await createSession(path, options));
    return sessions.map((session) => ({ session, weights: {}, release: () => releaseSession(session) }));
  } catch (err) {
    for (const session of sessions) await releaseSession(session);
    throw err;
  } finally {
    for (const path of modelPaths) rmSync(path, { force: true });
    rmSync(dataPath, { force: true });
  }
}
