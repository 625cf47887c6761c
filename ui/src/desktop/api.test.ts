import { describe, expect, it } from 'vitest';
import { ago } from './api';

describe('ago', () => {
  const before = (s: number) => new Date(Date.now() - s * 1000).toISOString();

  it('says a moment ago in words, then seconds, minutes and hours', () => {
    expect(ago(before(0))).toBe('just now');
    expect(ago(before(12))).toBe('12s ago');
    expect(ago(before(5 * 60 + 3))).toBe('5 min ago');
    expect(ago(before(3 * 3600 + 10))).toBe('3 h ago');
  });

  it('says never for no time, and a date past a day', () => {
    expect(ago(null)).toBe('never');
    const old = before(3 * 86400);
    expect(ago(old)).toBe(new Date(old).toLocaleString());
  });
});
