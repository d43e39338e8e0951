/**
 * The `fetch` we hand to @huggingface/hub. We add the Authorization header ourselves (only towards the endpoint's
 * origin) instead of passing `accessToken`, so the library never holds the token and its `hf_` prefix check does
 * not reject tokens of self-hosted endpoints; we count body bytes of file downloads for progress; and LFS uploads
 * (a PUT of a Blob) go through putBlob, which streams with backpressure.
 */
import { putBlob } from './hub-put.js';

export interface FetchOptions {
  endpoint: string;
  token?: string;
  /** Called per chunk of a whole-file GET (not for the 1-byte range probe or API calls). */
  onBytes?: (bytes: number, total: number) => void;
}

export function hubFetch({ endpoint, token, onBytes }: FetchOptions): typeof fetch {
  const origin = new URL(endpoint).origin;
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers);
    if (token && url.origin === origin) headers.set('Authorization', `Bearer ${token}`);
    if (init?.method === 'PUT' && init.body instanceof Blob)
      return putBlob(url, init.body, { ...init, headers });
    const response = await fetch(input, { ...init, headers });
    const isFileBody =
      (init?.method ?? 'GET') === 'GET' && !headers.has('Range') && url.pathname.includes('/resolve/');
    if (!onBytes || !isFileBody || !response.ok || !response.body) return response;
    return countBytes(response, onBytes);
  };
}

function countBytes(response: Response, onBytes: (bytes: number, total: number) => void): Response {
  const total = Number(response.headers.get('content-length') ?? Number.NaN);
  let bytes = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.byteLength;
      onBytes(bytes, total);
      controller.enqueue(chunk);
    },
  });
  const { status, statusText, headers } = response;
  return new Response(response.body!.pipeThrough(counter), { status, statusText, headers });
}

let quietDepth = 0;
let savedDebug: typeof console.debug = console.debug;

/** @huggingface/hub logs a console.debug line per downloaded file; our progress events replace it. */
export async function quietly<T>(task: () => Promise<T>): Promise<T> {
  if (quietDepth++ === 0) {
    savedDebug = console.debug;
    console.debug = () => {};
  }
  try {
    return await task();
  } finally {
    if (--quietDepth === 0) console.debug = savedDebug;
  }
}
