/**
 * Expert adaptation inside the layer-by-layer calibration pass (calibrate.ts), one layer at a time: while a
 * layer's batches pass, ORT sums its [h 1]ᵀ[h 1] and [h 1]ᵀy (gram-sums.ts; moefy adds the batches in float64);
 * when the layer is done, its permutation follows from its own calibration (experts.ts), each expert k < K's ridge
 * system is solved (lsq) or the one shared down projection fitted (joint, experts/adapt-joint.ts) (experts/adapt-lsq.ts, float64 GEMMs on ORT: adapt-gemm.ts) and the layer's weights go to
 * `adapt.N.safetensors` beside the calibration's layer files. Only one layer's sums live at once, and they are
 * dropped as soon as the fit's system is gathered from them (before the solve: the two together would be the
 * stage's peak); an interrupted run resumes at the layer where it stopped, as calibration does.
 */
import type { TensorToWrite } from '../../checkpoint/safetensors-write.js';
import { jointSystem, jointWeights, solveJoint } from '../../experts/adapt-joint.js';
import { lsqSystem, solveLsq } from '../../experts/adapt-lsq.js';
import type { NormalEquations } from '../../experts/normal-equations.js';
import { readVector } from '../../graph/weights.js';
import { LAYER_DEBUG } from '../../graph/names.js';
import type { ModelIR } from '../../ir/model.js';
import type { Recipe } from '../../recipe/types.js';
import type { Device } from '../../runtime/device.js';
import type { Tensor } from '../../runtime/session.js';
import { readFloat32 } from '../../runtime/tensors.js';
import { InternalError } from '../../util/errors.js';
import { openOrtGemm, type OrtGemm } from './adapt-gemm.js';
import type { LayerCalibration } from './calibration-types.js';
import { layerPermutation } from './experts.js';
import { GramSums } from './gram-sums.js';

/** Inside the calibration entry: one file per layer. */
export const ADAPT_DIR = 'adapt';
export const adaptLayerFile = (i: number) => `adapt.${i}.safetensors`;
/** `experts.adapt: joint`: the layer's shared down projection [m, d], rows in the permuted neuron order. */
export const JOINT_DOWN = 'joint_down';

/** The settings the fitted weights depend on beyond the calibration text (part of the calibration's key). */
export function adaptKey(recipe: Recipe, sizes: readonly number[]): unknown {
  const { experts } = recipe;
  if (experts.adapt === 'none') return null;
  return {
    method: experts.adapt,
    ridge: experts.adapt_ridge,
    // lsq's λ: one for every prefix, from the largest adapted expert's diagonal (it was per prefix before the
    // nested Cholesky solve), so weights cached under the old rule are not reused.
    ridgeBasis: experts.adapt === 'lsq' ? 'largest-prefix' : 'weighted-gram',
    ...(experts.adapt === 'joint' && { weights: jointWeights(sizes.length, experts.adapt_full_weight) }),
    sizes,
    // The permutation each layer's fit uses is computed from these (experts.ts).
    ordering: experts.ordering,
    align: experts.align,
  };
}

/**
 * The calibration pass's adaptation hook for one run: `begin` a layer, `add` each batch's outputs, `finish` with
 * the layer's calibration → the tensors of its `adapt.N.safetensors`.
 */
export class LayerAdapter {
  /** The layer graph outputs each batch must fetch. */
  readonly outputs = [LAYER_DEBUG.mlpAct, LAYER_DEBUG.mlpOutput] as const;
  private equations: NormalEquations | null = null;

  private constructor(
    private readonly a: { ir: ModelIR; recipe: Recipe; sizes: readonly number[] },
    private readonly gram: GramSums,
    private readonly gemm: OrtGemm,
  ) {}

  static async open(a: {
    ir: ModelIR;
    recipe: Recipe;
    sizes: readonly number[];
    dir: string;
    device: Device;
  }): Promise<LayerAdapter> {
    const { ffnDim, hidden } = a.ir.config;
    const gram = await GramSums.open({ ffnDim, hidden, dir: a.dir, device: a.device });
    return new LayerAdapter(a, gram, openOrtGemm({ dir: a.dir, device: a.device }));
  }

  begin(): void {
    this.equations = this.gram.begin();
  }

  /** One batch's FFN activations h and outputs y, summed into the layer's normal equations. */
  async add(out: Record<string, Tensor>): Promise<void> {
    const eq = this.equations;
    const h = out[LAYER_DEBUG.mlpAct];
    const y = out[LAYER_DEBUG.mlpOutput];
    if (!eq || !h || !y) throw new InternalError('adaptation: a batch without its layer, h or y');
    const rows = h.dims.slice(0, -1).reduce((n, d) => n * d, 1);
    await this.gram.add(eq, { h: readFloat32(h), y: readFloat32(y), rows });
  }

  /** Layer `index` is done: its permutation from its calibration, the fit, and the tensors to keep. */
  async finish(index: number, cal: LayerCalibration): Promise<Record<string, TensorToWrite>> {
    const { ir, recipe, sizes } = this.a;
    const { ffnDim, hidden } = ir.config;
    const permutation = await layerPermutation({ ir, recipe, index, calibration: cal });
    const tensors: Record<string, TensorToWrite> = {
      permutation: { dtype: 'I32', shape: [permutation.length], data: permutation },
    };
    const solve = { gemm: this.gemm.gemm };
    if (recipe.experts.adapt === 'joint') {
      const bias = ir.layers[index]!.ffn.down.bias;
      const downBias = bias ? await readVector(bias, hidden) : undefined;
      const system = jointSystem(this.takeEquations(index), {
        permutation,
        sizes,
        weights: jointWeights(sizes.length, recipe.experts.adapt_full_weight),
        ridge: recipe.experts.adapt_ridge,
        ...(downBias && { downBias }),
      });
      const down = await solveJoint(system, solve);
      tensors[JOINT_DOWN] = { dtype: 'F32', shape: [ffnDim, hidden], data: down };
      return tensors;
    }
    const system = lsqSystem(this.takeEquations(index), {
      permutation,
      sizes,
      ridge: recipe.experts.adapt_ridge,
    });
    const fitted = system ? await solveLsq(system, solve) : [];
    fitted.forEach((e, k) => {
      tensors[`down.${k}`] = { dtype: 'F32', shape: [sizes[k]!, hidden], data: e.down };
      tensors[`bias.${k}`] = { dtype: 'F32', shape: [hidden], data: e.bias };
    });
    return tensors;
  }

  /**
   * The layer's sums, handed over once: nothing here keeps them, so they are garbage once the system is
   * gathered from them, before the solve (at 8B's shape the sums are 1.35 GB, the system 0.85 GB).
   */
  private takeEquations(index: number): NormalEquations {
    const eq = this.equations;
    if (!eq) throw new InternalError(`adaptation: layer ${index} finished before it began`);
    this.equations = null;
    return eq;
  }

  async release(): Promise<void> {
    await this.gram.release();
    await this.gemm.release();
  }
}

/** Refuses a layer's adapt file fitted under another permutation than the experts stage's (a stale cache entry). */
export async function checkFittedPermutation(
  file: { readRaw(name: string): Promise<Uint8Array> },
  perm: Int32Array,
  layer: number,
): Promise<void> {
  const raw = await file.readRaw('permutation');
  const fitted = new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  if (fitted.length !== perm.length || fitted.some((v, j) => v !== perm[j])) {
    throw new InternalError(
      `adaptation: layer ${layer} was fitted under another permutation than the experts'`,
    );
  }
}
