import type { Command } from 'commander';

interface TrainFlags {
  steps?: string;
  lr?: string;
  device?: string;
  target?: string;
  quiet?: boolean;
  force?: boolean;
}

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
    .option('--force', 'replace the routers even when the new ones are worse on the held-out rows')
    .action(async (outDir: string, flags: TrainFlags) => {
      const { runTrain } = await import('../app/train/run.js');
      // Flags arrive as strings; the recipe's own field schemas and rules validate them (app/train/train.ts).
      await runTrain({
        dir: outDir,
        quiet: flags.quiet === true,
        force: flags.force === true,
        overrides: {
          ...(flags.steps !== undefined && { steps: Number(flags.steps) }),
          ...(flags.lr !== undefined && { lr: Number(flags.lr) }),
          ...(flags.device !== undefined && { device: flags.device }),
          ...(flags.target !== undefined && { target: flags.target }),
        },
      });
    });
}
