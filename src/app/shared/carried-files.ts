/**
 * The checkpoint files an output directory carries beside its graphs, so loaders that expect a Hugging Face model
 * folder (transformers.js, Optimum-style ORT loaders, `moefy generate`'s EOS lookup) find the config, the
 * generation settings and the tokenizer there.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';

const CARRIED_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
];

/** Copies those of CARRIED_FILES the checkpoint has into `dir`; their names. */
export async function carryCheckpointFiles(
  files: readonly { readonly name: string; readonly path: string }[],
  dir: string,
): Promise<string[]> {
  const present = files.filter((f) => CARRIED_FILES.includes(f.name));
  for (const f of present) await copyFile(f.path, join(dir, f.name));
  return present.map((f) => f.name);
}
