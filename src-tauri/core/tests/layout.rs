//! The code's layout, held: no source file of the engine, the CLI or the desktop shell imports
//! one that imports it back (through any chain), and no file of the engine or the CLI is over
//! 400 lines before its tests. Imports are read as text: `crate::…` and `super::…` paths
//! (grouped ones too), resolved to the file of the longest module they name. A module's own
//! children (`mod x;`, `x::…`) are its parts, not imports.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MOST_LINES: usize = 400;

/// One crate (or binary) root and the files that are its modules.
struct Root {
    dir: PathBuf,
    files: Vec<PathBuf>,
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn roots() -> Vec<Root> {
    let repo = support::repo_root();
    let cli = repo.join("src-tauri/cli/src");
    let full = cli.join("full");
    let lib: Vec<PathBuf> = rust_files(&cli)
        .into_iter()
        .filter(|f| !f.starts_with(&full) && !f.ends_with("main.rs"))
        .collect();
    vec![
        Root {
            dir: repo.join("src-tauri/core/src"),
            files: rust_files(&repo.join("src-tauri/core/src")),
        },
        Root {
            dir: cli.clone(),
            files: lib,
        },
        Root {
            dir: full.clone(),
            files: rust_files(&full),
        },
        Root {
            dir: repo.join("src-tauri/src"),
            files: rust_files(&repo.join("src-tauri/src"))
                .into_iter()
                .filter(|f| !f.ends_with("main.rs"))
                .collect(),
        },
    ]
}

/// The file's text before its tests.
fn product(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") || t.starts_with("#[cfg(all(test") {
            break;
        }
        // Comments (doc links among them) name modules without importing them.
        let code = line.split("//").next().unwrap_or_default();
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The module path of a file under its root: `engine/mod.rs` → `[engine]`.
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !["mod", "lib", "main"].contains(&stem) {
        parts.push(stem.to_string());
    }
    parts
}

/// The file of the longest module `path` names.
fn file_of(root: &Root, path: &[String]) -> Option<PathBuf> {
    for n in (0..=path.len()).rev() {
        let module = &path[..n];
        let base = module.iter().fold(root.dir.clone(), |d, p| d.join(p));
        let candidates = match n {
            0 => vec![root.dir.join("lib.rs"), root.dir.join("main.rs")],
            _ => vec![base.with_extension("rs"), base.join("mod.rs")],
        };
        if let Some(found) = candidates.into_iter().find(|c| root.files.contains(c)) {
            return Some(found);
        }
    }
    None
}

/// Every path after `crate::` or `super::` in `text`, as segments (a group `{a, b::c}` gives
/// each of its paths), with how many `super::` began it (`None` for `crate::`).
fn paths(text: &str) -> Vec<(Option<usize>, Vec<String>)> {
    let mut out = vec![];
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let (start, mut supers) = if bytes[i..].starts_with(b"crate::") {
            (i + "crate::".len(), None)
        } else if bytes[i..].starts_with(b"super::") {
            (i + "super::".len(), Some(1))
        } else {
            i += 1;
            continue;
        };
        // Not part of a longer name (`$crate::`, `my_crate::`).
        if i > 0
            && (bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b'$')
        {
            i = start;
            continue;
        }
        let mut j = start;
        while bytes[j..].starts_with(b"super::") {
            supers = supers.map(|n| n + 1);
            j += "super::".len();
        }
        let (found, end) = read_path(text, j);
        for p in found {
            out.push((supers, p));
        }
        i = end.max(i + 1);
    }
    out
}

/// Reads `a::b::{c, d::e}` from `at`: the paths, and where it ended.
fn read_path(text: &str, at: usize) -> (Vec<Vec<String>>, usize) {
    let bytes = text.as_bytes();
    let mut segments = vec![];
    let mut i = at;
    loop {
        if bytes.get(i) == Some(&b'{') {
            // A group: split at its top-level commas.
            let mut depth = 0;
            let mut item_start = i + 1;
            let mut out = vec![];
            let mut k = i;
            while k < bytes.len() {
                match bytes[k] {
                    b'{' => depth += 1,
                    b'}' | b',' if depth == 1 => {
                        let item = text[item_start..k].trim();
                        if !item.is_empty() && item != "self" {
                            let (inner, _) = read_path(item, 0);
                            for p in inner {
                                out.push(segments.iter().cloned().chain(p).collect());
                            }
                        }
                        item_start = k + 1;
                        if bytes[k] == b'}' {
                            return (out, k + 1);
                        }
                    }
                    b'}' => depth -= 1,
                    _ => {}
                }
                k += 1;
            }
            return (out, k);
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i == start {
            return (vec![segments], i);
        }
        segments.push(text[start..i].to_string());
        if bytes[i..].starts_with(b"::") {
            i += 2;
        } else {
            return (vec![segments], i);
        }
    }
}

/// File → the files of its crate it imports.
fn imports(root: &Root) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut graph = BTreeMap::new();
    for file in &root.files {
        let here = module_of(&root.dir, file);
        let mut to = BTreeSet::new();
        for (supers, path) in paths(&product(file)) {
            let absolute: Vec<String> = match supers {
                None => path,
                Some(n) => {
                    let keep = here.len().saturating_sub(n);
                    here[..keep].iter().cloned().chain(path).collect()
                }
            };
            if let Some(target) = file_of(root, &absolute) {
                // A module's use of its own parent's items is fine; its parent's of it is not
                // counted (children are parts); only other files are imports.
                if &target != file {
                    to.insert(target);
                }
            }
        }
        graph.insert(file.clone(), to);
    }
    graph
}

/// The import cycles of a graph (Tarjan's strongly connected components of more than one).
fn cycles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        graph: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        found: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = vec![];
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: vec![],
        on_stack: BTreeSet::new(),
        found: vec![],
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    let mut all = vec![];
    for root in roots() {
        let graph = imports(&root);
        // The reader finds imports at all (a broken reader would find no cycle ever).
        let edges: usize = graph.values().map(BTreeSet::len).sum();
        assert!(edges > 0, "no imports read under {}", root.dir.display());
        for cycle in cycles(&graph) {
            // Each import inside the cycle, to say what ties it.
            let within: BTreeSet<&PathBuf> = cycle.iter().collect();
            let short = |p: &PathBuf| p.strip_prefix(&root.dir).unwrap().display().to_string();
            let mut ties = vec![];
            for from in &cycle {
                for to in graph[from].iter().filter(|t| within.contains(t)) {
                    ties.push(format!("  {} -> {}", short(from), short(to)));
                }
            }
            all.push(format!("{}:\n{}", root.dir.display(), ties.join("\n")));
        }
    }
    assert!(all.is_empty(), "import cycles:\n{}", all.join("\n"));
}

#[test]
fn the_reader_sees_a_cycle_when_there_is_one() {
    let graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(f, to)| (f.into(), to.into_iter().map(PathBuf::from).collect()))
    .collect();
    assert_eq!(cycles(&graph).len(), 1);
    let found = paths("use crate::{a, b::{c, d::E}};\nlet x = super::super::f::g();");
    assert_eq!(
        found,
        vec![
            (None, vec!["a".to_string()]),
            (None, vec!["b".into(), "c".into()]),
            (None, vec!["b".into(), "d".into(), "E".into()]),
            (Some(2), vec!["f".into(), "g".into()]),
        ]
    );
}

#[test]
fn no_file_of_the_engine_or_the_cli_is_over_400_lines_before_its_tests() {
    let repo = support::repo_root();
    let mut long = vec![];
    for dir in ["src-tauri/core/src", "src-tauri/cli/src"] {
        for file in rust_files(&repo.join(dir)) {
            let lines = product(&file).lines().count();
            if lines > MOST_LINES {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "over {MOST_LINES} lines:\n{}",
        long.join("\n")
    );
}
