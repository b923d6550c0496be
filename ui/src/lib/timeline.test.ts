import { describe, expect, it } from 'vitest';
import type { AccountView } from './api';
import { breaking, lanes, ticks } from './timeline';

const now = Date.parse('2026-12-01T12:00:00Z');
const iso = (ms: number) => new Date(now + ms).toISOString();
const H = 3_600_000;
const D = 24 * H;
const account = (name: string, extra: Partial<AccountView> = {}): AccountView => ({
  name,
  grant: 'client_credentials',
  status: 'ok',
  expires_at: null,
  expiry_assumed: false,
  credential: null,
  last_refresh: null,
  next_refresh: null,
  scope: null,
  error: null,
  ...extra,
});

describe('lanes', () => {
  it('places the token, its renewal, and an end with its warnings on the axis', () => {
    const pat = account('pat', {
      grant: 'static',
      expires_at: iso(3 * D),
      credential: { name: 'token', expires_at: iso(3 * D), renewed_by_command: false, warn_before_secs: [7 * 86_400, 86_400, 3_600] },
      next_refresh: iso(2 * D), // when the engine looks again, for the warning: not a renewal
    });
    const cc = account('cc', { expires_at: iso(H / 2), next_refresh: iso(H / 4) });
    const [first, second] = lanes([cc, pat], now, 'week');
    expect(first.account.name).toBe('pat'); // what breaks comes first
    expect(first.end).toBeCloseTo(3 / 7);
    // 7 days before is in the past: only the 1 d and 1 h warnings are ahead.
    expect(first.warnings.map((w) => w * 7)).toEqual([expect.closeTo(2), expect.closeTo(3 - 1 / 24)]);
    expect(first.warned).toEqual([0, expect.closeTo(3 / 7)]);
    expect(second.renewal).toBeCloseTo(1 / 4 / 24 / 7);
    expect(second.token).toEqual([0, expect.closeTo(1 / 2 / 24 / 7)]);
    expect(second.end).toBeNull();
    expect(first.renewal).toBeNull();
  });

  it('leaves out what falls past the axis or is over', () => {
    const far = account('far', {
      credential: { name: 'refresh token', expires_at: iso(200 * D), renewed_by_command: false, warn_before_secs: [86_400] },
      expires_at: iso(-H),
      next_refresh: iso(2 * H),
    });
    const [lane] = lanes([far], now, 'hour');
    expect(lane.end).toBeNull();
    expect(lane.warnings).toEqual([]);
    expect(lane.warned).toBeNull();
    expect(lane.token).toBeNull();
    expect(lane.renewal).toBeNull();
    expect(breaking([lane], now, 'quarter')).toBe(0);
    expect(breaking([lane], now + 120 * D, 'quarter')).toBe(1);
  });
});

describe('ticks', () => {
  it('fall on whole steps within the axis', () => {
    const t = ticks(now + 5 * 60_000, 'hour');
    expect(t.length).toBe(6);
    expect(new Date(t[0].time).toISOString()).toBe('2026-12-01T12:10:00.000Z');
    expect(t.every((x) => x.at > 0 && x.at <= 1)).toBe(true);
    expect(ticks(now, 'quarter').length).toBe(6);
  });
});
