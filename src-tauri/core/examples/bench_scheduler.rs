//! Scheduler benchmark (prints figures; not a test): N client-credentials accounts with a
//! short TTL kept fresh for a while against a local token server, through the real engine
//! with its store. Run through `tests/bench/scheduler.sh`, which starts the server.
//!   bench_scheduler TOKEN_URL ACCOUNTS SECONDS
#![allow(clippy::disallowed_methods)] // a benchmark measures real time

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokentray_core::vault::KeySource;
use tokentray_core::{EngineHandle, Event, Secret, SystemClock};
use tokio::sync::broadcast::error::RecvError;

fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn rss_peak_and_cpu() -> (u64, f64) {
    let hwm = status_kib("VmHWM:");
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
    (hwm, ticks / 100.0)
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (url, n, seconds): (String, usize, u64) = (
        args[1].clone(),
        args[2].parse().unwrap(),
        args[3].parse().unwrap(),
    );
    let home = std::env::temp_dir().join(format!("tokentray-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let mut profile = String::new();
    for i in 0..n {
        profile.push_str(&format!("[[account]]\nname = \"acct-{i}\"\ngrant = \"client_credentials\"\ntoken_url = \"{url}\"\nclient_id = \"bench-{i}\"\nclient_secret = \"bench-secret\"\nauth_method = \"client_secret_post\"\n"));
    }
    std::fs::write(home.join("profile.toml"), profile).unwrap();
    let started = std::time::Instant::now();
    let engine = EngineHandle::open(
        &home,
        KeySource::Passphrase(Secret::new("bench")),
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    println!(
        "opened the store and brought in {n} accounts in {:.1} s (peak RSS so far {:.1} MB)",
        started.elapsed().as_secs_f64(),
        status_kib("VmHWM:") as f64 / 1024.0
    );

    let refreshes = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let lateness = Arc::new(Mutex::new(Vec::<i64>::new()));
    let planned: Arc<Mutex<HashMap<String, chrono::DateTime<chrono::Utc>>>> = Default::default();
    let mut events = engine.subscribe();
    {
        let (engine, refreshes, failures, lateness, planned) = (
            engine.clone(),
            refreshes.clone(),
            failures.clone(),
            lateness.clone(),
            planned.clone(),
        );
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(Event::Refreshed { account, .. }) => {
                        refreshes.fetch_add(1, Ordering::Relaxed);
                        let now = chrono::Utc::now();
                        let mut planned = planned.lock().unwrap();
                        if let Some(due) = planned.get(&account) {
                            lateness
                                .lock()
                                .unwrap()
                                .push((now - *due).num_milliseconds());
                        }
                        if let Some(next) = engine.view(&account).ok().and_then(|v| v.next_refresh)
                        {
                            planned.insert(account, next);
                        }
                    }
                    Ok(Event::RefreshFailed { .. } | Event::NeedsReauth { .. }) => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(k)) => eprintln!("the event reader lagged by {k}"),
                    Err(RecvError::Closed) => return,
                }
            }
        });
    }
    engine.spawn_refresh_loop();

    // Meanwhile, a client asks for random tokens and checks none is served expired.
    let served = Arc::new(AtomicUsize::new(0));
    let expired = Arc::new(AtomicUsize::new(0));
    {
        let (engine, served, expired) = (engine.clone(), served.clone(), expired.clone());
        tokio::spawn(async move {
            loop {
                let name = format!("acct-{}", fastrand::usize(0..n));
                let asked = chrono::Utc::now();
                if engine.get_token(&name).await.is_ok() {
                    served.fetch_add(1, Ordering::Relaxed);
                    if engine
                        .view(&name)
                        .ok()
                        .and_then(|v| v.expires_at)
                        .is_none_or(|e| e <= asked)
                    {
                        expired.fetch_add(1, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
    }

    let cpu_before = rss_peak_and_cpu().1;
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let (rss_kib, cpu_after) = rss_peak_and_cpu();
    let mut late = lateness.lock().unwrap().clone();
    late.sort_unstable();
    println!("accounts:                 {n} (client_credentials, local token server)");
    println!("duration:                 {seconds} s");
    println!(
        "refreshes done:           {}",
        refreshes.load(Ordering::Relaxed)
    );
    println!(
        "refresh failures:         {}",
        failures.load(Ordering::Relaxed)
    );
    println!(
        "tokens served to client:  {}",
        served.load(Ordering::Relaxed)
    );
    println!(
        "served expired:           {}",
        expired.load(Ordering::Relaxed)
    );
    println!(
        "lateness vs due (ms):     p50 {}  p99 {}  max {}  (n = {})",
        percentile(&late, 0.5),
        percentile(&late, 0.99),
        late.last().copied().unwrap_or(0),
        late.len()
    );
    println!(
        "peak RSS:                 {:.1} MB (at the end: {:.1} MB)",
        rss_kib as f64 / 1024.0,
        status_kib("VmRSS:") as f64 / 1024.0
    );
    println!(
        "CPU seconds (engine+bench): {:.1} over the run",
        cpu_after - cpu_before
    );
    engine.close().await;
    let _ = std::fs::remove_dir_all(&home);
}
