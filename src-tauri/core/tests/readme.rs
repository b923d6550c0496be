//! The README's profile examples are real: every ```toml block in it parses as a profile.

#[test]
fn every_toml_example_in_the_readme_parses() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```toml\n")
        .skip(1)
        .map(|rest| &rest[..rest.find("```").unwrap()])
        .collect();
    assert!(blocks.len() >= 2, "the README should show profile examples");
    for block in blocks {
        // Examples name their secrets by environment variable; give each a stand-in.
        for line in block.lines() {
            if let Some((key, value)) = line.split_once('=') {
                if key.trim().ends_with("_env") {
                    let var = value.split('"').nth(1).expect("a quoted variable name");
                    std::env::set_var(var, "stand-in-secret");
                }
            }
        }
        let profile = tokentray_core::Profile::parse(block)
            .unwrap_or_else(|e| panic!("README example does not parse: {e}\n{block}"));
        assert!(!profile.account.is_empty());
    }
}
