import type { Command } from 'commander';
import { InputError } from '../util/errors.js';

interface ExportFlags {
  out: string;
  withPast?: boolean;
  dtype: string;
  force?: boolean;
  revision?: string;
  offline?: boolean;
  verify: boolean;
}

const DTYPES = ['auto', 'float32', 'float16', 'bfloat16'] as const;

export function registerExport(program: Command): void {
  program
    .command('export <ref>')
    .description('the exact dense ONNX decoder graph (the baseline every MoE is measured against)')
    .requiredOption('--out <dir>', 'output directory (model.onnx, model.onnx.data, moefy.json)')
    .option('--with-past', 'KV-cache graph: past_key_values.* inputs, present.* outputs')
    .option(
      '--dtype <dtype>',
      "stored weight precision: auto (the checkpoint's own, bit for bit) | float32 | float16 | bfloat16",
      'auto',
    )
    .option('--force', 'replace an existing output directory')
    .option('--revision <rev>', 'Hub branch, tag or commit sha (default: main)')
    .option('--offline', 'use the Hub cache only (also HF_HUB_OFFLINE=1)')
    .option(
      '--no-verify',
      'skip the ONNX Runtime check (the same graph cut to two layers, loaded and run on four tokens)',
    )
    .action(async (ref: string, flags: ExportFlags) => {
      const dtype = DTYPES.find((d) => d === flags.dtype);
      if (!dtype) throw new InputError(`--dtype: expected one of ${DTYPES.join(', ')}, got "${flags.dtype}"`);
      const { exportDense } = await import('../app/export/export.js');
      const result = await exportDense(ref, { ...flags, dtype });
      const checked = result.checked
        ? `checked: ${result.checked}`
        : 'not checked in ONNX Runtime (--no-verify)';
      process.stdout.write(
        `wrote ${result.outDir}: ${result.files.join(', ')}\n${checked}\n` +
          'exactness: the graph builder is tested against transformers reference outputs (moefy test suite); ' +
          'this export itself was not compared with transformers\n',
      );
    });
}
