//! A real Slurm round trip (issue #12): a one-node Slurm on this machine
//! (scripts/slurm-localhost.sh), the script of `batch --emit-slurm` submitted as a
//! 3-task job array, `merge`, and the merged summary.csv byte for byte the one a single
//! machine writes. The batch directory's path has a space and a `%`, which sbatch reads
//! as a word break and a file-name pattern.
//!
//! Without Slurm and munge (Debian: slurmctld slurmd slurm-client munge, which
//! scripts/test installs) or without root this test fails, saying so; it never skips.
//! Only one Slurm can run on a machine (ports 6817 and 6818), so the round trips of
//! several test processes take turns on a lock file in /tmp; nothing else in the test
//! suite starts Slurm. The daemons are stopped when the test ends, passed or failed.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");
const LOCK: &str = "/tmp/oncolattice-slurm-localhost.lock";
/// How long the job array may take from submission to leaving the queue.
const ARRAY_LIMIT: Duration = Duration::from_secs(300);

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn both(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn helper(action: &str, dir: &Path) -> Output {
    run(Command::new("bash")
        .arg(repo("scripts/slurm-localhost.sh"))
        .arg(action)
        .arg(dir))
}

/// Takes the machine-wide lock (waiting at most 10 minutes for another round trip).
#[cfg(unix)]
fn lock() -> File {
    use std::os::unix::io::AsRawFd;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(LOCK)
        .unwrap_or_else(|e| panic!("cannot open the lock file {LOCK}: {e}"));
    let start = Instant::now();
    loop {
        // SAFETY: flock on a descriptor this `File` owns and keeps open.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return file;
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) | Some(libc::EINTR) => {}
            _ => panic!("cannot lock {LOCK}: {e}"),
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "another Slurm round trip has held {LOCK} for 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[cfg(not(unix))]
fn lock() -> File {
    panic!("the Slurm round trip needs Linux (Slurm, munge, flock)");
}

/// The Slurm started in `dir`; dropping it cancels the job (if any) and stops the
/// daemons, also when the test panics.
struct Slurm {
    dir: PathBuf,
    job: Option<String>,
    _lock: File,
}

impl Slurm {
    fn start(dir: &Path) -> Slurm {
        let lock = lock();
        // A round trip killed outright (SIGKILL) left its directory's name here; its
        // daemons would hold the ports.
        if let Ok(previous) = std::fs::read_to_string(LOCK) {
            let previous = previous.trim();
            if !previous.is_empty() && Path::new(previous).is_dir() {
                let o = helper("stop", Path::new(previous));
                eprintln!("stopped a killed round trip's Slurm: {}", both(&o));
            }
        }
        std::fs::write(LOCK, dir.display().to_string()).unwrap();
        let slurm = Slurm {
            dir: dir.to_path_buf(),
            job: None,
            _lock: lock,
        };
        let o = helper("start", dir);
        assert!(
            o.status.success(),
            "scripts/slurm-localhost.sh start failed (the round trip needs Slurm, munge \
             and root; scripts/test installs the packages):\n{}",
            both(&o)
        );
        slurm
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", self.dir.join("slurm.conf"));
        c
    }

    fn in_queue(&self, job: &str) -> String {
        let o = run(self.cmd("squeue").args(["-h", "-j", job]));
        // Once a job has left the controller's memory (MinJobAge) squeue refuses its id.
        if !o.status.success() && text(&o.stderr).contains("Invalid job id") {
            return String::new();
        }
        assert!(o.status.success(), "squeue -j {job}: {}", both(&o));
        text(&o.stdout).trim().to_string()
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        if let Some(job) = self.job.take() {
            if !self.in_queue(&job).is_empty() {
                let _ = self.cmd("scancel").arg(&job).status();
                let start = Instant::now();
                while !self.in_queue(&job).is_empty() && start.elapsed().as_secs() < 30 {
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        }
        let o = helper("stop", &self.dir);
        if o.status.success() {
            let _ = std::fs::write(LOCK, "");
        } else {
            eprintln!("scripts/slurm-localhost.sh stop failed:\n{}", both(&o));
        }
    }
}

/// Every task log of the batch directory, for a failure message.
fn logs(out: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.join("slurm"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut s = String::new();
    for f in files {
        let body = std::fs::read_to_string(&f).unwrap_or_else(|e| format!("({e})"));
        s += &format!("----- {}\n{body}\n", f.display());
    }
    if s.is_empty() {
        s = format!("(no task logs in {})", out.join("slurm").display());
    }
    s
}

#[test]
fn a_job_array_on_a_real_slurm_merges_into_the_single_machine_summary() {
    let begin = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let mut slurm = Slurm::start(&tmp.path().join("slurm"));
    let share = tmp.path().join("shared 50% dir");
    let (d1, d2, script) = (share.join("d1"), tmp.path().join("d2"), share.join("s.sh"));
    let batch = repo("tests/fixtures/batch/small-trial.toml");

    let o = run(Command::new(BIN)
        .arg("batch")
        .arg(&batch)
        .arg("--out")
        .arg(&d1)
        .args(["--backend", "cpu", "--emit-slurm"])
        .arg(&script)
        .args(["--slurm-shards", "3", "--slurm-time", "0:10:00"])
        .args(["--slurm-mem", "1G"]));
    assert!(o.status.success(), "--emit-slurm: {}", both(&o));
    let body = std::fs::read_to_string(&script).unwrap();
    let logs_dir = d1.join("slurm").display().to_string().replace('%', "%%");
    for line in [
        "#!/bin/bash".to_string(),
        "#SBATCH --job-name=oncolattice-small-trial".into(),
        "#SBATCH --array=1-3".into(),
        "#SBATCH --time=0:10:00".into(),
        "#SBATCH --mem=1G".into(),
        "#SBATCH --cpus-per-task=1".into(),
        format!("#SBATCH --output=\"{logs_dir}/%A_%a.out\""),
        "export RAYON_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"".into(),
    ] {
        assert!(
            body.lines().any(|l| l == line),
            "no line {line:?} in the script:\n{body}"
        );
    }
    assert!(
        body.contains(&format!("exec '{BIN}' batch ")),
        "the script does not run {BIN}:\n{body}"
    );

    let submitted = Instant::now();
    let o = run(slurm.cmd("sbatch").arg("--parsable").arg(&script));
    assert!(
        o.status.success(),
        "sbatch refused the script: {}",
        both(&o)
    );
    let job = text(&o.stdout).trim().to_string();
    assert!(
        !job.is_empty() && job.bytes().all(|b| b.is_ascii_digit()),
        "sbatch --parsable printed {job:?}"
    );
    slurm.job = Some(job.clone());
    loop {
        let queue = slurm.in_queue(&job);
        if queue.is_empty() {
            break;
        }
        assert!(
            submitted.elapsed() < ARRAY_LIMIT,
            "job {job} still queued after {ARRAY_LIMIT:?}:\n{queue}\n{}",
            logs(&d1)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let in_slurm = submitted.elapsed();

    let o = run(slurm.cmd("scontrol").args(["show", "job", &job]));
    assert!(o.status.success(), "scontrol show job {job}: {}", both(&o));
    let shown = text(&o.stdout);
    let states: Vec<&str> = shown
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("JobState="))
        .collect();
    let codes: Vec<&str> = shown
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("ExitCode="))
        .collect();
    assert!(
        states.len() == 3 && states.iter().all(|s| *s == "COMPLETED") && codes == ["0:0"; 3],
        "job {job}: states {states:?}, exit codes {codes:?}\n{shown}\n{}",
        logs(&d1)
    );
    for task in 1..=3 {
        let log = d1.join("slurm").join(format!("{job}_{task}.out"));
        let body = std::fs::read_to_string(&log)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", log.display(), logs(&d1)));
        assert!(
            body.contains(&format!("shard {task}/3 of small-trial: 2 runs")),
            "task {task}'s log:\n{}",
            logs(&d1)
        );
    }

    let o = run(Command::new(BIN).arg("merge").arg(&d1));
    assert!(o.status.success(), "merge: {}\n{}", both(&o), logs(&d1));
    let o = run(Command::new(BIN)
        .arg("batch")
        .arg(&batch)
        .arg("--out")
        .arg(&d2)
        .args(["--backend", "cpu", "--quiet"]));
    assert!(o.status.success(), "the single-machine batch: {}", both(&o));
    let (merged, single) = (
        std::fs::read(d1.join("summary.csv")).unwrap(),
        std::fs::read(d2.join("summary.csv")).unwrap(),
    );
    assert!(
        merged == single,
        "merged summary.csv differs from the single machine's:\n{}\n--- single machine:\n{}",
        text(&merged),
        text(&single)
    );
    eprintln!(
        "Slurm round trip: job array {:.1} s, whole test {:.1} s",
        in_slurm.as_secs_f64(),
        begin.elapsed().as_secs_f64()
    );
}
