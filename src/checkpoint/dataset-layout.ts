/**
 * Which files of a Hub dataset repo hold one config's split, decided from the repo's file list (and its card):
 * - the Hub's auto-converted branch `refs/convert/parquet` lays out `{config}/{split}/NNNN.parquet`, or
 *   `{config}/partial-{split}/NNNN.parquet` when only the first part of a big split was converted;
 * - a repo's own files follow its card's `configs: [{config_name, data_files}]` (a glob, a list of globs, or
 *   `[{split, path}]`), else the Hub's naming conventions (`{config}/{split}-*.parquet`, `data/{split}-*` …).
 * Parquet and JSON Lines files are readable; files come sorted by path (the order `datasets` uses), so the rows
 * of a split are always read in the same order.
 */
export const READABLE = /\.(parquet|jsonl)$/;

export type Layout = 'repo' | 'convert';

export interface SplitQuery {
  readonly config: string;
  readonly split: string;
}

/** Sorted paths of the split's readable files; empty when the layout has none. */
export function splitFiles(
  names: readonly string[],
  q: SplitQuery,
  layout: Layout,
  card: Record<string, unknown> | null,
): string[] {
  const readable = names.filter((n) => READABLE.test(n));
  const patterns = layout === 'convert' ? convertPatterns(q) : repoPatterns(q, card);
  for (const group of patterns) {
    const regexes = group.map(globToRegex);
    const hit = readable.filter((n) => regexes.some((r) => r.test(n)));
    if (hit.length > 0) return hit.sort();
  }
  return [];
}

function convertPatterns({ config, split }: SplitQuery): string[][] {
  return [[`${config}/${split}/*.parquet`], [`${config}/partial-${split}/*.parquet`]];
}

/** Pattern groups tried in order: the card's declaration wins; conventions only when the card declares nothing. */
function repoPatterns(q: SplitQuery, card: Record<string, unknown> | null): string[][] {
  const declared = cardPatterns(q, card);
  if (declared !== null) return [declared];
  const { config, split } = q;
  const conventions = [[`${config}/${split}-*`, `${config}/${split}/**`, `${config}/${split}.*`]];
  if (config === 'default') {
    conventions.push([
      `data/${split}-*`,
      `data/${split}/**`,
      `data/${split}.*`,
      `${split}-*`,
      `${split}/**`,
      `${split}.*`,
    ]);
  }
  return conventions;
}

/** The card's data_files for the split, or null when the card has no entry for the config. */
function cardPatterns({ config, split }: SplitQuery, card: Record<string, unknown> | null): string[] | null {
  const configs = card?.configs;
  if (!Array.isArray(configs)) return null;
  const entry = configs.find((c) => (c as { config_name?: unknown })?.config_name === config) as
    { data_files?: unknown } | undefined;
  if (!entry) return null;
  const files = entry.data_files;
  if (typeof files === 'string') return split === 'train' ? [files] : [];
  if (!Array.isArray(files)) return [];
  if (files.every((f) => typeof f === 'string')) return split === 'train' ? (files as string[]) : [];
  const forSplit = files.find((f) => (f as { split?: unknown })?.split === split) as
    { path?: unknown } | undefined;
  const path = forSplit?.path;
  if (typeof path === 'string') return [path];
  return Array.isArray(path) ? path.filter((p): p is string => typeof p === 'string') : [];
}

/** fsspec-style glob: `*` and `?` stay within a path segment, `**` crosses segments. */
export function globToRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re.replace(/^\.\//, '')}$`);
}
