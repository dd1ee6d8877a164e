//! The whole state of a run on the host: what backends upload and download, and what
//! snapshots, exports and renders read.

use super::EngineError;
use crate::model::fields;
use crate::model::lineage::Lineage;
use crate::model::site::Site;

/// Whole state on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostState {
    pub sites: Vec<Site>,
    /// Every field in field order (`model::fields`: oxygen in mmHg, each drug in µM,
    /// each factor in its unit), `sites.len()` values each, field after field: the
    /// layout the kernels read.
    pub fields: Vec<f32>,
    /// How many of the fields are drugs (they follow oxygen).
    pub n_drugs: usize,
    /// Each live cell's cumulative intracellular exposure (AUC) per drug, in
    /// 1/1024 µM·h (`model::drug_params::AUC_SCALE_PER_UM_H`), `sites.len()` per drug.
    pub exposure: Vec<u32>,
    /// Every clone founded so far. `new` leaves it empty; `Simulation::new` fills in
    /// the scene's initial clones.
    pub lineage: Lineage,
}

impl HostState {
    /// A state with `n_drugs` drug fields and exposure counters, all zero, and no factors.
    pub fn new(sites: Vec<Site>, oxygen: Vec<f32>, n_drugs: usize) -> HostState {
        HostState::with_factors(sites, oxygen, n_drugs, 0)
    }

    /// A state with `n_drugs` drugs and `n_factors` factors, all zero.
    pub fn with_factors(
        sites: Vec<Site>,
        mut oxygen: Vec<f32>,
        n_drugs: usize,
        n_factors: usize,
    ) -> HostState {
        let n = sites.len();
        oxygen.resize(n * (1 + n_drugs + n_factors), 0.0);
        HostState {
            sites,
            fields: oxygen,
            n_drugs,
            exposure: vec![0; n * n_drugs],
            lineage: Lineage::default(),
        }
    }

    pub fn n_sites(&self) -> usize {
        self.sites.len()
    }

    pub fn n_drugs(&self) -> usize {
        self.n_drugs
    }

    pub fn n_fields(&self) -> usize {
        self.fields.len().checked_div(self.n_sites()).unwrap_or(1)
    }

    pub fn n_factors(&self) -> usize {
        self.n_fields().saturating_sub(1 + self.n_drugs)
    }

    /// Field `f`'s values, one per site.
    pub fn field(&self, f: usize) -> &[f32] {
        let n = self.n_sites();
        &self.fields[f * n..(f + 1) * n]
    }

    pub fn field_mut(&mut self, f: usize) -> &mut [f32] {
        let n = self.n_sites();
        &mut self.fields[f * n..(f + 1) * n]
    }

    /// pO2 in mmHg, one per site.
    pub fn oxygen(&self) -> &[f32] {
        self.field(fields::OXYGEN)
    }

    pub fn oxygen_mut(&mut self) -> &mut [f32] {
        self.field_mut(fields::OXYGEN)
    }

    /// Drug `d`'s level in µM, one per site.
    pub fn drug(&self, d: usize) -> &[f32] {
        self.field(fields::drug_field(d))
    }

    /// Every drug's level, drug after drug.
    pub fn drugs(&self) -> &[f32] {
        let n = self.n_sites();
        &self.fields[n..n * (1 + self.n_drugs)]
    }

    /// Factor `k`'s level, one per site.
    pub fn factor(&self, k: usize) -> &[f32] {
        self.field(fields::factor_field(self.n_drugs, k))
    }

    /// The first value of a field that is NaN or infinite: (field, site).
    pub fn non_finite(&self) -> Option<(usize, usize)> {
        let n = self.n_sites().max(1);
        self.fields
            .iter()
            .position(|v| !v.is_finite())
            .map(|i| (i / n, i % n))
    }

    /// Checks that the arrays agree with each other (one value per site and field,
    /// one exposure counter per site and drug).
    pub fn check(&self) -> Result<(), EngineError> {
        let n = self.n_sites();
        let ok = n > 0
            && self.fields.len() % n == 0
            && self.n_fields() > self.n_drugs
            && self.exposure.len() == n * self.n_drugs;
        if ok {
            Ok(())
        } else {
            Err(EngineError::Gpu(format!(
                "inconsistent state: {n} sites, {} field values for {} drugs, {} exposure counters",
                self.fields.len(),
                self.n_drugs,
                self.exposure.len()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_laid_out_oxygen_drugs_factors() {
        let mut s = HostState::with_factors(vec![Site::EMPTY; 3], vec![1.0, 2.0, 3.0], 2, 1);
        assert_eq!((s.n_fields(), s.n_drugs(), s.n_factors()), (4, 2, 1));
        s.field_mut(3)[1] = 9.0;
        s.fields[3] = 4.0;
        assert_eq!(s.oxygen(), [1.0, 2.0, 3.0]);
        assert_eq!(s.drug(0), [4.0, 0.0, 0.0]);
        assert_eq!(s.drugs().len(), 6);
        assert_eq!(s.factor(0), [0.0, 9.0, 0.0]);
        assert!(s.check().is_ok());
        s.exposure.pop();
        assert!(s.check().is_err());
    }
}
