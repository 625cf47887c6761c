import { describe, expect, it } from 'vitest';
import { decodeState, encodeState, type SharedState } from './share';

describe('share link', () => {
  it('round-trips the whole state, unicode and all', async () => {
    const state: SharedState = {
      v: 1,
      payload: JSON.stringify({
        rows: Array.from({ length: 50 }, (_, i) => ({ id: i, name: `Zoë ${i} — “ok”` })),
      }),
      mapping: {
        version: 1,
        kind: 'accounts',
        wrapper_path: 'rows',
        match: { id: 'id', name: 'name' },
      },
      existing: '{"accounts": []}',
    };
    const hash = await encodeState(state);
    expect(hash).toMatch(/^s=[A-Za-z0-9_-]+$/);
    expect(hash.length).toBeLessThan(state.payload.length); // deflated
    expect(await decodeState('#' + hash)).toEqual(state);
  });

  it('a damaged or foreign hash restores nothing', async () => {
    expect(await decodeState('')).toBeNull();
    expect(await decodeState('#section-2')).toBeNull();
    expect(await decodeState('#s=not-deflate')).toBeNull();
    const other = await encodeState({ v: 2 } as unknown as SharedState);
    expect(await decodeState(other)).toBeNull();
  });
});
