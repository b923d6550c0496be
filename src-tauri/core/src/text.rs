//! Text from outside, made safe to show: account names (a defined set of characters, checked
//! where a name enters), a server's or a command's words (control and direction characters
//! escaped, long ones cut, before they reach a terminal, a log line, a notification or the
//! history), and tokens (only the characters a token may have, so a header cannot be forged).

/// The longest account name.
pub const MAX_NAME_CHARS: usize = 64;
/// A server's `error_description`, a command's last line: this much is kept.
pub const MAX_DESCRIPTION_CHARS: usize = 300;
/// An error message as it is shown and stored.
pub const MAX_MESSAGE_CHARS: usize = 1_000;

/// Account names: 1 to 64 letters or digits (of any script) and `- _ . @ +`, starting with a
/// letter or digit. What a shell, a terminal, a log line and a file name all take as it is.
pub fn check_name(name: &str) -> Result<(), String> {
    let count = name.chars().count();
    let first_ok = name.chars().next().is_some_and(char::is_alphanumeric);
    let bad = name.chars().find(|&c| !name_char(c));
    if count == 0 {
        return Err("an account needs a name".into());
    }
    if count > MAX_NAME_CHARS {
        return Err(format!(
            "the account name {} is {count} characters long; at most {MAX_NAME_CHARS}",
            quoted(name, 40)
        ));
    }
    if let Some(c) = bad {
        return Err(format!(
            "the account name {} holds {}; a name is letters, digits and - _ . @ +",
            quoted(name, MAX_NAME_CHARS),
            describe_char(c)
        ));
    }
    if !first_ok {
        return Err(format!(
            "the account name {} must start with a letter or a digit",
            quoted(name, MAX_NAME_CHARS)
        ));
    }
    Ok(())
}

fn name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+')
}

/// A name that breaks [`check_name`] made into one that keeps it (for names stored before the
/// rule): every other character becomes `-`, cut to the length, a letter in front if needed.
pub fn fixed_name(name: &str) -> String {
    let mut fixed: String = name
        .chars()
        .map(|c| if name_char(c) { c } else { '-' })
        .take(MAX_NAME_CHARS)
        .collect();
    if !fixed.chars().next().is_some_and(char::is_alphanumeric) {
        fixed = format!("a{fixed}").chars().take(MAX_NAME_CHARS).collect();
    }
    fixed
}

/// Outside text as it may be shown: control, line-separating and direction characters written
/// as escapes (`\n`, `\u{1b}`, `\u{202e}`), and no more than `max_chars` (then `…`).
pub fn shown(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(2)));
    for (count, c) in text.chars().enumerate() {
        if count >= max_chars {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Outside text on one line where escapes would not be read (a notification): control,
/// line-separating and direction characters become spaces; no more than `max_chars`.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if hidden(c) { ' ' } else { c })
        .take(max_chars)
        .collect();
    if text.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

/// Outside text in quotes, as a message names it.
pub fn quoted(text: &str, max_chars: usize) -> String {
    format!("\"{}\"", shown(text, max_chars).replace('"', "\\\""))
}

/// Characters that move the cursor, end a line, or turn text around: never shown raw.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

fn describe_char(c: char) -> String {
    match hidden(c) {
        true => format!("the invisible character U+{:04X}", c as u32),
        false => format!("{c:?}"),
    }
}

/// A token as RFC 6750 §2.1 writes one (`b64token`: letters, digits, `- . _ ~ + /`, then
/// `=` padding): what may follow `Bearer ` in a header. A server's answer holding anything
/// else is refused, so that no token can carry a line break into a script's request.
pub fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// A token a person pasted or a command printed: visible ASCII, no spaces (RFC 6749's
/// VSCHAR without the space), so it too goes into a header as it is.
pub fn is_visible_token(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_letters_digits_and_a_few_marks() {
        for ok in [
            "ci-bot",
            "a",
            "github.com",
            "me@work",
            "почта",
            "ci_bot+2",
            "x".repeat(64).as_str(),
        ] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "two words",
            "a\nb",
            "a\u{1b}[31m",
            "\u{202e}evil",
            "a\0b",
            "-leading",
            "x/y",
            &"x".repeat(65),
        ] {
            let e = check_name(bad).unwrap_err();
            assert!(
                !e.contains('\n') && !e.contains('\u{1b}') && !e.contains('\0'),
                "{e:?}"
            );
        }
        assert_eq!(fixed_name("a\nb"), "a-b");
        assert_eq!(fixed_name("\u{202e}x"), "a-x");
        assert_eq!(fixed_name(&"é".repeat(100)).chars().count(), 64);
        for bad in ["two words", "\0", "-x", "a\u{1b}b"] {
            assert!(check_name(&fixed_name(bad)).is_ok(), "{bad:?}");
        }
    }

    #[test]
    fn outside_text_is_escaped_and_cut() {
        assert_eq!(
            shown("a\nb\u{1b}[2J\u{202e}", 100),
            "a\\nb\\u{1b}[2J\\u{202e}"
        );
        assert_eq!(shown(&"x".repeat(5000), 300).chars().count(), 301);
        assert_eq!(shown("plain words", 100), "plain words");
        assert_eq!(quoted("say \"hi\"", 100), "\"say \\\"hi\\\"\"");
    }

    #[test]
    fn tokens_have_only_token_characters() {
        assert!(is_b64token("eyJhbGciOi.J9.x-y_z~a+b/c=="));
        for bad in ["", "abc\r\nX-Injected: 1", "a b", "a=b", "tok\u{0}"] {
            assert!(!is_b64token(bad), "{bad:?}");
        }
        assert!(is_visible_token("ghp_abc:def"));
        assert!(!is_visible_token("abc\r\n"));
        assert!(!is_visible_token("a b"));
    }
}
