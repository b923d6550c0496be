//! The documentation's profile examples are real: every ```toml block in the README and in
//! docs/ parses as a profile.

#[test]
fn every_toml_example_in_the_docs_parses() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut pages = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    let mut examples = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for rest in text.split("```toml\n").skip(1) {
            let mut block = rest[..rest.find("```").unwrap()].to_string();
            // Examples name their secrets by environment variable or file; give each a
            // stand-in (a file of the tests' own, readable by its owner alone, in its place).
            for line in block.clone().lines() {
                if let Some((key, value)) = line.split_once('=') {
                    let key = key.trim();
                    let Some(named) = value.split('"').nth(1) else {
                        continue;
                    };
                    if key.ends_with("_env") {
                        std::env::set_var(named, "stand-in-secret");
                    } else if key.ends_with("_file") {
                        let file = stand_in(key);
                        block = block.replace(named, &file.display().to_string());
                    }
                }
            }
            let block = block.as_str();
            let profile = tokentray_core::Profile::parse(block).unwrap_or_else(|e| {
                panic!(
                    "an example in {} does not parse: {e}\n{block}",
                    page.display()
                )
            });
            assert!(!profile.account.is_empty());
            examples += 1;
        }
    }
    assert!(
        examples >= 3,
        "the README and docs/ should show profile examples"
    );
}

/// A file that stands in for an example's `KEY_file`: a signing key for a key, a service
/// account's JSON key for one, a word for anything else.
fn stand_in(key: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let pem = || {
        tokentray_core::jws::SigningKey::generate()
            .unwrap()
            .expose()
            .to_string()
    };
    let text = match key {
        "service_account_file" => serde_json::json!({
            "client_email": "bot@example.iam.gserviceaccount.com",
            "private_key": pem(),
            "token_uri": "https://oauth2.googleapis.com/token",
        })
        .to_string(),
        k if k.contains("key") => pem(),
        _ => "stand-in-secret".into(),
    };
    let path = std::env::temp_dir().join(format!("tokentray-readme-{}-{key}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}
