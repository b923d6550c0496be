import { describe, expect, it } from 'vitest';
import { ago, expiresIn, formatDuration } from './time';

const now = Date.parse('2026-01-01T12:00:00Z');
const plus = (s: number) => new Date(now + s * 1000).toISOString();

describe('formatDuration', () => {
  it('shows the two largest units', () => {
    expect(formatDuration(59_000)).toBe('59s');
    expect(formatDuration(252_000)).toBe('4m 12s');
    expect(formatDuration(7_500_000)).toBe('2h 05m');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 5_000)).toBe('3d 4h');
  });
});

describe('expiresIn', () => {
  it('counts down, then says how long ago it expired', () => {
    expect(expiresIn(plus(90), now)).toBe('in 1m 30s');
    expect(expiresIn(plus(-3), now)).toBe('expired 3s ago');
    expect(expiresIn(null, now)).toBe('no expiry');
  });
});

describe('ago', () => {
  it('reads like a person would say it', () => {
    expect(ago(null, now)).toBe('never');
    expect(ago(plus(0), now)).toBe('just now');
    expect(ago(plus(-12), now)).toBe('12s ago');
  });
});
