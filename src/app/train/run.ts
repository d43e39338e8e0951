/** `moefy train` behind the CLI: progress on stderr, the training summary and report lines on stdout. */
import { createProgress } from '../shared/progress.js';
import { trainOutput, type TrainOverrides } from './train.js';

export async function runTrain(opts: {
  dir: string;
  overrides: TrainOverrides;
  quiet: boolean;
  force?: boolean;
}): Promise<void> {
  const result = await trainOutput({ ...opts, progress: createProgress({ quiet: opts.quiet }) });
  process.stdout.write(
    `retrained routers of ${result.outDir} in ${result.seconds.toFixed(1)}s\n` +
      result.summary.map((line) => `${line}\n`).join(''),
  );
}
