import type { Command } from 'commander';
import { PRECISIONS, type Precision } from '../ir/precision.js';
import { InputError } from '../util/errors.js';

interface GenerateFlags {
  prompt: string;
  threshold?: string;
  maxNewTokens: string;
  temperature: string;
  seed: string;
  dtype: string;
}

function dtypeFlag(raw: string): Precision {
  const known = PRECISIONS as readonly string[];
  if (!known.includes(raw))
    throw new InputError(`--dtype: expected one of ${known.join(', ')}, got "${raw}"`);
  return raw as Precision;
}

/** A flag's number, or an InputError naming the flag and what it must be. */
function numberFlag(flag: string, raw: string, check: (n: number) => boolean, expected: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new InputError(`${flag}: expected ${expected}, got "${raw}"`);
  return n;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate <out-dir>')
    .description(
      'text from a converted MoE model with its KV cache; prints tokens/s and the realized FFN fraction',
    )
    .requiredOption('--prompt <text>', 'the text to continue')
    .option('--threshold <t>', 'router threshold (default: the recipe output.fixed_threshold)')
    .option('--max-new-tokens <n>', 'tokens to generate', '64')
    .option('--temperature <t>', 'sampling temperature; 0 = greedy', '0')
    .option('--seed <n>', 'seed for sampling', '0')
    .option('--dtype <dtype>', `which precision's graph runs: ${PRECISIONS.join(', ')}`, 'fp32')
    .action(async (dir: string, flags: GenerateFlags) => {
      const nonNegative = (n: number) => n >= 0;
      const options = {
        dir,
        prompt: flags.prompt,
        maxNewTokens: numberFlag(
          '--max-new-tokens',
          flags.maxNewTokens,
          (n) => Number.isInteger(n) && n >= 1,
          'an integer ≥ 1',
        ),
        temperature: numberFlag('--temperature', flags.temperature, nonNegative, 'a number ≥ 0'),
        seed: numberFlag('--seed', flags.seed, Number.isInteger, 'an integer'),
        dtype: dtypeFlag(flags.dtype),
        ...(flags.threshold === undefined
          ? {}
          : { threshold: numberFlag('--threshold', flags.threshold, nonNegative, 'a number ≥ 0') }),
        write: (text: string) => process.stdout.write(text),
      };
      const { generate, formatStats } = await import('../app/generate/generate.js');
      const result = await generate(options);
      process.stdout.write('\n');
      process.stderr.write(`${formatStats(result)}\n`);
    });
}
