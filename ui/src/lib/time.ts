// Time as a person reads it in the accounts list. Pure functions of the times passed in.

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
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** The countdown to expiry: "in 4m 12s", "expired 3s ago", or "no expiry". */
export function expiresIn(expiresAt: string | null, now: number): string {
  if (expiresAt === null) return 'no expiry';
  const left = Date.parse(expiresAt) - now;
  return left > 0 ? `in ${formatDuration(left)}` : `expired ${formatDuration(left)} ago`;
}

/** When something happened: "just now", "12s ago", "never". */
export function ago(at: string | null, now: number): string {
  if (at === null) return 'never';
  const since = now - Date.parse(at);
  return since < 1000 ? 'just now' : `${formatDuration(since)} ago`;
}
