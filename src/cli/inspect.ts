import type { Command } from 'commander';

interface InspectFlags {
  json?: boolean;
  revision?: string;
  offline?: boolean;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect <ref>')
    .description(
      'what a checkpoint contains (family, shapes, dtypes, parameters per part, files), a moefy output directory ' +
        '(experts, router, graphs, recommendation), or an ONNX graph (I/O, operators, weights, baked threshold)',
    )
    .option('--json', 'print the report as JSON')
    .option('--revision <rev>', 'Hub branch, tag or commit sha (default: main)')
    .option('--offline', 'use the Hub cache only (also HF_HUB_OFFLINE=1)')
    .action(async (ref: string, flags: InspectFlags) => {
      if (ref.endsWith('.onnx')) {
        const { inspectOnnx, formatOnnxInspect } = await import('../app/inspect/onnx.js');
        const description = await inspectOnnx(ref);
        process.stdout.write(
          flags.json ? `${JSON.stringify(description, null, 2)}\n` : formatOnnxInspect(description),
        );
        return;
      }
      const { formatOutputInspect, inspectOutput, isOutputDir } = await import('../app/inspect/output.js');
      if (isOutputDir(ref)) {
        const output = await inspectOutput(ref);
        process.stdout.write(
          flags.json ? `${JSON.stringify(output, null, 2)}\n` : formatOutputInspect(output),
        );
        return;
      }
      const { inspectCheckpoint } = await import('../app/inspect/inspect.js');
      const report = await inspectCheckpoint(ref, { revision: flags.revision, offline: flags.offline });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const { formatInspect } = await import('../app/inspect/format.js');
      process.stdout.write(formatInspect(report));
    });
}
