// Time as a person reads it in the accounts list, in the window's language. Pure functions of
// the times passed in.
import { t } from './i18n.svelte';

/**
 * "4m 12s", "2h 05m", "3d 4h": the two largest units. The engine's `duration::human` is the
 * definition; this is its port for a countdown that ticks in the window, held to the engine's
 * examples (contracts.json) by time.test.ts.
 */
export function formatDuration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return t('unit.d', { d, h });
  if (h > 0) return t('unit.h', { h, m: two(m) });
  if (m > 0) return t('unit.m', { m, s: two(sec) });
  return t('unit.s', { s: sec });
}

/** The countdown to expiry: "in 4m 12s", "expired 3s ago", or "no expiry". */
export function expiresIn(expiresAt: string | null, now: number): string {
  if (expiresAt === null) return t('time.no_expiry');
  const left = Date.parse(expiresAt) - now;
  return left > 0 ? t('time.in', { left: formatDuration(left) }) : t('time.expired_ago', { left: formatDuration(left) });
}

/** When something happened: "just now", "12s ago", "never". */
export function ago(at: string | null, now: number): string {
  if (at === null) return t('time.never');
  const since = now - Date.parse(at);
  return since < 1000 ? t('time.just_now') : t('time.ago', { left: formatDuration(since) });
}
