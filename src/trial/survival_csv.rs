//! Reader of a plain survival CSV, so a published clinical arm can be set beside a
//! virtual one:
//!
//! ```text
//! arm,time,event
//! 6-MP,6,1
//! 6-MP,6,0
//! placebo,1,1
//! ```
//!
//! - the header is required: it must name the columns `arm`, `time` and `event` (any
//!   order, any case); other columns are allowed and ignored;
//! - `time` is a finite number >= 0 (any unit, the same for all rows), `event` is `1` for
//!   the event (progression, death) and `0` for censoring;
//! - fields may be quoted with `"` (a doubled `""` inside is a quote); blank lines are
//!   skipped;
//! - every bad row is an error `FILE:LINE: what is wrong` (lines count from 1, the header
//!   is line 1 when the file starts with it); a file with no data rows is an error too.
//!
//! Records come back grouped by arm, arms in the order they first appear.

use super::{Arm, SurvivalRecord, TrialError};
use std::path::Path;

/// Splits one CSV line into fields (RFC 4180 quoting, no line breaks inside a field).
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' {
            if !field.trim().is_empty() || was_quoted {
                return Err("a quote in the middle of a field".into());
            }
            field.clear();
            quoted = true;
            was_quoted = true;
        } else if c == ',' {
            fields.push(std::mem::take(&mut field));
            was_quoted = false;
        } else if was_quoted && !c.is_whitespace() {
            return Err("text after a closing quote".into());
        } else {
            field.push(c);
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    fields.push(field);
    Ok(fields)
}

struct Columns {
    arm: usize,
    time: usize,
    event: usize,
    count: usize,
}

fn header_columns(fields: &[String]) -> Result<Columns, String> {
    let find = |name: &str| -> Result<usize, String> {
        let hits: Vec<usize> = fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.trim().eq_ignore_ascii_case(name))
            .map(|(i, _)| i)
            .collect();
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!(
                "the header must name the columns arm,time,event; column {name:?} is missing (found {:?})",
                fields.join(",")
            )),
            _ => Err(format!("the header names column {name:?} more than once")),
        }
    };
    Ok(Columns {
        arm: find("arm")?,
        time: find("time")?,
        event: find("event")?,
        count: fields.len(),
    })
}

fn parse_row(fields: &[String], columns: &Columns) -> Result<(String, SurvivalRecord), String> {
    if fields.len() != columns.count {
        return Err(format!(
            "expected {} fields as in the header, found {}",
            columns.count,
            fields.len()
        ));
    }
    let arm = fields[columns.arm].trim();
    if arm.is_empty() {
        return Err("the arm is empty".into());
    }
    let time_text = fields[columns.time].trim();
    let time: f64 = time_text
        .parse()
        .map_err(|_| format!("time {time_text:?} is not a number"))?;
    if !time.is_finite() {
        return Err(format!("time {time_text:?} is not a finite number"));
    }
    if time < 0.0 {
        return Err(format!("time {time_text} is negative"));
    }
    let event = match fields[columns.event].trim() {
        "1" => true,
        "0" => false,
        other => return Err(format!("event {other:?} is not 0 (censored) or 1 (event)")),
    };
    Ok((arm.to_string(), SurvivalRecord { time, event }))
}

/// Parses the text of an `arm,time,event` file; `source` names it in errors.
pub fn parse_survival_csv(text: &str, source: &str) -> Result<Vec<Arm>, TrialError> {
    let error = |line: usize, message: String| TrialError::Csv {
        path: source.to_string(),
        line,
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(error(
            1,
            "empty file: expected the header arm,time,event".into(),
        ));
    };
    let columns = split_fields(header)
        .and_then(|fields| header_columns(&fields))
        .map_err(|m| error(header_line, m))?;
    let mut arms: Vec<Arm> = Vec::new();
    for (line, text) in lines {
        let (arm, record) = split_fields(text)
            .and_then(|fields| parse_row(&fields, &columns))
            .map_err(|m| error(line, m))?;
        match arms.iter_mut().find(|a| a.name == arm) {
            Some(existing) => existing.records.push(record),
            None => arms.push(Arm::new(arm, vec![record])),
        }
    }
    if arms.is_empty() {
        return Err(error(header_line, "no data rows after the header".into()));
    }
    Ok(arms)
}

/// Reads an `arm,time,event` file.
pub fn read_survival_csv(path: &Path) -> Result<Vec<Arm>, TrialError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TrialError::Io {
        path: shown.clone(),
        source,
    })?;
    parse_survival_csv(&text, &shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        parse_survival_csv(text, "f.csv").unwrap_err().to_string()
    }

    #[test]
    fn trial_csv_groups_by_arm_in_order() {
        let text =
            "\u{feff}Event,arm,time,site\r\n1,b,2.5,x\n\n0,a,3,y\n1,\"b, late\",4,z\n1,b,0,w\n";
        let arms = parse_survival_csv(text, "f.csv").unwrap();
        let names: Vec<&str> = arms.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["b", "a", "b, late"]);
        assert_eq!(
            arms[0].records,
            vec![SurvivalRecord::event(2.5), SurvivalRecord::event(0.0)]
        );
        assert_eq!(arms[1].records, vec![SurvivalRecord::censored(3.0)]);
    }

    #[test]
    fn trial_csv_bad_rows_name_their_line() {
        let head = "arm,time,event\n";
        assert_eq!(
            message(&format!("{head}a,1,1\na,soon,1\n")),
            "f.csv:3: time \"soon\" is not a number"
        );
        assert_eq!(
            message(&format!("{head}a,-2,1\n")),
            "f.csv:2: time -2 is negative"
        );
        assert_eq!(
            message(&format!("{head}a,1,2\n")),
            "f.csv:2: event \"2\" is not 0 (censored) or 1 (event)"
        );
        assert_eq!(
            message(&format!("{head}\na,1,yes\n")),
            "f.csv:3: event \"yes\" is not 0 (censored) or 1 (event)"
        );
        assert_eq!(
            message(&format!("{head}a,NaN,1\n")),
            "f.csv:2: time \"NaN\" is not a finite number"
        );
        assert_eq!(
            message(&format!("{head}a,1\n")),
            "f.csv:2: expected 3 fields as in the header, found 2"
        );
        assert_eq!(
            message(&format!("{head} ,1,1\n")),
            "f.csv:2: the arm is empty"
        );
        assert_eq!(
            message(&format!("{head}\"a,1,1\n")),
            "f.csv:2: a quoted field is not closed"
        );
    }

    #[test]
    fn trial_csv_header_and_empty_files() {
        assert!(message("a,1,1\n").starts_with("f.csv:1: the header must name the columns"));
        assert!(message("arm,time,time,event\n").contains("more than once"));
        assert_eq!(
            message(""),
            "f.csv:1: empty file: expected the header arm,time,event"
        );
        assert_eq!(
            message("arm,time,event\n\n"),
            "f.csv:1: no data rows after the header"
        );
        let missing = read_survival_csv(Path::new("/nonexistent/trial.csv")).unwrap_err();
        assert!(missing.to_string().starts_with("/nonexistent/trial.csv: "));
    }
}
