//! Combining the directories of a sweep's shards into the directory the whole sweep would have
//! written, byte for byte.

use crate::output::{
    point_path, read_json, read_points, record_fits, to_json, write_atomic, write_results,
    Manifest, PointRecord,
};
use crate::SweepError;
use std::path::{Path, PathBuf};

/// What [`merge`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeSummary {
    /// Points in the merged sweep.
    pub points: usize,
    /// Directories merged.
    pub dirs: usize,
}

/// The point indices whose files a sweep directory holds (`points/NNNNN.json`), sorted.
fn point_files(dir: &Path) -> Result<Vec<usize>, SweepError> {
    let points = dir.join("points");
    let entries = std::fs::read_dir(&points).map_err(|e| {
        SweepError::Input(format!(
            "{}: cannot list the point files: {e}",
            points.display()
        ))
    })?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".json") {
            if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(i) = stem.parse() {
                    out.push(i);
                }
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Checks that the sweep directories `dirs` hold shards of one sweep (their manifests agree
/// but for the shard) and every point exactly once, then writes into `out` the manifest, the
/// point files and the final files of the whole sweep.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<MergeSummary, SweepError> {
    let Some(first) = dirs.first() else {
        return Err(SweepError::Input(
            "merge: give the shard directories to merge".into(),
        ));
    };
    let mut manifests = Vec::new();
    for d in dirs {
        let path = d.join("sweep.json");
        if !path.exists() {
            return Err(SweepError::Input(format!(
                "{}: no sweep.json: not the output directory of a sweep",
                d.display()
            )));
        }
        manifests.push(read_json::<Manifest>(&path)?);
    }
    for (d, m) in dirs.iter().zip(&manifests).skip(1) {
        if let Some(why) = m.differs_from(&manifests[0]) {
            return Err(SweepError::Input(format!(
                "{} and {} hold different sweeps: {why}",
                d.display(),
                first.display()
            )));
        }
    }
    let mut manifest = manifests[0].clone();
    manifest.shard = None;
    if manifest.points > crate::grid::MAX_POINTS || manifest.points == 0 {
        return Err(SweepError::Input(format!(
            "{}: `points: {}` is not the size of a sweep (1 to {})",
            first.join("sweep.json").display(),
            manifest.points,
            crate::grid::MAX_POINTS
        )));
    }
    let mut owner: Vec<Option<usize>> = vec![None; manifest.points];
    for (k, d) in dirs.iter().enumerate() {
        for i in point_files(d)? {
            if i >= manifest.points {
                return Err(SweepError::Input(format!(
                    "{}: point {i} is outside the sweep's {} points",
                    point_path(d, i).display(),
                    manifest.points
                )));
            }
            if let Some(other) = owner[i] {
                return Err(SweepError::Input(format!(
                    "point {i} is in both {} and {}: each point must come from exactly one shard",
                    dirs[other].display(),
                    d.display()
                )));
            }
            owner[i] = Some(k);
        }
    }
    let missing: Vec<usize> = (0..manifest.points)
        .filter(|&i| owner[i].is_none())
        .collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(10).map(|i| i.to_string()).collect();
        let more = if missing.len() > 10 { ", …" } else { "" };
        return Err(SweepError::Input(format!(
            "{} of {} points are missing (points {}{more}): a shard has not finished, or its directory was not given",
            missing.len(),
            manifest.points,
            shown.join(", ")
        )));
    }
    std::fs::create_dir_all(out.join("points")).map_err(|e| {
        SweepError::Input(format!(
            "--out {}: cannot create the directory: {e}",
            out.display()
        ))
    })?;
    let out_manifest = out.join("sweep.json");
    if out_manifest.exists() && !dirs.iter().any(|d| d == out) {
        let existing: Manifest = read_json(&out_manifest)?;
        if let Some(why) = existing.differs_from(&manifest) {
            return Err(SweepError::Input(format!(
                "--out {}: the directory holds another sweep ({why}); choose another --out",
                out.display()
            )));
        }
    }
    // Every point is read back to write the result files: refuse at once if they cannot fit,
    // judging by the first point's metrics.
    let sample: PointRecord = read_json(&point_path(&dirs[owner[0].unwrap_or(0)], 0))?;
    let sizes = crate::memory::RunSizes::of_record(&sample);
    let estimate = crate::memory::estimate(
        &sizes,
        manifest.points as u64,
        manifest.seeds.len() as u64,
        0,
        true,
    );
    crate::memory::check(&estimate, sizes.limit)?;
    write_atomic(&out_manifest, &to_json(&manifest))?;
    for (i, k) in owner.iter().enumerate() {
        let from = point_path(&dirs[k.unwrap_or(0)], i);
        let record: PointRecord = read_json(&from)?;
        record_fits(&record, &manifest, i).map_err(|why| {
            SweepError::Input(format!(
                "{}: not this sweep's point {i}: {why}",
                from.display()
            ))
        })?;
        let to = point_path(out, i);
        if from != to {
            let bytes = std::fs::read_to_string(&from)
                .map_err(|e| SweepError::Io(format!("cannot read {}: {e}", from.display())))?;
            write_atomic(&to, &bytes)?;
        }
    }
    let records = read_points(out, &manifest)?;
    write_results(out, &manifest, &records)?;
    Ok(MergeSummary {
        points: manifest.points,
        dirs: dirs.len(),
    })
}
