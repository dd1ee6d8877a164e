//! The `oncolattice` command line: parse, call the library, map errors to exit codes
//! (0 ok, 2 bad input, 1 runtime failure).

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use oncolattice::output::atomic;
use oncolattice::output::export::{ExportOptions, ExportProgress};
use oncolattice::output::plot::PlotError;
use oncolattice::output::render::{self as rendering, RenderError, RenderOptions};
use oncolattice::output::{CancelFlag, Performance, Progress, ResumeOptions, RunStart};
use oncolattice::scene::{Axis, VesselLayout};
use oncolattice::{BackendChoice, Observer, RunError, RunOptions, Scene, SceneError, Summary};
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[path = "cli/batch_bar.rs"]
mod batch_bar;

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
    /// Continue a run from a snapshot (or a run directory's latest snapshot); by default
    /// in the snapshot's own run directory.
    Resume(ResumeArgs),
    /// Convert a snapshot for ParaView (--vti) or NumPy (--npz).
    Export(ExportArgs),
    /// Draw a run directory's state (its latest snapshot) as a PNG figure.
    Render(RenderArgs),
    /// Plot a run directory's time series into RUN_DIR/plots (PNG and SVG).
    Plot(PlotArgs),
    /// Validate a scene and print what it describes; writes nothing.
    Check {
        /// Scene file (TOML).
        scene: PathBuf,
    },
    /// Time the standard problems (scenes/bench/) per kernel and per tick, with bytes
    /// moved and bandwidth against the device's own copy (GPU) or triad (CPU) bandwidth.
    Bench(BenchArgs),
    /// Run a batch file (arms, parameter axes, replicates, virtual cohorts) into a batch
    /// directory: one run directory per run, summary.csv once every run has ended.
    /// Re-running the same command skips the runs that ended and redoes the rest.
    /// `batch check FILE` lists the runs without running them.
    Batch(BatchCommand),
    /// Gather the runs of a batch run in shards (`batch --shard I/N`) into the
    /// summary.csv one machine would have written.
    Merge {
        /// The batch directory the shards wrote into.
        dir: PathBuf,
    },
    /// Survival statistics of an `arm,time,event` CSV (Kaplan–Meier with Greenwood bands,
    /// median with its Brookmeyer–Crowley CI, log-rank, Cox hazard ratios), written as
    /// CSV and JSON, with the Kaplan–Meier figure (km.png, km.svg).
    Trial(TrialArgs),
    /// List the GPU adapters this machine offers.
    Info {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct TrialArgs {
    /// A batch directory (`oncolattice batch … --out DIR`) whose arms to compare:
    /// progression-free survival on the first line (censored at the end of the
    /// simulation) and best overall responses.
    #[arg(required_unless_present = "survival", conflicts_with = "survival")]
    dir: Option<PathBuf>,
    /// An `arm,time,event` CSV instead (header required; event 1 = progression or
    /// death, 0 = censored).
    #[arg(long)]
    survival: Option<PathBuf>,
    /// From a batch: the line of therapy whose progression-free survival and responses
    /// to compare (from its own baseline scan; patients who never began it are left
    /// out), e.g. 2 for the second lines of branch arms.
    #[arg(long, default_value_t = 1, conflicts_with = "survival")]
    line: usize,
    /// Directory for survival_curves.csv, survival_arms.csv, at_risk.csv, logrank.csv,
    /// hazard_ratios.csv, km.png, km.svg (from a batch also responses.csv, waterfall
    /// and swimmer figures) and trial.json [default: DIR/trial, or next to the CSV,
    /// FILE-trial/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Times at which to read each curve and count those at risk, comma-separated.
    #[arg(long, value_delimiter = ',')]
    at_risk: Vec<f64>,
    /// The arm hazard ratios are against [default: the first arm in the file].
    #[arg(long)]
    reference: Option<String>,
    /// Confidence level of every interval.
    #[arg(long, default_value_t = 0.95)]
    conf_level: f64,
    /// Unit of the CSV's times, for the Kaplan–Meier figure's x axis, "Time (UNIT)"
    /// (e.g. days, weeks, months) [default: none, the axis reads "Time"].
    #[arg(long, value_name = "UNIT")]
    time_unit: Option<String>,
    /// Y-axis title of the Kaplan–Meier figure.
    #[arg(long, default_value = "Progression-free survival")]
    endpoint: String,
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct BatchCommand {
    #[command(subcommand)]
    action: Option<BatchAction>,
    #[command(flatten)]
    run: BatchRunArgs,
}

#[derive(clap::Args)]
struct BatchRunArgs {
    /// Batch file (TOML; docs/batch-reference.md).
    #[arg(required = true)]
    file: Option<PathBuf>,
    /// Batch directory [default: batches/<batch name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Runs at a time, each on cores/N threads [default: on the CPU backend one per core
    /// when every lattice has at most 65536 sites, else 1]. On a GPU, runs of one
    /// lattice shape are packed into the same dispatches instead (docs/batch-reference.md).
    #[arg(long)]
    jobs: Option<usize>,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// Go on in a directory started with a different batch file (finished runs whose
    /// scene did not change are kept).
    #[arg(long)]
    force: bool,
    /// Run only shard I of N (1-based; run k belongs to shard k mod N + 1); `merge`
    /// gathers the shards.
    #[arg(long, value_name = "I/N")]
    shard: Option<oncolattice::batch::shard::Shard>,
    /// Write plots/ and the contact sheet in every run directory.
    #[arg(long)]
    plots: bool,
    /// Write an sbatch job-array script (one task per shard) instead of running.
    #[arg(long, value_name = "SCRIPT")]
    emit_slurm: Option<PathBuf>,
    #[command(flatten)]
    slurm: SlurmArgs,
    /// Print nothing but errors.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args)]
struct SlurmArgs {
    /// Shards (array tasks) of the emitted script [default: one per run, at most 1000].
    #[arg(long, value_name = "N")]
    slurm_shards: Option<u32>,
    /// Time limit per task (Slurm's format, e.g. 2:00:00).
    #[arg(long, value_name = "TIME", default_value = "1:00:00")]
    slurm_time: String,
    /// Memory per task (e.g. 4G).
    #[arg(long, value_name = "MEM", default_value = "4G")]
    slurm_mem: String,
    /// CPUs per task (also the task's --jobs 1 run's thread count).
    #[arg(long, value_name = "N", default_value_t = 1)]
    slurm_cpus: u32,
    /// GPUs per task (0: none requested; runs use --backend as given).
    #[arg(long, value_name = "N", default_value_t = 0)]
    slurm_gpus: u32,
    /// Partition to submit to [default: the cluster's].
    #[arg(long, value_name = "NAME")]
    slurm_partition: Option<String>,
    /// Array tasks running at once (`%N` on --array) [default: no limit].
    #[arg(long, value_name = "N")]
    slurm_max_running: Option<u32>,
}

#[derive(Subcommand)]
enum BatchAction {
    /// Check a batch file and every run's scene; print the runs as CSV (id, arm,
    /// patient, replicate, seed, every varied value) without running them.
    Check {
        /// Batch file (TOML; docs/batch-reference.md).
        file: PathBuf,
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
    /// Write a snapshot every D simulated days (a final one is always written).
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    snapshot_every: Option<f64>,
    /// Do not write plots/ at the end of the run.
    #[arg(long)]
    no_plots: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("workload").args(["peers", "batch"])))]
struct BenchArgs {
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// small: 2D 128² and 3D 32³; medium: 2D 1024² and 3D 128³; large: adds 3D 256³;
    /// immune: 2D 128² with T cells (≈ 5 % of the occupied sites), timing their moves.
    #[arg(long, value_enum, default_value_t = oncolattice::bench::Size::Medium)]
    size: oncolattice::bench::Size,
    /// Timed samples per number after a warm-up (their median is reported).
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    repeats: u32,
    /// Also write the numbers, with the adapter's details, as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Print only the table (no progress on stderr).
    #[arg(long, short)]
    quiet: bool,
    /// Run the two peer workloads instead (a 75³ tumour with two fields; three arms of
    /// competitive release over 10,000 ticks) and report wall seconds.
    #[arg(long)]
    peers: bool,
    /// Throughput of many small scenes instead: K = 1, 10, 100, 1000 scenes of 100²
    /// and 256² as scene-ticks per second, with the memory per scene, and virtual
    /// patients of the competitive-release scene per hour.
    #[arg(long, conflicts_with = "peers")]
    batch: bool,
    /// With --batch: ticks of each scene.
    #[arg(long, value_name = "N", default_value_t = 100, requires = "batch",
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    ticks: u64,
    /// With --peers or --batch: shortened runs (2 h and 720 ticks; K = 1 and 10), for
    /// a quick check.
    #[arg(long, requires = "workload")]
    quick: bool,
}

#[derive(clap::Args)]
struct RenderArgs {
    /// Run directory (its latest snapshot) or snapshot file.
    input: PathBuf,
    /// Colouring: cells, kind, clone, trait:NAME or field:NAME.
    #[arg(long, value_name = "MODE", default_value = "cells")]
    color: String,
    /// Several colourings side by side, e.g. cells,field:oxygen (replaces --color).
    #[arg(long, value_name = "LIST")]
    panels: Option<String>,
    /// 3D: the slice x=K, y=K or z=K [default: z = nz/2].
    #[arg(long, value_name = "AXIS=K", conflicts_with_all = ["project", "volume"])]
    slice: Option<String>,
    /// 3D: project along z (or --axis): maximum of fields, nearest tumour site.
    #[arg(long, value_name = "max", value_parser = ["max"], conflicts_with = "volume")]
    project: Option<String>,
    /// Axis of --project.
    #[arg(long, value_name = "x|y|z", default_value = "z", requires = "project")]
    axis: String,
    /// 3D: ray-marched volume view of the tumour from a fixed oblique camera.
    #[arg(long)]
    volume: bool,
    /// Volume view: cut away the octant facing the camera to show the inside.
    #[arg(long, requires = "volume")]
    cutaway: bool,
    /// Where the volume view runs.
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// Figure size in pixels, WIDTHxHEIGHT [default: ~600 px per panel].
    #[arg(long, value_name = "WxH")]
    size: Option<String>,
    /// Output PNG [default: RUN_DIR/render.png].
    #[arg(long, short, value_name = "PNG")]
    out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args)]
struct PlotArgs {
    /// Run directory.
    run_dir: PathBuf,
    /// Folder for the plots [default: RUN_DIR/plots].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args)]
struct ResumeArgs {
    /// Snapshot file (.olsnap), or a run directory for its latest snapshot.
    snapshot: PathBuf,
    /// Resume into this new run directory (it receives the run's history first)
    /// [default: the snapshot's own run directory].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// [default: the kind of backend that wrote the snapshot]
    #[arg(long, value_enum)]
    backend: Option<BackendChoice>,
    /// Roll back a run directory that has gone past the snapshot, or replace an
    /// existing --out run directory.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args)]
struct ExportArgs {
    /// Snapshot file (.olsnap), or a run directory for its latest snapshot.
    snapshot: PathBuf,
    /// Write VTK XML ImageData (.vti) for ParaView.
    #[arg(long)]
    vti: bool,
    /// Write NumPy arrays (.npz).
    #[arg(long)]
    npz: bool,
    /// Output path; .vti/.npz is added [default: beside the snapshot, same stem]. A
    /// scene with [vasculature] also gets .vessels.vtp, .vessel_nodes.csv and
    /// .vessel_segments.csv there.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Resume(args) => resume(args),
        Command::Export(args) => export(args),
        Command::Render(args) => render(args),
        Command::Plot(args) => plot(args),
        Command::Check { scene } => check(scene),
        Command::Info { json } => info(json),
        Command::Bench(args) => bench(args),
        Command::Batch(BatchCommand {
            action: Some(BatchAction::Check { file }),
            ..
        }) => batch_check(file),
        Command::Batch(BatchCommand { run, .. }) => batch(run),
        Command::Merge { dir } => merge(dir),
        Command::Trial(args) => trial(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<RunError>() {
                // Not an error: the user asked the run to stop, and it can go on.
                Some(RunError::Interrupted {
                    tick,
                    snapshot,
                    out_dir,
                }) => eprintln!(
                    "interrupted at tick {tick}; the state is saved in {}\nresume with: oncolattice resume {}",
                    snapshot.display(),
                    out_dir.display()
                ),
                _ => eprintln!("error: {}", oncolattice::output::error_text(&e)),
            }
            ExitCode::from(exit_code(&e))
        }
    }
}

/// 2 for input the program refuses, 130 for a run stopped by Ctrl-C, 1 for failures
/// while running.
fn exit_code(e: &anyhow::Error) -> u8 {
    if let Some(RunError::Interrupted { .. }) = e.downcast_ref::<RunError>() {
        return 130;
    }
    if e.downcast_ref::<oncolattice::batch::runner::Interrupted>()
        .is_some()
    {
        return 130;
    }
    let bad_input = e.downcast_ref::<SceneError>().is_some()
        || e.downcast_ref::<RenderError>()
            .is_some_and(RenderError::is_bad_input)
        || e.downcast_ref::<PlotError>()
            .is_some_and(PlotError::is_bad_input)
        || e.downcast_ref::<RunError>()
            .is_some_and(RunError::is_bad_input)
        || e.downcast_ref::<oncolattice::trial::command::TrialCommandError>()
            .is_some_and(|e| e.is_bad_input());
    if bad_input {
        2
    } else {
        1
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    oncolattice::engine::gpu::set_quiet_drivers(args.quiet);
    let opts = RunOptions {
        out_dir: args.out,
        backend: args.backend,
        days: args.days,
        force: args.force,
        snapshot_every_days: args.snapshot_every,
        cancel: Some(cancel_on_ctrl_c()),
        plots: !args.no_plots,
    };
    let mut bar = Bar::new(args.quiet);
    let result = oncolattice::run(&args.scene, &opts, &mut bar);
    bar.bar.finish_and_clear();
    result?;
    Ok(())
}

fn trial(args: TrialArgs) -> anyhow::Result<()> {
    use oncolattice::trial::{batch_command, command, report::TrialOptions};
    let options = TrialOptions {
        conf_level: args.conf_level,
        at_risk_times: args.at_risk,
        reference_arm: args.reference,
        ..TrialOptions::default()
    };
    let y_label = if args.line > 1 && args.dir.is_some() {
        format!("{} on line {}", args.endpoint, args.line)
    } else {
        args.endpoint
    };
    let km = oncolattice::trial::figures::KmOptions {
        time_unit: args.time_unit,
        y_label,
        ..Default::default()
    };
    let (Some(dir), None) = (&args.dir, &args.survival) else {
        let survival = args.survival.unwrap_or_default();
        let out = args.out.unwrap_or_else(|| {
            let stem = survival.file_stem().unwrap_or_default().to_string_lossy();
            survival.with_file_name(format!("{stem}-trial"))
        });
        let report = command::write_report(&survival, &out, &options, &km)?;
        print!("{}", command::summary_text(&report));
        eprintln!("wrote {} files to {}", command::FILES.len(), out.display());
        return Ok(());
    };
    let input = oncolattice::batch::trial_input::read(dir, args.line)?;
    let out = args.out.unwrap_or_else(|| dir.join("trial"));
    let (report, files) = batch_command::write(&input.data, &out, &options, &km)?;
    print!("{}", command::summary_text(&report));
    for (arm, n) in input.not_evaluable.iter().filter(|(_, n)| *n > 0) {
        println!(
            "{arm}: {n} patient(s) not evaluable for response (NE: in the rates' denominators)"
        );
    }
    for (arm, n) in &input.not_reached {
        println!(
            "{arm}: {n} patient(s) never began line {} (left out)",
            args.line
        );
    }
    if let Some(first) = input.failed_runs.first() {
        eprintln!(
            "warning: {} failed run(s) left out (first: {first}; see summary.csv)",
            input.failed_runs.len()
        );
    }
    eprintln!("wrote {} files to {}", files.len(), out.display());
    Ok(())
}

fn batch_check(file: PathBuf) -> anyhow::Result<()> {
    let batch = oncolattice::batch::Batch::load(&file)?;
    let runs = batch.runs()?;
    print!("{}", batch.listing(&runs));
    eprintln!("{}", batch.describe(runs.len()));
    Ok(())
}

fn batch(args: BatchRunArgs) -> anyhow::Result<()> {
    use oncolattice::batch::runner::{run_batch, BatchOptions};
    let Some(file) = args.file else {
        anyhow::bail!(RunError::Option("batch needs a batch file".into()));
    };
    oncolattice::engine::gpu::set_quiet_drivers(true);
    let batch = oncolattice::batch::Batch::load(&file)?;
    let out_dir = args
        .out
        .unwrap_or_else(|| PathBuf::from("batches").join(&batch.name));
    if let Some(script) = args.emit_slurm {
        return emit_slurm(&batch, &file, &out_dir, &script, &args.slurm, args.backend);
    }
    let opts = BatchOptions {
        out_dir: out_dir.clone(),
        backend: args.backend,
        jobs: args.jobs,
        force: args.force,
        shard: args.shard,
        plots: args.plots,
        cancel: Some(cancel_on_ctrl_c()),
    };
    let mut bar = batch_bar::BatchBar::new(args.quiet);
    let outcome = run_batch(&batch, &opts, &mut bar);
    bar.finish();
    let outcome = outcome?;
    let what = match args.shard {
        Some(s) => format!("shard {s} of {}", batch.name),
        None => batch.name.clone(),
    };
    if outcome.interrupted {
        return Err(anyhow::Error::new(oncolattice::batch::runner::Interrupted));
    }
    if !args.quiet {
        println!(
            "{what}: {} runs, {} already done, {} run now ({} failed, {} at a time); {}",
            outcome.runs,
            outcome.skipped,
            outcome.ran,
            outcome.failed_now,
            outcome.jobs,
            match outcome.summary {
                Some(_) => format!("wrote {}", out_dir.join("summary.csv").display()),
                None => format!(
                    "other shards still to run; then: oncolattice merge {}",
                    out_dir.display()
                ),
            }
        );
    }
    if let Some(counts) = outcome.summary.filter(|c| c.failed > 0) {
        anyhow::bail!(
            "{} of {} runs failed (their messages are in the error column of {})",
            counts.failed,
            counts.done + counts.failed,
            out_dir.join("summary.csv").display()
        );
    }
    if outcome.summary.is_none() && outcome.failed_now > 0 {
        anyhow::bail!("{} runs of {what} failed", outcome.failed_now);
    }
    Ok(())
}

fn emit_slurm(
    batch: &oncolattice::batch::Batch,
    file: &std::path::Path,
    out_dir: &std::path::Path,
    script: &std::path::Path,
    a: &SlurmArgs,
    backend: BackendChoice,
) -> anyhow::Result<()> {
    use oncolattice::batch::slurm::{job_array, SlurmOptions};
    let runs = batch.runs()?;
    let options = SlurmOptions {
        shards: a.slurm_shards,
        time: a.slurm_time.clone(),
        mem: a.slurm_mem.clone(),
        cpus: a.slurm_cpus,
        gpus: a.slurm_gpus,
        partition: a.slurm_partition.clone(),
        max_running: a.slurm_max_running,
        backend: clap::ValueEnum::to_possible_value(&backend)
            .map_or("auto".to_string(), |v| v.get_name().to_string()),
    };
    let exe = std::env::current_exe().context("cannot find this program's path for the script")?;
    let text = job_array(batch, runs.len(), file, out_dir, &exe, &options)?;
    atomic::write(script, text.as_bytes())?;
    eprintln!(
        "wrote {}: {} runs; submit with: sbatch {}; then: oncolattice merge {}",
        script.display(),
        runs.len(),
        script.display(),
        out_dir.display()
    );
    Ok(())
}

fn merge(dir: PathBuf) -> anyhow::Result<()> {
    let counts = oncolattice::batch::merge::merge(&dir)?;
    println!(
        "merged {} runs ({} failed) into {}",
        counts.done + counts.failed,
        counts.failed,
        dir.join("summary.csv").display()
    );
    if counts.failed > 0 {
        anyhow::bail!("{} runs failed", counts.failed);
    }
    Ok(())
}

fn resume(args: ResumeArgs) -> anyhow::Result<()> {
    oncolattice::engine::gpu::set_quiet_drivers(args.quiet);
    let opts = ResumeOptions {
        out_dir: args.out,
        backend: args.backend,
        force: args.force,
        cancel: Some(cancel_on_ctrl_c()),
    };
    let mut bar = Bar::new(args.quiet);
    let result = oncolattice::output::resume(&args.snapshot, &opts, &mut bar);
    bar.bar.finish_and_clear();
    result?;
    Ok(())
}

/// The first Ctrl-C asks the run to stop after the current tick and save a snapshot;
/// a second one stops at once (every file on disk is still whole).
fn cancel_on_ctrl_c() -> CancelFlag {
    let flag = CancelFlag::new();
    let handler_flag = flag.clone();
    let installed = ctrlc::set_handler(move || {
        if handler_flag.is_cancelled() {
            eprintln!("\ninterrupted again: stopping now, without a final snapshot");
            std::process::exit(130);
        }
        eprintln!("\ninterrupt: finishing this tick and writing a snapshot (Ctrl-C again to stop at once)");
        handler_flag.cancel();
    });
    if let Err(e) = installed {
        eprintln!("warning: Ctrl-C will stop the run without a snapshot: {e}");
    }
    flag
}

fn export(args: ExportArgs) -> anyhow::Result<()> {
    let opts = ExportOptions {
        vti: args.vti,
        npz: args.npz,
        out: args.out,
    };
    let bar = progress_bar(args.quiet, BYTES);
    let mut current = PathBuf::new();
    let written =
        oncolattice::output::export::export(&args.snapshot, &opts, &mut |p: ExportProgress| {
            if p.file != current {
                current = p.file.to_path_buf();
                bar.set_message(current.display().to_string());
                bar.set_length(p.bytes_total);
            }
            bar.set_position(p.bytes_done);
        });
    bar.finish_and_clear();
    for path in written? {
        if !args.quiet {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// `run` and `resume`: ticks done, and the message `Bar::progress` sets.
const TICKS: &str = "{bar:32.green/white} {pos}/{len} ticks  {msg}  [{elapsed_precise} < {eta}]";
/// `export`: bytes of the file being written, named in the message.
const BYTES: &str = "{bar:32.green/white} {bytes}/{total_bytes}  {msg}";
/// `render`'s steps: the message names what is counted.
const STEPS: &str = "{bar:32.green/white} {pos}/{len} {msg}  [{elapsed_precise} < {eta}]";

/// A progress bar on stderr, hidden when `quiet` or when stderr is not a terminal (a
/// log file or a pipe gets no control codes). Its length is set once it is known.
fn progress_bar(quiet: bool, template: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    // The templates are the constants above (a test parses them); a plain bar is a
    // better failure than none.
    let style =
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(0).with_style(style)
}

/// The progress bar and the lines printed around it.
struct Bar {
    bar: ProgressBar,
    quiet: bool,
}

impl Bar {
    fn new(quiet: bool) -> Bar {
        Bar {
            bar: progress_bar(quiet, TICKS),
            quiet,
        }
    }
}

impl Observer for Bar {
    fn started(&mut self, start: &RunStart) {
        if !self.quiet {
            println!("{}", start.backend_note);
            if start.start_tick > 0 {
                println!(
                    "running {} from tick {} to {} into {}",
                    start.scene.name,
                    start.start_tick,
                    start.total_ticks,
                    start.out_dir.display()
                );
            } else {
                println!(
                    "running {} for {} ticks into {}",
                    start.scene.name,
                    start.total_ticks,
                    start.out_dir.display()
                );
            }
        }
        self.bar.set_length(start.total_ticks);
        self.bar.set_position(start.start_tick);
    }

    fn note(&mut self, note: &str) {
        if !self.quiet {
            self.bar.suspend(|| eprintln!("note: {note}"));
        }
    }

    fn progress(&mut self, p: &Progress) {
        self.bar.set_position(p.tick);
        self.bar.set_message(format!(
            "day {:.1}  live {}  {:.0} ticks/s",
            p.simulated_days, p.tumor_live, p.ticks_per_s
        ));
    }

    fn finished(&mut self, s: &Summary, perf: &Performance) {
        self.bar.finish_and_clear();
        if let Some(u) = &s.unconverged_solves {
            eprintln!("{}", u.warning());
        }
        if self.quiet {
            return;
        }
        let (live, quiescent, necrotic, radius) =
            s.final_row.as_ref().map_or((0, 0, 0, 0.0), |r| {
                use oncolattice::model::counters::Counter;
                (
                    r.tumor_live(),
                    r.count(Counter::Quiescent),
                    r.count(Counter::Necrotic),
                    r.tumor_radius_um,
                )
            });
        println!(
            "done: {} ticks ({} days) in {:.1} s, {:.0} ticks/s; tumour {live} live ({quiescent} quiescent), {necrotic} necrotic, radius {radius:.0} µm",
            s.ticks, s.simulated_days, perf.wall_seconds, perf.ticks_per_s
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
    for f in &s.factors {
        println!("  factor    {}", oncolattice::scene::factors::describe(f));
    }
    if let Some(text) = oncolattice::model::immune::describe(&s) {
        println!("  immune    {text}");
    }
    if let Some(text) = oncolattice::scene::vasculature::describe(&s) {
        println!("  network   {text}");
    }
    for (label, text) in oncolattice::scene::describe::treatment_rows(&s) {
        println!("  {label:<9} {text}");
    }
    println!("  memory    {}", oncolattice::output::memory::describe(&s));
    Ok(())
}

fn bench(args: BenchArgs) -> anyhow::Result<()> {
    if args.batch {
        let quiet = args.quiet;
        let report = oncolattice::bench::batch::run_batch_bench(
            args.backend,
            args.quick,
            args.ticks,
            &mut |line| {
                if !quiet {
                    eprintln!("{line}");
                }
            },
        )?;
        print!("{}", report.table());
        if let Some(path) = &args.json {
            let text = serde_json::to_string_pretty(&report)
                .context("cannot serialise the batch bench")?;
            write_json(path, text)?;
        }
        return Ok(());
    }
    if args.peers {
        let quiet = args.quiet;
        let runs = oncolattice::bench::peers::run_peers(args.backend, args.quick, &mut |line| {
            if !quiet {
                eprintln!("{line}");
            }
        })?;
        print!("{}", oncolattice::bench::peers::table(&runs));
        if let Some(path) = &args.json {
            let text = serde_json::to_string_pretty(&runs).context("cannot serialise the runs")?;
            write_json(path, text)?;
        }
        return Ok(());
    }
    let opts = oncolattice::bench::BenchOptions {
        backend: args.backend,
        size: args.size,
        repeats: args.repeats as usize,
    };
    let quiet = args.quiet;
    let report = oncolattice::bench::run(&opts, &mut |line| {
        if !quiet {
            eprintln!("{line}");
        }
    })?;
    print!("{}", report.table());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).context("cannot serialise the bench")?;
        write_json(path, text)?;
    }
    Ok(())
}

/// Writes `bench --json FILE` whole, as every other output is written.
fn write_json(path: &std::path::Path, mut text: String) -> anyhow::Result<()> {
    text.push('\n');
    atomic::write(path, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", e.path.display(), e.source))
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

fn render(args: RenderArgs) -> anyhow::Result<()> {
    oncolattice::engine::gpu::set_quiet_drivers(args.quiet);
    let bad = |m: String| anyhow::Error::new(RenderError::Input(m));
    let panels = match &args.panels {
        Some(list) => rendering::parse_panels(list).map_err(bad)?,
        None => rendering::parse_panels(&args.color).map_err(|_| {
            bad(format!(
                "--color {:?} is not cells, kind, clone, trait:NAME or field:NAME",
                args.color
            ))
        })?,
    };
    let view = if let Some(s) = &args.slice {
        Some(rendering::parse_slice(s).map_err(bad)?)
    } else if args.project.is_some() {
        let axis = rendering::Axis::parse(&args.axis)
            .ok_or_else(|| bad(format!("--axis must be x, y or z (got {:?})", args.axis)))?;
        Some(rendering::View::Project { axis })
    } else if args.volume {
        Some(rendering::View::Volume)
    } else {
        None
    };
    let size = args
        .size
        .as_deref()
        .map(rendering::parse_size)
        .transpose()
        .map_err(bad)?;
    let bar = progress_bar(args.quiet, STEPS).with_message("ticks (recomputing the state)");
    let loaded = rendering::input::load(&args.input, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let loaded = loaded?;
    let opts = RenderOptions {
        panels,
        view,
        size,
        backend: args.backend,
        cutaway: args.cutaway,
    };
    // Checked before anything slow runs.
    rendering::check(&loaded.input, &opts)?;
    let bar = progress_bar(args.quiet, STEPS).with_message("rows");
    let mut device = rendering::VolumeDevice::new(args.backend);
    let img = rendering::render(&loaded.input, &opts, &mut device, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let img = img?;
    let out = args.out.unwrap_or_else(|| {
        if args.input.is_dir() {
            args.input.join("render.png")
        } else {
            args.input.with_extension("png")
        }
    });
    rendering::write_png(&img, &out)?;
    if !args.quiet {
        println!("{}", loaded.note);
        if let Some(note) = &device.note {
            println!("{note}");
        }
        println!(
            "wrote {} ({} × {})",
            out.display(),
            img.width(),
            img.height()
        );
    }
    Ok(())
}

fn plot(args: PlotArgs) -> anyhow::Result<()> {
    let files = oncolattice::output::plot::plot_run(&args.run_dir, args.out.as_deref())?;
    if !args.quiet {
        for f in &files {
            println!("wrote {}", f.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_templates_parse() {
        for t in [TICKS, BYTES, STEPS] {
            assert!(ProgressStyle::with_template(t).is_ok(), "{t}");
        }
    }

    #[test]
    fn a_quiet_bar_is_hidden() {
        assert!(progress_bar(true, TICKS).is_hidden());
    }
}
