// The engine as the window sees it: typed wrappers over the shell's commands and events.
// These types mirror `tokentray_core::engine::{AccountView, ErrorView, AccountStatus}`.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

export type AccountStatus = 'pending' | 'ok' | 'retrying' | 'failing' | 'needs_reauth' | 'expired';

export interface ErrorView {
  code: string;
  message: string;
}

export interface AccountView {
  name: string;
  grant: string;
  status: AccountStatus;
  expires_at: string | null;
  last_refresh: string | null;
  /** When the engine refreshes next on its own. */
  next_refresh: string | null;
  scope: string | null;
  error: ErrorView | null;
}

export interface AccountList {
  accounts: AccountView[];
  /** Problems found at start (a broken profile, a locked keyring). */
  problems: ErrorView[];
}

export const listAccounts = (): Promise<AccountList> => invoke<AccountList>('list_accounts');

/** Calls `onChange` whenever the engine reports a refresh, a failure or a change. */
export const onAccountsChanged = (onChange: () => void): Promise<UnlistenFn> =>
  listen('accounts-changed', onChange);
