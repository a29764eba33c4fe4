//! The benchmark: `cargo run --release -p contacts --bin bench` from the
//! repository root (`make bench`). It prints figures; it is not a test.
//!
//! It generates large files into `.bench/` (local Latin-American files with
//! `generate-contacts.py`, a global file with every region's numbers with
//! `infra/bench/gen-global-numbers.py`), runs the release `contacts validate`
//! and the Python reference validator (`infra/bench/reference_validator.py`)
//! on them, each run a child process whose wall time and peak RSS
//! (`wait4`'s `ru_maxrss`) are measured, and prints a table and the targets
//! met or missed. It exits 0 whatever the figures say, and non-zero only when
//! something could not be run.
//!
//! Environment: `SAMPLES_DIR` (where `generate-contacts.py` is; default
//! `../shared/samples` from the repository root), `PYTHON` (default
//! `python3`), `BENCH_RUNS` (runs per measurement, best time kept; default 3),
//! `BENCH_NO_BUILD` (do not rebuild the `contacts` binary first).

use std::fs;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::time::Instant;

#[path = "bench/report.rs"]
mod report;
use report::{print_counts, print_table, print_targets};

const LOCAL_ROWS: [u64; 3] = [50_000, 100_000, 200_000];
const GLOBAL_ROWS: u64 = 200_000;
/// The default country of the local files.
const LOCAL_COUNTRY: &str = "EC";

const TARGET_LOCAL_SPEEDUP: f64 = 15.0;
const TARGET_GLOBAL_SPEEDUP: f64 = 2.0;
const TARGET_PEAK_RSS_MIB: f64 = 160.0;
/// RSS is flat: the largest file's RSS is at most this × the smallest's …
const TARGET_RSS_GROWTH: f64 = 1.5;
/// … plus this many MiB.
const TARGET_RSS_SLACK_MIB: f64 = 10.0;
/// Row and error counts agree with Python's within this fraction of the rows.
const COUNT_TOLERANCE: f64 = 0.005;

type Res<T> = Result<T, String>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One child process's figures.
struct Sample {
    secs: f64,
    /// User plus system CPU time.
    cpu_secs: f64,
    max_rss_kib: u64,
    stdout: String,
}

/// Several runs of one command: the best time, the largest RSS, the last
/// run's output.
struct Measure {
    best_secs: f64,
    best_cpu_secs: f64,
    max_rss_kib: u64,
    stdout: String,
}

impl Measure {
    fn rss_mib(&self) -> f64 {
        self.max_rss_kib as f64 / 1024.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    rows: u64,
    to_add: u64,
    errors: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Local,
    Global,
    /// The local file as a workbook.
    Spreadsheet,
}

struct Case {
    name: String,
    path: PathBuf,
    kind: Kind,
    rows: u64,
    bytes: u64,
    country: Option<&'static str>,
    with_python: bool,
}

struct Outcome {
    /// `contacts validate` with `--errors`: both passes.
    ours: Measure,
    /// `contacts validate` alone: the review only.
    review_only: Measure,
    ours_counts: Counts,
    python: Option<(Measure, Counts)>,
}

fn run() -> Res<()> {
    let root = repo_root()?;
    let bench_dir = root.join(".bench");
    let out_dir = bench_dir.join("out");
    fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let runs: usize = match std::env::var("BENCH_RUNS") {
        Ok(v) => v
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or("BENCH_RUNS must be a positive number")?,
        Err(_) => 3,
    };
    let samples_dir = std::env::var_os("SAMPLES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/samples"));
    let local_generator = samples_dir.join("generate-contacts.py");
    let global_generator = root.join("infra/bench/gen-global-numbers.py");
    let reference = root.join("infra/bench/reference_validator.py");
    for script in [&local_generator, &global_generator, &reference] {
        if !script.is_file() {
            return Err(format!("{} is missing", script.display()));
        }
    }
    let python = find_python()?;
    let contacts = contacts_binary(&root)?;

    print_machine(&python);

    let mut cases = Vec::new();
    for rows in LOCAL_ROWS {
        let path = bench_dir.join(format!("local-{rows}.csv"));
        generate(&python, &local_generator, &[rows.to_string()], &path)?;
        cases.push(case(
            path,
            Kind::Local,
            rows,
            Some(LOCAL_COUNTRY),
            rows == 200_000,
        )?);
    }
    let path = bench_dir.join(format!("global-{GLOBAL_ROWS}.csv"));
    generate(
        &python,
        &global_generator,
        &[GLOBAL_ROWS.to_string()],
        &path,
    )?;
    // Every global number is written with +country: no default country.
    cases.push(case(path, Kind::Global, GLOBAL_ROWS, None, true)?);
    // The 200k local file as an .xlsx, and with a column of notes that
    // brings it near the 20 MiB limit.
    let xlsx_generator = root.join("infra/bench/gen-xlsx.py");
    let local = bench_dir.join("local-200000.csv").display().to_string();
    for (name, flags) in [
        ("local-200000.xlsx", &[][..]),
        ("wide-200000.xlsx", &["--notes"][..]),
    ] {
        let path = bench_dir.join(name);
        let args: Vec<String> = flags
            .iter()
            .map(|f| f.to_string())
            .chain([local.clone()])
            .collect();
        generate(&python, &xlsx_generator, &args, &path)?;
        cases.push(case(
            path,
            Kind::Spreadsheet,
            200_000,
            Some(LOCAL_COUNTRY),
            false,
        )?);
    }

    let mut outcomes = Vec::new();
    for c in &cases {
        let mut validate = vec!["validate".to_string(), c.path.display().to_string()];
        if let Some(cc) = c.country {
            validate.extend(["--default-country".to_string(), cc.to_string()]);
        }
        let errors_file = out_dir.join(format!("errors-{}", c.name));
        let mut with_errors = validate.clone();
        with_errors.extend(["--errors".to_string(), errors_file.display().to_string()]);
        eprintln!("bench: contacts validate {} ({runs} runs)…", c.name);
        let review_only = measure(runs, || {
            let mut cmd = Command::new(&contacts);
            cmd.args(&validate);
            cmd
        })?;
        let ours = measure(runs, || {
            let mut cmd = Command::new(&contacts);
            cmd.args(&with_errors);
            cmd
        })?;
        let ours_counts = our_counts(&ours.stdout)?;
        if our_counts(&review_only.stdout)? != ours_counts {
            return Err(format!(
                "{}: the review differs with and without --errors",
                c.name
            ));
        }
        let python_measure = if c.with_python {
            eprintln!("bench: reference_validator.py {} ({runs} runs)…", c.name);
            let m = measure(runs, || {
                let mut cmd = Command::new(&python);
                cmd.arg(&reference).arg(&c.path);
                if let Some(cc) = c.country {
                    cmd.args(["--default-country", cc]);
                }
                cmd
            })?;
            let counts = python_counts(&m.stdout)?;
            Some((m, counts))
        } else {
            None
        };
        outcomes.push(Outcome {
            ours,
            review_only,
            ours_counts,
            python: python_measure,
        });
    }

    print_table(&cases, &outcomes);
    print_counts(&cases, &outcomes);
    print_targets(&cases, &outcomes);
    Ok(())
}

/// The repository root: two levels above this crate's manifest.
fn repo_root() -> Res<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))
}

/// The Python interpreter itself (not a shim that would add its start-up to
/// every measurement), with `phonenumbers` importable.
fn find_python() -> Res<PathBuf> {
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let output = Command::new(&python)
        .args([
            "-c",
            "import sys, phonenumbers; print(sys.executable); print(phonenumbers.__version__)",
        ])
        .output()
        .map_err(|e| format!("{}: {e}", python.to_string_lossy()))?;
    if !output.status.success() {
        return Err(format!(
            "{} cannot import phonenumbers (pip install phonenumbers): {}",
            python.to_string_lossy(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let executable = text.lines().next().unwrap_or("").trim();
    if executable.is_empty() {
        return Ok(PathBuf::from(python));
    }
    Ok(PathBuf::from(executable))
}

/// The release `contacts` binary beside this one, rebuilt first when run
/// through cargo (`cargo run --bin bench` builds only the bench).
fn contacts_binary(root: &Path) -> Res<PathBuf> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("current_exe: {e}"))?
        .with_file_name("contacts");
    if let Some(cargo) = std::env::var_os("CARGO")
        && std::env::var_os("BENCH_NO_BUILD").is_none()
    {
        let release = exe
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|d| d == "release");
        let mut cmd = Command::new(cargo);
        cmd.current_dir(root)
            .args(["build", "-p", "contacts", "--bin", "contacts"]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().map_err(|e| format!("cargo build: {e}"))?;
        if !status.success() {
            return Err(format!("cargo build -p contacts failed: {status}"));
        }
    }
    if !exe.is_file() {
        return Err(format!(
            "{} is missing: run `cargo build --release -p contacts`",
            exe.display()
        ));
    }
    Ok(exe)
}

fn print_machine(python: &Path) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown", |(_, m)| m.trim());
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "machine: {cores} cores, {model}; load average {}",
        load.join(" ")
    );
    println!("python: {}", python.display());
    if cfg!(debug_assertions) {
        println!(
            "warning: a debug build of the bench; the figures are the contacts binary's beside it"
        );
    }
    println!();
}

/// Writes `out` with `generator ROWS OUT` unless it exists.
/// Runs `generator ARGS… OUT.partial`, then names the file `out`.
fn generate(python: &Path, generator: &Path, args: &[String], out: &Path) -> Res<()> {
    if out.is_file() {
        return Ok(());
    }
    eprintln!("bench: generating {} …", out.display());
    let partial = out.with_extension("csv.partial");
    let status = Command::new(python)
        .arg(generator)
        .args(args)
        .arg(&partial)
        .status()
        .map_err(|e| format!("{}: {e}", generator.display()))?;
    if !status.success() {
        let _ = fs::remove_file(&partial);
        return Err(format!("{} {args:?} failed: {status}", generator.display()));
    }
    fs::rename(&partial, out).map_err(|e| format!("{}: {e}", out.display()))
}

fn case(
    path: PathBuf,
    kind: Kind,
    rows: u64,
    country: Option<&'static str>,
    with_python: bool,
) -> Res<Case> {
    let bytes = fs::metadata(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Case {
        name,
        path,
        kind,
        rows,
        bytes,
        country,
        with_python,
    })
}

/// Runs the command `runs` times.
fn measure(runs: usize, command: impl Fn() -> Command) -> Res<Measure> {
    let mut best = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    let mut max_rss = 0;
    let mut stdout = String::new();
    for _ in 0..runs {
        let sample = run_child(command())?;
        best = best.min(sample.secs);
        best_cpu = best_cpu.min(sample.cpu_secs);
        max_rss = max_rss.max(sample.max_rss_kib);
        stdout = sample.stdout;
    }
    Ok(Measure {
        best_secs: best,
        best_cpu_secs: best_cpu,
        max_rss_kib: max_rss,
        stdout,
    })
}

/// Runs one child to its end: wall time from spawn to reaping, and its peak
/// resident set from `wait4`.
fn run_child(mut cmd: Command) -> Res<Sample> {
    let shown = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("{shown}: {e}"))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not yet reaped (std's `Child` is never
        // waited on); the pointers are to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4 {shown}: {e}"));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let status = ExitStatus::from_raw(status);
    if !status.success() {
        return Err(format!("{shown} failed ({status}): {}", stderr.trim()));
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Sample {
        secs,
        cpu_secs: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        // Linux answers kibibytes.
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        stdout,
    })
}

fn json_u64(value: &serde_json::Value, path: &[&str]) -> Res<u64> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| format!("no {} in {value}", path.join(".")))
}

fn our_counts(stdout: &str) -> Res<Counts> {
    let v: serde_json::Value =
        serde_json::from_str(stdout).map_err(|e| format!("contacts' output: {e}"))?;
    Ok(Counts {
        rows: json_u64(&v, &["review", "rows"])?,
        to_add: json_u64(&v, &["review", "to_add"])?,
        errors: json_u64(&v, &["review", "errors"])?,
    })
}

fn python_counts(stdout: &str) -> Res<Counts> {
    let v: serde_json::Value =
        serde_json::from_str(stdout.trim()).map_err(|e| format!("Python's output: {e}"))?;
    Ok(Counts {
        rows: json_u64(&v, &["rows"])?,
        to_add: json_u64(&v, &["to_add"])?,
        errors: json_u64(&v, &["errors"])?,
    })
}
