//! What `faultline run --out` draws: valid PNG and SVG charts, a report that links only files it
//! ships and escapes every name, a breaker's chart, no fault shading without faults, the same
//! bytes twice, and `--no-plots`.

mod common;
use common::faultline;
use std::path::{Path, PathBuf};

/// A fresh output directory for one test.
fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-plots-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs `faultline run` with `args` and `--out dir`, failing with its stderr if it fails.
fn run_out(args: &[&str], dir: &Path) {
    let mut all: Vec<&str> = vec!["run"];
    all.extend(args);
    let dir_s = dir.to_str().unwrap();
    all.extend(["--out", dir_s]);
    let out = faultline(&all);
    assert!(
        out.status.success(),
        "faultline {all:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn files_with(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// Decodes a PNG fully and returns its size.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{}: not a PNG",
        path.display()
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Not a blank picture: some pixels are neither white nor one flat colour.
    let first = &buf[..3];
    assert!(
        buf.chunks(3).any(|p| p != first),
        "{}: a blank picture",
        path.display()
    );
    (info.width, info.height)
}

/// Parses an SVG as XML and returns its root element's name and size.
fn svg_root(path: &Path) -> (String, f64, f64) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{}: not XML: {e}", path.display()));
    let root = doc.root_element();
    let num = |a: &str| {
        root.attribute(a)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    (
        root.tag_name().name().to_string(),
        num("width"),
        num("height"),
    )
}

/// Every `src="…"` and `href="…"` in an HTML page, unescaped.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').expect("closing quote");
            out.push(rest[..end].replace("&amp;", "&"));
            rest = &rest[end..];
        }
    }
    out
}

#[test]
fn run_out_draws_valid_pngs_and_svgs_and_a_report_linking_only_its_own_files() {
    let dir = out_dir("cascade");
    run_out(&["scenarios/cascade.ron", "--set", "duration=100s"], &dir);
    let pngs = files_with(&dir, "png");
    let svgs = files_with(&dir, "svg");
    let stems = |v: &[PathBuf]| -> Vec<String> {
        v.iter()
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(stems(&pngs), stems(&svgs), "each chart in both formats");
    for expected in [
        "throughput",
        "errors",
        "latency",
        "percentiles",
        "queues",
        "saturation",
    ] {
        assert!(
            stems(&pngs).iter().any(|s| s == expected),
            "no {expected} chart"
        );
    }
    for p in &pngs {
        let (w, h) = png_size(p);
        assert!(
            (600..=2000).contains(&w) && (300..=1500).contains(&h),
            "{}: {w}×{h}",
            p.display()
        );
    }
    for s in &svgs {
        let (root, w, h) = svg_root(s);
        assert_eq!(root, "svg", "{}", s.display());
        assert!(w > 0.0 && h > 0.0, "{}: no size", s.display());
    }

    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    let links = links(&html);
    assert!(
        links.len() >= 2 * pngs.len(),
        "every chart shown: {links:?}"
    );
    for link in &links {
        assert!(
            !link.contains(':') && !link.starts_with('/'),
            "{link} leaves the directory"
        );
        assert!(
            dir.join(link).is_file(),
            "report.html links {link}, not in {}",
            dir.display()
        );
    }
    for data in ["summary.json", "timeseries.csv", "policies.csv"] {
        assert!(
            links.iter().any(|l| l == data),
            "report.html does not link {data}"
        );
    }
    assert!(
        !html.contains("<script") && !html.contains("<link"),
        "self-contained"
    );
    // The fault is shaded and named.
    assert!(html.contains("slowdown db ×5"));
    let throughput = std::fs::read_to_string(dir.join("throughput.svg")).unwrap();
    assert!(throughput.contains("fault window") && throughput.contains("slowdown db ×5"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_breaker_scenario_gets_a_chart_of_the_breaker_states() {
    let dir = out_dir("breaker");
    run_out(
        &[
            "scenarios/slow-dependency-breaker.ron",
            "--set",
            "duration=50s",
        ],
        &dir,
    );
    let svg = std::fs::read_to_string(dir.join("breakers.svg")).expect("breakers.svg");
    for text in ["Circuit breakers", "api → recs", "closed", "open"] {
        assert!(svg.contains(text), "breakers.svg lacks {text:?}");
    }
    png_size(&dir.join("breakers.png"));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("src=\"breakers.svg\""));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_leaders_chart_marks_a_leader_cut_off_from_its_majority_as_isolated() {
    // split-brain.ron: two replicas, partitioned from 10 s to 18 s; each is alone, so each is
    // isolated, and both come to believe they lead.
    let dir = out_dir("split-brain");
    run_out(&["scenarios/split-brain.ron"], &dir);
    let svg = std::fs::read_to_string(dir.join("store-kv-leaders.svg")).expect("leaders chart");
    for text in [
        "replica 0",
        "replica 1",
        "leader",
        "leader, isolated",
        "partition east",
    ] {
        assert!(svg.contains(text), "store-kv-leaders.svg lacks {text:?}");
    }
    // Without the partition nobody is isolated, and the legend says nothing of it.
    let calm = out_dir("split-brain-calm");
    run_out(&["scenarios/split-brain.ron", "--set", "faults=[]"], &calm);
    let svg = std::fs::read_to_string(calm.join("store-kv-leaders.svg")).expect("leaders chart");
    assert!(svg.contains("leader") && !svg.contains("isolated"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&calm);
}

#[test]
fn without_faults_nothing_is_shaded_and_empty_charts_are_left_out() {
    let dir = out_dir("no-faults");
    run_out(
        &[
            "scenarios/queueing/mm1.ron",
            "--set",
            "duration=2000s",
            "--set",
            "warmup=100s",
            "--set",
            "time_series.bucket=10s",
        ],
        &dir,
    );
    for s in files_with(&dir, "svg") {
        let text = std::fs::read_to_string(&s).unwrap();
        assert!(
            !text.contains("fault window"),
            "{} shades a fault",
            s.display()
        );
    }
    assert!(
        !dir.join("errors.svg").exists(),
        "an M/M/1 queue has no errors to draw"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("<h2>Faults</h2>"));
    assert!(html.contains("Not drawn, for having nothing to show: errors"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn names_are_escaped_in_the_report_and_the_charts() {
    let dir = out_dir("escape");
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("odd names.ron");
    std::fs::write(
        &scenario,
        r#"Scenario(
            name: "odd <&> \"names\"",
            duration: "10s",
            time_series: (bucket: "1s"),
            clients: { "users<&>": Open(rate: 20, target: "api<b>&co") },
            services: { "api<b>&co": (workers: 2, service_time: Exponential(mean: "50ms")) },
            faults: [Slowdown(service: "api<b>&co", start: "2s", duration: "3s", factor: 4.0)],
        )"#,
    )
    .unwrap();
    let out = dir.join("out");
    run_out(&[scenario.to_str().unwrap()], &out);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for raw in ["<&>", "api<b>", "<b>&co", "\"names\""] {
        assert!(!html.contains(raw), "report.html holds {raw:?} unescaped");
    }
    assert!(html.contains("api&lt;b&gt;&amp;co"));
    assert!(html.contains("odd &lt;&amp;&gt; &quot;names&quot;"));
    for s in files_with(&out, "svg") {
        let (root, _, _) = svg_root(&s); // parses: every name is escaped in the SVG too
        assert_eq!(root, "svg");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_same_run_draws_the_same_bytes() {
    let (a, b) = (out_dir("same-a"), out_dir("same-b"));
    let args = ["scenarios/partition.ron", "--set", "duration=30s"];
    run_out(&args, &a);
    run_out(&args, &b);
    let names: Vec<PathBuf> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(names.len() > 5);
    for p in names {
        let name = p.file_name().unwrap();
        assert_eq!(
            std::fs::read(&p).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{} differs between two identical runs",
            name.to_string_lossy()
        );
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn no_plots_writes_only_the_data_files() {
    let dir = out_dir("no-plots");
    run_out(
        &[
            "scenarios/queueing/mm1.ron",
            "--set",
            "duration=1000s",
            "--set",
            "warmup=100s",
            "--no-plots",
        ],
        &dir,
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["policies.csv", "summary.json", "timeseries.csv"]);
    let _ = std::fs::remove_dir_all(&dir);
}
