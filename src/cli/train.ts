import type { Command } from 'commander';
import { InputError } from '../util/errors.js';

interface TrainFlags {
  steps?: string;
  lr?: string;
  device?: string;
  target?: string;
  quiet?: boolean;
}

const DEVICES = ['cpu', 'cuda'] as const;
const TARGETS = ['relative-error', 'classification'] as const;

export function registerTrain(program: Command): void {
  program
    .command('train <out-dir>')
    .description(
      '(re)train the MLP routers of a converted model on ONNX Runtime, resuming an interrupted run',
    )
    .option('--steps <n>', 'training steps (default: the recipe’s router.train.steps)')
    .option('--lr <rate>', 'peak learning rate (default: the recipe’s)')
    .option('--device <device>', 'cpu | cuda')
    .option('--target <target>', 'relative-error | classification')
    .option('--quiet', 'no progress output')
    .action(async (outDir: string, flags: TrainFlags) => {
      const { runTrain } = await import('../app/train/run.js');
      await runTrain({
        dir: outDir,
        quiet: flags.quiet === true,
        overrides: {
          ...(flags.steps !== undefined && { steps: positiveInt('--steps', flags.steps) }),
          ...(flags.lr !== undefined && { lr: positiveNumber('--lr', flags.lr) }),
          ...(flags.device !== undefined && { device: oneOf('--device', flags.device, DEVICES) }),
          ...(flags.target !== undefined && { target: oneOf('--target', flags.target, TARGETS) }),
        },
      });
    });
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${flag}: expected a positive integer, got "${v}"`);
  return n;
}

function positiveNumber(flag: string, v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n))
    throw new InputError(`${flag}: expected a positive number, got "${v}"`);
  return n;
}

function oneOf<T extends string>(flag: string, v: string, allowed: readonly T[]): T {
  const hit = allowed.find((a) => a === v);
  if (!hit) throw new InputError(`${flag}: expected one of ${allowed.join(', ')}, got "${v}"`);
  return hit;
}
