// Statuses as the window shows them: labels, what needs attention first, and the filter.
import type { AccountStatus, AccountView } from './api';

export const STATUS_LABEL: Record<AccountStatus, string> = {
  pending: 'fetching',
  ok: 'ok',
  retrying: 'retrying',
  failing: 'failing',
  needs_reauth: 'needs you',
  expired: 'expired',
};

/** Grants a person signs in to: a refusal there means "log in again" (the tray has the same
 * rule: status_label in src-tauri/core/src/summary.rs). */
const LOGIN_GRANTS = new Set(['authorization_code', 'device_code', 'refresh_token', 'password']);

/** An account's status in words: a refusal reads "needs login" only where a login helps. */
export function statusLabel(a: Pick<AccountView, 'status' | 'grant'>): string {
  if (a.status === 'needs_reauth') return LOGIN_GRANTS.has(a.grant) ? 'needs login' : 'refused';
  return STATUS_LABEL[a.status];
}

/** Lower comes first: what needs the person, then what may soon, then the rest. */
const ATTENTION: Record<AccountStatus, number> = {
  needs_reauth: 0,
  expired: 1,
  failing: 2,
  retrying: 3,
  pending: 4,
  ok: 5,
};

const collator = new Intl.Collator(undefined, { numeric: true });

/** Accounts needing attention first, then by name. */
export function byAttention(a: AccountView, b: AccountView): number {
  return ATTENTION[a.status] - ATTENTION[b.status] || collator.compare(a.name, b.name);
}

export type StatusFilter = 'all' | 'attention' | AccountStatus;

/** Name contains `query` (case-insensitive) and the status passes `filter`. */
export function matches(a: AccountView, query: string, filter: StatusFilter): boolean {
  const q = query.trim().toLowerCase();
  if (q && !a.name.toLowerCase().includes(q) && !a.grant.includes(q)) return false;
  if (filter === 'all') return true;
  if (filter === 'attention') return ATTENTION[a.status] <= ATTENTION.retrying;
  return a.status === filter;
}

export const grantLabel = (grant: string) => grant.replaceAll('_', ' ');
