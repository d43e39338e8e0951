/**
 * One layer's normal equations summed on ORT while its calibration batches pass (app/convert/adapt-layer.ts, and
 * bench/adapt-layer.ts at real shapes): each batch's [h 1]ᵀ[h 1] lower triangle and [h 1]ᵀy come from the Gram
 * graph (graph/gram.ts) one block of rows per run, and are added in float64 (experts/normal-equations.ts). A block
 * per run keeps ORT's float32 output (and the arena that holds it) at GRAM_BLOCK rows instead of the whole matrix.
 */
import { join } from 'node:path';
import { NormalEquations } from '../../experts/normal-equations.js';
import { buildGram, GRAM_INPUTS, GRAM_OUTPUTS } from '../../graph/gram.js';
import { writeModel } from '../../onnx/builder.js';
import type { Device } from '../../runtime/device.js';
import { createSession, releaseSession, run, type Session } from '../../runtime/session.js';
import { float32Tensor, int64Tensor, readFloat32 } from '../../runtime/tensors.js';

export class GramSums {
  private constructor(
    private readonly shape: { ffnDim: number; hidden: number; block?: number },
    private readonly session: Session,
  ) {}

  /** Writes the Gram graph into `dir` (a scratch directory) and opens it. */
  static async open(a: {
    ffnDim: number;
    hidden: number;
    dir: string;
    device: Device;
    /** Rows per Gram run (default GRAM_BLOCK; tests use small ones). */
    block?: number;
  }): Promise<GramSums> {
    const path = join(a.dir, 'gram.onnx');
    writeModel(buildGram(a).model(), path);
    return new GramSums(a, await createSession(path, { device: a.device }));
  }

  /** Empty sums for the next layer. */
  begin(): NormalEquations {
    const { ffnDim, hidden, block } = this.shape;
    return new NormalEquations(ffnDim, hidden, block);
  }

  /** Adds one batch: h [rows, m] and y [rows, d] float32. */
  async add(eq: NormalEquations, batch: { h: Float32Array; y: Float32Array; rows: number }): Promise<void> {
    const feeds = {
      [GRAM_INPUTS.h]: float32Tensor(batch.h, [batch.rows, eq.ffnDim]),
      [GRAM_INPUTS.y]: float32Tensor(batch.y, [batch.rows, eq.hidden]),
    };
    for (let b = 0; b + 1 < eq.edges.length; b++) {
      const sums = await run(this.session, {
        ...feeds,
        [GRAM_INPUTS.start]: int64Tensor([eq.edges[b]!], [1]),
        [GRAM_INPUTS.end]: int64Tensor([eq.edges[b + 1]!], [1]),
      });
      eq.addBlock(b, {
        hth: readFloat32(sums[GRAM_OUTPUTS.hth]!),
        hty: readFloat32(sums[GRAM_OUTPUTS.hty]!),
      });
    }
    eq.addTokens(batch.rows);
  }

  async release(): Promise<void> {
    await releaseSession(this.session);
  }
}
