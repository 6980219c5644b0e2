//! A long `run` on a terminal: a progress line (simulated time, events per second, ETA), and
//! Ctrl-C or SIGTERM stops the run at the next slice of events with its results kept.

use crate::Failure;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sim_models::{Control, Progress};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Set by the first Ctrl-C or SIGTERM; a second one ends the process at once.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit code of a run stopped by a signal, after its results were written (128 + SIGINT).
pub(crate) const INTERRUPTED_EXIT: u8 = 130;

/// Makes Ctrl-C and SIGTERM ask the run to stop instead of killing the process.
pub(crate) fn catch_interrupts() -> Result<(), Failure> {
    ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            // Asked twice: the user wants out now, results or not.
            std::process::exit(i32::from(INTERRUPTED_EXIT));
        }
    })
    .map_err(|e| Failure::Internal(format!("error: cannot catch Ctrl-C: {e}")))
}

/// Whether a signal asked the run to stop.
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// How long a run goes before it shows progress: short runs print nothing extra.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// The driver of one run: stops it when asked, shows progress on a terminal.
pub(crate) struct RunProgress {
    started: Instant,
    show: bool,
    bar: Option<ProgressBar>,
}

impl RunProgress {
    /// Progress is shown only when standard error is a terminal.
    pub(crate) fn new() -> Self {
        RunProgress {
            started: Instant::now(),
            show: std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    /// Called between slices of events.
    pub(crate) fn update(&mut self, p: Progress) -> Control {
        if interrupted() {
            if let Some(bar) = &self.bar {
                bar.set_message("interrupted: writing the results so far");
            }
            return Control::Stop;
        }
        let elapsed = self.started.elapsed();
        if !self.show || elapsed < SHOW_AFTER {
            return Control::Continue;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(
                Some(p.end.0 / 1_000_000),
                ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {msg} · ETA {eta} · Ctrl-C stops and keeps the results",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        });
        bar.set_position(p.now.0 / 1_000_000);
        bar.set_message(format!(
            "{:.1} s of {:.1} s simulated · {:.2} M events/s",
            p.now.0 as f64 / 1e9,
            p.end.0 as f64 / 1e9,
            p.events as f64 / elapsed.as_secs_f64() / 1e6
        ));
        Control::Continue
    }

    /// Clears the progress line.
    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
