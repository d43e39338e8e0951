/**
 * config.json as untrusted JSON: bounded size, and typed getters that name the key and the expected type on failure.
 * A key that is absent or null reads as "not set", so defaults apply (GPT-2's `n_inner: null`).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointFormatError } from '../util/errors.js';
import { briefValue, printable } from '../util/untrusted-text.js';

export const CONFIG_FILE = 'config.json';
/** Real configs are a few KB; id2label tables can grow, but nothing legitimate nears this. */
export const MAX_CONFIG_BYTES = 4_000_000;

export interface IntBounds {
  min: number;
  max: number;
}

export class ConfigJson {
  constructor(
    readonly file: string,
    readonly raw: Readonly<Record<string, unknown>>,
    /** Path of this object inside config.json (`rope_scaling.`), so errors name the nested key. */
    readonly path = '',
  ) {}

  /** A nested object (`rope_scaling`) as a ConfigJson of its own, or undefined when not set. */
  object(key: string): ConfigJson | undefined {
    const value = this.raw[key];
    if (!this.isSet(key)) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw this.wrong(key, 'an object');
    return new ConfigJson(this.file, value as Record<string, unknown>, `${this.path}${key}.`);
  }

  /** A list of finite numbers, or undefined when not set. */
  numbers(key: string): number[] | undefined {
    const value = this.raw[key];
    if (!this.isSet(key)) return undefined;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw this.wrong(key, 'a list of numbers');
    return value as number[];
  }

  isSet(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  /** An integer within bounds, or undefined when not set. */
  int(key: string, { min, max }: IntBounds): number | undefined {
    const value = this.raw[key];
    if (!this.isSet(key)) return undefined;
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      throw this.wrong(key, `an integer in [${min}, ${max}]`);
    }
    return value as number;
  }

  /** A finite number (integers included), or undefined when not set. */
  num(key: string): number | undefined {
    const value = this.raw[key];
    if (!this.isSet(key)) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.wrong(key, 'a finite number');
    return value;
  }

  str(key: string): string | undefined {
    const value = this.raw[key];
    if (!this.isSet(key)) return undefined;
    if (typeof value !== 'string') throw this.wrong(key, 'a string');
    return value;
  }

  bool(key: string): boolean | undefined {
    const value = this.raw[key];
    if (!this.isSet(key)) return undefined;
    if (typeof value !== 'boolean') throw this.wrong(key, 'true or false');
    return value;
  }

  strings(key: string): string[] | undefined {
    const value = this.raw[key];
    if (!this.isSet(key)) return undefined;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
      throw this.wrong(key, 'a list of strings');
    return value as string[];
  }

  private wrong(key: string, expected: string): CheckpointFormatError {
    return new CheckpointFormatError(
      this.file,
      `${this.path}${key}: expected ${expected}, got ${briefValue(this.raw[key])}`,
    );
  }
}

export async function readConfigJson(dir: string): Promise<ConfigJson> {
  const file = join(dir, CONFIG_FILE);
  const size = await stat(file).then(
    (s) => s.size,
    () => {
      throw new CheckpointFormatError(file, 'not found: a checkpoint needs its config.json');
    },
  );
  if (size > MAX_CONFIG_BYTES)
    throw new CheckpointFormatError(file, `size: exceeds the limit of ${MAX_CONFIG_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CheckpointFormatError(file, `expected JSON (${printable((err as Error).message)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointFormatError(file, 'expected a JSON object');
  }
  return new ConfigJson(file, json as Record<string, unknown>);
}
