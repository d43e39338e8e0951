/**
 * The YAML front matter of a Hub README.md (model and dataset cards): `---\n<yaml>\n---`. Untrusted text: a card
 * without front matter, or with YAML that does not parse to a mapping, has no metadata (null), never an error.
 */
import { parse } from 'yaml';

/** Cards past this size are not cards; their metadata is ignored. */
export const MAX_CARD_BYTES = 1_000_000;

export function cardMetadata(text: string): Record<string, unknown> | null {
  if (text.length > MAX_CARD_BYTES) return null;
  const m = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  if (!m) return null;
  try {
    const value: unknown = parse(m[1]!, { maxAliasCount: 100 });
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
