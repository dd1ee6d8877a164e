//! The values a batch gives its runs: grid axes (listed or evenly stepped values),
//! sampled axes (independent uniform or Latin-hypercube points), and each virtual
//! patient's factors. Every draw is `seed::uniform` of the seed and a text naming what
//! is drawn (`KEY/POINT`, `KEY/PATIENT`), so adding an axis, a factor, a point or a
//! patient changes no other value.

use super::distributions::truncated_normal;
use super::seed;

/// A value a run sets, as TOML.
pub type Value = toml::Value;

/// `steps` values from `from` to `to`, both included (one step: `from`).
pub fn stepped(from: f64, to: f64, steps: u32, integer: bool) -> Vec<Value> {
    (0..steps)
        .map(|k| {
            let t = if steps > 1 {
                k as f64 / (steps - 1) as f64
            } else {
                0.0
            };
            number(from + t * (to - from), integer)
        })
        .collect()
}

pub fn number(v: f64, integer: bool) -> Value {
    if integer {
        Value::Integer(v.round() as i64)
    } else {
        Value::Float(v)
    }
}

/// An axis drawn in [low, high] (uniformly, or uniformly in ln when `log`).
#[derive(Debug, Clone)]
pub struct SampledAxis {
    pub key: String,
    pub low: f64,
    pub high: f64,
    pub log: bool,
    pub integer: bool,
}

impl SampledAxis {
    fn at(&self, u: f64) -> Value {
        let v = if self.log {
            (self.low.ln() + u * (self.high.ln() - self.low.ln())).exp()
        } else {
            self.low + u * (self.high - self.low)
        };
        number(v.clamp(self.low, self.high), self.integer)
    }
}

/// How sampled axes are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Random,
    /// Each axis's range cut into `points` equal strata, each stratum drawn once (McKay,
    /// Beckman & Conover 1979, Technometrics 21:239), strata paired at random per axis.
    LatinHypercube,
}

/// Point `i` of `points` for every axis, in axis order.
pub fn sample(axes: &[SampledAxis], method: Method, points: u32, seed: u64) -> Vec<Vec<Value>> {
    let strata: Vec<Vec<u32>> = axes
        .iter()
        .map(|a| {
            // A random permutation of the strata: points ordered by a draw of their own.
            let mut order: Vec<u32> = (0..points).collect();
            order.sort_by(|&x, &y| {
                let key = |p: u32| seed::hash(&format!("{}/stratum/{p}/{seed}", a.key));
                key(x).cmp(&key(y)).then(x.cmp(&y))
            });
            let mut stratum = vec![0; points as usize];
            for (rank, &p) in order.iter().enumerate() {
                stratum[p as usize] = rank as u32;
            }
            stratum
        })
        .collect();
    (0..points)
        .map(|i| {
            axes.iter()
                .zip(&strata)
                .map(|(a, s)| {
                    let u = seed::uniform(seed, &format!("{}/{i}", a.key));
                    let u = match method {
                        Method::Random => u,
                        Method::LatinHypercube => (s[i as usize] as f64 + u) / points as f64,
                    };
                    a.at(u)
                })
                .collect()
        })
        .collect()
}

/// A distribution of a patient factor (validated).
#[derive(Debug, Clone)]
pub enum Distribution {
    Uniform {
        min: f64,
        max: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
    /// ln of the value is normal(ln median, ln gsd), truncated to [min, max].
    LogNormal {
        median: f64,
        gsd: f64,
        min: f64,
        max: f64,
    },
    Categorical {
        values: Vec<Value>,
        cumulative: Vec<f64>,
    },
}

impl Distribution {
    /// The value for the uniform draw `u` in (0, 1).
    pub fn at(&self, u: f64, integer: bool) -> Value {
        match self {
            Distribution::Uniform { min, max } => number(min + u * (max - min), integer),
            Distribution::Normal { mean, sd, min, max } => {
                number(truncated_normal(u, *mean, *sd, *min, *max), integer)
            }
            Distribution::LogNormal {
                median,
                gsd,
                min,
                max,
            } => {
                let ln = truncated_normal(u, median.ln(), gsd.ln(), min.ln(), max.ln());
                number(ln.exp().clamp(*min, *max), integer)
            }
            Distribution::Categorical { values, cumulative } => {
                let k = cumulative
                    .iter()
                    .position(|&c| u < c)
                    .unwrap_or(values.len() - 1);
                values[k].clone()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_hypercube_fills_every_stratum_once() {
        let axes = [
            SampledAxis {
                key: "a".into(),
                low: 0.0,
                high: 1.0,
                log: false,
                integer: false,
            },
            SampledAxis {
                key: "b".into(),
                low: 1.0,
                high: 100.0,
                log: true,
                integer: false,
            },
        ];
        let pts = sample(&axes, Method::LatinHypercube, 10, 4);
        for (j, a) in axes.iter().enumerate() {
            let mut strata: Vec<usize> = pts
                .iter()
                .map(|p| {
                    let v = p[j].as_float().unwrap();
                    let u = if a.log { v.ln() / 100f64.ln() } else { v };
                    (u * 10.0).floor() as usize
                })
                .collect();
            strata.sort();
            assert_eq!(strata, (0..10).collect::<Vec<_>>(), "axis {}", a.key);
        }
        // An axis's values do not depend on the other axes.
        assert_eq!(
            sample(&axes[..1], Method::LatinHypercube, 10, 4)
                .iter()
                .map(|p| p[0].clone())
                .collect::<Vec<_>>(),
            pts.iter().map(|p| p[0].clone()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn categorical_draws_follow_their_weights() {
        let d = Distribution::Categorical {
            values: vec![Value::from("poor"), Value::from("normal")],
            cumulative: vec![0.1, 1.0],
        };
        let poor = (0..10_000)
            .filter(|k| d.at(seed::uniform(9, &k.to_string()), false).as_str() == Some("poor"))
            .count();
        assert!((900..1100).contains(&poor), "{poor}");
        assert_eq!(
            stepped(0.0, 1.0, 3, false),
            [0.0, 0.5, 1.0].map(Value::Float)
        );
    }
}
