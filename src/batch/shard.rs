//! `--shard I/N`: one of N deterministic slices of a batch, for a cluster's job array.
//! Run k (0-based, in batch order) belongs to shard `k mod N + 1`, so every run is in
//! exactly one shard and arms spread evenly over the shards.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether the run at `position` (0-based, batch order) is in this shard.
    pub fn holds(&self, position: usize) -> bool {
        position as u64 % u64::from(self.count) + 1 == u64::from(self.index)
    }

    /// The shard holding the run at `position` of a batch cut into `count` shards.
    pub fn of(position: usize, count: u32) -> Shard {
        Shard {
            index: (position as u64 % u64::from(count)) as u32 + 1,
            count,
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s}: expected I/N with 1 ≤ I ≤ N (e.g. 3/8)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "--shard {s}: shard {index} of {count} does not exist; I must be 1 to N (N ≥ 1)"
            ));
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_run_exactly_once() {
        for count in 1..=7u32 {
            let shards: Vec<Shard> = (1..=count).map(|index| Shard { index, count }).collect();
            for position in 0..50 {
                let holders: Vec<&Shard> = shards.iter().filter(|s| s.holds(position)).collect();
                assert_eq!(holders.len(), 1, "run {position} of {count} shards");
                assert_eq!(*holders[0], Shard::of(position, count));
            }
        }
    }

    #[test]
    fn shard_text_is_checked() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(Shard { index: 2, count: 4 }.to_string(), "2/4");
        let e = "5/4".parse::<Shard>().unwrap_err();
        assert!(e.contains("shard 5 of 4 does not exist"), "{e}");
        for bad in ["0/4", "1/0", "4", "a/b", "1/-2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
