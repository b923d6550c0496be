// Every message in every catalog: the same keys as English, the plural forms each language's
// rules need, the same arguments, and every key the sources use exists.
import { describe, expect, it } from 'vitest';
import { en } from '../locales/en';
import { CATALOGS, LANGS, locale, t } from './i18n.svelte';

const args = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const texts = (m: unknown) => (typeof m === 'string' ? [m] : Object.values(m as Record<string, string>));

describe('the catalogs', () => {
  for (const lang of LANGS) {
    it(`${lang} has every message, each form its plural rules need, and the same arguments`, () => {
      const catalog = CATALOGS[lang];
      expect(Object.keys(catalog).sort()).toEqual(Object.keys(en).sort());
      const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
      for (const [key, message] of Object.entries(catalog)) {
        const english = en[key as keyof typeof en];
        expect(typeof message, key).toBe(typeof english);
        if (typeof message !== 'string') {
          for (const c of categories) expect(message, `${lang} ${key}: the "${c}" form`).toHaveProperty(c);
        }
        for (const text of texts(message)) {
          expect(text.trim(), `${lang} ${key}`).not.toBe('');
          expect(args(text), `${lang} ${key}: its arguments`).toEqual(args(texts(english)[0]));
        }
      }
    });
  }

  it('has every key the window uses', () => {
    const used = new Set<string>();
    const sources = import.meta.glob(['../**/*.svelte', '../**/*.ts', '!../**/*.test.ts'], { query: '?raw', import: 'default', eager: true });
    for (const text of Object.values(sources) as string[]) {
      for (const m of text.matchAll(/\b(?:t|say)\(\s*'([\w.]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter((k) => !(k in en));
    expect(missing).toEqual([]);
  });
});

describe('t', () => {
  it('picks Russian plural forms and fills arguments', () => {
    locale.lang = 'ru';
    expect(t('header.accounts', { n: 1 })).toBe('1 учётная запись');
    expect(t('header.accounts', { n: 3 })).toBe('3 учётные записи');
    expect(t('header.accounts', { n: 5 })).toBe('5 учётных записей');
    expect(t('header.accounts', { n: 21 })).toBe('21 учётная запись');
    locale.lang = 'nb';
    expect(t('header.accounts', { n: 2 })).toBe('2 kontoer');
    locale.lang = 'en';
    expect(t('toast.copied', { name: 'gh' })).toBe('gh: token copied');
  });
});

describe('the form in every language', () => {
  it('names every grant, field and choice of the engine’s schema, with help where English has it', async () => {
    const { GRANTS, SCHEMA_WORDS, fieldWords, choiceWords } = await import('./grants');
    for (const [lang, w] of Object.entries(SCHEMA_WORDS)) {
      for (const g of GRANTS) {
        expect(w.grants[g.kind]?.label, `${lang} ${g.kind}`).toBeTruthy();
        expect(w.grants[g.kind]?.summary, `${lang} ${g.kind}`).toBeTruthy();
        for (const f of g.fields) {
          const own = fieldWords(w, g.kind, f.key);
          expect(own?.label, `${lang} ${g.kind}.${f.key}: label`).toBeTruthy();
          if (f.help) expect(own?.help, `${lang} ${g.kind}.${f.key}: help`).toBeTruthy();
          for (const c of f.choices) {
            if (c.label !== c.value) expect(choiceWords(w, f.key, c.value), `${lang} ${f.key}=${c.value}`).toBeTruthy();
          }
        }
      }
    }
  });
});
