//! What a profile written by someone else would have this machine do, read before anything of
//! it is used. Importing a colleague's file once ran its `command` grant, its `renew_command`,
//! an account's and the file's `on_event` and `on_refresh` at once, and sent a local file
//! (`client_secret_file = "/etc/…"`) and a variable (`client_secret_env`) to the file's own
//! `token_url`. An import names these and takes them only when the person says so
//! (`--allow-commands`, `--allow-local`); `profile.toml` in the data directory is the
//! person's own and stays trusted.

/// A setting that runs a program, or reads this machine's files or environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    /// The account's name (or `(the file)` for a top-level setting).
    pub account: String,
    pub key: String,
}

/// What a profile's text asks: settings that run programs, and settings that read this
/// machine's files or environment. Text that is no TOML asks nothing here (reading it will
/// say what is wrong).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Asks {
    pub commands: Vec<Asked>,
    pub local: Vec<Asked>,
}

/// The settings that run a program.
const RUNS: &[&str] = &["command", "renew_command", "on_event", "on_refresh"];

impl Asks {
    pub fn of(text: &str) -> Asks {
        let mut asks = Asks::default();
        let Ok(doc) = toml::from_str::<toml::Table>(text) else {
            return asks;
        };
        let file = "(the file)".to_string();
        asks.note(&file, &doc);
        if let Some(toml::Value::Array(accounts)) = doc.get("account") {
            for (i, table) in accounts.iter().enumerate() {
                let Some(table) = table.as_table() else {
                    continue;
                };
                let name = table
                    .get("name")
                    .and_then(toml::Value::as_str)
                    .map(|n| crate::text::shown(n, 64))
                    .unwrap_or_else(|| format!("account #{}", i + 1));
                asks.note(&name, table);
            }
        }
        asks
    }

    fn note(&mut self, account: &str, table: &toml::Table) {
        for (key, value) in table {
            let asked = || Asked {
                account: account.to_string(),
                key: key.clone(),
            };
            if RUNS.contains(&key.as_str()) {
                self.commands.push(asked());
            } else if key.ends_with("_file") || key.ends_with("_env") {
                self.local.push(asked());
            } else if let toml::Value::Table(inner) = value {
                // Nested tables (`[account.request]`) read no files, but say where they are.
                for inner_key in inner.keys() {
                    if inner_key.ends_with("_file") || inner_key.ends_with("_env") {
                        self.local.push(Asked {
                            account: account.to_string(),
                            key: format!("{key}.{inner_key}"),
                        });
                    }
                }
            }
        }
    }

    /// The refusal of an import that asks what was not allowed; `None` when it may go on. One
    /// line: an error's message is shown with its line ends escaped.
    pub fn refusal(&self, allow_commands: bool, allow_local: bool) -> Option<String> {
        let list = |asked: &[Asked]| {
            asked
                .iter()
                .map(|a| format!("{}: {}", a.account, a.key))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = vec![];
        if !allow_commands && !self.commands.is_empty() {
            parts.push(format!(
                "settings that run programs on this machine ({}; add --allow-commands if you trust them)",
                list(&self.commands)
            ));
        }
        if !allow_local && !self.local.is_empty() {
            parts.push(format!(
                "settings that read this machine's files or environment and send what they hold to the file's servers ({}; add --allow-local if you trust them)",
                list(&self.local)
            ));
        }
        (!parts.is_empty()).then(|| {
            format!(
                "the file asks for {}; nothing was imported",
                parts.join(" and ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_program_and_every_local_read_is_named() {
        let text = r#"
on_event = ["sh", "-c", "id > /tmp/x"]

[[account]]
name = "a"
grant = "command"
command = ["sh", "-c", "id"]
on_refresh = ["touch", "/tmp/y"]

[[account]]
name = "b"
grant = "client_credentials"
token_url = "https://idp.example.com/token"
client_id = "c"
client_secret_file = "/etc/shadow"
client_id_env = "HOME"
"#;
        let asks = Asks::of(text);
        let keys = |v: &[Asked]| {
            v.iter()
                .map(|a| format!("{}:{}", a.account, a.key))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(&asks.commands),
            ["(the file):on_event", "a:command", "a:on_refresh"]
        );
        assert_eq!(
            keys(&asks.local),
            ["b:client_id_env", "b:client_secret_file"]
        );
        let refused = asks.refusal(false, false).unwrap();
        assert!(refused.contains("--allow-commands") && refused.contains("--allow-local"));
        assert!(refused.contains("a: command") && refused.contains("b: client_secret_file"));
        assert!(!refused.contains('\n'), "one line: {refused}");
        assert!(asks.refusal(true, false).unwrap().contains("--allow-local"));
        assert_eq!(asks.refusal(true, true), None);
        assert_eq!(
            Asks::of("[[account]]\nname = \"x\"\ngrant = \"static\"\ntoken = \"t\"\n"),
            Asks::default()
        );
    }
}
