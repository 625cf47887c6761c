// The playground's whole state in the URL hash: JSON, deflated, base64url. Reopening restores it.
import type { Mapping } from './types';

export interface SharedState {
  v: 1;
  payload: string;
  mapping: Mapping;
  existing?: string;
}

const PREFIX = 's=';

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

async function pipe(
  bytes: Uint8Array,
  stream: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

export async function encodeState(state: SharedState): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return PREFIX + toBase64Url(await pipe(json, new CompressionStream('deflate-raw')));
}

/** The state in a hash (with or without `#`), or null when there is none or it is damaged. */
export async function decodeState(hash: string): Promise<SharedState | null> {
  const h = hash.replace(/^#/, '');
  if (!h.startsWith(PREFIX)) return null;
  try {
    const bytes = await pipe(
      fromBase64Url(h.slice(PREFIX.length)),
      new DecompressionStream('deflate-raw'),
    );
    const s = JSON.parse(new TextDecoder().decode(bytes));
    if (s?.v !== 1 || typeof s.payload !== 'string' || typeof s.mapping !== 'object' || !s.mapping)
      return null;
    return s as SharedState;
  } catch {
    return null;
  }
}
