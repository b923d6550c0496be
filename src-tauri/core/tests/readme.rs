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
            let block = &rest[..rest.find("```").unwrap()];
            // Examples name their secrets by environment variable; give each a stand-in.
            for line in block.lines() {
                if let Some((key, value)) = line.split_once('=') {
                    if key.trim().ends_with("_env") {
                        let var = value.split('"').nth(1).expect("a quoted variable name");
                        std::env::set_var(var, "stand-in-secret");
                    }
                }
            }
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
