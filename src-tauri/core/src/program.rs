//! Which program a token is lent to. The transport tells the engine who connected (uid, pid,
//! program); the *program* is the nearest process up that one's ancestry that is not
//! Tokentray itself, not a shell that only ran a command (`sh -c '…'`, as git runs its
//! credential helpers), and not one of git's own helper programs (`git-remote-https`, which
//! runs helpers for git). So git's credential helper lends to **git**, kubectl's exec plugin to
//! **kubectl**, Docker's helper to **docker**, and `bash -c "tokentray token X"` typed in a
//! terminal to **bash**, the terminal's shell. The kernel says each process's program
//! (`/proc/PID/exe`): a process can rename itself, not lie about that.

use crate::api::Caller;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A program that asked, as the audit and a person see it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    /// Its file name (`git`), what `lend_to` names match.
    pub name: String,
    /// Its path (`/usr/bin/git`), what `lend_to` paths match.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub path: PathBuf,
    pub pid: Option<i32>,
}

impl Program {
    fn at(path: PathBuf, pid: Option<i32>) -> Program {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        // Windows: `git.exe` is `git` to whoever writes `lend_to`.
        let name = match name.rsplit_once('.') {
            Some((stem, ext)) if cfg!(windows) && ext.eq_ignore_ascii_case("exe") => stem.into(),
            _ => name,
        };
        Program { name, path, pid }
    }

    /// The person at the desktop (the window's and the tray's copy buttons).
    pub fn person() -> Program {
        Program {
            name: "you".into(),
            path: PathBuf::from("(Tokentray's window or tray)"),
            pid: None,
        }
    }

    /// Whether `lend_to` names it: a bare name matches the file name, a path matches exactly.
    pub fn named_by(&self, lend_to: &[String]) -> bool {
        let is_path = |e: &str| e.contains('/') || (cfg!(windows) && e.contains('\\'));
        lend_to.iter().any(|entry| match is_path(entry) {
            true => Path::new(entry) == self.path,
            false => *entry == self.name,
        })
    }
}

/// The program behind a call from `caller`; `for_program` when Tokentray's own CLI runs a
/// program with the token (`tokentray exec NAME -- cmd`): then the token is lent to that
/// program, on behalf of the one found up the ancestry.
pub fn asking(caller: &Caller, for_program: Option<&Path>) -> (Program, Option<Program>) {
    let found = up_the_ancestry(caller);
    match for_program {
        Some(path) if is_ours(caller.exe.as_deref()) => {
            (Program::at(path.to_path_buf(), None), Some(found))
        }
        _ => (found, None),
    }
}

/// Tokentray's own programs: the CLI's two binaries, the Docker helper's name, the desktop.
fn is_ours(exe: Option<&Path>) -> bool {
    let Some(name) = exe.and_then(Path::file_name).map(|n| n.to_string_lossy()) else {
        return false;
    };
    let name = name.trim_end_matches(" (deleted)");
    let name = name.strip_suffix(".exe").unwrap_or(name);
    name == "tokentray"
        || name.starts_with("tokentray-")
        || name.starts_with("docker-credential-tokentray")
}

#[cfg(any(target_os = "linux", windows))]
fn up_the_ancestry(caller: &Caller) -> Program {
    let Some(mut pid) = caller.pid else {
        return fallback(caller);
    };
    let mut last = None;
    // A bound on the walk: a process's ancestry is short, a loop in it impossible but cheap to
    // rule out.
    for _ in 0..64 {
        let Some(process) = Process::read(pid) else {
            break;
        };
        let skip =
            is_ours(Some(&process.exe)) || process.only_ran_a_command() || process.is_gits_helper();
        let program = Program::at(process.exe.clone(), Some(pid));
        if !skip {
            return program;
        }
        last = Some(program);
        match process.parent {
            Some(parent) if parent > 1 => pid = parent,
            _ => break,
        }
    }
    last.unwrap_or_else(|| fallback(caller))
}

#[cfg(not(any(target_os = "linux", windows)))]
fn up_the_ancestry(caller: &Caller) -> Program {
    fallback(caller)
}

/// What the transport said, when the ancestry cannot be read.
fn fallback(caller: &Caller) -> Program {
    match &caller.exe {
        Some(exe) => Program::at(exe.clone(), caller.pid),
        None => Program {
            name: "unknown".into(),
            path: PathBuf::from("(unknown)"),
            pid: caller.pid,
        },
    }
}

/// One process, as `/proc` shows it (on Windows, as its image path, its command line and the
/// process table do).
#[cfg(any(target_os = "linux", windows))]
struct Process {
    exe: PathBuf,
    argv: Vec<String>,
    parent: Option<i32>,
}

#[cfg(any(target_os = "linux", windows))]
impl Process {
    #[cfg(windows)]
    fn read(pid: i32) -> Option<Process> {
        use crate::windows_os::{parent_pid, process_image};
        let pid = u32::try_from(pid).ok()?;
        use crate::windows_os::process_command_line;
        Some(Process {
            exe: process_image(pid)?,
            argv: process_command_line(pid)
                .map(|line| split_command_line(&line))
                .unwrap_or_default(),
            parent: parent_pid(pid).and_then(|p| i32::try_from(p).ok()),
        })
    }

    #[cfg(target_os = "linux")]
    fn read(pid: i32) -> Option<Process> {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
        let argv = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|bytes| {
                bytes
                    .split(|b| *b == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        // `pid (comm) state ppid …`: the name may hold spaces and parentheses, so read after
        // the last `)`.
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let parent = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok());
        Some(Process { exe, argv, parent })
    }

    /// A shell run to run one command (below).
    fn only_ran_a_command(&self) -> bool {
        let name = Program::at(self.exe.clone(), None).name;
        ran_one_command(&name, self.argv.get(1..).unwrap_or_default(), cfg!(windows))
    }

    /// One of git's own programs that runs helpers for git (`git-remote-https`).
    fn is_gits_helper(&self) -> bool {
        let name = self.exe.file_name().map(|n| n.to_string_lossy());
        let in_git_core = self
            .exe
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|d| d == "git-core");
        in_git_core && name.is_some_and(|n| n.starts_with("git-"))
    }
}

/// Whether the shell `name` (without `.exe`), given `args`, was run to run one command:
/// `sh -c '!tokentray git-credential get'` (Git for Windows' `sh.exe` too), and on Windows
/// `cmd /c …` and `powershell -Command …`. A shell a person types into is none of these.
#[cfg_attr(not(any(target_os = "linux", windows)), allow(dead_code))]
fn ran_one_command(name: &str, args: &[String], windows: bool) -> bool {
    const SHELLS: [&str; 8] = [
        "sh", "bash", "dash", "zsh", "ksh", "mksh", "fish", "busybox",
    ];
    let has = |flags: &[&str]| {
        args.iter()
            .any(|a| flags.iter().any(|f| a.eq_ignore_ascii_case(f)))
    };
    match name {
        shell if SHELLS.contains(&shell) => args.iter().any(|a| a == "-c"),
        "cmd" if windows => has(&["/c"]),
        "powershell" | "pwsh" if windows => has(&["-c", "-command"]),
        _ => false,
    }
}

/// A Windows command line split into its arguments as the C runtime does: whitespace
/// separates them outside double quotes; 2n backslashes before a quote are n backslashes and
/// the quote opens or closes, 2n+1 are n and a literal quote; other backslashes are literal.
#[cfg_attr(not(windows), allow(dead_code))]
fn split_command_line(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut arg = String::new();
    let (mut quoted, mut started, mut backslashes) = (false, false, 0usize);
    for c in line.chars() {
        match c {
            '\\' => {
                backslashes += 1;
                started = true;
                continue;
            }
            '"' => {
                arg.extend(std::iter::repeat_n('\\', backslashes / 2));
                match backslashes % 2 {
                    1 => arg.push('"'),
                    _ => quoted = !quoted,
                }
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                arg.extend(std::iter::repeat_n('\\', backslashes));
                if started {
                    args.push(std::mem::take(&mut arg));
                }
                started = false;
            }
            c => {
                arg.extend(std::iter::repeat_n('\\', backslashes));
                arg.push(c);
                started = true;
            }
        }
        backslashes = 0;
    }
    arg.extend(std::iter::repeat_n('\\', backslashes));
    if started {
        args.push(arg);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_matches_the_file_name_and_a_path_only_itself() {
        let git = Program::at(PathBuf::from("/usr/bin/git"), Some(7));
        assert!(git.named_by(&["git".into()]));
        assert!(git.named_by(&["/usr/bin/git".into()]));
        assert!(!git.named_by(&["/usr/local/bin/git".into()]));
        assert!(!git.named_by(&["gi".into(), "kubectl".into()]));
        assert!(!git.named_by(&[]));
    }

    #[test]
    fn a_windows_command_line_splits_as_the_c_runtime_splits_it() {
        let split = |line: &str| split_command_line(line);
        assert_eq!(
            split(r#"C:\Windows\system32\cmd.exe /c "Z:\bin\tokentray.exe token lent""#),
            [
                r"C:\Windows\system32\cmd.exe",
                "/c",
                r"Z:\bin\tokentray.exe token lent"
            ]
        );
        assert_eq!(
            split(r#""C:\Program Files\Git\usr\bin\sh.exe" -c "tokentray git-credential get""#),
            [
                r"C:\Program Files\Git\usr\bin\sh.exe",
                "-c",
                "tokentray git-credential get"
            ]
        );
        // 2n+1 backslashes before a quote: n and a literal quote; 2n: n and the quote closes.
        assert_eq!(
            split(r#"a\\\"b "c d" e\\ "f\\" g"#),
            [r#"a\"b"#, "c d", r"e\\", r"f\", "g"]
        );
        assert_eq!(split(r#"x "" y"#), ["x", "", "y"]);
        assert_eq!(split("  x \t y  "), ["x", "y"]);
        assert!(split("").is_empty());
    }

    #[test]
    fn a_shell_that_only_ran_a_command_is_passed_over_and_one_typed_into_is_not() {
        let ran = |name: &str, args: &str, windows: bool| {
            ran_one_command(name, &split_command_line(args), windows)
        };
        for windows in [false, true] {
            assert!(ran("sh", "-c '!tokentray git-credential get'", windows));
            assert!(ran("bash", "--norc -c x", windows));
            assert!(!ran("bash", "", windows));
            assert!(!ran("bash", "script.sh -x", windows));
        }
        // Windows' own shells, told apart on Windows only.
        assert!(ran("cmd", r#"/c "Z:\bin\tokentray.exe token lent""#, true));
        assert!(ran("cmd", "/C tokentray token x", true));
        assert!(!ran("cmd", "/k tokentray token x", true));
        assert!(!ran("cmd", "", true));
        assert!(ran(
            "powershell",
            "-NoProfile -Command tokentray token x",
            true
        ));
        assert!(ran("pwsh", "-c tokentray", true));
        assert!(!ran("powershell", "", true));
        assert!(!ran("cmd", "/c x", false));
    }

    #[test]
    fn this_test_is_lent_to_the_program_that_runs_it() {
        // Run under cargo, the test binary is the program (it is no shell and not ours).
        let me = Caller::this_process();
        let (program, on_behalf) = asking(&me, None);
        assert_eq!(program.pid, me.pid);
        assert_eq!(Some(program.path), me.exe);
        assert_eq!(on_behalf, None);
    }
}
