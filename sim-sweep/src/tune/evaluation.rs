//! Running the caller's evaluations: the first alone, to check the metric names before anything
//! else runs, then the rest in parallel (rayon), collected by index so the order of completion
//! never shows.

use super::error::TuneError;
use super::expr::{closest, Constraint, Objective};
use super::space::{describe, Parameter};
use crate::metrics::Metrics;
use rayon::prelude::*;

/// Runs evaluations and keeps the tracked metrics.
pub(super) struct Runner<'a, F> {
    pub(super) space: &'a [Parameter],
    pub(super) evaluate: &'a F,
    /// Tracked metrics: the objective's, then the constraints' (each once).
    pub(super) metrics: &'a [String],
    pub(super) objective: &'a Objective,
    pub(super) constraints: &'a [Constraint],
    /// Whether the metric names were checked against a first evaluation.
    pub(super) checked: bool,
    pub(super) evaluations: u64,
}

impl<F> Runner<'_, F>
where
    F: Fn(&[usize], u32) -> Result<Metrics, String> + Sync,
{
    /// Replications `from..to` of candidates `which`, appended to their samples.
    pub(super) fn batch(
        &mut self,
        points: &[Vec<usize>],
        which: &[usize],
        from: u32,
        to: u32,
        samples: &mut [Vec<Vec<f64>>],
    ) -> Result<(), TuneError> {
        let jobs: Vec<(usize, u32)> = which
            .iter()
            .flat_map(|&c| (from..to).map(move |r| (c, r)))
            .collect();
        let mut skip = 0;
        let mut first = None;
        if !self.checked {
            // One evaluation alone first: a misspelt metric fails before the rest run.
            let Some(&(c, r)) = jobs.first() else {
                return Ok(());
            };
            let m = (self.evaluate)(&points[c], r).map_err(|e| self.failed(&points[c], r, e))?;
            self.check_names(&m)?;
            self.checked = true;
            first = Some(self.extract(&m, &points[c], r)?);
            skip = 1;
        }
        let (evaluate, metrics) = (self.evaluate, self.metrics);
        let results: Vec<Result<Vec<f64>, Result<String, String>>> = jobs[skip..]
            .par_iter()
            .map(|&(c, r)| match evaluate(&points[c], r) {
                Ok(m) => metrics
                    .iter()
                    .map(|name| m.get(name).copied().ok_or_else(|| Ok(name.clone())))
                    .collect(),
                Err(e) => Err(Err(e)),
            })
            .collect();
        self.evaluations += jobs.len() as u64;
        for (k, result) in first.into_iter().map(Ok).chain(results).enumerate() {
            let (c, r) = jobs[k];
            let values = match result {
                Ok(v) => v,
                Err(Ok(name)) => {
                    return Err(TuneError::MissingMetric {
                        name,
                        point: describe(self.space, &points[c]),
                        replication: r,
                    })
                }
                Err(Err(message)) => return Err(self.failed(&points[c], r, message)),
            };
            for (slot, v) in samples[c].iter_mut().zip(values) {
                slot.push(v);
            }
        }
        Ok(())
    }

    fn failed(&self, point: &[usize], replication: u32, message: String) -> TuneError {
        TuneError::Evaluation {
            point: describe(self.space, point),
            replication,
            message,
        }
    }

    fn check_names(&self, m: &Metrics) -> Result<(), TuneError> {
        let known = || m.keys().map(String::as_str);
        let unknown = |name: &str, role: String| TuneError::UnknownMetric {
            name: name.to_string(),
            role,
            suggestions: closest(name, known(), 3),
        };
        if !m.contains_key(&self.objective.metric) {
            return Err(unknown(&self.objective.metric, "objective".into()));
        }
        for c in self.constraints {
            if !m.contains_key(&c.metric) {
                return Err(unknown(&c.metric, format!("constraint \"{c}\"")));
            }
        }
        Ok(())
    }

    fn extract(&self, m: &Metrics, point: &[usize], r: u32) -> Result<Vec<f64>, TuneError> {
        self.metrics
            .iter()
            .map(|name| {
                m.get(name)
                    .copied()
                    .ok_or_else(|| TuneError::MissingMetric {
                        name: name.clone(),
                        point: describe(self.space, point),
                        replication: r,
                    })
            })
            .collect()
    }
}
