/**
 * A table of rows, read in a fixed order: the general source under calibration/eval text and, later, downstream
 * tasks scored from Hub Parquet. Values keep their types (strings, numbers, bigint for int64, booleans, null, bytes,
 * dates, lists and structs as arrays and objects). Files are read one after another; a source is lazy, so a reader
 * that stops early never opens (or downloads) the files it did not reach.
 */
export type Value =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | Date
  | readonly Value[]
  | { readonly [key: string]: Value };

export type Row = Readonly<Record<string, Value>>;

export interface ReadOptions {
  /** Read only these columns (all when absent); each must exist, else an InputError names the file. */
  readonly columns?: readonly string[];
  /** Stop after this many rows. */
  readonly limit?: number;
}

/** One file of a source: `open` yields its local path, fetching it on first use when it lives on the Hub. */
export interface RowFile {
  /** For messages: repo path or local path. */
  readonly label: string;
  open(): Promise<string>;
}

export interface RowSource {
  readonly label: string;
  rows(opts?: ReadOptions): AsyncGenerator<Row>;
}

export type FileReader = (path: string, label: string, columns?: readonly string[]) => AsyncGenerator<Row>;

/** Rows of `files` in order through `read`, honouring the limit across files. */
export function rowSource(
  label: string,
  files: readonly RowFile[],
  read: (f: RowFile) => FileReader,
): RowSource {
  return {
    label,
    async *rows(opts = {}) {
      const limit = opts.limit ?? Infinity;
      let n = 0;
      if (n >= limit) return;
      for (const f of files) {
        for await (const row of read(f)(await f.open(), f.label, opts.columns)) {
          yield row;
          if (++n >= limit) return;
        }
      }
    },
  };
}
