//! Errors that point at the place in a scene file that caused them.

use std::path::{Path, PathBuf};

/// A scene the program refuses, with where and why: `file:line:col: key message`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.render())]
pub struct SceneError {
    pub file: PathBuf,
    /// 1-based line and column of the offending key or value, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted key path such as `oxygen.diffusion_um2_per_min`; empty for whole-file errors.
    pub key: String,
    pub message: String,
}

impl SceneError {
    fn render(&self) -> String {
        let mut out = self.file.display().to_string();
        if let Some(line) = self.line {
            out.push_str(&format!(":{line}"));
            if let Some(col) = self.column {
                out.push_str(&format!(":{col}"));
            }
        }
        out.push_str(": ");
        if !self.key.is_empty() {
            out.push_str(&self.key);
            out.push(' ');
        }
        out.push_str(&self.message);
        out
    }

    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        SceneError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            key: String::new(),
            message: message.into(),
        }
    }
}

/// A TOML error of a file (syntax, unknown key, wrong type) at its line and column,
/// with the dotted key it concerns and the message in the user's terms.
pub fn from_toml(path: &Path, text: &str, e: &toml::de::Error) -> SceneError {
    let span = e.span();
    let (line, column) = span.clone().map(|s| line_col(text, s.start)).unzip();
    // An empty span, or one over the whole document, means the root table.
    let context = span
        .filter(|s| !(s.is_empty() || s.start == 0 && s.end >= text.trim_end().len()))
        .and_then(|s| key_path_at(text, s.start));
    let (key, message) = explain(context.as_deref(), e.message().trim());
    SceneError {
        file: path.to_path_buf(),
        line,
        column,
        key,
        message,
    }
}

/// Converts a byte offset in `text` to a 1-based (line, column) pair.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Finds the span of a dotted key path in a TOML document: the value's span if the key
/// is present, else the span of the nearest enclosing table that is.
pub fn locate(text: &str, key_path: &str) -> Option<usize> {
    let doc = document(text)?;
    let mut item = doc.as_item();
    let mut best: Option<usize> = None;
    for part in key_path.split('.') {
        let (name, index) = split_index(part);
        match item.get(name) {
            Some(next) => {
                item = next;
                if let Some(span) = item.span() {
                    best = Some(span.start);
                }
                if let Some(i) = index {
                    match item.get(i) {
                        Some(elem) => {
                            item = elem;
                            if let Some(span) = item.span() {
                                best = Some(span.start);
                            }
                        }
                        None => break,
                    }
                }
            }
            None => break,
        }
    }
    best
}

/// Where to point for an error about `key`: the key (or its nearest table), else the
/// first other key the message names that the file has (`... lengthen time.tick_h`
/// blames a default, `resistance.slow_cycle_factor`, on the file's `tick_h`).
pub fn locate_issue(text: &str, key: &str, message: &str) -> Option<usize> {
    locate(text, key).or_else(|| {
        message
            .split(|c: char| !(c.is_ascii_alphanumeric() || "_.[]".contains(c)))
            .map(|word| word.trim_end_matches('.'))
            .filter(|word| word.contains('.') && word.starts_with(|c: char| c.is_ascii_lowercase()))
            .find_map(|word| locate(text, word))
    })
}

/// The dotted path of the key whose name or value covers byte `offset`, the deepest
/// one found; `None` when the offset lies outside every key (e.g. the document root).
pub fn key_path_at(text: &str, offset: usize) -> Option<String> {
    let doc = document(text)?;
    let mut path = Vec::new();
    let found = walk_table(doc.as_table(), offset, &mut path);
    found.then(|| path.join("."))
}

/// The document with its spans. TOML integers may exceed i64 (`seed` is a u64 and the
/// scene reader takes 18446744073709551615), but `toml_edit` refuses them; each such
/// literal is masked by a float of the same length, so every span stays where it was.
fn document(text: &str) -> Option<toml_edit::Document<String>> {
    let mut text = text.to_string();
    // Each round masks one literal; a scene has few numbers this large.
    for _ in 0..256 {
        match toml_edit::Document::parse(text.clone()) {
            Ok(doc) => return Some(doc),
            Err(e) if e.message().contains("overflow") => {
                let span = e.span()?;
                let literal = text.get(span.clone())?;
                if span.len() < 3 || !literal.is_ascii() {
                    return None;
                }
                let mask = format!("1.{}", "0".repeat(span.len() - 2));
                text.replace_range(span, &mask);
            }
            Err(_) => return None,
        }
    }
    None
}

fn covers(span: Option<std::ops::Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|r| r.start <= offset && offset < r.end.max(r.start + 1))
}

fn walk_table(table: &toml_edit::Table, offset: usize, path: &mut Vec<String>) -> bool {
    for (name, item) in table.iter() {
        path.push(name.to_string());
        let key_hit = covers(table.key(name).and_then(|k| k.span()), offset);
        let deeper = match item {
            toml_edit::Item::Table(t) => walk_table(t, offset, path) || covers(t.span(), offset),
            toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => {
                walk_inline(t, offset, path)
            }
            // `[[drugs]]`: the element under the offset, as `drugs[k]`.
            toml_edit::Item::ArrayOfTables(tables) => tables.iter().enumerate().any(|(k, t)| {
                let at = path.len() - 1;
                path[at] = format!("{name}[{k}]");
                walk_table(t, offset, path) || covers(t.span(), offset)
            }),
            toml_edit::Item::Value(toml_edit::Value::Array(values)) => {
                walk_array(name, values, offset, path)
            }
            _ => false,
        };
        if deeper || key_hit || (!item.is_table() && covers(item.span(), offset)) {
            return true;
        }
        path.pop();
    }
    false
}

/// An array of inline tables (`sources = [{…}, {…}]`): the element under the offset,
/// as `name[k]`.
fn walk_array(name: &str, values: &toml_edit::Array, offset: usize, path: &mut [String]) -> bool {
    let at = path.len() - 1;
    values.iter().enumerate().any(|(k, v)| match v {
        toml_edit::Value::InlineTable(t) if covers(v.span(), offset) => {
            path[at] = format!("{name}[{k}]");
            let mut inner = path.to_vec();
            let found = walk_inline(t, offset, &mut inner);
            if found {
                // The inline table's keys go below `name[k]`; keep the deepest path.
                path[at] = inner[at..].join(".");
            }
            true
        }
        _ => false,
    })
}

fn walk_inline(table: &toml_edit::InlineTable, offset: usize, path: &mut Vec<String>) -> bool {
    for (name, value) in table.iter() {
        path.push(name.to_string());
        let key_hit = covers(table.key(name).and_then(|k| k.span()), offset);
        let deeper = match value {
            toml_edit::Value::InlineTable(t) => walk_inline(t, offset, path),
            _ => false,
        };
        if deeper || key_hit || covers(value.span(), offset) {
            return true;
        }
        path.pop();
    }
    false
}

/// Rewrites a serde/TOML message so it reads after a key: returns (key, message).
/// `context` is the dotted path of the key or table the error points at.
pub fn explain(context: Option<&str>, message: &str) -> (String, String) {
    let join = |parent: Option<&str>, name: &str| match parent {
        Some(p) if !p.is_empty() && !p.ends_with(name) => format!("{p}.{name}"),
        Some(p) if !p.is_empty() => p.to_string(),
        _ => name.to_string(),
    };
    let backticked = |m: &str| m.split('`').nth(1).map(str::to_string);
    let allowed = |m: &str| {
        m.split_once("expected ")
            .map(|(_, rest)| rest.replace('`', "").replace("one of ", ""))
    };
    if message.starts_with("unknown field") {
        if let Some(name) = backticked(message) {
            let parent = context.map(|c| c.strip_suffix(&name).unwrap_or(c).trim_end_matches('.'));
            let key = join(parent, &name);
            let allowed = allowed(message).unwrap_or_default();
            return (key, format!("is not a known key; allowed: {allowed}"));
        }
    }
    if message.starts_with("missing field") {
        if let Some(name) = backticked(message) {
            let key = join(context, &name);
            return (key, "is required".to_string());
        }
    }
    if message.starts_with("unknown variant") {
        if let (Some(got), Some(allowed)) = (backticked(message), allowed(message)) {
            return (
                context.unwrap_or_default().to_string(),
                format!("must be one of {allowed} (got \"{got}\")"),
            );
        }
    }
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((got, want)) = rest.split_once(", expected ") {
                let want = match want {
                    "u32" | "u64" | "u16" | "u8" => "a non-negative integer",
                    "i32" | "i64" => "an integer",
                    "f64" | "f32" => "a number",
                    other => other,
                };
                let got = if prefix == "invalid length " {
                    format!("{got} elements")
                } else {
                    got.replace('`', "")
                };
                return (
                    context.unwrap_or_default().to_string(),
                    format!("must be {want} (got {got})"),
                );
            }
        }
    }
    (context.unwrap_or_default().to_string(), message.to_string())
}

/// `drugs[2]` → (`drugs`, Some(2)).
fn split_index(part: &str) -> (&str, Option<usize>) {
    if let Some(open) = part.find('[') {
        if let Some(idx) = part[open + 1..]
            .strip_suffix(']')
            .and_then(|s| s.parse().ok())
        {
            return (&part[..open], Some(idx));
        }
    }
    (part, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let text = "a = 1\n[b]\nc = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, text.find("c =").unwrap()), (3, 1));
        assert_eq!(line_col(text, text.find('2').unwrap()), (3, 5));
    }

    #[test]
    fn key_path_at_names_the_key_under_an_offset() {
        let text = "seed = 1\n[lattice]\nnx = \"forty\"\n[oxygen]\ndifusion = 3\n";
        let at = |needle: &str| key_path_at(text, text.find(needle).unwrap());
        assert_eq!(at("\"forty\"").as_deref(), Some("lattice.nx"));
        assert_eq!(at("difusion").as_deref(), Some("oxygen.difusion"));
        assert_eq!(at("seed").as_deref(), Some("seed"));
        let text = "seed = 1\n[[drugs]]\nname = \"a\"\n[[drugs]]\nclass = \"bogus\"\n\
                    [[factors]]\nsources = [{kind = \"x\"}, {kind = \"t_cell\"}]\n";
        let at = |needle: &str| key_path_at(text, text.find(needle).unwrap());
        assert_eq!(at("\"bogus\"").as_deref(), Some("drugs[1].class"));
        assert_eq!(
            at("\"t_cell\"").as_deref(),
            Some("factors[0].sources[1].kind")
        );
    }

    #[test]
    fn explain_rewrites_serde_messages() {
        let (k, m) = explain(
            Some("oxygen.difusion"),
            "unknown field `difusion`, expected one of `a`, `b`",
        );
        assert_eq!(
            (k.as_str(), m.as_str()),
            ("oxygen.difusion", "is not a known key; allowed: a, b")
        );
        let (k, m) = explain(None, "missing field `seed`");
        assert_eq!((k.as_str(), m.as_str()), ("seed", "is required"));
        let (k, m) = explain(
            Some("lattice.nx"),
            "invalid type: string \"forty\", expected u32",
        );
        assert_eq!(m, "must be a non-negative integer (got string \"forty\")");
        assert_eq!(k, "lattice.nx");
        let (_, m) = explain(
            Some("lattice.neighbourhood"),
            "unknown variant `hex`, expected `von_neumann` or `moore`",
        );
        assert_eq!(m, "must be one of von_neumann or moore (got \"hex\")");
    }

    #[test]
    fn integers_beyond_i64_keep_every_location() {
        let text = "seed = 18446744073709551615\n[lattice]\nnx = -99999999999999999999\nny = 4\n";
        let at = locate(text, "lattice.ny").unwrap();
        assert_eq!(line_col(text, at), (4, 6));
        let at = text.find("-9999").unwrap();
        assert_eq!(key_path_at(text, at).as_deref(), Some("lattice.nx"));
        assert_eq!(key_path_at(text, 8).as_deref(), Some("seed"));
    }

    #[test]
    fn an_issue_about_a_default_points_at_the_key_its_message_names() {
        let text = "seed = 1\n[time]\ntick_h = 0.001\n";
        let at = locate_issue(
            text,
            "resistance.slow_cycle_factor",
            "is long; lengthen time.tick_h",
        );
        assert_eq!(line_col(text, at.unwrap()), (3, 10));
        assert_eq!(locate_issue(text, "cells.x", "no other key named"), None);
    }

    #[test]
    fn locate_finds_nested_values() {
        let text = "seed = 1\n\n[oxygen]\n  diffusion_um2_per_min = -3\n";
        let at = locate(text, "oxygen.diffusion_um2_per_min").unwrap();
        assert_eq!(line_col(text, at), (4, 27));
        // A missing key falls back to its table.
        let at = locate(text, "oxygen.missing").unwrap();
        assert_eq!(line_col(text, at).0, 3);
    }
}
