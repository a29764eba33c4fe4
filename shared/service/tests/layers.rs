//! The service's layers point down, and no module of either crate imports
//! another in a loop. `http` and `lambda` are the entry points, above
//! `operations`, above `store`, above `records`; the engine crate is below
//! them all (its own crate: Cargo keeps it free of the service's
//! dependencies). Read from the sources' own paths (`crate::…`,
//! `super::…`, `self::…` and a module's children), file by file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each layer of the service crate and its height; a file may name its own
/// layer and the layers below it only. `logging` stands apart: it names
/// none.
const LAYERS: [(&str, u8); 6] = [
    ("records", 1),
    ("store", 2),
    ("operations", 3),
    ("http", 4),
    ("lambda", 4),
    ("logging", 0),
];

/// A module path from the crate root: `["store", "keys"]`.
type Module = Vec<String>;

/// One source file: its module and its text.
struct File {
    module: Module,
    text: String,
}

/// The module a file under `src` defines.
fn module_of(relative: &Path) -> Module {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

fn read_tree(src: &Path) -> Vec<File> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| File {
            module: module_of(path.strip_prefix(src).expect("under src")),
            text: std::fs::read_to_string(&path).expect("a readable file"),
        })
        .collect()
}

/// The text without comments (line and block) or string literals, whose
/// words are not paths.
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                out.push(' ');
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path a file's code names, as segments: each `use` (its braces
/// spread out, one path per leaf) and each `crate::`, `super::` or
/// `self::` path in the code.
fn paths_of(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    // `use` statements, with their groups.
    for statement in code.split(';') {
        let statement = statement.trim();
        let Some(tree) = statement
            .strip_prefix("pub use ")
            .or_else(|| statement.strip_prefix("pub(crate) use "))
            .or_else(|| statement.strip_prefix("pub(super) use "))
            .or_else(|| statement.strip_prefix("use "))
            .or_else(|| statement.rsplit_once("\nuse ").map(|(_, t)| t))
            .or_else(|| statement.rsplit_once("\npub use ").map(|(_, t)| t))
            .or_else(|| statement.rsplit_once("    use ").map(|(_, t)| t))
        else {
            continue;
        };
        spread(
            &tree.replace(char::is_whitespace, ""),
            &mut Vec::new(),
            &mut paths,
        );
    }
    // Paths in expressions and types.
    let bytes: Vec<char> = code.chars().collect();
    for start in 0..bytes.len() {
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        let rest: String = bytes[start..bytes.len().min(start + 200)].iter().collect();
        if !(rest.starts_with("crate::")
            || rest.starts_with("super::")
            || rest.starts_with("self::"))
        {
            continue;
        }
        let path: String = rest
            .chars()
            .take_while(|c| is_ident(*c) || *c == ':')
            .collect();
        let segments: Vec<String> = path
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        paths.push(segments);
    }
    paths
}

/// Spreads a use tree (`a::{b, c::{d}}`) into its leaf paths.
fn spread(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let (head, group) = match tree.find('{') {
        Some(open) if tree.ends_with('}') => (&tree[..open], Some(&tree[open + 1..tree.len() - 1])),
        _ => (tree, None),
    };
    let added: Vec<String> = head
        .split("::")
        .filter(|s| !s.is_empty())
        .map(|s| s.split(" as ").next().unwrap_or(s).to_string())
        .collect();
    let depth = prefix.len();
    prefix.extend(added);
    match group {
        None => out.push(prefix.clone()),
        Some(group) => {
            // Split on the commas of this level only.
            let mut level = 0;
            let mut part = String::new();
            for c in group.chars().chain(std::iter::once(',')) {
                match c {
                    '{' => level += 1,
                    '}' => level -= 1,
                    _ => {}
                }
                if c == ',' && level == 0 {
                    if !part.is_empty() {
                        spread(&part, prefix, out);
                    }
                    part.clear();
                } else {
                    part.push(c);
                }
            }
        }
    }
    prefix.truncate(depth);
}

/// The module a path names, from the crate's root: the longest known
/// module its segments lead to (`None` for another crate's path).
fn target(from: &Module, path: &[String], modules: &BTreeSet<Module>) -> Option<Module> {
    let mut at: Module;
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            at = Vec::new();
            rest = &path[1..];
        }
        Some("super") | Some("self") => {
            at = from.clone();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "super" => {
                        at.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        Some(first) => {
            // A child of the file's own module, named without a prefix.
            let mut child = from.clone();
            child.push(first.to_string());
            if !modules.contains(&child) {
                return None;
            }
            at = from.clone();
        }
        None => return None,
    }
    for segment in rest {
        let mut next = at.clone();
        next.push(segment.clone());
        if modules.contains(&next) {
            at = next;
        } else {
            break;
        }
    }
    Some(at)
}

/// Which module each file names, module by module (a file's own module,
/// and the modules it merely declares, left out).
fn imports(files: &[File]) -> BTreeMap<Module, BTreeSet<Module>> {
    let modules: BTreeSet<Module> = files.iter().map(|f| f.module.clone()).collect();
    let mut graph = BTreeMap::new();
    for file in files {
        let code = code_of(&file.text);
        // A file's unit tests are a module inside it: their `super` is the
        // file, and what they name the file names.
        let (main, tests) = code
            .split_once("#[cfg(test)]\nmod tests {")
            .unwrap_or((&code, ""));
        let mut inside = file.module.clone();
        inside.push("tests".to_string());
        let named: BTreeSet<Module> = paths_of(main)
            .iter()
            .filter_map(|path| target(&file.module, path, &modules))
            .chain(
                paths_of(tests)
                    .iter()
                    .filter_map(|path| target(&inside, path, &modules)),
            )
            .filter(|module| *module != file.module && !module.is_empty())
            .collect();
        graph.insert(file.module.clone(), named);
    }
    graph
}

fn height(module: &Module) -> Option<(&'static str, u8)> {
    let top = module.first()?;
    LAYERS.iter().find(|(name, _)| name == top).copied()
}

fn shown(module: &Module) -> String {
    if module.is_empty() {
        "crate".to_string()
    } else {
        module.join("::")
    }
}

/// Every import from a layer to one that is not below it.
fn upward(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<String> {
    let mut found = Vec::new();
    for (from, named) in graph {
        let Some((from_layer, from_height)) = height(from) else {
            continue;
        };
        for to in named {
            let Some((to_layer, to_height)) = height(to) else {
                continue;
            };
            let allowed = from_layer == to_layer || to_height < from_height;
            if !allowed {
                found.push(format!(
                    "{} ({from_layer}) imports {} ({to_layer})",
                    shown(from),
                    shown(to)
                ));
            }
        }
    }
    found
}

/// Every loop of modules that import each other, as a path from a module
/// back to itself.
fn loops(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<String> {
    fn visit(
        at: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        stack: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
        found: &mut Vec<String>,
    ) {
        if let Some(i) = stack.iter().position(|m| m == at) {
            let cycle: Vec<String> = stack[i..].iter().chain([at]).map(shown).collect();
            found.push(cycle.join(" -> "));
            return;
        }
        if done.contains(at) {
            return;
        }
        stack.push(at.clone());
        for next in graph.get(at).into_iter().flatten() {
            visit(next, graph, stack, done, found);
        }
        stack.pop();
        done.insert(at.clone());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(module, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

#[test]
fn the_service_layers_only_point_down() {
    let files = read_tree(&crate_src("service"));
    let graph = imports(&files);
    assert!(
        graph.len() > 40,
        "the service's files are read: {}",
        graph.len()
    );
    // Paths of every kind are followed: `use crate::…`, `super::…` and a
    // module's children.
    let module = |path: &str| -> Module { path.split("::").map(str::to_string).collect() };
    for (from, to) in [
        ("http::imports", "operations::imports"),
        ("operations::worker", "operations::rows"),
        ("store::contacts", "store::claims"),
        ("store", "store::keys"),
        ("operations::contacts", "operations::contacts::checker"),
    ] {
        assert!(graph[&module(from)].contains(&module(to)), "{from} -> {to}");
    }
    for module in graph.keys() {
        assert!(
            module.is_empty() || height(module).is_some(),
            "{} stands in no layer",
            shown(module)
        );
    }
    assert_none(&upward(&graph), "imports that point up");
}

/// Fails with every finding, one a line.
fn assert_none(found: &[String], what: &str) {
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
}

#[test]
fn no_module_of_either_crate_imports_another_in_a_loop() {
    for name in ["engine", "service"] {
        let graph = imports(&read_tree(&crate_src(name)));
        assert_none(&loops(&graph), &format!("{name}: modules in a loop"));
    }
}

/// The checks themselves catch what they are for: a store that names an
/// operation, and two modules that name each other.
#[test]
fn an_upward_import_and_a_loop_are_caught() {
    let file = |module: &str, text: &str| File {
        module: module.split("::").map(str::to_string).collect(),
        text: text.to_string(),
    };
    let files = [
        file("store", "pub mod imports;"),
        file(
            "operations",
            "pub mod caller; pub mod imports; pub mod settings;",
        ),
        file("http", "mod routes;"),
        file("lambda", "pub mod messages;"),
        file(
            "store::imports",
            "use crate::operations::imports::Imports;\n",
        ),
        file(
            "operations::imports",
            "use super::{caller::Caller, settings};\n",
        ),
        file("operations::settings", "fn f() { super::imports::go() }\n"),
        file("operations::caller", "// crate::http is only a comment\n"),
        file(
            "http::routes",
            "use crate::lambda::messages; use crate::operations::caller::Caller;",
        ),
        file("lambda::messages", "const A: &str = \"crate::http\";"),
    ];
    let graph = imports(&files);
    assert_eq!(
        upward(&graph),
        [
            "http::routes (http) imports lambda::messages (lambda)",
            "store::imports (store) imports operations::imports (operations)",
        ]
    );
    assert_eq!(
        loops(&graph),
        ["operations::imports -> operations::settings -> operations::imports"]
    );
}
