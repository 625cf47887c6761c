// Small pure helpers around the mapping document, shared by the form and the pages.
import type { Field, Kind, Mapping } from './types';

/** Drops unset and blank references so that the document says only what the user chose. */
export function clean(m: Mapping): Mapping {
  const out: Mapping = structuredClone(m);
  const prune = (o: Record<string, unknown> | undefined) => {
    if (!o) return;
    for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === '') delete o[k];
  };
  prune(out as unknown as Record<string, unknown>);
  if (out.wrapper_path === undefined) out.wrapper_path = '';
  prune(out.match);
  prune(out.account);
  if (out.event) {
    prune(out.event);
    if (out.event.type) prune(out.event.type);
  }
  if (out.properties) {
    const p = out.properties;
    if (p.path === undefined || p.path === '') delete p.path;
    if (p.exclude && p.exclude.length === 0) delete p.exclude;
    if (!p.path && !p.include && !p.exclude) delete out.properties;
  }
  if (out.kind === 'events') {
    delete out.match;
    delete out.account;
    delete out.behavior;
    if (out.on_removed === 'delete') delete out.on_removed;
  } else {
    delete out.event;
    if (out.kind === 'accounts') delete out.account;
  }
  if (!out.operation_path) delete out.on_removed;
  return out;
}

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

/** Reads a value at a path of docs/design.md §3 (`a.b`, `items[0]`, `traits["first.name"]`, `$.`); undefined if absent. */
export function getPath(value: unknown, path: string): unknown {
  let p = path.trim();
  if (p.startsWith('$')) p = p.slice(1);
  if (p.startsWith('.')) p = p.slice(1);
  let cur: unknown = value;
  let i = 0;
  while (i < p.length) {
    let key: string | number;
    if (p[i] === '[') {
      const end = p.indexOf(']', i);
      if (end < 0) return undefined;
      const inner = p.slice(i + 1, end);
      key = inner.startsWith('"') ? JSON.parse(inner) : Number(inner);
      i = end + 1;
    } else {
      let j = i;
      while (j < p.length && p[j] !== '.' && p[j] !== '[') j++;
      key = p.slice(i, j);
      i = j;
    }
    if (p[i] === '.') i++;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
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
  const at = m.wrapper_path ? getPath(body, m.wrapper_path) : body;
  const rows = (Array.isArray(at) ? at : at && typeof at === 'object' ? [at] : []).filter(
    (r): r is Record<string, unknown> => !!r && typeof r === 'object',
  );
  const get = (r: unknown, p?: string) => (p ? str(getPath(r, p)) : undefined);
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
