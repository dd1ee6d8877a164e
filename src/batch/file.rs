//! The batch file as written (TOML). `docs/batch-reference.md` documents every key.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchFile {
    /// Used in outputs; default: the file's stem.
    #[serde(default)]
    pub name: String,
    /// Seed every run's seed derives from.
    pub seed: u64,
    /// The base scene, relative to the batch file.
    pub scene: String,
    /// Runs per combination of arm, axis point and patient, with their own seeds.
    #[serde(default = "one")]
    pub replicates: u32,
    /// Whether the runs of one patient and replicate share a seed across arms and axis
    /// points (common random numbers: differences are the arm's, not chance's).
    #[serde(default = "yes")]
    pub common_random_numbers: bool,
    #[serde(default)]
    pub arms: Vec<ArmFile>,
    #[serde(default)]
    pub axes: Vec<AxisFile>,
    pub sampling: Option<SamplingFile>,
    pub cohort: Option<CohortFile>,
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmFile {
    pub name: String,
    /// Another arm whose runs this one continues from the scan at which the last line
    /// both share failed, with the later lines this arm sets.
    pub branch_from: Option<String>,
    /// Scene keys (dotted, `name[i]` for array entries) and their values in this arm.
    #[serde(default)]
    pub set: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisFile {
    /// The scene key the axis varies.
    pub key: String,
    /// Listed values …
    pub values: Option<Vec<toml::Value>>,
    /// … or `steps` evenly spaced values from `from` to `to`, both included …
    pub from: Option<f64>,
    pub to: Option<f64>,
    pub steps: Option<u32>,
    /// … or `[sampling]` draws in [low, high], uniformly or uniformly in the logarithm.
    pub low: Option<f64>,
    pub high: Option<f64>,
    #[serde(default)]
    pub log: bool,
    /// Round sampled or stepped values to integers (for integer keys).
    #[serde(default)]
    pub integer: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingFile {
    /// `random` (independent uniform draws) or `latin_hypercube`.
    pub method: String,
    /// Points drawn; each is one combination of every sampled axis.
    pub points: u32,
    /// Seed of the draws; default: derived from the batch seed.
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortFile {
    /// Virtual patients; every arm treats every one of them.
    pub patients: u32,
    /// Seed of the patients' draws; default: derived from the batch seed.
    pub seed: Option<u64>,
    /// Scene key → the distribution its value is drawn from, per patient.
    #[serde(default)]
    pub factors: BTreeMap<String, FactorFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorFile {
    /// `normal`, `lognormal`, `uniform` or `categorical`.
    pub distribution: String,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// Log-normal: the median and the geometric standard deviation (> 1).
    pub median: Option<f64>,
    pub gsd: Option<f64>,
    /// Truncation of normal and log-normal draws; the range of uniform ones.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Categorical: the values and their weights (any positive numbers; normalised).
    pub values: Option<Vec<toml::Value>>,
    pub weights: Option<Vec<f64>>,
    /// A scene key set to 1 − the drawn value (e.g. the sensitive clone's fraction
    /// beside a drawn resistant fraction).
    pub balance: Option<String>,
    #[serde(default)]
    pub integer: bool,
}
