// Statuses as the window shows them: the engine's words (contracts.ts), what needs attention
// first, and the filter.
import type { AccountStatus, AccountView } from './api';
import { CONTRACTS } from './contracts';
import { t } from './i18n.svelte';
import type { Key } from '../locales/en';

/** The engine's word for a status (`needs login`) in the window's language. */
const said = (label: string) => t(`status.${label.replace(/ /g, '_')}` as Key);

/** Each status in words, for any grant, most urgent first. */
export const STATUS_LABEL = Object.fromEntries(CONTRACTS.statuses.map((s) => [s.status, s.label])) as Record<AccountStatus, string>;

/** An account's status in words: a refusal reads "needs login" only where a login helps. */
export function statusLabel(a: Pick<AccountView, 'status' | 'grant'>): string {
  const contract = CONTRACTS.statuses.find((s) => s.status === a.status);
  if (!contract) throw new Error(`a status the engine does not have: ${a.status}`);
  return said(contract.label_by_grant.find(([grant]) => grant === a.grant)?.[1] ?? contract.label);
}

/** A status in words, for any grant (the filter's choices). */
export const statusWord = (s: AccountStatus): string => said(STATUS_LABEL[s]);

/** Lower comes first: the engine's order, what needs the person first. */
const attention = (s: AccountStatus) => CONTRACTS.statuses.findIndex((c) => c.status === s);

const collator = new Intl.Collator(undefined, { numeric: true });

/** Accounts needing attention first, then by name. */
export function byAttention(a: AccountView, b: AccountView): number {
  return attention(a.status) - attention(b.status) || collator.compare(a.name, b.name);
}

export type StatusFilter = 'all' | 'attention' | AccountStatus;

/** Name contains `query` (case-insensitive) and the status passes `filter`. */
export function matches(a: AccountView, query: string, filter: StatusFilter): boolean {
  const q = query.trim().toLowerCase();
  if (q && !a.name.toLowerCase().includes(q) && !a.grant.includes(q)) return false;
  if (filter === 'all') return true;
  if (filter === 'attention') return attention(a.status) <= attention('expiring');
  return a.status === filter;
}
