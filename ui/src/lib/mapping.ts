// Small helpers around the mapping document, shared by the form and the pages. The document's
// own rules (tidying it, reading paths and rows, example records) are the core's: see
// `cleanMapping`, `readPath` and `exampleRecords` in core.ts.
import type { Field, Kind, Mapping, Outcome } from './types';

export const KINDS: Kind[] = ['accounts', 'contacts', 'events'];

export type Action = Outcome['action'];
export const ACTIONS: Action[] = ['create', 'update', 'delete', 'skip', 'duplicate', 'error'];

/** A blank mapping of a kind (what the form shows before any payload). */
export function blank(kind: Kind): Mapping {
  if (kind === 'events')
    return { version: 1, kind, wrapper_path: '', event: { type: { path: '' } } };
  return { version: 1, kind, wrapper_path: '', match: {} };
}

/** The keys a row holds at its top level (or under `under`), for the properties picker. */
export function topLevelKeys(fields: Field[], under = ''): string[] {
  const prefix = under ? under + '.' : '';
  const keys: string[] = [];
  for (const f of fields) {
    if (!f.path.startsWith(prefix)) continue;
    const rest = f.path.slice(prefix.length);
    if (!rest || rest.includes('.') || rest.includes('[')) continue;
    if (!keys.includes(rest)) keys.push(rest);
  }
  return keys;
}
