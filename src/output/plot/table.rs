//! `timeseries.csv` read loosely, by column name, so that plots draw whatever columns a
//! run has: today's, and the drug, dose, clone and scan columns later versions add.

use std::path::Path;

/// A CSV file: a header and rows of raw cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn parse(text: &str) -> Table {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines
            .next()
            .map(|h| h.split(',').map(|c| c.trim().to_string()).collect())
            .unwrap_or_default();
        let rows = lines
            .map(|l| l.split(',').map(|c| c.trim().to_string()).collect())
            .collect();
        Table { header, rows }
    }

    pub fn read(path: &Path) -> std::io::Result<Table> {
        Ok(Table::parse(&std::fs::read_to_string(path)?))
    }

    pub fn has(&self, name: &str) -> bool {
        self.header.iter().any(|h| h == name)
    }

    /// Column `name` as text (empty where a row is short).
    pub fn text(&self, name: &str) -> Option<Vec<&str>> {
        let i = self.header.iter().position(|h| h == name)?;
        Some(
            self.rows
                .iter()
                .map(|r| r.get(i).map_or("", String::as_str))
                .collect(),
        )
    }

    /// Column `name` as numbers (NaN where a cell is empty or not a number).
    pub fn numbers(&self, name: &str) -> Option<Vec<f64>> {
        Some(
            self.text(name)?
                .into_iter()
                .map(|c| c.parse().unwrap_or(f64::NAN))
                .collect(),
        )
    }

    /// Names of the columns starting with `prefix`, in file order.
    pub fn with_prefix(&self, prefix: &str) -> Vec<String> {
        self.header
            .iter()
            .filter(|h| h.starts_with(prefix) && h.len() > prefix.len())
            .cloned()
            .collect()
    }

    /// Simulated time in days of every row: `time_days`, else `time_h / 24`.
    pub fn days(&self) -> Option<Vec<f64>> {
        self.numbers("time_days")
            .or_else(|| Some(self.numbers("time_h")?.iter().map(|h| h / 24.0).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_by_name_and_prefix() {
        let t = Table::parse("tick,time_h,plasma_a,scan_response\n0,0,1.5,\n1,12,x,PR\n");
        assert_eq!(t.numbers("time_h"), Some(vec![0.0, 12.0]));
        assert!(t.numbers("plasma_a").unwrap()[1].is_nan());
        assert_eq!(t.text("scan_response"), Some(vec!["", "PR"]));
        assert_eq!(t.with_prefix("plasma_"), vec!["plasma_a"]);
        assert_eq!(t.days(), Some(vec![0.0, 0.5]));
        assert_eq!(t.numbers("nope"), None);
    }
}
