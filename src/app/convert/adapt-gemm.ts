/**
 * The float64 GEMM the adaptation's solves use (experts/spd-inverse.ts), on ORT: one small session per product
 * form (graph/gemm.ts), opened on first use in a scratch dir and released with the rest of the stage.
 */
import { join } from 'node:path';
import type { Gemm } from '../../experts/spd-inverse.js';
import { buildGemm, GEMM_INPUTS, GEMM_OUTPUT, type GemmForm } from '../../graph/gemm.js';
import { writeModel } from '../../onnx/builder.js';
import type { Device } from '../../runtime/device.js';
import { createSession, type Feeds, releaseSession, run, type Session } from '../../runtime/session.js';
import { float64Tensor, readFloat64 } from '../../runtime/tensors.js';

export interface OrtGemm {
  readonly gemm: Gemm;
  release(): Promise<void>;
}

export function openOrtGemm(place: { dir: string; device: Device }): OrtGemm {
  const sessions = new Map<string, Promise<Session>>();
  const session = (f: GemmForm): Promise<Session> => {
    const name = `gemm-${f.transA ? 't' : 'n'}${f.transB ? 't' : 'n'}${f.alpha < 0 ? '-' : '+'}${f.addC ? 'c' : ''}`;
    let s = sessions.get(name);
    if (!s) {
      const path = join(place.dir, `${name}.onnx`);
      writeModel(buildGemm(f).model(), path);
      s = createSession(path, { device: place.device });
      sessions.set(name, s);
    }
    return s;
  };
  const gemm: Gemm = async (a) => {
    const form: GemmForm = {
      transA: a.transA ?? false,
      transB: a.transB ?? false,
      alpha: a.alpha ?? 1,
      addC: a.c !== undefined,
    };
    const feeds: Feeds = {
      [GEMM_INPUTS.a]: float64Tensor(a.a, form.transA ? [a.k, a.m] : [a.m, a.k]),
      [GEMM_INPUTS.b]: float64Tensor(a.b, form.transB ? [a.n, a.k] : [a.k, a.n]),
      ...(a.c && { [GEMM_INPUTS.c]: float64Tensor(a.c, [a.m, a.n]) }),
    };
    const out = await run(await session(form), feeds, [GEMM_OUTPUT]);
    return readFloat64(out[GEMM_OUTPUT]!);
  };
  return {
    gemm,
    release: async () => {
      for (const s of sessions.values()) await releaseSession(await s);
      sessions.clear();
    },
  };
}
