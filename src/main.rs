//! The `oncolattice` command line: parse, call the library, map errors to exit codes
//! (0 ok, 2 bad input, 1 runtime failure).

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use oncolattice::output::{Progress, RunStart};
use oncolattice::scene::{Axis, VesselLayout};
use oncolattice::{BackendChoice, Observer, RunError, RunOptions, Scene, SceneError, Summary};
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "oncolattice",
    version,
    about = "GPU lattice simulator of solid tumours"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scene and write a run directory (scene.resolved.toml, timeseries.csv,
    /// summary.json, frames/).
    Run(RunArgs),
    /// Validate a scene and print what it describes; writes nothing.
    Check {
        /// Scene file (TOML).
        scene: PathBuf,
    },
    /// List the GPU adapters this machine offers.
    Info {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Scene file (TOML).
    scene: PathBuf,
    /// Run directory [default: runs/<scene name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// Simulated days, replacing the scene's time.duration_days (must be > 0).
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    days: Option<f64>,
    /// Replace an existing run directory (only one holding scene.resolved.toml).
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Check { scene } => check(scene),
        Command::Info { json } => info(json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// 2 for input the program refuses, 1 for failures while running.
fn exit_code(e: &anyhow::Error) -> u8 {
    let bad_input = e.downcast_ref::<SceneError>().is_some()
        || e.downcast_ref::<RunError>()
            .is_some_and(RunError::is_bad_input);
    if bad_input {
        2
    } else {
        1
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let opts = RunOptions {
        out_dir: args.out,
        backend: args.backend,
        days: args.days,
        force: args.force,
    };
    let mut bar = Bar::new(args.quiet);
    let result = oncolattice::run(&args.scene, &opts, &mut bar);
    bar.bar.finish_and_clear();
    result?;
    Ok(())
}

/// The progress bar and the lines printed around it.
struct Bar {
    bar: ProgressBar,
    quiet: bool,
}

impl Bar {
    fn new(quiet: bool) -> Bar {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let style = ProgressStyle::with_template(
                "{bar:32.green/white} {pos}/{len} ticks  {msg}  [{elapsed_precise} < {eta}]",
            )
            .expect("the template is valid");
            ProgressBar::new(0).with_style(style)
        };
        Bar { bar, quiet }
    }
}

impl Observer for Bar {
    fn started(&mut self, start: &RunStart) {
        if !self.quiet {
            println!("{}", start.backend_note);
            println!(
                "running {} for {} ticks into {}",
                start.scene.name,
                start.total_ticks,
                start.out_dir.display()
            );
        }
        self.bar.set_length(start.total_ticks);
    }

    fn progress(&mut self, p: &Progress) {
        self.bar.set_position(p.tick);
        self.bar.set_message(format!(
            "day {:.1}  live {}  {:.0} ticks/s",
            p.simulated_days, p.tumor_live, p.ticks_per_s
        ));
    }

    fn finished(&mut self, s: &Summary) {
        self.bar.finish_and_clear();
        if self.quiet {
            return;
        }
        let (live, quiescent, necrotic, radius) = s.final_row.map_or((0, 0, 0, 0.0), |r| {
            (
                r.tumor_live,
                r.tumor_quiescent,
                r.necrotic,
                r.tumor_radius_um,
            )
        });
        println!(
            "done: {} ticks ({} days) in {:.1} s, {:.0} ticks/s; tumour {live} live ({quiescent} quiescent), {necrotic} necrotic, radius {radius:.0} µm",
            s.ticks, s.simulated_days, s.wall_seconds, s.ticks_per_s
        );
    }
}

fn check(path: PathBuf) -> anyhow::Result<()> {
    let s = Scene::load(&path)?;
    let l = &s.lattice;
    let ticks = s.total_ticks();
    let count = |every: u64| 1 + ticks / every + u64::from(ticks % every != 0);
    println!("{}: ok", path.display());
    println!("  name      {} (seed {})", s.name, s.seed);
    let (dims, extent) = if s.is_3d() {
        (
            format!("3D {} × {} × {}", l.nx, l.ny, l.nz),
            format!(
                "{} × {} × {} µm",
                l.nx as f64 * l.site_size_um,
                l.ny as f64 * l.site_size_um,
                l.nz as f64 * l.site_size_um
            ),
        )
    } else {
        (
            format!("2D {} × {}", l.nx, l.ny),
            format!(
                "{} × {} µm",
                l.nx as f64 * l.site_size_um,
                l.ny as f64 * l.site_size_um
            ),
        )
    };
    println!(
        "  lattice   {dims} sites of {} µm = {extent} ({} sites)",
        l.site_size_um,
        s.site_count()
    );
    println!(
        "  time      {} days in {ticks} ticks of {} h; a report every {} h ({} rows)",
        s.time.duration_days,
        s.time.tick_h,
        s.time.report_every_h,
        count(s.report_every_ticks())
    );
    match s.frame_every_ticks() {
        Some(every) => println!(
            "  frames    every {} h ({} frames)",
            s.output.frame_every_h,
            count(every)
        ),
        None => println!("  frames    off"),
    }
    let size = match (s.tumour.radius_um, s.tumour.cell_count) {
        (Some(r), _) => format!("radius {r} µm"),
        (_, Some(n)) => format!("{n} cells"),
        _ => String::new(),
    };
    let at = match s.tumour.centre_um {
        Some(c) => format!("at ({}, {}, {}) µm", c[0], c[1], c[2]),
        None => "at the centre".into(),
    };
    println!("  tumour    {size} {at}");
    let v = &s.vessels;
    let layout = match v.layout {
        VesselLayout::None => "none".to_string(),
        VesselLayout::Random => format!("random, density {}", v.density),
        VesselLayout::Lines => {
            let axis = match v.axis {
                Axis::X => "x",
                Axis::Y => "y",
                Axis::Z => "z",
            };
            format!("lines along {axis}, {} µm apart", v.spacing_um)
        }
        VesselLayout::Grid => format!("grid, {} µm apart", v.spacing_um),
    };
    if v.layout == VesselLayout::None {
        println!("  vessels   none");
    } else {
        println!(
            "  vessels   {layout}; perfusion {} ± {}",
            v.perfusion, v.perfusion_spread
        );
    }
    let boundary = match s.oxygen.boundary_mmhg {
        Some(b) => format!("held at {b} mmHg"),
        None => "no-flux".into(),
    };
    if v.layout == VesselLayout::None {
        println!("  oxygen    boundary {boundary}");
    } else {
        println!(
            "  oxygen    blood {} mmHg, boundary {boundary}",
            s.oxygen.vessel_po2_mmhg
        );
    }
    Ok(())
}

fn info(json: bool) -> anyhow::Result<()> {
    let adapters = oncolattice::engine::gpu::list_adapters();
    if json {
        let text = serde_json::to_string_pretty(&adapters).context("cannot serialise adapters")?;
        println!("{text}");
    } else if adapters.is_empty() {
        println!("no GPU adapters found; `run --backend auto` uses the CPU backend");
    } else {
        println!("{} GPU adapter(s), best first:", adapters.len());
        for adapter in &adapters {
            println!("{}", adapter.details());
        }
        println!(
            "`run --backend auto` uses a hardware adapter when there is one, else the CPU backend; \
             `--backend gpu` also takes a software adapter"
        );
    }
    Ok(())
}
