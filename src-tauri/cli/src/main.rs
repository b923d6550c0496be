//! `tokentray`: fresh tokens for scripts. This front answers `token` and the credential
//! helpers itself ([`tokentray_cli::fast`]); for every other command it becomes
//! `tokentray-full`, installed beside it, with the same arguments and `argv[0]` (on Windows,
//! which cannot replace a process, it runs it and exits with its status).

use std::process::ExitCode;
use tokentray_core::{ErrorCode, ErrorView};

fn main() -> ExitCode {
    tokentray_cli::fast::run().unwrap_or_else(full)
}

fn full() -> ExitCode {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| "tokentray".into());
    let full = format!("tokentray-full{}", std::env::consts::EXE_SUFFIX);
    let path = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name(&full),
        Err(e) => std::path::PathBuf::from(format!("{full} (where tokentray is: {e})")),
    };
    let mut command = std::process::Command::new(&path);
    command.args(args);
    #[cfg(unix)]
    let e = {
        use std::os::unix::process::CommandExt;
        // Only returns when it could not run.
        command.arg0(argv0).exec()
    };
    #[cfg(not(unix))]
    let e = {
        let _ = argv0;
        match command.status() {
            Ok(status) => {
                let code = status.code().unwrap_or(1).clamp(0, 255);
                return ExitCode::from(u8::try_from(code).unwrap_or(1));
            }
            Err(e) => e,
        }
    };
    tokentray_cli::fail(ErrorView {
        code: ErrorCode::System,
        message: format!(
            "cannot run {}: {e} (it belongs beside tokentray)",
            path.display()
        ),
    })
}
