//! `tokentray`: fresh tokens for scripts. This front answers `token` and the credential
//! helpers itself ([`tokentray_cli::fast`]); for every other command it becomes
//! `tokentray-full`, installed beside it, with the same arguments and `argv[0]`.

use std::os::unix::process::CommandExt;
use std::process::ExitCode;
use tokentray_core::{ErrorCode, ErrorView};

fn main() -> ExitCode {
    tokentray_cli::fast::run().unwrap_or_else(full)
}

fn full() -> ExitCode {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| "tokentray".into());
    let path = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name("tokentray-full"),
        Err(e) => std::path::PathBuf::from(format!("tokentray-full (where tokentray is: {e})")),
    };
    // Only returns when it could not run.
    let e = std::process::Command::new(&path)
        .arg0(argv0)
        .args(args)
        .exec();
    tokentray_cli::fail(ErrorView {
        code: ErrorCode::System,
        message: format!(
            "cannot run {}: {e} (it belongs beside tokentray)",
            path.display()
        ),
    })
}
