/**
 * The environment a plan is made for: which of the devices a recipe asks for can run graphs on this machine, its
 * RAM, and how fast ONNX Runtime runs on the model stages' device now (a probe of about a second on CPU).
 */
import { totalmem } from 'node:os';
import type { Recipe } from '../../recipe/types.js';
import type { Device } from '../../runtime/device.js';
import type { Environment } from './types.js';
import { measureMachineRate } from './machine-rate.js';

/** Devices the recipe's stages run on: the model stages', and router training's for an mlp router. */
export function devicesOf(recipe: Recipe): Device[] {
  return [recipe.device, ...(recipe.router.kind === 'mlp' ? [recipe.router.train.device] : [])];
}

/** `devices[0]` runs the model stages (devicesOf's order): its rate prices them. */
export async function probeEnvironment(devices: readonly Device[]): Promise<Environment> {
  const unavailable: Partial<Record<Device, string>> = {};
  const probed = [...new Set(devices)].filter((d) => d !== 'cpu');
  const ramBytes = totalmem();
  if (probed.length > 0) {
    const { deviceProblem } = await import('../../runtime/session.js');
    const model = await probeModel();
    for (const device of probed) {
      const problem = await deviceProblem(device, model);
      if (problem !== null) unavailable[device] = problem;
    }
  }
  const stagesDevice = devices[0] ?? 'cpu';
  const machineRate = unavailable[stagesDevice] === undefined ? await measureMachineRate(stagesDevice) : null;
  return machineRate === null ? { unavailable, ramBytes } : { unavailable, ramBytes, machineRate };
}

/** y = Identity(x): the smallest graph that makes an execution provider load. */
async function probeModel(): Promise<Uint8Array> {
  const { ELEM, GraphBuilder, encodeModel } = await import('../../onnx/builder.js');
  const b = new GraphBuilder('device-probe');
  const x = b.input('x', ELEM.float, [1]);
  b.output('y', b.op('Identity', [x])[0]!, ELEM.float, [1]);
  return encodeModel(b.model());
}
