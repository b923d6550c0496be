//! The crash test's victim (tests/crash.rs): opens the data directory's engine (TOKENTRAY_HOME,
//! TOKENTRAY_PASSPHRASE) and refreshes one account again and again until it is killed,
//! printing `refreshed N` after each refresh is on disk.
//!
//! `cargo run -p tokentray-core --example churn -- ACCOUNT`

use std::sync::Arc;
use tokentray_core::{home, EngineHandle, SystemClock};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let name = std::env::args().nth(1).expect("usage: churn ACCOUNT");
    let dir = home::data_dir();
    let key = home::key_source(&dir).expect("a key source");
    let engine = EngineHandle::open(&dir, key, Arc::new(SystemClock))
        .await
        .expect("the engine opens");
    for n in 1.. {
        if let Err(e) = engine.refresh(&name).await {
            eprintln!("error[{}]: {e}", e.code());
            std::process::exit(1);
        }
        println!("refreshed {n}");
    }
}
