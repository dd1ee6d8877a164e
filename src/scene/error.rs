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
    let doc = toml_edit::Document::parse(text).ok()?;
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
    fn locate_finds_nested_values() {
        let text = "seed = 1\n\n[oxygen]\n  diffusion_um2_per_min = -3\n";
        let at = locate(text, "oxygen.diffusion_um2_per_min").unwrap();
        assert_eq!(line_col(text, at), (4, 27));
        // A missing key falls back to its table.
        let at = locate(text, "oxygen.missing").unwrap();
        assert_eq!(line_col(text, at).0, 3);
    }
}
