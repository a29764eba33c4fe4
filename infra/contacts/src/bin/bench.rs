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

use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::time::Instant;

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

const MIB: f64 = 1024.0 * 1024.0;

fn print_table(cases: &[Case], outcomes: &[Outcome]) {
    let header = [
        "file",
        "rows",
        "MiB",
        "ours s",
        "rows/s",
        "MiB/s",
        "peak RSS MiB",
        "review-only s",
        "Python s",
        "Python RSS MiB",
        "speed-up",
        "speed-up with --errors",
        "CPU speed-up",
    ];
    let mut lines = vec![header.map(String::from).to_vec()];
    for (c, o) in cases.iter().zip(outcomes) {
        let secs = o.ours.best_secs;
        let mib = c.bytes as f64 / MIB;
        let rss = o.ours.rss_mib().max(o.review_only.rss_mib());
        let (py_secs, py_rss, speedup, speedup_with_errors, cpu_speedup) = match &o.python {
            Some((m, _)) => (
                format!("{:.2}", m.best_secs),
                format!("{:.1}", m.rss_mib()),
                format!("{:.1}×", m.best_secs / o.review_only.best_secs),
                format!("{:.1}×", m.best_secs / secs),
                format!("{:.1}×", m.best_cpu_secs / o.review_only.best_cpu_secs),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into(), "-".into()),
        };
        lines.push(vec![
            c.name.clone(),
            c.rows.to_string(),
            format!("{mib:.1}"),
            format!("{secs:.3}"),
            format!("{:.0}", c.rows as f64 / secs),
            format!("{:.1}", mib / secs),
            format!("{rss:.1}"),
            format!("{:.3}", o.review_only.best_secs),
            py_secs,
            py_rss,
            speedup,
            speedup_with_errors,
            cpu_speedup,
        ]);
    }
    println!(
        "Figures (wall time, best of the runs; RSS, largest of the runs; \"ours\" is \
         `contacts validate --errors`, both passes; review-only is without --errors; \
         the speed-ups compare Python with review-only, the same work, and \
         \"with --errors\" with both passes; the CPU speed-up compares user+sys \
         time, which other load disturbs less):"
    );
    println!();
    print!("{}", markdown(&lines, true));
    println!();
}

fn print_counts(cases: &[Case], outcomes: &[Outcome]) {
    let mut lines = vec![
        [
            "file",
            "ours rows",
            "ours to_add",
            "ours errors",
            "Python rows",
            "Python to_add",
            "Python errors",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (c, o) in cases.iter().zip(outcomes) {
        let ours = o.ours_counts;
        let (r, a, e) = match &o.python {
            Some((_, p)) => (
                p.rows.to_string(),
                p.to_add.to_string(),
                p.errors.to_string(),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        lines.push(vec![
            c.name.clone(),
            ours.rows.to_string(),
            ours.to_add.to_string(),
            ours.errors.to_string(),
            r,
            a,
            e,
        ]);
    }
    println!("Counts:");
    println!();
    print!("{}", markdown(&lines, true));
    println!();
}

fn print_targets(cases: &[Case], outcomes: &[Outcome]) {
    let mut lines = vec![["target", "measured", "result"].map(String::from).to_vec()];
    let mut check = |target: String, measured: String, pass: Option<bool>| {
        let result = match pass {
            Some(true) => "PASS",
            Some(false) => "MISS",
            None => "n/a",
        };
        lines.push(vec![target, measured, result.to_string()]);
    };
    let find = |kind: Kind, rows: u64| {
        cases
            .iter()
            .zip(outcomes)
            .find(|(c, _)| c.kind == kind && c.rows == rows)
            .map(|(_, o)| o)
    };
    for (kind, rows, target, label) in [
        (Kind::Local, 200_000, TARGET_LOCAL_SPEEDUP, "local 200k"),
        (
            Kind::Global,
            GLOBAL_ROWS,
            TARGET_GLOBAL_SPEEDUP,
            "global 200k",
        ),
    ] {
        let speedup = find(kind, rows).and_then(|o| {
            o.python
                .as_ref()
                // The Python reference computes the review and writes no
                // error file: compare it with the same work.
                .map(|(p, _)| p.best_secs / o.review_only.best_secs)
        });
        check(
            format!("{label}: ≥ {target}× faster than Python"),
            speedup.map_or("-".into(), |s| format!("{s:.1}×")),
            speedup.map(|s| s >= target),
        );
    }
    let rss = |o: &Outcome| o.ours.rss_mib().max(o.review_only.rss_mib());
    let peak = outcomes.iter().map(rss).fold(0.0, f64::max);
    check(
        format!("peak RSS ≤ {TARGET_PEAK_RSS_MIB} MiB"),
        format!("{peak:.1} MiB"),
        Some(peak <= TARGET_PEAK_RSS_MIB),
    );
    let (small, large) = (LOCAL_ROWS[0], LOCAL_ROWS[LOCAL_ROWS.len() - 1]);
    let flat = find(Kind::Local, small).zip(find(Kind::Local, large));
    check(
        format!(
            "RSS flat: {}k-row RSS ≤ {TARGET_RSS_GROWTH} × {}k-row RSS + {TARGET_RSS_SLACK_MIB} MiB",
            large / 1000,
            small / 1000
        ),
        flat.map_or("-".into(), |(s, l)| {
            format!(
                "{:.1} MiB vs {:.1} MiB (limit {:.1})",
                rss(l),
                rss(s),
                TARGET_RSS_GROWTH * rss(s) + TARGET_RSS_SLACK_MIB
            )
        }),
        flat.map(|(s, l)| rss(l) <= TARGET_RSS_GROWTH * rss(s) + TARGET_RSS_SLACK_MIB),
    );
    for (c, o) in cases.iter().zip(outcomes) {
        let Some((_, p)) = &o.python else { continue };
        let ours = o.ours_counts;
        let tolerance = (c.rows as f64 * COUNT_TOLERANCE).ceil() as u64;
        let agree = ours.rows == p.rows && ours.errors.abs_diff(p.errors) <= tolerance;
        check(
            format!(
                "{}: rows equal and errors within {:.1}% of the rows of Python's",
                c.name,
                COUNT_TOLERANCE * 100.0
            ),
            format!(
                "rows {} / {}, errors {} / {}",
                ours.rows, p.rows, ours.errors, p.errors
            ),
            Some(agree),
        );
    }
    println!("Targets:");
    println!();
    print!("{}", markdown(&lines, false));
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!();
    println!("load average at the end: {}", load.join(" "));
}

/// A Markdown table, columns padded; all but the first column right-aligned
/// when `numeric`.
fn markdown(lines: &[Vec<String>], numeric: bool) -> String {
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            lines
                .iter()
                .filter_map(|l| l.get(i))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (n, line) in lines.iter().enumerate() {
        out.push('|');
        for (i, width) in widths.iter().enumerate() {
            let cell = line.get(i).map_or("", String::as_str);
            let pad = width - cell.chars().count();
            // Numbers to the right, words to the left.
            if numeric && i > 0 && n > 0 {
                let _ = write!(out, " {}{cell} |", " ".repeat(pad));
            } else {
                let _ = write!(out, " {cell}{} |", " ".repeat(pad));
            }
        }
        out.push('\n');
        if n == 0 {
            out.push('|');
            for (i, width) in widths.iter().enumerate() {
                let dashes = "-".repeat(*width);
                if numeric && i > 0 {
                    let _ = write!(out, " {}: |", &dashes[..dashes.len().saturating_sub(1)]);
                } else {
                    let _ = write!(out, " {dashes} |");
                }
            }
            out.push('\n');
        }
    }
    out
}
