/**
 * Attribute encoding. A plain number is an INT (it must be an integer); floats are explicit (`{ float: 1e-5 }`)
 * because JS cannot tell `1` from `1.0`. Attributes are emitted sorted by name, as onnx's helper.py does.
 */
import { InternalError } from '../util/errors.js';
import { onnx, type AttributeProto, type TensorProto } from './proto.js';

export type AttrValue =
  | number
  | string
  | readonly number[]
  | readonly string[]
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly tensor: TensorProto };
export type Attrs = Readonly<Record<string, AttrValue | undefined>>;

const T = onnx.AttributeProto.AttributeType;

function int(name: string, v: number): number {
  if (!Number.isInteger(v))
    throw new InternalError(`attribute ${name}: ${v} is not an integer (use { float })`);
  return v;
}

function encode(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') return { name, type: T.INT, i: int(name, v) };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) {
      return { name, type: T.STRINGS, strings: v.map((s: string) => new TextEncoder().encode(s)) };
    }
    return { name, type: T.INTS, ints: v.map((x: number) => int(name, x)) };
  }
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, floats: [...v.floats] };
  if ('tensor' in v) return { name, type: T.TENSOR, t: v.tensor };
  throw new InternalError(`attribute ${name}: unsupported value`);
}

export function encodeAttributes(attrs: Attrs): AttributeProto[] {
  return Object.keys(attrs)
    .sort()
    .flatMap((k) => {
      const v = attrs[k];
      return v === undefined ? [] : [encode(k, v)];
    });
}
