//! Fields at rest: a field whose next sweep would change no value is not swept. Two
//! cases are known for certain without sweeping, so skipping changes no bit of any
//! output (the GPU backend sweeps them and gets the same values):
//! - **zero and source-free**: every value is +0 and nothing adds any (no perfused
//!   vessel source, no boundary held above 0, no zero-order term) — a sweep of a zero
//!   field through sinks alone gives +0 everywhere, whatever the cells;
//! - **still and site-independent**: the last sweep changed no value (largest change
//!   exactly 0), the field's parameters are the same bits, and no site's state enters
//!   its equation (no source or sink term, and no vessel exchange — or no vessel site
//!   then and now), so the equation is the same as in that sweep.

use super::shared::{all_zero, any_vessel};
use crate::model::params::{FieldParams, TERM_ZERO_ORDER};
use crate::model::site::Site;

/// What is remembered of a field between ticks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rest {
    /// The parameters of the last sweep, when it changed nothing and its equation
    /// did not depend on the sites.
    still_under: Option<FieldParams>,
    /// Every value was found +0 and the field has not been swept since (nothing else
    /// writes it between uploads).
    zero: bool,
}

impl Rest {
    /// Whether this tick's sweeps of the field would change nothing.
    /// `vessels` answers whether any site is a vessel (asked only when that matters).
    pub fn holds(
        &mut self,
        field: &FieldParams,
        vessels: &mut impl FnMut() -> bool,
        conc: &[f32],
    ) -> bool {
        if let Some(then) = &self.still_under {
            if bytemuck::bytes_of(then) == bytemuck::bytes_of(field)
                && site_independent(field, vessels)
            {
                return true;
            }
        }
        if !source_free(field) {
            return false;
        }
        self.zero = self.zero || all_zero(conc);
        self.zero
    }

    /// Records the tick's last sweep: its largest change, as bits.
    pub fn after_sweep(
        &mut self,
        field: &FieldParams,
        last_change_bits: u32,
        vessels: &mut impl FnMut() -> bool,
    ) {
        self.zero = false;
        self.still_under =
            (last_change_bits == 0 && site_independent(field, vessels)).then_some(*field);
    }
}

/// Whether any site is a vessel: looked up once, then remembered until `forget`
/// (the backend forgets when a tick may have made or moved a vessel).
#[derive(Debug, Clone, Copy, Default)]
pub struct Vessels {
    known: Option<bool>,
}

impl Vessels {
    pub fn any(&mut self, sites: &[Site]) -> bool {
        *self.known.get_or_insert_with(|| any_vessel(sites))
    }

    pub fn forget(&mut self) {
        self.known = None;
    }
}

fn site_independent(field: &FieldParams, vessels: &mut impl FnMut() -> bool) -> bool {
    field.n_terms == 0 && (field.vessel_exchange == 0.0 || !vessels())
}

fn source_free(field: &FieldParams) -> bool {
    let vessels = field.vessel_exchange != 0.0 && field.vessel_level != 0.0;
    let boundary = field.fixed_boundary == 1 && field.boundary_level.to_bits() != 0;
    let zero_order = field
        .active_terms()
        .iter()
        .any(|t| t.order == TERM_ZERO_ORDER);
    !vessels && !boundary && !zero_order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cpu::field_sweep_fused;
    use crate::model::params::SimParams;
    use crate::model::site::Kind;
    use crate::scene::Scene;
    use std::path::Path;

    fn scene(extra: &str) -> Scene {
        let text = format!("seed = 1\n[lattice]\nnx = 24\nny = 18\n{extra}");
        Scene::parse(&text, Path::new("t.toml")).unwrap()
    }

    /// Tumour cells, empty and necrotic sites, no vessels.
    fn avascular(n: usize) -> Vec<Site> {
        (0..n)
            .map(|i| match crate::model::rng::mix(i as u32 + 3) % 3 {
                0 => Site::EMPTY,
                1 => Site::tumour(0, 0, 20),
                _ => Site {
                    w0: Kind::Necrotic as u32,
                    ..Site::EMPTY
                },
            })
            .collect()
    }

    /// One tick's sweeps of one field as the backend runs them, and its last change.
    fn sweep(scene: &Scene, field: &FieldParams, sites: &[Site], conc: &mut [f32]) -> u32 {
        let sim = SimParams::from_scene(scene);
        let mut residual = vec![0u32; 1];
        field_sweep_fused(&sim, field, 0, sites, conc, &mut residual, 0);
        residual[0]
    }

    #[test]
    fn a_zero_field_with_sinks_only_rests_and_a_sweep_leaves_it_zero() {
        let s = scene(
            "[[drugs]]\nname = \"d\"\nclass = \"nonspecific\"\nemax_per_h = 0.1\nic50_um = 1.0\n",
        );
        let field = FieldParams::drug(&s, 0, 0.0);
        assert!(field.n_terms > 0, "the drug field has its uptake sink");
        let sites = avascular(s.site_count() as usize);
        let mut conc = vec![0.0f32; sites.len()];
        assert!(Rest::default().holds(&field, &mut || any_vessel(&sites), &conc));
        assert_eq!(sweep(&s, &field, &sites, &mut conc), 0);
        assert!(conc.iter().all(|c| c.to_bits() == 0));
        // Not at rest: a value anywhere, or the drug in the blood of a vessel.
        conc[7] = 1e-30;
        assert!(!Rest::default().holds(&field, &mut || any_vessel(&sites), &conc));
        let mut with_vessel = sites.clone();
        with_vessel[3] = Site::vessel(1.0);
        let dosed = FieldParams::drug(&s, 0, 2.0);
        assert!(!Rest::default().holds(
            &dosed,
            &mut || any_vessel(&with_vessel),
            &vec![0.0; sites.len()]
        ));
    }

    #[test]
    fn a_still_site_independent_field_rests_until_its_equation_changes() {
        let s = scene("[vessels]\nlayout = \"none\"\n[oxygen]\nboundary_mmhg = 40.0\nuptake_mmhg_per_min = 0.0\ndecay_per_min = 0.0\n");
        let field = FieldParams::oxygen(&s);
        assert_eq!(field.n_terms, 0);
        let sites = avascular(s.site_count() as usize);
        let mut conc = vec![40.0f32; sites.len()];
        let mut rest = Rest::default();
        assert!(
            !rest.holds(&field, &mut || any_vessel(&sites), &conc),
            "nothing known yet"
        );
        let change = sweep(&s, &field, &sites, &mut conc);
        assert_eq!(change, 0, "a uniform field at its boundary level is still");
        rest.after_sweep(&field, change, &mut || any_vessel(&sites));
        assert!(rest.holds(&field, &mut || any_vessel(&sites), &conc));
        // The cells may change: they do not enter the equation.
        let moved: Vec<Site> = sites.iter().rev().copied().collect();
        assert!(rest.holds(&field, &mut || any_vessel(&moved), &conc));
        let mut again = conc.clone();
        assert_eq!(sweep(&s, &field, &moved, &mut again), 0);
        assert_eq!(again, conc);
        // Other parameters, or a vessel site, end the rest.
        let other = FieldParams {
            boundary_level: 41.0,
            ..field
        };
        assert!(!rest.holds(&other, &mut || any_vessel(&sites), &conc));
        let mut vascular = sites.clone();
        vascular[5] = Site::vessel(1.0);
        assert!(!rest.holds(&field, &mut || any_vessel(&vascular), &conc));
        // A sweep that changed something remembers nothing.
        rest.after_sweep(&field, 1f32.to_bits(), &mut || any_vessel(&sites));
        assert!(!rest.holds(&field, &mut || any_vessel(&sites), &conc));
    }

    #[test]
    fn a_zero_field_is_looked_at_again_after_a_sweep_and_vessels_until_forgotten() {
        let s = scene(
            "[[drugs]]\nname = \"d\"\nclass = \"nonspecific\"\nemax_per_h = 0.1\nic50_um = 1.0\n",
        );
        let field = FieldParams::drug(&s, 0, 0.0);
        let mut sites = avascular(s.site_count() as usize);
        let mut conc = vec![0.0f32; sites.len()];
        let mut rest = Rest::default();
        assert!(rest.holds(&field, &mut || false, &conc));
        rest.after_sweep(&field, 1f32.to_bits(), &mut || false);
        conc[9] = 0.5;
        assert!(
            !rest.holds(&field, &mut || false, &conc),
            "swept since: looked at again"
        );

        let mut vessels = Vessels::default();
        assert!(!vessels.any(&sites));
        sites[4] = Site::vessel(1.0);
        assert!(!vessels.any(&sites), "remembered");
        vessels.forget();
        assert!(vessels.any(&sites));
    }
}
