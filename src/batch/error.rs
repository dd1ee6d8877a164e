//! Errors in batch files, in the scene files' style: `file:line:col: key message`.

use crate::scene::error::{line_col, locate};
use crate::scene::SceneError;
use std::path::Path;

/// An error at dotted key `key` of the batch file (`axes[1].values`, `cohort.patients`).
pub fn at_key(file: &Path, text: &str, key: &str, message: impl Into<String>) -> SceneError {
    at_offset(file, text, locate(text, key), key, message)
}

/// An error at key `name` of table `table` (whose keys may hold dots, such as an arm's
/// `set` or the cohort's `factors`).
pub fn at_entry(
    file: &Path,
    text: &str,
    table: &str,
    name: &str,
    message: impl Into<String>,
) -> SceneError {
    let offset = entry_offset(text, table, name).or_else(|| locate(text, table));
    at_offset(file, text, offset, &format!("{table}.\"{name}\""), message)
}

fn entry_offset(text: &str, table: &str, name: &str) -> Option<usize> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut item = doc.as_item();
    for part in table.split('.') {
        item = match part.split_once('[') {
            Some((n, rest)) => item
                .get(n)?
                .get(rest.strip_suffix(']')?.parse::<usize>().ok()?)?,
            None => item.get(part)?,
        };
    }
    let (key, _) = item.as_table_like()?.get_key_value(name)?;
    key.span().map(|s| s.start)
}

fn at_offset(
    file: &Path,
    text: &str,
    offset: Option<usize>,
    key: &str,
    message: impl Into<String>,
) -> SceneError {
    let (line, column) = offset.map(|o| line_col(text, o)).unzip();
    SceneError {
        file: file.to_path_buf(),
        line,
        column,
        key: key.to_string(),
        message: message.into(),
    }
}
