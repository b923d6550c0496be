// tauri-build reads the root tauri.conf.json (the workspace root is the desktop package) and
// the capabilities under src-tauri/. The app manifest lists our own commands, so that a
// capability must grant each one to the window: the UI gets only what it needs. The engine's
// calls are one command, `call`, which forwards only the calls the engine's API lets the
// window make (core/src/api/calls.rs): a new call needs nothing here.
const COMMANDS: &[&str] = &[
    "call",
    "startup_problems",
    "start_login",
    "cancel_login",
    "open_login_link",
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
