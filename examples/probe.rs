use oncolattice::engine::{cpu::CpuBackend, Simulation};
use oncolattice::scene::Scene;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let scene = Scene::load(std::path::Path::new(&path)).unwrap();
    let t0 = std::time::Instant::now();
    let mut sim = Simulation::new(scene, Box::new(CpuBackend::new())).unwrap();
    println!(
        "initial solve {:?} in {:?}",
        sim.initial_solve(),
        t0.elapsed()
    );
    let r = sim.report_now().unwrap();
    println!("{:?}", r.census);
    while !sim.is_done() {
        sim.step().unwrap();
        for r in sim.poll(false).unwrap() {
            let c = r.census;
            println!(
                "tick {} live {} q {} nec {} ves {} o2 {:.2} sweeps {} res {:.2e} hyp {} t={:?}",
                r.tick,
                c.tumour_live,
                c.quiescent,
                c.necrotic,
                c.vessel,
                c.o2_mean_mmhg(40000),
                r.solve.sweeps,
                r.solve.residual,
                c.hypoxic,
                t0.elapsed()
            );
        }
    }
}
