import type * as ipc from './ipc-types';

/**
 * The tunnel state to show, given the one shown and one just heard. States come as events and as
 * command answers in no fixed order (the answer to "start" says Starting, and can arrive after
 * the event that says Up), so the newer by `seq` wins. `null` (no tunnel) comes only from the
 * window's own stop, or a read made after it, and always wins.
 */
export function newest(
  shown: ipc.TunnelState | null,
  heard: ipc.TunnelState | null,
): ipc.TunnelState | null {
  if (!heard || !shown) return heard;
  return heard.seq >= shown.seq ? heard : shown;
}
