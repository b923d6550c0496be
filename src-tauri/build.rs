// tauri-build reads the root tauri.conf.json (the workspace root is the desktop package) and
// the capabilities under src-tauri/. The app manifest lists our own commands, so that a
// capability must grant each one to the window: the UI gets only what it needs.
const COMMANDS: &[&str] = &[
    "list_accounts",
    "account_detail",
    "account_history",
    "refresh_now",
    "remove_account",
    "save_account",
    "test_account",
    "discover",
    "copy_token",
    "copy_snippet",
    "copy_public_key",
    "start_login",
    "cancel_login",
    "open_login_link",
    "get_settings",
    "save_settings",
    "system_language",
    "ui_ready",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}
