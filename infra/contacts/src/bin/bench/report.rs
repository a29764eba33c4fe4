//! The bench's report: the figures table, both validators' counts, and the
//! targets met or missed, as Markdown for docs/BENCHMARKS.md.

use std::fmt::Write as _;

use super::*;

const MIB: f64 = 1024.0 * 1024.0;

pub(super) fn print_table(cases: &[Case], outcomes: &[Outcome]) {
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

pub(super) fn print_counts(cases: &[Case], outcomes: &[Outcome]) {
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

pub(super) fn print_targets(cases: &[Case], outcomes: &[Outcome]) {
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
