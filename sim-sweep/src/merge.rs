//! Combining the directories of a sweep's shards into the directory the whole sweep would have
//! written, byte for byte.

use crate::error::{MergeError, OutputError, SweepError};
use crate::output::{
    point_path, read_json, read_points, record_fits, to_json, write_atomic, write_results,
    Manifest, PointRecord,
};
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
fn point_files(dir: &Path) -> Result<Vec<usize>, MergeError> {
    let points = dir.join("points");
    let entries = std::fs::read_dir(&points).map_err(|source| MergeError::ListPoints {
        dir: points.clone(),
        source,
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
        return Err(MergeError::NoDirectories.into());
    };
    let mut manifests = Vec::new();
    for d in dirs {
        let path = d.join("sweep.json");
        if !path.exists() {
            return Err(MergeError::NotASweep { dir: d.clone() }.into());
        }
        manifests.push(read_json::<Manifest>(&path)?);
    }
    for (d, m) in dirs.iter().zip(&manifests).skip(1) {
        if let Some(difference) = m.differs_from(&manifests[0]) {
            return Err(MergeError::DifferentSweeps {
                dir: d.clone(),
                first: first.clone(),
                difference,
            }
            .into());
        }
    }
    let mut manifest = manifests[0].clone();
    manifest.shard = None;
    if manifest.points > crate::grid::MAX_POINTS || manifest.points == 0 {
        return Err(MergeError::BadPointCount {
            manifest: first.join("sweep.json"),
            points: manifest.points,
            limit: crate::grid::MAX_POINTS,
        }
        .into());
    }
    let mut owner: Vec<Option<usize>> = vec![None; manifest.points];
    for (k, d) in dirs.iter().enumerate() {
        for i in point_files(d)? {
            if i >= manifest.points {
                return Err(MergeError::PointOutside {
                    path: point_path(d, i),
                    point: i,
                    points: manifest.points,
                }
                .into());
            }
            if let Some(other) = owner[i] {
                return Err(MergeError::PointTwice {
                    point: i,
                    first: dirs[other].clone(),
                    second: d.clone(),
                }
                .into());
            }
            owner[i] = Some(k);
        }
    }
    let missing: Vec<usize> = (0..manifest.points)
        .filter(|&i| owner[i].is_none())
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing {
            missing,
            points: manifest.points,
        }
        .into());
    }
    std::fs::create_dir_all(out.join("points")).map_err(|source| OutputError::CreateDirectory {
        dir: out.to_path_buf(),
        source,
    })?;
    let out_manifest = out.join("sweep.json");
    if out_manifest.exists() && !dirs.iter().any(|d| d == out) {
        let existing: Manifest = read_json(&out_manifest)?;
        if let Some(difference) = existing.differs_from(&manifest) {
            return Err(MergeError::OtherSweep {
                dir: out.to_path_buf(),
                difference,
            }
            .into());
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
        record_fits(&record, &manifest, i).map_err(|mismatch| OutputError::NotThePoint {
            path: from.clone(),
            point: i,
            mismatch,
        })?;
        let to = point_path(out, i);
        if from != to {
            let bytes = std::fs::read_to_string(&from).map_err(|source| OutputError::Copy {
                path: from.clone(),
                source,
            })?;
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
