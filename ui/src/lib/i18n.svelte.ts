// The window's language: English, Norwegian Bokmål or Russian, from the settings or else the
// system locale's (read by the shell, as for the tray: WebKit's languages do not follow it).
// `t` reads the current one, so a view re-renders when it changes. Plurals through Intl.PluralRules, dates and numbers
// through Intl in the same language.
import { en, type Catalog, type Key, type Message } from '../locales/en';
import { nb } from '../locales/nb';
import { ru } from '../locales/ru';

import type { Lang } from './bindings/Lang';
export type { Lang };
export const LANGS: Lang[] = ['en', 'nb', 'ru'];
export const CATALOGS: Record<Lang, Catalog> = { en, nb, ru };
/** Each language's own name for itself (the settings' choices). */
export const NATIVE: Record<Lang, string> = { en: 'English', nb: 'Norsk bokmål', ru: 'Русский' };

/** The language shown, and the system's (the shell reads it from the locale, as the tray does). */
export const locale = $state({ lang: 'en' as Lang, system: 'en' as Lang });

/** The language of the settings, else the system's. */
export function choose(setting: Lang | null): Lang {
  return setting ?? locale.system;
}

const rules = new Map<Lang, Intl.PluralRules>();
function form(lang: Lang, message: Message, n: number): string {
  if (typeof message === 'string') return message;
  let r = rules.get(lang);
  if (!r) rules.set(lang, (r = new Intl.PluralRules(lang)));
  return message[r.select(n)] ?? message.other;
}

/** Message `key` with its `{arguments}`, in the current language. */
export function t(key: Key, args: Record<string, string | number> = {}): string {
  const lang = locale.lang;
  const message = CATALOGS[lang][key] ?? en[key];
  return form(lang, message, Number(args.n ?? 0)).replace(/\{(\w+)\}/g, (whole, name) => (name in args ? String(args[name]) : whole));
}

/** A date and time in the current language's form. */
export function dateTime(ms: number | string, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'medium' }): string {
  return new Intl.DateTimeFormat(locale.lang, options).format(typeof ms === 'string' ? Date.parse(ms) : ms);
}
