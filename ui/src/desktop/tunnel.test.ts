import { describe, expect, it } from 'vitest';
import type * as ipc from './ipc-types';
import { newest } from './tunnel';

const state = (status: ipc.TunnelStatus, seq: number): ipc.TunnelState => ({
  tunnel: 'bore=relay.example',
  program: 'bore',
  status,
  url: status === 'up' ? 'http://relay.example:43001' : null,
  error: null,
  restarts: 0,
  pid: 7,
  since: '2026-12-07T00:00:00Z',
  seq,
});

describe('newest tunnel state', () => {
  it('keeps Up when the answer to start (Starting) arrives after the Up event', () => {
    const up = state('up', 3);
    expect(newest(up, state('starting', 1))).toBe(up);
  });
  it('takes a later change', () => {
    const down = state('down', 4);
    expect(newest(state('up', 3), down)).toBe(down);
    const first = state('starting', 1);
    expect(newest(null, first)).toBe(first);
  });
  it('takes no tunnel after a stop', () => {
    expect(newest(state('up', 3), null)).toBeNull();
  });
});
