//! The words the desktop and the CLI say to a person, in English, Norwegian Bokmål or Russian:
//! Project Fluent catalogs (`core/locales/*.ftl`, built in), with CLDR plural rules. The
//! language is the setting's, else the system locale's (`LC_ALL`, `LC_MESSAGES`, `LANG`), else
//! English. JSON output, error codes and the engine's own error messages are not translated.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Nb,
    Ru,
}

const CATALOGS: [(Lang, &str, &str); 3] = [
    (Lang::En, "en", include_str!("../locales/en.ftl")),
    (Lang::Nb, "nb", include_str!("../locales/nb.ftl")),
    (Lang::Ru, "ru", include_str!("../locales/ru.ftl")),
];

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Nb, Lang::Ru];

    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nb => "nb",
            Lang::Ru => "ru",
        }
    }

    /// A locale or language tag (`ru_RU.UTF-8`, `nb-NO`, `no`, `en`) → one we speak.
    pub fn parse(locale: &str) -> Option<Lang> {
        let language = locale
            .split(['_', '-', '.', '@', '/'])
            .next()?
            .to_ascii_lowercase();
        match language.as_str() {
            "en" => Some(Lang::En),
            // Nynorsk and plain "Norwegian" readers read Bokmål better than English.
            "nb" | "no" | "nn" => Some(Lang::Nb),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }

    /// The system's language, from the locale variables in the order POSIX gives them force.
    pub fn system(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| var(name).filter(|v| !v.is_empty()))
            .next()
            .and_then(|locale| Lang::parse(&locale))
            .unwrap_or_default()
    }

    /// The setting's language, else the system's: this process's locale variables, else (on
    /// Windows and macOS, where a program started from the desktop gets none) the OS's own
    /// list of the user's languages.
    pub fn chosen(setting: Option<Lang>) -> Lang {
        setting.unwrap_or_else(|| {
            let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
            match ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .any(|n| var(n).is_some())
            {
                true => Lang::system(var),
                false => whoami::langs()
                    .ok()
                    .and_then(|mut langs| langs.find_map(|l| Lang::parse(&l.to_string())))
                    .unwrap_or_default(),
            }
        })
    }
}

fn bundles() -> &'static [FluentBundle<FluentResource>; 3] {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 3]> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        CATALOGS.map(|(_, tag, source)| {
            let resource = FluentResource::try_new(source.to_string())
                .unwrap_or_else(|(_, errors)| panic!("{tag}.ftl does not parse: {errors:?}"));
            let mut bundle =
                FluentBundle::new_concurrent(vec![tag.parse().expect("a language tag")]);
            // No Unicode isolation marks around arguments: they show as boxes in trays and
            // terminals, and the catalogs are all left-to-right.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .unwrap_or_else(|errors| panic!("{tag}.ftl: {errors:?}"));
            bundle
        })
    })
}

/// Message `id` in `lang` with `args`; the English one if `lang`'s catalog lacks it (a test
/// holds every catalog to every message), the id itself if no catalog has it.
pub fn text(lang: Lang, id: &str, args: &[(&str, FluentValue)]) -> String {
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.clone());
    }
    for bundle in [&bundles()[lang as usize], &bundles()[Lang::En as usize]] {
        if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
            let mut errors = vec![];
            let said = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            if errors.is_empty() {
                return said.into_owned();
            }
            tracing::warn!(id, ?errors, "a message could not be formatted");
        }
    }
    id.to_string()
}

/// `text` with no arguments.
pub fn word(lang: Lang, id: &str) -> String {
    text(lang, id, &[])
}

/// What runs out (`refresh token`, `client certificate`…) in `lang`'s words; an unknown
/// name as it is.
pub fn credential(lang: Lang, name: &str) -> String {
    let id = format!("credential-{}", name.replace(' ', "-"));
    match word(lang, &id) {
        said if said == id => name.to_string(),
        said => said,
    }
}

/// A number argument (plural forms select on it).
pub fn n(value: impl Into<f64>) -> FluentValue<'static> {
    FluentValue::from(value.into())
}

/// A text argument.
pub fn s(value: &str) -> FluentValue<'_> {
    FluentValue::from(value)
}

/// The message ids of a catalog, for the test that holds all catalogs to the same set.
pub fn ids(lang: Lang) -> Vec<String> {
    let source = CATALOGS[lang as usize].2;
    let resource = FluentResource::try_new(source.to_string()).expect("parses");
    let mut ids: Vec<String> = resource
        .entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect();
    ids.sort();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_in_every_catalog() {
        let english = ids(Lang::En);
        assert!(english.len() > 20, "{english:?}");
        for lang in [Lang::Nb, Lang::Ru] {
            assert_eq!(
                ids(lang),
                english,
                "{lang:?} has other messages than English"
            );
        }
    }

    #[test]
    fn every_message_formats_in_every_language_with_its_arguments() {
        let args = [
            ("n", n(5)),
            ("name", s("gh")),
            ("account", s("gh")),
            ("credential", s("refresh token")),
            ("left", s("2d 3h")),
            ("at", s("2026-12-01 12:00 UTC")),
            ("message", s("invalid_grant")),
            ("d", n(2)),
            ("h", n(3)),
            ("m", n(4)),
            ("s", n(5)),
            ("status", s("ok")),
            ("label", s("ok")),
            ("soon", s("2d 3h")),
            ("program", s("git")),
            ("path", s("/usr/bin/git")),
            ("why", s("locked")),
            ("via", s("token")),
        ];
        for lang in Lang::ALL {
            for id in ids(lang) {
                let said = text(lang, &id, &args);
                assert_ne!(said, id, "{lang:?} {id}");
                assert!(!said.contains('{'), "{lang:?} {id}: {said}");
            }
        }
    }

    #[test]
    fn russian_has_three_plural_forms_and_norwegian_two() {
        let ok = |lang, count: u32| text(lang, "summary-ok", &[("n", n(count))]);
        assert_eq!(ok(Lang::En, 1), "1 token ok");
        assert_eq!(ok(Lang::En, 5), "5 tokens ok");
        assert_eq!(ok(Lang::Nb, 1), "1 token i orden");
        assert_eq!(ok(Lang::Nb, 5), "5 tokener i orden");
        assert_eq!(ok(Lang::Ru, 1), "1 токен в порядке");
        assert_eq!(ok(Lang::Ru, 3), "3 токена в порядке");
        assert_eq!(ok(Lang::Ru, 5), "5 токенов в порядке");
        assert_eq!(ok(Lang::Ru, 21), "21 токен в порядке");
    }

    #[test]
    fn locales_pick_a_language() {
        assert_eq!(Lang::parse("ru_RU.UTF-8"), Some(Lang::Ru));
        assert_eq!(Lang::parse("nb-NO"), Some(Lang::Nb));
        assert_eq!(Lang::parse("nn_NO"), Some(Lang::Nb));
        assert_eq!(Lang::parse("C.UTF-8"), None);
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Lang::system(env(&[("LANG", "ru_RU.UTF-8")])), Lang::Ru);
        assert_eq!(
            Lang::system(env(&[("LANG", "ru_RU.UTF-8"), ("LC_ALL", "nb_NO.UTF-8")])),
            Lang::Nb
        );
        assert_eq!(Lang::system(env(&[("LANG", "de_DE.UTF-8")])), Lang::En);
        assert_eq!(Lang::system(env(&[])), Lang::En);
    }
}
