// Generated from src-tauri/core/src/api/calls.rs by `cargo test --features ts export_bindings`.
// The engine's calls the window may make, by op: each one's fields and its answer.
import type { AccountDetail } from './AccountDetail';
import type { AccountList } from './AccountList';
import type { Answer } from './Answer';
import type { Approval } from './Approval';
import type { Approvals } from './Approvals';
import type { Copy } from './Copy';
import type { Detail } from './Detail';
import type { Discover } from './Discover';
import type { GetSettings } from './GetSettings';
import type { History } from './History';
import type { HistoryEntry } from './HistoryEntry';
import type { List } from './List';
import type { Lock } from './Lock';
import type { Metadata } from './Metadata';
import type { Refresh } from './Refresh';
import type { Remove } from './Remove';
import type { Revocation } from './Revocation';
import type { Save } from './Save';
import type { Settings } from './Settings';
import type { Test } from './Test';
import type { TestResult } from './TestResult';
import type { Unlock } from './Unlock';

export type Calls = {
  list: { args: List; answer: AccountList };
  refresh: { args: Refresh; answer: null };
  history: { args: History; answer: Array<HistoryEntry> };
  detail: { args: Detail; answer: AccountDetail };
  save: { args: Save; answer: null };
  test: { args: Test; answer: TestResult };
  discover: { args: Discover; answer: Metadata };
  settings: { args: GetSettings; answer: Settings };
  copy: { args: Copy; answer: number };
  remove: { args: Remove; answer: Revocation };
  lock: { args: Lock; answer: null };
  unlock: { args: Unlock; answer: null };
  approvals: { args: Approvals; answer: Array<Approval> };
  answer: { args: Answer; answer: null };
};
