/**
 * The one font charts use, shipped in assets/fonts, and its advance widths. Vega lays out labels, legends and
 * titles by measuring text; without a canvas it guesses from the font size. Measuring with the same TTF that
 * resvg draws with keeps titles from clipping and makes the layout independent of the machine.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../util/errors.js';

export const FONT_FAMILY = 'DejaVu Sans';
/** Same relative path from src/report/ and dist/report/. */
export const FONT_FILE = fileURLToPath(new URL('../../assets/fonts/DejaVuSans.ttf', import.meta.url));

export interface FontMetrics {
  /** Advance width of `text` at `fontSize` px, without kerning. */
  textWidth(text: string, fontSize: number): number;
}

/** Byte offsets of the tables we read, by tag. */
function tableOffsets(font: Buffer): Map<string, number> {
  const offsets = new Map<string, number>();
  const numTables = font.readUInt16BE(4);
  for (let i = 0; i < numTables; i++) {
    const record = 12 + 16 * i; // tag(4) checksum(4) offset(4) length(4)
    offsets.set(font.toString('latin1', record, record + 4), font.readUInt32BE(record + 8));
  }
  return offsets;
}

function required(offsets: Map<string, number>, tag: string): number {
  const offset = offsets.get(tag);
  if (offset === undefined) throw new InternalError(`${FONT_FILE}: font has no '${tag}' table`);
  return offset;
}

/** Offset of the Unicode BMP (format 4) subtable of cmap: platform 3/encoding 1, or platform 0. */
function bmpSubtable(font: Buffer, cmap: number): number {
  const count = font.readUInt16BE(cmap + 2);
  for (let i = 0; i < count; i++) {
    const record = cmap + 4 + 8 * i; // platformID(2) encodingID(2) offset(4)
    const platform = font.readUInt16BE(record);
    const encoding = font.readUInt16BE(record + 2);
    const sub = cmap + font.readUInt32BE(record + 4);
    if ((platform === 3 && encoding === 1) || platform === 0) {
      if (font.readUInt16BE(sub) === 4) return sub;
    }
  }
  throw new InternalError(`${FONT_FILE}: font has no Unicode BMP cmap subtable`);
}

/** Glyph id of a BMP code point in a cmap format 4 subtable; 0 (.notdef) when unmapped. */
function glyphOf(font: Buffer, sub: number, code: number): number {
  const segCount = font.readUInt16BE(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segCount + 2; // +2: reservedPad
  const deltas = starts + 2 * segCount;
  const rangeOffsets = deltas + 2 * segCount;
  for (let i = 0; i < segCount; i++) {
    if (font.readUInt16BE(ends + 2 * i) < code) continue;
    const start = font.readUInt16BE(starts + 2 * i);
    if (start > code) return 0;
    const delta = font.readUInt16BE(deltas + 2 * i);
    const rangeAt = rangeOffsets + 2 * i;
    const range = font.readUInt16BE(rangeAt);
    if (range === 0) return (code + delta) & 0xffff;
    const glyph = font.readUInt16BE(rangeAt + range + 2 * (code - start));
    return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
  }
  return 0;
}

/** Parses the advance widths of a TrueType font (head, hhea, hmtx, cmap format 4). */
export function loadFontMetrics(file: string = FONT_FILE): FontMetrics {
  let font: Buffer;
  try {
    font = readFileSync(file);
  } catch (err) {
    throw new InternalError(`${file}: cannot read the chart font (${(err as Error).message})`);
  }
  const offsets = tableOffsets(font);
  const unitsPerEm = font.readUInt16BE(required(offsets, 'head') + 18);
  const numHMetrics = font.readUInt16BE(required(offsets, 'hhea') + 34);
  const hmtx = required(offsets, 'hmtx');
  const sub = bmpSubtable(font, required(offsets, 'cmap'));
  const cache = new Map<number, number>();
  const advance = (code: number): number => {
    let units = cache.get(code);
    if (units === undefined) {
      const glyph = code > 0xffff ? 0 : glyphOf(font, sub, code);
      units = font.readUInt16BE(hmtx + 4 * Math.min(glyph, numHMetrics - 1)); // advanceWidth(2) lsb(2)
      cache.set(code, units);
    }
    return units;
  };
  return {
    textWidth(text, fontSize) {
      let units = 0;
      for (const ch of text) units += advance(ch.codePointAt(0) ?? 0);
      return (units * fontSize) / unitsPerEm;
    },
  };
}
