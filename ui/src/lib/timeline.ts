// The overview's arithmetic: where each account's renewal, token expiry, the end of what
// cannot renew itself, and that end's warnings fall on one time axis (the next hour, day,
// week or 90 days), as fractions of its width. Pure functions of the accounts and the time.
import type { AccountView } from './api';
import { byAttention } from './status';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The axis spans, and the gap between its ticks. */
export const RANGES = {
  hour: { span: HOUR, tick: 10 * 60_000 },
  day: { span: DAY, tick: 3 * HOUR },
  week: { span: 7 * DAY, tick: DAY },
  quarter: { span: 90 * DAY, tick: 15 * DAY },
} as const;
export type Range = keyof typeof RANGES;

export type Lane = {
  account: AccountView;
  /** The access token's validity on the axis: [from, to] as fractions, or none in view. */
  token: [number, number] | null;
  /** The engine's next refresh, when it falls on the axis (0 when due). */
  renewal: number | null;
  /** The end of what cannot renew itself (a static token, a service token, a refresh token
   * with a stated end, a client certificate), when it falls on the axis. */
  end: number | null;
  /** Its warning thresholds that fall on the axis (when a notification comes). */
  warnings: number[];
  /** From the first warning to the end, clipped to the axis. */
  warned: [number, number] | null;
  /** When it breaks (ms): that end, else the token's expiry if it cannot renew; else none. */
  breaks: number | null;
};

const clip = (x: number) => Math.min(1, Math.max(0, x));

/** A pasted token is only looked at again (for its warnings), unless a command renews it. */
const renews = (a: AccountView) => a.grant !== 'static' || Boolean(a.credential?.renewed_by_command);

/** One lane per account: what breaks soonest first, then what needs attention, then by name. */
export function lanes(accounts: AccountView[], now: number, range: Range): Lane[] {
  const { span } = RANGES[range];
  const at = (iso: string) => (Date.parse(iso) - now) / span;
  const inView = (x: number) => (x >= 0 && x <= 1 ? x : null);
  return accounts
    .map((account): Lane => {
      const expires = account.expires_at ? at(account.expires_at) : null;
      const credential = account.credential;
      const end = credential ? at(credential.expires_at) : null;
      const warnings = credential && end !== null && end > 0 ? credential.warn_before_secs.map((s) => end - (s * 1000) / span) : [];
      const firstWarning = warnings.length ? Math.min(...warnings) : null;
      return {
        account,
        token: expires !== null && expires > 0 ? [0, clip(expires)] : null,
        // A renewal that is due is under way: now.
        renewal: renews(account) && account.next_refresh && at(account.next_refresh) <= 1 ? Math.max(0, at(account.next_refresh)) : null,
        end: end !== null ? inView(end) : null,
        warnings: warnings.filter((w) => w >= 0 && w <= 1),
        warned: firstWarning !== null && end !== null && firstWarning < 1 && end > 0 ? [clip(firstWarning), clip(end)] : null,
        breaks: credential ? Date.parse(credential.expires_at) : null,
      };
    })
    .sort((a, b) => (a.breaks ?? Infinity) - (b.breaks ?? Infinity) || byAttention(a.account, b.account));
}

/** The axis's ticks: fractions and the times they stand for, on whole tick steps after now. */
export function ticks(now: number, range: Range): { at: number; time: number }[] {
  const { span, tick } = RANGES[range];
  // Whole steps in local time for days (midnight), in UTC steps otherwise.
  const offset = tick >= DAY ? new Date(now).getTimezoneOffset() * 60_000 : 0;
  const out = [];
  for (let t = Math.ceil((now - offset) / tick) * tick + offset; t <= now + span; t += tick) {
    out.push({ at: (t - now) / span, time: t });
  }
  return out;
}

/** How many ends of what cannot renew itself fall within the axis (what will break). */
export function breaking(lanes: Lane[], now: number, range: Range): number {
  const until = now + RANGES[range].span;
  return lanes.filter((l) => l.breaks !== null && l.breaks <= until).length;
}
