// New migration files must trigger a rebuild, or `sqlx::migrate!` embeds the old set.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
