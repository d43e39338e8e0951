/**
 * Untrusted names and values inside error messages. Messages are one line (DESIGN.md §5), but tensor names, shard
 * names and config values come from files written by strangers: they may hold newlines, control characters,
 * megabytes of text, or JSON nested deeper than JSON.stringify's stack allows.
 */

const MAX_SHOWN = 120;
// Line breaks of every kind and the other C0/C1 controls: anything that could split or garble a terminal line.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Control characters (line breaks included) escaped as \uXXXX: the text stays on one line, whole. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A name from a file, safe to print: control characters escaped, long names cut. */
export function printable(name: string): string {
  const escaped = escapeControls(name);
  return escaped.length > MAX_SHOWN ? `${escaped.slice(0, MAX_SHOWN - 3)}...` : escaped;
}

/** Enough of a bad value to recognise it, never a whole pasted blob; survives any nesting depth. */
export function briefValue(value: unknown, max = 60): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Too deep for JSON.stringify (RangeError): its type is all the user needs to find it.
    text = Array.isArray(value) ? '[...]' : '{...}';
  }
  text = printable(text);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
