/**
 * Typed reads of a task row's fields. Dataset rows are untrusted: a field of the wrong type is a TaskRowError that
 * names the field and what it held, never a crash deeper in.
 */
import type { Row, Value } from '../../data/dataset-rows.js';
import { printable } from '../../util/untrusted-text.js';
import { TaskRowError } from './types.js';

/** The value at a dotted path (`choices.text`), through structs. */
export function field(row: Row, path: string): Value | undefined {
  let value: Value | undefined = row;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
      return undefined;
    }
    if (value instanceof Date) return undefined;
    value = (value as { readonly [k: string]: Value })[key];
  }
  return value;
}

function describe(value: Value | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${printable(value.slice(0, 40))}"`;
  if (typeof value === 'object') return 'a struct';
  return `${typeof value} ${String(value)}`;
}

export function text(row: Row, path: string): string {
  const value = field(row, path);
  if (typeof value !== 'string') throw new TaskRowError(`'${path}' is ${describe(value)}, expected text`);
  return value;
}

/** A list of strings (a Parquet list column, or a list inside a struct). */
export function texts(row: Row, path: string): string[] {
  const value = field(row, path);
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new TaskRowError(`'${path}' is ${describe(value)}, expected a list of texts`);
  }
  return value as string[];
}

/** An integer given as a number, an int64 (bigint) or a string of digits ("2", as HellaSwag's labels are). */
export function integer(row: Row, path: string): number {
  const value = field(row, path);
  const n =
    typeof value === 'bigint'
      ? Number(value)
      : typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)
          ? Number(value)
          : NaN;
  if (!Number.isSafeInteger(n))
    throw new TaskRowError(`'${path}' is ${describe(value)}, expected an integer`);
  return n;
}

/** The gold index, checked against the number of choices (the harness warns and scores such a row as wrong). */
export function goldIndex(gold: number, choices: number, what: string): number {
  if (gold < 0 || gold >= choices) {
    throw new TaskRowError(`${what} ${gold} is outside the ${choices} choices (0-based)`);
  }
  return gold;
}

/** Any scalar as template text: strings as they are, numbers and int64 in decimal. */
export function scalarText(row: Row, path: string): string {
  const value = field(row, path);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  throw new TaskRowError(`'${path}' is ${describe(value)}, expected text or a number`);
}
