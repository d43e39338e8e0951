/**
 * The core of the graph builder: scoped deterministic names, inputs/outputs, nodes, initializers (small ones
 * inline, weights streamed to external data). Sugar for individual ops lives in builder.ts.
 */
import { InternalError } from '../util/errors.js';
import { type Attrs, encodeAttributes } from './attributes.js';
import { type Dim, ELEM, type ElemType, bytesOf } from './dtype.js';
import { type ChunkedBytes, ExternalDataWriter, joinBytes } from './external-data.js';
import type { GraphProto, NodeProto, TensorProto, ValueInfoProto } from './proto.js';
import { externalTensor, inlineTensor } from './tensor.js';
import { WeightInputs } from './weight-inputs.js';

/** Where a graph's weights go: an external data file, or graph inputs fed at run time (weight-inputs.ts). */
export type WeightSink = ExternalDataWriter | WeightInputs;

export interface OpOptions {
  /** Base name of the node (scoped and made unique); defaults to the op type. */
  readonly name?: string;
  /** Number of outputs (default 1). */
  readonly outputs?: number;
  readonly domain?: string;
}

export function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): ValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: type, shape: { dim } } } };
}

export class GraphCore {
  protected readonly nodes: NodeProto[] = [];
  protected readonly initializers: TensorProto[] = [];
  protected readonly inputs: ValueInfoProto[] = [];
  protected readonly outputs: ValueInfoProto[] = [];
  private readonly taken = new Set<string>();
  private readonly scopes: string[] = [];
  private readonly constants = new Map<string, string>();
  /** Operator domains other than the default one that nodes use (each needs an opset import). */
  protected readonly domains = new Set<string>();

  constructor(
    readonly name: string,
    /** Where weights go; without one, weights are inlined (tests, tiny graphs). */
    readonly data?: WeightSink,
  ) {}

  /**
   * Runs `fn` with `name` pushed on the scope stack (`layers.3/attn/q`); awaits it if it is async. Scopes are a
   * stack: build sequentially (no Promise.all over scoped builders), which also keeps node order deterministic.
   */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.scopes.pop();
      throw err;
    }
    if (result instanceof Promise) {
      return result.finally(() => this.scopes.pop()) as T;
    }
    this.scopes.pop();
    return result;
  }

  /** A unique value/node name under the current scope: `scope/base`, then `scope/base_1`, … */
  fresh(base: string): string {
    const full = [...this.scopes, base].join('/');
    let name = full;
    for (let i = 1; this.taken.has(name); i++) name = `${full}_${i}`;
    this.taken.add(name);
    return name;
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares graph output `name` carrying `value` (an Identity is inserted when the names differ). */
  output(name: string, value: string, type: ElemType, dims: readonly Dim[]): void {
    if (value !== name) {
      this.claim(name);
      this.nodes.push({ name, opType: 'Identity', input: [value], output: [name], attribute: [] });
    }
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A node of any type; returns its output names. Missing optional inputs are ''. */
  op(type: string, inputs: readonly string[], attrs: Attrs = {}, opts: OpOptions = {}): string[] {
    const name = this.fresh(opts.name ?? type);
    const count = opts.outputs ?? 1;
    const output =
      count === 1 ? [name] : Array.from({ length: count }, (_, i) => this.fresh(`${opts.name ?? type}:${i}`));
    const node: NodeProto = {
      name,
      opType: type,
      input: [...inputs],
      output,
      attribute: encodeAttributes(attrs),
    };
    if (opts.domain) {
      node.domain = opts.domain;
      this.domains.add(opts.domain);
    }
    this.nodes.push(node);
    return output;
  }

  /** A small constant stored inline, deduplicated by content. */
  constant(type: ElemType, dims: readonly number[], data: ArrayBufferView): string {
    const bytes = bytesOf(data);
    const key = `${type}|${dims.join(',')}|${Buffer.from(bytes).toString('base64')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.claim(`const.${this.constants.size}`);
    this.initializers.push(inlineTensor(name, type, dims, Uint8Array.from(bytes)));
    this.constants.set(key, name);
    return name;
  }

  /**
   * A weight initializer named `name` (unscoped: weight names are global). With a data writer its bytes are
   * written now (or reused when another graph already wrote `name` to the same file); with a `WeightInputs` sink
   * a float32 or bfloat16 weight becomes the float32 graph input `name` and its bytes are kept there to be fed.
   */
  weight(
    name: string,
    type: ElemType,
    dims: readonly number[],
    data: ArrayBufferView | ChunkedBytes,
  ): string {
    this.claim(name);
    const bytes = ArrayBuffer.isView(data) ? bytesOf(data) : data;
    if (this.data instanceof WeightInputs && this.data.takes(type)) {
      this.data.add(name, type, dims, bytes);
      // Fed as float32, bf16 weights too (weight-inputs.ts: widening is exact, their Cast becomes a no-op).
      this.inputs.push(valueInfo(name, ELEM.float, dims));
      return name;
    }
    if (!(this.data instanceof ExternalDataWriter)) {
      this.initializers.push(inlineTensor(name, type, dims, Uint8Array.from(joinBytes(bytes))));
      return name;
    }
    const segment = this.data.put(name, bytes);
    this.initializers.push(externalTensor({ name, type, dims, location: this.data.location, segment }));
    return name;
  }

  /** A weight another graph already wrote to the shared data file (or weight-input sink) under `name`. */
  sharedWeight(name: string, type: ElemType, dims: readonly number[]): string {
    const segment = this.data?.segment(name);
    if (!this.data || !segment) throw new InternalError(`shared weight ${name} was never written`);
    this.claim(name);
    if (this.data instanceof WeightInputs) {
      // Fed as float32 like every weight input (`weight` above); the sink holds the bytes once for all its graphs.
      this.inputs.push(valueInfo(name, ELEM.float, dims));
      return name;
    }
    this.initializers.push(externalTensor({ name, type, dims, location: this.data.location, segment }));
    return name;
  }

  graph(): GraphProto {
    return {
      name: this.name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    };
  }

  private claim(name: string): string {
    if (this.taken.has(name)) throw new InternalError(`graph ${this.name}: name "${name}" used twice`);
    this.taken.add(name);
    return name;
  }
}
