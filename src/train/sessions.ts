/** Builds the train-step and loss graphs for a router shape and opens them on the chosen device. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRouterForward } from '../graph/router-loss-graph.js';
import type { RouterGraphShape } from '../graph/router-train-io.js';
import { type AdamWSettings, buildRouterTrainStep } from '../graph/router-train-step.js';
import { writeModel } from '../onnx/builder.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Device } from '../runtime/device.js';
import { type Session, createSession, releaseSession } from '../runtime/session.js';
import { registerTemp } from '../util/cleanup.js';

export interface TrainSessions {
  readonly step: Session;
  readonly loss: Session;
}

export async function openTrainSessions(opts: {
  shape: RouterGraphShape;
  adam: AdamWSettings;
  device: Device;
  threads?: number;
}): Promise<TrainSessions> {
  // ORT opens models from a path; the graphs are tiny and rebuilt from the shape, so they live only until loaded.
  const dir = mkdtempSync(join(tmpdir(), 'moefy-train-'));
  const unregister = registerTemp(dir);
  const open = async (name: string, model: ModelProto) => {
    const path = join(dir, name);
    writeModel(model, path);
    return createSession(path, { device: opts.device, threads: opts.threads });
  };
  try {
    const step = await open('router-train-step.onnx', buildRouterTrainStep({ ...opts.shape, ...opts.adam }));
    const loss = await open('router-loss.onnx', buildRouterForward(opts.shape)).catch(
      async (err: unknown) => {
        await releaseSession(step);
        throw err;
      },
    );
    return { step, loss };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    unregister();
  }
}

export async function closeTrainSessions(s: TrainSessions): Promise<void> {
  await releaseSession(s.step);
  await releaseSession(s.loss);
}
