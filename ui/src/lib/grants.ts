// The add/edit form's model, from the engine's settings schema (contracts.ts): which fields a
// grant has, how each is checked, and how typed text becomes the settings the engine reads
// (the same names as in profile.toml) and back. Every setting the schema names is shown and
// sent, blank ones as `null`, and the engine merges what is sent into what is stored, so an
// edit never drops a setting. Pure functions, tested in grants.test.ts.
import type { Fields, Metadata } from './api';
import type { Field } from './bindings/Field';
import type { GrantKind } from './bindings/GrantKind';
import type { GrantSchema } from './bindings/GrantSchema';
import { CONTRACTS } from './contracts';
import { locale, t as say } from './i18n.svelte';
import type { SchemaWords } from '../locales/schema';
import { schemaNb } from '../locales/schema.nb';
import { schemaRu } from '../locales/schema.ru';

export type { Field, GrantSchema };

export const GRANTS: GrantSchema[] = CONTRACTS.grants;

export const grantDef = (kind: string): GrantSchema => GRANTS.find((g) => g.kind === kind) ?? GRANTS[0];

/** The form's fields for a kind. */
export const formFields = (kind: string): Field[] => grantDef(kind).fields;

/** The schema's words in each language; English is the schema itself. */
export const SCHEMA_WORDS: Record<'nb' | 'ru', SchemaWords> = { nb: schemaNb, ru: schemaRu };
const words = (): SchemaWords | null => (locale.lang === 'en' ? null : SCHEMA_WORDS[locale.lang]);

/** The grant's name as a person reads it, in the window's language. */
export const grantLabel = (kind: GrantKind | string): string => words()?.grants[kind]?.label ?? grantDef(kind).label;

/** What the grant is for, in the window's language. */
export const grantSummary = (kind: string): string => words()?.grants[kind]?.summary ?? grantDef(kind).summary;

/** A field's words in `lang` (`grant.key` first, then `key`); none for English. */
export const fieldWords = (w: SchemaWords, kind: string, key: string) => w.fields[`${kind}.${key}`] ?? w.fields[key];

/** A field's label and help, in the window's language. */
export function fieldText(kind: string, f: Field): { label: string; help: string | null } {
  const w = words();
  const own = w && fieldWords(w, kind, f.key);
  return own ? { label: own.label, help: f.help === null ? null : (own.help ?? f.help) } : { label: f.label, help: f.help };
}

/** A choice's words in `lang`, by `key=value`, then by the key's last part; every place a
 * secret can go (`secret_in`, `api_key_in`) has the words of `secret_in`. */
export const choiceWords = (w: SchemaWords, key: string, value: string) =>
  w.choices[`${key}=${value}`] ??
  w.choices[`${key.split('.').pop()}=${value}`] ??
  (key.endsWith('_in') ? w.choices[`secret_in=${value}`] : undefined);

/** A select's choice, in the window's language. */
export function choiceLabel(f: Field, choice: { value: string; label: string }): string {
  const w = words();
  return (w && choiceWords(w, f.key, choice.value)) ?? choice.label;
}

/** What the person typed, by field key. */
export type Values = Record<string, string>;

/** Where a custom request's secret goes is two inputs: the place, and its name. */
export const nameOf = (key: string) => `${key}#name`;

/** `https://`, or `http://` only to this machine (127.0.0.0/8, ::1, localhost), as the engine checks. */
export function urlProblem(text: string): string | null {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return say('valid.url');
  }
  const loopback = u.hostname === 'localhost' || u.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(u.hostname);
  if (u.protocol === 'https:' || (u.protocol === 'http:' && loopback)) return null;
  return u.protocol === 'http:' ? say('valid.https') : say('valid.scheme', { scheme: u.protocol });
}

/** The optional table (`refresh`) a field belongs to, if any. */
export const tableOf = (kind: string, key: string) => grantDef(kind).optional_tables.find((t) => key.startsWith(`${t.table}.`));

/** Whether a setting is required with these values: a required one is excused by another
 * setting's value (`client_secret` by a signing `auth_method`), or, when the schema names no
 * values, by the other setting being given at all (an endpoint by the `issuer`). */
export function requiredNow(f: Field, values: Values): boolean {
  if (!f.required || !f.unless) return f.required;
  const other = values[f.unless.key]?.trim() ?? '';
  return f.unless.values.length === 0 ? !other : !f.unless.values.includes(other);
}

/** Whether anything of an optional table was typed: then it is given whole. */
const tableGiven = (kind: string, values: Values, table: string) =>
  formFields(kind).some((f) => f.key.startsWith(`${table}.`) && Boolean(values[f.key]?.trim()));

/**
 * Checks typed values: `held` are the secrets the account holds already (editing), which a
 * blank secret field keeps. Returns a message per field in error.
 */
export function validate(kind: string, values: Values, held: string[] = []): Record<string, string> {
  const errors: Record<string, string> = {};
  const given = (key: string) => Boolean(values[key]?.trim()) || held.includes(key);
  for (const f of formFields(kind)) {
    const v = (values[f.key] ?? '').trim();
    if (f.kind === 'secret_in' && v && v !== 'bearer' && !values[nameOf(f.key)]?.trim()) {
      errors[nameOf(f.key)] = say('valid.name_where');
    }
    const table = tableOf(kind, f.key);
    if (!v) {
      const needed = requiredNow(f, values) && (!table || tableGiven(kind, values, table.table));
      if (needed && !(f.kind === 'secret' && held.includes(f.key)) && f.kind !== 'secret_in') errors[f.key] = say('form.required');
      continue;
    }
    const problem = problemWith(f, v);
    if (problem) errors[f.key] = problem;
  }
  for (const t of grantDef(kind).optional_tables) {
    if (t.with && tableGiven(kind, values, t.table) && !given(t.with)) {
      const first = formFields(kind).find((f) => f.key.startsWith(`${t.table}.`));
      const withField = formFields(kind).find((f) => f.key === t.with);
      const needs = withField ? fieldText(kind, withField).label : t.with;
      if (first) errors[first.key] = say('valid.together', { field: needs });
    }
  }
  for (const group of grantDef(kind).one_of) {
    if (group.filter(given).length !== 1) {
      const labels = group.map((k) => {
        const f = formFields(kind).find((f) => f.key === k);
        return f ? fieldText(kind, f).label : k;
      });
      errors[group[0]] = say('valid.one_of', { fields: labels.join(' / ') });
    }
  }
  return errors;
}

/** What is wrong with a setting's typed (non-blank) text, by its kind; `null` when nothing is. */
function problemWith(f: Field, text: string): string | null {
  switch (f.kind) {
    case 'url':
      return urlProblem(text);
    case 'number':
      return /^\d+$/.test(text) ? outOfRange(f, [text]) : say('valid.seconds');
    case 'numbers':
      return /^\d+([\s,]+\d+)*$/.test(text) ? outOfRange(f, text.split(/[\s,]+/)) : say('valid.seconds_list');
    case 'json':
      return parses(text) ? null : say('valid.json');
    case 'table':
      return isTable(text) ? null : say('valid.table');
    case 'datetime':
      return Number.isNaN(Date.parse(text)) ? say('valid.datetime') : null;
    default:
      return null;
  }
}

/** The engine's range for the setting (the schema states it), as the form says it. */
function outOfRange(f: Field, numbers: string[]): string | null {
  const [min, max] = [f.min ?? 0, f.max ?? Number.MAX_SAFE_INTEGER];
  const outside = numbers.some((n) => Number(n) < min || Number(n) > max);
  return outside ? say('valid.range', { min: String(min), max: String(max) }) : null;
}

function isTable(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
  } catch {
    return false;
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Typed values → the settings the engine reads: every field of the grant, blank ones as
 * `null` (cleared), secrets left blank not sent at all (the held one is kept).
 */
export function toFields(kind: string, values: Values): Fields {
  const out: Fields = { grant: kind };
  const put = (key: string, value: unknown) => {
    const path = key.split('.');
    let at = out as Record<string, unknown>;
    for (const part of path.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[path[path.length - 1]] = value;
  };
  // An optional table with nothing typed is sent as cleared, whole.
  const absent = grantDef(kind).optional_tables.filter((t) => !tableGiven(kind, values, t.table));
  for (const t of absent) put(t.table, null);
  for (const f of formFields(kind)) {
    if (absent.some((t) => f.key.startsWith(`${t.table}.`))) continue;
    const raw = values[f.key] ?? '';
    const v = f.kind === 'secret' ? raw : raw.trim();
    if (!v.trim() && f.kind === 'secret_in' && f.required) {
      put(f.key, f.choices[0]?.value ?? 'bearer');
      continue;
    }
    if (!v.trim()) {
      if (f.kind !== 'secret') put(f.key, null);
      continue;
    }
    switch (f.kind) {
      case 'number':
        put(f.key, Number(v));
        break;
      case 'bool':
        put(f.key, v === 'true');
        break;
      case 'numbers':
        put(f.key, v.split(/[\s,]+/).map(Number));
        break;
      case 'argv':
      case 'lines':
        put(f.key, v.split('\n').map((s) => s.trim()).filter(Boolean));
        break;
      case 'json':
      case 'table':
        put(f.key, JSON.parse(v));
        break;
      case 'datetime':
        put(f.key, new Date(v).toISOString().replace('.000Z', 'Z'));
        break;
      case 'secret_in':
        put(f.key, v === 'bearer' ? 'bearer' : { [v]: values[nameOf(f.key)]?.trim() ?? '' });
        break;
      default:
        put(f.key, v);
    }
  }
  return out;
}

/** An account's stored settings → values for the edit form (secrets are never sent back). */
export function fromSettings(settings: Record<string, unknown>): Values {
  const kind = String(settings.grant ?? '');
  const values: Values = {};
  const get = (key: string) =>
    key.split('.').reduce<unknown>((at, part) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined), settings);
  for (const f of formFields(kind)) {
    const v = get(f.key);
    if (v === undefined || v === null || f.kind === 'secret') continue;
    if (f.kind === 'argv' || f.kind === 'lines') values[f.key] = (v as string[]).join('\n');
    else if (f.kind === 'numbers') values[f.key] = (v as number[]).join(' ');
    else if (f.kind === 'json' || f.kind === 'table') values[f.key] = JSON.stringify(v, null, 2);
    else if (f.kind === 'datetime') values[f.key] = localInput(String(v));
    else if (f.kind === 'secret_in' && typeof v === 'object') {
      const [where, name] = Object.entries(v as Record<string, unknown>)[0] ?? ['bearer', ''];
      values[f.key] = where;
      values[nameOf(f.key)] = String(name);
    } else values[f.key] = String(v);
  }
  return values;
}

/** Endpoints found by discovery, as values for the kind's form. */
export function fromDiscovery(kind: string, meta: Metadata, values: Values = {}): Values {
  // A client that presents a certificate uses the server's mutual-TLS aliases (RFC 8705 §5).
  const tls = ['tls_client_auth', 'self_signed_tls_client_auth'].includes(values.auth_method ?? '') || Boolean(values.tls_client_cert_file?.trim());
  const alias = tls ? meta.mtls_endpoint_aliases : null;
  const found: Values = {
    token_url: alias?.token_endpoint ?? meta.token_endpoint,
    authorization_url: meta.authorization_endpoint ?? '',
    device_authorization_url: alias?.device_authorization_endpoint ?? meta.device_authorization_endpoint ?? '',
    revocation_url: alias?.revocation_endpoint ?? meta.revocation_endpoint ?? '',
    par_url: alias?.pushed_authorization_request_endpoint ?? meta.pushed_authorization_request_endpoint ?? '',
  };
  const keys = new Set(formFields(kind).map((f) => f.key));
  return Object.fromEntries(Object.entries(found).filter(([k, v]) => keys.has(k) && v));
}

/** An RFC 3339 time → a `datetime-local` input's value (to the second), in local time. */
function localInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The settings that run a program on this machine, as an import names them (`--allow-commands`). */
const RUNS_PROGRAMS = ['command', 'renew_command', 'on_event', 'on_refresh'];

/** The form's settings that would run programs on this machine, for the warning before saving. */
export const programsRun = (kind: string, values: Values): string[] =>
  formFields(kind)
    .filter((f) => RUNS_PROGRAMS.includes(f.key) && Boolean(values[f.key]?.trim()))
    .map((f) => f.key);
