// The engine's contracts as data (generated from Rust into ./bindings/contracts.json; CI fails
// when it drifts): every grant's settings schema, the status words, the error codes, and how
// durations are written. The window renders and labels from these, never from a copy.
import contractsJson from './bindings/contracts.json';
import type { Contracts } from './bindings/Contracts';

export const CONTRACTS = contractsJson as unknown as Contracts;
