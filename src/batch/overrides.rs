//! Setting scene keys in a scene's TOML: `oxygen.sor_omega`, `patient.age_years`,
//! `clones[1].fraction`, `therapy.lines[0].doses[0].mg`. A table the scene leaves out
//! is created; an array entry it does not have is an error (a batch cannot invent a
//! drug or a line of therapy by index).

use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

/// One step of a key path: a table key and, for `name[i]`, an index into its array.
fn steps(key: &str) -> Result<Vec<(&str, Option<usize>)>, String> {
    key.split('.')
        .map(|part| match part.split_once('[') {
            None if !part.is_empty() => Ok((part, None)),
            Some((name, rest)) if !name.is_empty() => rest
                .strip_suffix(']')
                .and_then(|i| i.parse().ok())
                .map(|i| (name, Some(i)))
                .ok_or_else(|| format!("`{part}` is not NAME or NAME[INDEX]")),
            _ => Err(format!("`{key}` has an empty part")),
        })
        .collect()
}

/// The child `name` of `item`, created as an empty table when absent.
fn child<'a>(item: &'a mut Item, name: &str, path: &str) -> Result<&'a mut Item, String> {
    if item.get(name).is_none() {
        match item {
            Item::Table(t) => {
                t.insert(name, Item::Table(Table::new()));
            }
            Item::Value(Value::InlineTable(t)) => {
                t.insert(name, Value::InlineTable(InlineTable::new()));
            }
            _ => return Err(format!("{path} is not a table")),
        }
    }
    item.get_mut(name)
        .ok_or_else(|| format!("{path}.{name} cannot be set"))
}

fn entry<'a>(item: &'a mut Item, i: usize, path: &str) -> Result<&'a mut Item, String> {
    let len = match item {
        Item::ArrayOfTables(a) => a.len(),
        Item::Value(Value::Array(a)) => a.len(),
        _ => return Err(format!("{path} is not a list in the scene")),
    };
    item.get_mut(i).ok_or_else(|| {
        format!("the scene has no {path}[{i}] ({path} has {len} entries, counted from 0)")
    })
}

/// Sets `key` to `value` in `doc`.
pub fn set(doc: &mut DocumentMut, key: &str, value: Value) -> Result<(), String> {
    let steps = steps(key)?;
    let mut item = doc.as_item_mut();
    let mut path = String::new();
    for (k, (name, index)) in steps.iter().enumerate() {
        let last = k + 1 == steps.len();
        if last && index.is_none() {
            match item {
                Item::Table(t) => {
                    t.insert(name, Item::Value(value));
                }
                Item::Value(Value::InlineTable(t)) => {
                    t.insert(*name, value);
                }
                _ => return Err(format!("{path} is not a table")),
            }
            return Ok(());
        }
        item = child(item, name, &path)?;
        path = if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        if let Some(i) = index {
            item = entry(item, *i, &path)?;
            if last {
                *item = match item {
                    Item::Value(_) => Item::Value(value),
                    _ => return Err(format!("{path}[{i}] is a table, not a value")),
                };
                return Ok(());
            }
            path = format!("{path}[{i}]");
        }
    }
    Ok(())
}

/// A TOML value (from the batch file) as an editable value.
pub fn to_edit(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::from(s.as_str()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::from(*b),
        toml::Value::Datetime(d) => Value::from(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(to_edit).collect()),
        toml::Value::Table(t) => {
            let mut inline = InlineTable::new();
            for (k, v) in t {
                inline.insert(k, to_edit(v));
            }
            Value::InlineTable(inline)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, key: &str, v: Value) -> Result<String, String> {
        let mut doc: DocumentMut = text.parse().unwrap();
        set(&mut doc, key, v)?;
        Ok(doc.to_string())
    }

    #[test]
    fn keys_reach_tables_arrays_and_missing_tables() {
        let base = "seed = 1\n[oxygen]\nsor_omega = 1.5\n[[clones]]\nfraction = 0.9\n\
                    [[clones]]\nfraction = 0.1\n";
        let out = apply(base, "oxygen.sor_omega", Value::from(1.7)).unwrap();
        assert!(out.contains("sor_omega = 1.7"), "{out}");
        let out = apply(base, "clones[1].fraction", Value::from(0.2)).unwrap();
        let back: toml::Value = toml::from_str(&out).unwrap();
        assert_eq!(back["clones"][1]["fraction"].as_float(), Some(0.2));
        assert_eq!(back["clones"][0]["fraction"].as_float(), Some(0.9));
        let out = apply(base, "patient.phenotypes.osimertinib", Value::from("poor")).unwrap();
        let back: toml::Value = toml::from_str(&out).unwrap();
        assert_eq!(
            back["patient"]["phenotypes"]["osimertinib"].as_str(),
            Some("poor")
        );
        assert_eq!(
            apply(base, "clones[2].fraction", Value::from(0.2)),
            Err("the scene has no clones[2] (clones has 2 entries, counted from 0)".into())
        );
        assert!(apply(base, "seed.x", Value::from(1))
            .unwrap_err()
            .contains("not a table"));
        assert!(apply(base, "a..b", Value::from(1)).is_err());
        assert!(apply(base, "clones[x].fraction", Value::from(1)).is_err());
    }
}
