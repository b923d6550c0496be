// tauri-build reads the root tauri.conf.json (the workspace root is the desktop package) and
// the capabilities under src-tauri/. The app manifest lists our own commands, so that a
// capability must grant each one to the window: the UI gets only what it needs.
fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(&["list_accounts"]));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}
