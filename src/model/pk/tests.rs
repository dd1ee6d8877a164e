//! The exact solver against textbook closed forms (Gibaldi & Perrier 1982,
//! Pharmacokinetics, 2nd ed.), mass balance, step-size invariance and snapshots.

use super::*;

/// Relative difference, with an absolute floor so values near zero compare sensibly.
fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

/// One compartment: CL = 5 L/h, V = 20 L, so k = 0.25 /h; MW 300 g/mol.
fn one_compartment() -> EffectivePk {
    EffectivePk {
        molecular_weight_g_per_mol: 300.0,
        clearance_l_per_h: 5.0,
        central_volume_l: 20.0,
        peripheral: None,
        absorption_per_h: Some(1.2),
        bioavailability: 0.8,
    }
}

/// Two compartments: k10 = 2, k12 = 3, k21 = 0.3 per h.
fn two_compartment() -> EffectivePk {
    EffectivePk {
        molecular_weight_g_per_mol: 853.9,
        clearance_l_per_h: 20.0,
        central_volume_l: 10.0,
        peripheral: Some(Peripheral {
            volume_l: 100.0,
            intercompartmental_clearance_l_per_h: 30.0,
        }),
        absorption_per_h: Some(0.7),
        bioavailability: 0.5,
    }
}

fn bolus(time_h: f64, amount_mg: f64) -> DoseEvent {
    DoseEvent {
        time_h,
        amount_mg,
        route: Route::IvBolus,
    }
}

/// Textbook α, β written out independently of `macro_rates_per_h`.
fn textbook_alpha_beta(k10: f64, k12: f64, k21: f64) -> (f64, f64) {
    let s = k10 + k12 + k21;
    let root = (s * s - 4.0 * k21 * k10).sqrt();
    ((s + root) / 2.0, (s - root) / 2.0)
}

#[test]
fn iv_bolus_decays_as_c0_exp_minus_kt() {
    let model = one_compartment();
    let mut pk = DrugPk::new(model.clone(), 0.0);
    pk.administer(bolus(0.0, 100.0)).unwrap();
    let (c0, k) = (100.0 / 20.0, 0.25);
    let mut previous_t = 0.0;
    for i in 1..=96 {
        let t = 0.5 * f64::from(i);
        let s = pk.advance_to(t).unwrap();
        let expected = c0 * (-k * t).exp();
        assert!(rel(s.plasma_mg_per_l, expected) < 1e-12, "t={t}");
        assert!(rel(s.plasma_um, expected / 300.0 * 1000.0) < 1e-12);
        // Mean over the step: ∫C dt / Δt = c0·(e^(−k·t0) − e^(−k·t1))/(k·Δt).
        let mean = c0 * ((-k * previous_t).exp() - (-k * t).exp()) / (k * (t - previous_t));
        assert!(
            rel(s.mean_plasma_um_over_step, mean / 300.0 * 1000.0) < 1e-12,
            "t={t}: {} vs {}",
            s.mean_plasma_um_over_step,
            mean / 300.0 * 1000.0
        );
        previous_t = t;
    }
    // AUC(0→48 h) = c0·(1 − e^(−12))/k = 19.99988 mg·h/L.
    let auc = c0 * (1.0 - (-12.0f64).exp()) / k;
    assert!(rel(pk.auc_um_h(), auc / 300.0 * 1000.0) < 1e-12);
}

#[test]
fn infusion_approaches_the_plateau_rate_over_clearance() {
    let model = one_compartment();
    let mut pk = DrugPk::new(model, 0.0);
    // 10 mg/h for 100 h.
    pk.administer(DoseEvent {
        time_h: 0.0,
        amount_mg: 1000.0,
        route: Route::Infusion { duration_h: 100.0 },
    })
    .unwrap();
    let (css, k) = (10.0 / 5.0, 0.25);
    for &t in &[0.1, 1.0, 2.772_588_7, 10.0, 40.0, 100.0] {
        let s = pk.advance_to(t).unwrap();
        let expected = css * (1.0 - (-k * t).exp());
        assert!(
            rel(s.plasma_mg_per_l, expected) < 1e-12,
            "t={t}: {}",
            s.plasma_mg_per_l
        );
    }
    // At 100 h (25 time constants) the level is the plateau rate/CL = 2 mg/L.
    assert!(rel(pk.plasma_mg_per_l(), 2.0) < 1e-10);
    // After the pump stops: free decay from the plateau.
    let s = pk.advance_to(104.0).unwrap();
    let expected = css * (1.0 - (-25.0f64).exp()) * (-1.0f64).exp();
    assert!(rel(s.plasma_mg_per_l, expected) < 1e-12);
    assert!(rel(pk.totals().administered_mg, 1000.0) < 1e-12);
}

#[test]
fn repeated_boluses_accumulate_as_the_geometric_series() {
    let model = EffectivePk {
        clearance_l_per_h: 2.0, // k = 0.1 /h
        ..one_compartment()
    };
    let (tau, k, dose) = (6.0, 0.1, 50.0);
    let mut pk = DrugPk::new(model, 0.0);
    for n in 0..12 {
        pk.administer(bolus(tau * f64::from(n), dose)).unwrap();
    }
    // Sampling at n·τ gives the trough just before the (n+1)-th dose.
    let first_trough = pk.advance_to(tau).unwrap().plasma_mg_per_l;
    assert!(rel(first_trough, dose / 20.0 * (-k * tau).exp()) < 1e-12);
    for n in 2..=12 {
        let trough = pk.advance_to(tau * f64::from(n)).unwrap().plasma_mg_per_l;
        let nf = f64::from(n);
        let ratio = (1.0 - (-nf * k * tau).exp()) / (1.0 - (-k * tau).exp());
        assert!(rel(trough / first_trough, ratio) < 1e-12, "n={n}");
    }
    // The accumulation factor tends to 1/(1 − e^(−kτ)) = 2.2164.
    let limit = 1.0 / (1.0 - (-k * tau).exp());
    assert!((limit - 2.216_4).abs() < 1e-4);
}

#[test]
fn two_compartment_bolus_is_bi_exponential() {
    let model = two_compartment();
    let (k10, k12, k21) = (2.0, 3.0, 0.3);
    let (alpha, beta) = textbook_alpha_beta(k10, k12, k21);
    let (dose, v1) = (500.0, 10.0);
    let a = dose / v1 * (alpha - k21) / (alpha - beta);
    let b = dose / v1 * (k21 - beta) / (alpha - beta);
    // α = 5.18427, β = 0.115735 per h (terminal half-life 5.99 h).
    assert!((alpha - 5.184_265).abs() < 1e-6 && (beta - 0.115_735).abs() < 1e-6);
    let mut pk = DrugPk::new(model, 0.0);
    pk.administer(bolus(0.0, dose)).unwrap();
    for i in 1..=100 {
        let t = 0.25 * f64::from(i) + 0.013 * f64::from(i % 7);
        let s = pk.advance_to(t).unwrap();
        let c = a * (-alpha * t).exp() + b * (-beta * t).exp();
        assert!(
            rel(s.plasma_mg_per_l, c) < 1e-11,
            "t={t}: {} vs {c}",
            s.plasma_mg_per_l
        );
        let peripheral = k12 * dose * ((-beta * t).exp() - (-alpha * t).exp()) / (alpha - beta);
        assert!(rel(pk.state().peripheral_mg, peripheral) < 1e-11, "t={t}");
    }
}

#[test]
fn oral_dose_follows_the_bateman_function() {
    let model = one_compartment();
    let (f, dose, ka, k, v) = (0.8, 200.0, 1.2, 0.25, 20.0);
    let mut pk = DrugPk::new(model, 0.0);
    pk.administer(DoseEvent {
        time_h: 0.0,
        amount_mg: dose,
        route: Route::Oral,
    })
    .unwrap();
    for i in 1..=60 {
        let t = 0.4 * f64::from(i);
        let c = pk.advance_to(t).unwrap().plasma_mg_per_l;
        let bateman = f * dose * ka / (v * (ka - k)) * ((-k * t).exp() - (-ka * t).exp());
        assert!(rel(c, bateman) < 1e-12, "t={t}");
    }
    assert!(rel(pk.totals().unabsorbed_mg, 40.0) < 1e-12);
}

#[test]
fn oral_dose_with_ka_equal_to_k_is_the_limit_k_t_exp_minus_kt() {
    // The difference form of Bateman is 0/0 here; the limit is F·D·k·t·e^(−kt)/V.
    let model = EffectivePk {
        absorption_per_h: Some(0.25),
        ..one_compartment()
    };
    let mut pk = DrugPk::new(model, 0.0);
    pk.administer(DoseEvent {
        time_h: 0.0,
        amount_mg: 200.0,
        route: Route::Oral,
    })
    .unwrap();
    for &t in &[0.5, 4.0, 12.0, 30.0] {
        let c = pk.advance_to(t).unwrap().plasma_mg_per_l;
        let expected = 0.8 * 200.0 * 0.25 * t * (-0.25 * t).exp() / 20.0;
        assert!(rel(c, expected) < 1e-12, "t={t}");
    }
}

#[test]
fn two_compartment_oral_matches_the_tri_exponential() {
    let model = two_compartment();
    let (k21, ka, f, dose, v1) = (0.3, 0.7, 0.5, 400.0, 10.0);
    let (alpha, beta) = textbook_alpha_beta(2.0, 3.0, k21);
    let mut pk = DrugPk::new(model, 0.0);
    pk.administer(DoseEvent {
        time_h: 0.0,
        amount_mg: dose,
        route: Route::Oral,
    })
    .unwrap();
    for i in 1..=48 {
        let t = 0.5 * f64::from(i);
        let c = pk.advance_to(t).unwrap().plasma_mg_per_l;
        let terms = (k21 - alpha) * (-alpha * t).exp() / ((ka - alpha) * (beta - alpha))
            + (k21 - beta) * (-beta * t).exp() / ((ka - beta) * (alpha - beta))
            + (k21 - ka) * (-ka * t).exp() / ((alpha - ka) * (beta - ka));
        let expected = f * dose * ka / v1 * terms;
        assert!(rel(c, expected) < 1e-11, "t={t}: {c} vs {expected}");
    }
}

#[test]
fn auc_to_infinity_is_dose_over_clearance() {
    // For any linear model AUC(0→∞) = F·D/CL, whatever the distribution.
    let model = two_compartment();
    let mut pk = DrugPk::new(model, 0.0);
    pk.administer(bolus(0.0, 300.0)).unwrap();
    pk.administer(DoseEvent {
        time_h: 1.0,
        amount_mg: 200.0,
        route: Route::Oral,
    })
    .unwrap();
    pk.advance_to(500.0).unwrap(); // 83 terminal half-lives of 6.0 h
    let auc_mg_h_per_l = pk.auc_um_h() * 853.9 / 1000.0;
    assert!(rel(auc_mg_h_per_l, (300.0 + 0.5 * 200.0) / 20.0) < 1e-12);
}

/// A busy protocol: boluses, overlapping infusions starting and ending inside ticks,
/// oral doses, and a dose exactly on a tick boundary.
fn busy_protocol(pk: &mut DrugPk) {
    let events = [
        bolus(0.0, 120.0),
        DoseEvent {
            time_h: 0.35,
            amount_mg: 90.0,
            route: Route::Infusion { duration_h: 2.55 },
        },
        DoseEvent {
            time_h: 1.7,
            amount_mg: 30.0,
            route: Route::Infusion { duration_h: 0.05 },
        },
        DoseEvent {
            time_h: 3.0,
            amount_mg: 250.0,
            route: Route::Oral,
        },
        DoseEvent {
            time_h: 9.123,
            amount_mg: 250.0,
            route: Route::Oral,
        },
        bolus(17.5, 60.0),
        DoseEvent {
            time_h: 24.0,
            amount_mg: 500.0,
            route: Route::Infusion { duration_h: 30.0 },
        },
    ];
    pk.administer_all(&events).unwrap();
}

#[test]
fn mass_balance_holds_to_rounding() {
    for model in [one_compartment(), two_compartment()] {
        let mut pk = DrugPk::new(model, 0.0);
        busy_protocol(&mut pk);
        for i in 1..=80 {
            pk.advance_to(f64::from(i)).unwrap();
            let t = pk.totals();
            let accounted = pk.state().total_mg() + t.eliminated_mg + t.unabsorbed_mg;
            assert!(rel(accounted, t.administered_mg) < 1e-12, "t={i}");
        }
        // Every dose has gone in: 120 + 90 + 30 + 2·250 + 60 + 500.
        assert!(rel(pk.totals().administered_mg, 1300.0) < 1e-12);
    }
}

#[test]
fn step_size_does_not_change_the_solution() {
    for model in [one_compartment(), two_compartment()] {
        let mut coarse = DrugPk::new(model.clone(), 0.0);
        let mut fine = DrugPk::new(model.clone(), 0.0);
        let mut whole = DrugPk::new(model, 0.0);
        busy_protocol(&mut coarse);
        busy_protocol(&mut fine);
        busy_protocol(&mut whole);
        let mut worst: f64 = 0.0;
        for hour in 1..=72 {
            let a = coarse.advance_to(f64::from(hour)).unwrap();
            let mut b = fine.advance_to(f64::from(hour)).unwrap();
            for tenth in 1..=10 {
                let t = f64::from(hour - 1) + 0.1 * f64::from(tenth);
                b = fine.advance_to(t.max(fine.time_h())).unwrap();
            }
            worst = worst.max(rel(a.plasma_um, b.plasma_um));
            worst = worst.max(rel(a.auc_um_h, b.auc_um_h));
            worst = worst.max(rel(
                coarse.state().peripheral_mg,
                fine.state().peripheral_mg,
            ));
        }
        let c = whole.advance_to(72.0).unwrap();
        worst = worst.max(rel(c.plasma_um, coarse.plasma_um()));
        worst = worst.max(rel(c.auc_um_h, coarse.auc_um_h()));
        assert!(worst < 1e-9, "worst relative difference {worst:e}");
    }
}

#[test]
fn snapshot_round_trip_continues_identically() {
    let mut pk = DrugPk::new(two_compartment(), 0.0);
    busy_protocol(&mut pk);
    pk.advance_to(10.5).unwrap();
    let json = serde_json::to_string(&pk).unwrap();
    let mut restored: DrugPk = serde_json::from_str(&json).unwrap();
    let a = pk.advance_to(40.0).unwrap();
    let b = restored.advance_to(40.0).unwrap();
    // serde_json without `float_roundtrip` may move a value by one ulp.
    assert!(rel(a.plasma_um, b.plasma_um) < 1e-14);
    assert!(rel(a.auc_um_h, b.auc_um_h) < 1e-14);
    assert_eq!(restored.pending().len(), pk.pending().len());
}

#[test]
fn refuses_the_past_and_impossible_routes() {
    let mut pk = DrugPk::new(
        EffectivePk {
            absorption_per_h: None,
            ..one_compartment()
        },
        5.0,
    );
    let err = pk.administer(bolus(4.0, 10.0)).unwrap_err();
    assert_eq!(err.key, "time_h");
    assert!(err.message.contains("before the current time 5 h"), "{err}");
    let err = pk
        .administer(DoseEvent {
            time_h: 6.0,
            amount_mg: 10.0,
            route: Route::Oral,
        })
        .unwrap_err();
    assert_eq!(err.key, "route");
    assert_eq!(
        pk.administer(bolus(6.0, -1.0)).unwrap_err().key,
        "amount_mg"
    );
    assert!(pk.advance_to(4.0).is_err());
    // administer_all is all or none.
    assert!(pk
        .administer_all(&[bolus(7.0, 1.0), bolus(1.0, 1.0)])
        .is_err());
    assert!(pk.pending().is_empty());
    // A zero-length advance reports the current level.
    let s = pk.advance_to(5.0).unwrap();
    assert_eq!(s.mean_plasma_um_over_step, s.plasma_um);
}

#[test]
fn poor_metabolisers_and_older_patients_get_more_exposure() {
    let model = PkModel {
        molecular_weight_g_per_mol: 300.0,
        clearance_l_per_h: 10.0,
        central_volume_l: 40.0,
        peripheral_volume_l: None,
        intercompartmental_clearance_l_per_h: None,
        absorption_per_h: None,
        bioavailability: 1.0,
        renal_fraction: 0.5,
        weight_scaled: false,
        phenotype_clearance_multipliers: PhenotypeMultipliers::default(),
    };
    let exposure = |patient: &Patient, phenotype: Phenotype| {
        let mut pk = DrugPk::new(model.effective(patient, phenotype).unwrap(), 0.0);
        pk.administer(bolus(0.0, 100.0)).unwrap();
        pk.advance_to(2000.0).unwrap().auc_um_h
    };
    let reference = exposure(&Patient::reference(), Phenotype::Normal);
    // AUC = D/CL = 10 mg·h/L = 33.33 µM·h.
    assert!(rel(reference, 100.0 / 10.0 / 300.0 * 1000.0) < 1e-12);
    // Poor: CL = 10·(0.5·0.3 + 0.5) = 6.5 L/h.
    let poor = exposure(&Patient::reference(), Phenotype::Poor);
    assert!(rel(poor / reference, 10.0 / 6.5) < 1e-12);
    // 80 years: renal factor 0.6, CL = 10·(0.5 + 0.5·0.6) = 8 L/h.
    let old = Patient {
        age_years: 80.0,
        ..Patient::reference()
    };
    assert!(rel(exposure(&old, Phenotype::Normal) / reference, 10.0 / 8.0) < 1e-12);
}
