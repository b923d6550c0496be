//! What `tokentray approvals` and `tokentray audit` print: who waits for a person, and who
//! took which token.

use super::json;
use tokentray_cli::outln;

/// The first uses waiting for a person.
pub fn approvals(waiting: &[tokentray_core::lending::Approval], as_json: bool) {
    if as_json {
        outln!("{}", json(&waiting));
        return;
    }
    if waiting.is_empty() {
        outln!("nothing waits for you");
    }
    for a in waiting {
        let target = match a.account.as_str() {
            "" => "to unlock Tokentray".to_string(),
            account => format!("for {account} ({})", a.via),
        };
        outln!(
            "{:>4}  {} ({}) asks {target}",
            a.id,
            a.program.name,
            a.program.path.display()
        );
    }
}

/// Lends and refusals, newest first.
pub fn audit(lends: &[tokentray_core::store::Lend], as_json: bool) {
    if as_json {
        outln!("{}", json(&lends));
        return;
    }
    outln!(
        "{:<26} {:<20} {:<12} {:<9} PROGRAM",
        "AT",
        "ACCOUNT",
        "VIA",
        "OUTCOME"
    );
    for l in lends {
        let mut program = format!("{} ({})", l.program, l.program_path);
        if let Some(pid) = l.pid {
            program = format!("{program} pid {pid}");
        }
        if let Some(on_behalf) = &l.on_behalf_of {
            program = format!("{program}, run by {on_behalf}");
        }
        if let Some(engine) = &l.engine {
            program = format!("{program} (by {engine})");
        }
        outln!(
            "{:<26} {:<20} {:<12} {:<9} {program}",
            l.at.to_rfc3339(),
            l.account,
            l.via,
            l.outcome
        );
    }
}
