// Small helpers around the mapping document, shared by the form and the pages. The document's
// own rules (tidying it, reading paths) are the core's: see `cleanMapping` and `readPath` in core.ts.
import { readPath } from './core';
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

type Existing = {
  accounts: { id: string; external_id?: string; name?: string }[];
  contacts: { id: string; external_id?: string; email?: string }[];
  event_ids: string[];
};

const str = (v: unknown) =>
  typeof v === 'string' || typeof v === 'number' ? String(v).trim() || undefined : undefined;

/**
 * Example existing records from a payload, so that a preview shows updates (and, with
 * `update`, skips) as well as creates: the first two rows' records, or for events the contacts
 * and accounts they refer to (and the first event's ID unless `eventIds` is false).
 */
export function existingFromPayload(
  body: unknown,
  m: Mapping,
  opts: { eventIds?: boolean } = {},
): Existing {
  const out: Existing = { accounts: [], contacts: [], event_ids: [] };
  const at = m.wrapper_path ? readPath(body, m.wrapper_path) : body;
  const rows = (Array.isArray(at) ? at : at && typeof at === 'object' ? [at] : []).filter(
    (r): r is Record<string, unknown> => !!r && typeof r === 'object',
  );
  const get = (r: unknown, p?: string) => (p ? str(readPath(r, p)) : undefined);
  if (m.kind === 'events') {
    const seenC = new Set<string>();
    const seenA = new Set<string>();
    for (const r of rows) {
      const c = get(r, m.event?.contact_id);
      const a = get(r, m.event?.account_id);
      if (c && !seenC.has(c)) {
        seenC.add(c);
        out.contacts.push({ id: `c${out.contacts.length + 1}`, external_id: c });
      }
      if (a && !seenA.has(a)) {
        seenA.add(a);
        out.accounts.push({ id: `a${out.accounts.length + 1}`, external_id: a });
      }
    }
    // The first row's event ID, so that the preview shows a duplicate too.
    const firstId = get(rows[0], m.event?.id);
    if (firstId && opts.eventIds !== false) out.event_ids.push(firstId);
    return out;
  }
  for (const r of rows.slice(0, 2)) {
    const id = get(r, m.match?.id);
    if (m.kind === 'accounts') {
      const name = get(r, m.match?.name);
      if (id || name)
        out.accounts.push({ id: `a${out.accounts.length + 1}`, external_id: id, name });
    } else {
      const email = get(r, m.match?.email);
      if (id || email)
        out.contacts.push({ id: `c${out.contacts.length + 1}`, external_id: id, email });
    }
  }
  return out;
}
