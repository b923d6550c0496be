import { describe, expect, it } from 'vitest';
import { CONTRACTS } from './contracts';
import { ago, expiresIn, formatDuration } from './time';

const now = Date.parse('2026-01-01T12:00:00Z');
const plus = (s: number) => new Date(now + s * 1000).toISOString();

describe('formatDuration', () => {
  it('writes every duration as the engine does (its examples, from contracts.json)', () => {
    expect(CONTRACTS.durations.length).toBeGreaterThan(5);
    for (const [secs, written] of CONTRACTS.durations) {
      expect(formatDuration(secs * 1000)).toBe(written);
      expect(formatDuration(secs * 1000 + 999)).toBe(written);
    }
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
