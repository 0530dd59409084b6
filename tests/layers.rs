//! The layer rule, kept by a source scan: every module imports only from
//! layers below its own, and no two files depend on each other in a
//! cycle. README's "Layout" names the same layers.
//!
//! What counts as a dependency: a path through `crate::`, `super::` or a
//! child module (`netlink::Batch`) in code outside `#[cfg(test)]`
//! sections and comments. `pub use` re-exports and `mod` declarations are
//! namespace plumbing, not dependencies; a path that reaches an item
//! through a re-export is followed to the file that defines it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom first. A module may use modules of lower layers
/// only; modules on one layer never use each other.
const LAYERS: &[&[&str]] = &[
    // Plumbing with no knowledge of the domain.
    &[
        "clock", "fsio", "base64", "rate", "exit", "qtype", "linelog", "mem",
    ],
    // Pure: what an indicator is; the command-line grammar.
    &["indicator", "cli"],
    // Pure: bytes → indicators; signatures.
    &["feed", "sign"],
    // The configuration, the network client, the on-disk cache, linting.
    &["config", "fetch", "state", "check"],
    // Enforcement and detection edges, the IT centre's tools.
    &["nft", "dns", "hosts", "feedtool"],
    // What the unit tells its IT centre and its users (reads the hosts).
    &["report", "notice"],
    // The sync run: fetch → verify → parse → guard → install.
    &["sync"],
    // The daemon's event loop.
    &["daemon"],
    // One module per command.
    &["cmd"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// A source file: its module path (`["nft", "netlink"]`) and its code
/// without comments and test sections.
struct File {
    path: PathBuf,
    module: Vec<String>,
    code: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn load(dir: &Path, prefix: &[String], out: &mut Vec<File>) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            let mut m = prefix.to_vec();
            m.push(name);
            load(&p, &m, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let mut module = prefix.to_vec();
            if !matches!(name.as_str(), "mod" | "lib" | "main") {
                module.push(name);
            }
            let text = fs::read_to_string(&p).unwrap();
            out.push(File {
                path: p,
                module,
                code: strip(&text),
            });
        }
    }
}

/// Drops `//` comments (incl. doc comments), single items under
/// `#[cfg(test)]` (`pub mod testutil;`), and the test section a
/// `#[cfg(test)] mod … {` opens at the bottom of a file.
fn strip(text: &str) -> String {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let t = l.trim_start();
        if t.starts_with("#[cfg(test)]") {
            match lines.next() {
                Some(n) if n.trim_end().ends_with('{') => break,
                _ => continue,
            }
        }
        out.push(if t.starts_with("//") { "" } else { l });
    }
    out.join("\n")
}

/// Every path written in `code`, with `use` groups expanded
/// (`crate::a::{b, c::D}` → `crate::a::b`, `crate::a::c::D`), except
/// `pub use` lines and `mod` declarations.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Statements, so that multi-line `use` groups are seen whole.
    for stmt in code.split(';') {
        match find_use(stmt) {
            Some((i, public)) => {
                inline_paths(&stmt[..i], &mut out);
                if !public {
                    let body = stmt[i..].trim_start().trim_start_matches("use").trim();
                    expand(body, "", &mut out);
                }
            }
            None => inline_paths(stmt, &mut out),
        }
    }
    out
}

/// Words joined by `::` in ordinary code.
fn inline_paths(s: &str, out: &mut Vec<String>) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b':') {
            i += 1;
        }
        let word = &s[start..i];
        if word.contains("::") && !word.starts_with(':') {
            out.push(word.trim_end_matches(':').to_string());
        }
        i += 1;
        while i < bytes.len() && !s.is_char_boundary(i) {
            i += 1;
        }
    }
}

/// Where a `use` declaration starts in a statement (at the `use`
/// keyword), and whether it is a `pub`/`pub(crate)` re-export.
fn find_use(stmt: &str) -> Option<(usize, bool)> {
    let mut offset = 0;
    for line in stmt.split_inclusive('\n') {
        let t = line.trim_start();
        let at = offset + line.len() - t.len();
        if t.starts_with("use ") {
            return Some((at, false));
        }
        for public in ["pub use ", "pub(crate) use ", "pub(super) use "] {
            if t.starts_with(public) {
                return Some((at + public.len() - 4, true));
            }
        }
        offset += line.len();
    }
    None
}

fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = &tree[..open];
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], &format!("{prefix}{head}"), out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], &format!("{prefix}{head}"), out);
    } else if !tree.is_empty() {
        let name = tree.split(" as ").next().unwrap().trim();
        out.push(format!("{prefix}{name}"));
    }
}

struct Tree {
    files: Vec<File>,
    by_module: BTreeMap<Vec<String>, usize>,
    /// `(defining module, item name)` → the module a `pub use` takes it from.
    reexports: BTreeMap<(Vec<String>, String), Vec<String>>,
    /// Child modules of each module.
    children: BTreeMap<Vec<String>, BTreeSet<String>>,
}

impl Tree {
    fn load() -> Tree {
        let mut files = Vec::new();
        load(&src_dir(), &[], &mut files);
        // main.rs is the binary's crate root, not a module of the library.
        files.retain(|f| !f.path.ends_with("main.rs"));
        let by_module = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.module.clone(), i))
            .collect();
        let mut tree = Tree {
            files,
            by_module,
            reexports: BTreeMap::new(),
            children: BTreeMap::new(),
        };
        for f in &tree.files {
            if let Some((parent, name)) = f.module.split_last().map(|(n, p)| (p.to_vec(), n.clone())) {
                tree.children.entry(parent).or_default().insert(name);
            }
        }
        for i in 0..tree.files.len() {
            let text = fs::read_to_string(&tree.files[i].path).unwrap();
            let text = strip(&text);
            for stmt in text.split(';') {
                let t = stmt.trim();
                let Some(body) = t.strip_prefix("pub use ") else {
                    continue;
                };
                let mut paths = Vec::new();
                expand(body, "", &mut paths);
                for p in paths {
                    let segs: Vec<&str> = p.split("::").collect();
                    let Some((item, from)) = segs.split_last() else {
                        continue;
                    };
                    let module = tree.files[i].module.clone();
                    if let Some(target) = tree.resolve_module(&module, from) {
                        tree.reexports.insert((module, item.to_string()), target);
                    }
                }
            }
        }
        tree
    }

    /// The module a relative or absolute module path names, from `here`.
    fn resolve_module(&self, here: &[String], segs: &[&str]) -> Option<Vec<String>> {
        let (mut base, rest): (Vec<String>, &[&str]) = match segs.first() {
            Some(&"crate") => (vec![], &segs[1..]),
            Some(&"self") => (here.to_vec(), &segs[1..]),
            Some(&"super") => {
                let mut b = here.to_vec();
                let mut k = 0;
                while segs.get(k) == Some(&"super") {
                    b.pop();
                    k += 1;
                }
                (b, &segs[k..])
            }
            Some(first) if self.children.get(here).is_some_and(|c| c.contains(*first)) => {
                (here.to_vec(), segs)
            }
            _ => return None,
        };
        for s in rest {
            let mut next = base.clone();
            next.push(s.to_string());
            if self.by_module.contains_key(&next) {
                base = next;
            } else {
                break;
            }
        }
        Some(base)
    }

    /// The file a path ultimately depends on (following re-exports).
    fn target(&self, here: &[String], path: &str) -> Option<Vec<String>> {
        let segs: Vec<&str> = path.split("::").collect();
        let mut module = self.resolve_module(here, &segs)?;
        // The segment after the module: an item, maybe re-exported.
        let depth = {
            let skip = match segs[0] {
                "crate" => 1,
                "self" => 1,
                "super" => segs.iter().take_while(|s| **s == "super").count(),
                _ => 0,
            };
            let base_len = match segs[0] {
                "crate" => 0,
                "super" => here.len() - skip,
                _ => here.len(),
            };
            skip + module.len() - base_len
        };
        let mut seen = 0;
        while let Some(item) = segs.get(depth).filter(|_| seen < 8) {
            match self.reexports.get(&(module.clone(), item.to_string())) {
                Some(m) if *m != module => module = m.clone(),
                _ => break,
            }
            seen += 1;
        }
        Some(module)
    }

    /// File-to-file dependencies (module paths), self-edges dropped.
    fn edges(&self) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let mut g: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for f in &self.files {
            let entry = g.entry(f.module.clone()).or_default();
            for p in paths(&f.code) {
                if let Some(t) = self.target(&f.module, &p) {
                    if t != f.module && !t.is_empty() {
                        entry.insert(t);
                    }
                }
            }
        }
        g
    }
}

#[test]
fn every_top_level_module_has_a_layer() {
    let tree = Tree::load();
    let missing: BTreeSet<_> = tree
        .files
        .iter()
        .filter_map(|f| f.module.first())
        .filter(|m| layer_of(m).is_none())
        .collect();
    assert!(missing.is_empty(), "add these modules to LAYERS: {missing:?}");
}

#[test]
fn modules_only_use_layers_below_their_own() {
    let tree = Tree::load();
    let mut bad = Vec::new();
    for (from, tos) in tree.edges() {
        let Some(a) = from.first() else { continue };
        for to in tos {
            let b = &to[0];
            if a == b {
                continue;
            }
            let (la, lb) = (
                layer_of(a).unwrap_or(usize::MAX),
                layer_of(b).unwrap_or(usize::MAX),
            );
            if lb >= la {
                bad.push(format!(
                    "{} uses {} ({} is not below {})",
                    from.join("::"),
                    to.join("::"),
                    b,
                    a
                ));
            }
        }
    }
    assert!(bad.is_empty(), "layer violations:\n{}", bad.join("\n"));
}

#[test]
fn no_files_depend_on_each_other_in_a_cycle() {
    let g = Tree::load().edges();
    // Files that reach each other: the strongly connected components of
    // more than one file (Tarjan's algorithm, small enough to recurse).
    struct Scc<'a> {
        g: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, (usize, usize)>,
        stack: Vec<&'a Vec<String>>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl<'a> Scc<'a> {
        fn visit(&mut self, n: &'a Vec<String>) {
            self.index.insert(n, (self.next, self.next));
            self.next += 1;
            self.stack.push(n);
            for m in self.g.get(n).into_iter().flatten() {
                let m = self.g.get_key_value(m).map_or(m, |(k, _)| k);
                match self.index.get(m).copied() {
                    None => {
                        self.visit(m);
                        let low = self.index[m].1.min(self.index[n].1);
                        self.index.get_mut(n).unwrap().1 = low;
                    }
                    Some((i, _)) if self.stack.contains(&m) => {
                        let low = i.min(self.index[n].1);
                        self.index.get_mut(n).unwrap().1 = low;
                    }
                    _ => {}
                }
            }
            if self.index[n].0 == self.index[n].1 {
                let mut comp = Vec::new();
                while let Some(m) = self.stack.pop() {
                    comp.push(m.join("::"));
                    if m == n {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.found.push(comp);
                }
            }
        }
    }
    let mut scc = Scc {
        g: &g,
        index: BTreeMap::new(),
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for n in g.keys() {
        if !scc.index.contains_key(n) {
            scc.visit(n);
        }
    }
    let lines: Vec<String> = scc.found.iter().map(|c| c.join(" ⇄ ")).collect();
    assert!(
        lines.is_empty(),
        "files that depend on each other:\n{}",
        lines.join("\n")
    );
}

#[test]
fn the_scanner_sees_what_it_must() {
    let code = strip(
        "use crate::a::{b, c::D};\npub use e::F;\n// crate::comment::X\nfn f() { super::g::h(); }\n#[cfg(test)]\nuse crate::t;",
    );
    let p = paths(&code);
    assert!(p.contains(&"crate::a::b".to_string()), "{p:?}");
    assert!(p.contains(&"crate::a::c::D".to_string()), "{p:?}");
    assert!(p.contains(&"super::g::h".to_string()), "{p:?}");
    assert!(
        !p.iter()
            .any(|x| x.contains("comment") || x.contains("crate::t") || x.starts_with("e::")),
        "{p:?}"
    );
}
