// The engine as the window sees it: its calls, typed by the list the engine's API makes
// (./bindings/calls.ts, generated from src-tauri/core/src/api/calls.rs with every other type
// in ./bindings; CI checks they are current), through the shell's one `call` command; and the
// desktop's own commands and events. A new engine call for the window is one line here.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { AccountDetail } from './bindings/AccountDetail';
import type { AccountList } from './bindings/AccountList';
import type { Calls } from './bindings/calls';
import type { ErrorView } from './bindings/ErrorView';
import type { Event } from './bindings/Event';
import type { HistoryEntry } from './bindings/HistoryEntry';
import type { LoginFinished } from './bindings/LoginFinished';
import type { LoginPrompted } from './bindings/LoginPrompted';
import type { Metadata } from './bindings/Metadata';
import type { Revocation } from './bindings/Revocation';
import type { Settings } from './bindings/Settings';
import type { Lang } from './bindings/Lang';
import type { TestResult } from './bindings/TestResult';

export type { AccountView } from './bindings/AccountView';
export type { AccountStatus } from './bindings/AccountStatus';
export type {
  AccountDetail,
  AccountList,
  ErrorView,
  HistoryEntry,
  LoginFinished,
  LoginPrompted,
  Metadata,
  Revocation,
  Settings,
  TestResult,
};

/** A form's fields, as the engine reads them (`grant` and the grant's settings). */
export type Fields = Record<string, unknown>;

/** One of the engine's calls the window may make: its fields in, its answer out. */
export const call = <Op extends keyof Calls>(op: Op, args: Calls[Op]['args']) =>
  invoke<Calls[Op]['answer']>('call', { op, args });

/** The accounts; with no engine to ask, why not (what the resident process met at start). */
export const listAccounts = (): Promise<AccountList> =>
  call('list', {}).catch(async (e: ErrorView) => {
    const problems = await invoke<ErrorView[]>('startup_problems');
    return { accounts: [], problems: problems.length > 0 ? problems : [e], locked: false };
  });
export const accountDetail = (name: string) => call('detail', { name });
export const accountHistory = (name: string, limit = 200, before_id: number | null = null) =>
  call('history', { name, limit, before_id });
export const refreshNow = (name: string) => call('refresh', { name });
export const removeAccount = (name: string) => call('remove', { name });
export const saveAccount = (name: string, fields: Fields, editing: boolean) => call('save', { name, fields, editing });
export const testAccount = (fields: Fields) => call('test', { fields });
export const discover = (issuer: string) => call('discover', { issuer });
/** Copies a fresh token; resolves to the seconds until the clipboard is cleared (0: never). */
export const copyToken = (name: string) => call('copy', { name, what: { kind: 'token' } });
/** Copies one of the account's "Use with…" setups (`tool` as the engine names it). */
export const copySnippet = (name: string, tool: string) => call('copy', { name, what: { kind: 'snippet', tool } }).then(() => {});
/** Copies the public half of the account's key: `jwk`, `jwks` or `certificate`. */
export const copyPublicKey = (name: string, part: 'jwk' | 'jwks' | 'certificate') =>
  call('copy', { name, what: { kind: 'public_key', part } }).then(() => {});
export const getSettings = () => call('settings', {});
/** Locks: no token is lent until a person unlocks (refreshing goes on). */
export const lock = () => call('lock', {});
/** Unlocks: a click in the window is the person's own. */
export const unlock = () => call('unlock', { passphrase: null });
/** Saves the settings; the desktop applies start at login. */
export const saveSettings = (settings: Settings) => invoke<void>('save_settings', { settings });
export const startLogin = (name: string) => invoke<void>('start_login', { name });
export const cancelLogin = (name: string) => invoke<void>('cancel_login', { name });
export const openLoginLink = (name: string) => invoke<void>('open_login_link', { name });
/** The system locale's language, as the tray and notifications read it. */
export const systemLanguage = () => invoke<Lang>('system_language');

/** Tells the shell the list was first rendered (its log, the startup benchmark). */
export const uiReady = (accounts: number, listMs: number, ipcMs: number) =>
  invoke<void>('ui_ready', { accounts, listMs, ipcMs, sinceNavigationMs: performance.now() });

/**
 * Calls `onChange` whenever the engine reports a refresh, a failure or a change: with the
 * event, or `null` when events were missed (then anything may have changed).
 */
export const onAccountsChanged = (onChange: (event: Event | null) => void): Promise<UnlistenFn> =>
  listen<Event | null>('accounts-changed', (e) => onChange(e.payload));
export const onLoginPrompt = (f: (p: LoginPrompted) => void) =>
  listen<LoginPrompted>('login-prompt', (e) => f(e.payload));
export const onLoginFinished = (f: (p: LoginFinished) => void) =>
  listen<LoginFinished>('login-finished', (e) => f(e.payload));

/** The account an event is about ('' for the engine's own, the lock). */
export const eventAccount = (event: Event): string =>
  event.type === 'approval_needed' ? event.approval.account : event.type === 'lock_changed' ? '' : event.account;

/** Commands fail with `{code, message}`; anything else is shown as it is. */
export function errorText(e: unknown): { code: string; message: string } {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    return { code: String(e.code), message: String(e.message) };
  }
  return { code: 'error', message: String(e) };
}
