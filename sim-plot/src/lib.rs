//! # sim-plot: charts and HTML reports for Faultline
//!
//! Three chart primitives on plain data, each rendered to PNG or SVG by the file's extension:
//!
//! - [`TimeChart`]: named lines over time (solid, dashed or as steps), shaded intervals such as
//!   fault windows, and bands of a categorical state (a circuit breaker's closed, half-open,
//!   open) under the lines;
//! - [`ParamChart`]: a metric against a parameter, numeric or categorical, with its mean as a
//!   line and its confidence interval as a band;
//! - [`Heatmap`]: a metric over two parameters, with a colour scale and the values in the cells.
//!
//! On top of them, [`run`] turns a finished run ([`sim_models::RunResult`]) into its charts and
//! a `report.html`, and [`sweep`] does the same for a sweep's table of estimates.
//!
//! Text is drawn with a bundled font (DejaVu Sans, `fonts/`), never a system font, so charts need
//! no fontconfig and no system font can change them: the same data gives the same bytes.
//! Reports are self-contained: inline style, no script, links only to files written beside them.
//!
//! ```
//! use sim_plot::{Line, TimeChart};
//! let dir = std::env::temp_dir().join(format!("sim-plot-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! TimeChart::new("Queue length", "requests waiting")
//!     .line(Line::new("db", vec![(0.5, 0.0), (1.5, 4.0), (2.5, 9.0), (3.5, 1.0)]))
//!     .shade(1.0, 3.0, "slowdown db")
//!     .save(&dir.join("queue.png"))
//!     .unwrap();
//! assert!(dir.join("queue.png").is_file());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
#![warn(missing_docs, unreachable_pub)]

mod heatmap;
pub mod html;
mod param_chart;
mod render;
pub mod run;
mod style;
pub mod sweep;
mod time_chart;

pub use heatmap::Heatmap;
pub use param_chart::{ParamAxis, ParamChart, ParamPoint, ParamSeries};
pub use render::{Format, PlotError};
pub use run::{run_charts, write_run_report, RunChart, RunCharts, RunSeries};
pub use style::{palette, Rgb, PALETTE};
pub use sweep::{
    sweep_charts, sweep_report, Estimate, SweepChart, SweepInfo, SweepRow, SweepTable,
};
pub use time_chart::{BandRow, Line, Shade, StateBands, TimeChart};

use std::path::Path;

/// Any of the charts.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// Over time.
    Time(TimeChart),
    /// Against a parameter.
    Param(ParamChart),
    /// Over two parameters.
    Heatmap(Heatmap),
}

impl Chart {
    /// The chart's title.
    pub fn title(&self) -> &str {
        match self {
            Chart::Time(c) => &c.title,
            Chart::Param(c) => &c.title,
            Chart::Heatmap(c) => &c.title,
        }
    }

    /// Writes the chart to `path` (`.png` or `.svg`).
    pub fn save(&self, path: &Path) -> Result<(), PlotError> {
        match self {
            Chart::Time(c) => c.save(path),
            Chart::Param(c) => c.save(path),
            Chart::Heatmap(c) => c.save(path),
        }
    }

    /// The chart in `format`.
    pub fn render(&self, format: Format) -> Result<Vec<u8>, PlotError> {
        match self {
            Chart::Time(c) => render::bytes(c, format),
            Chart::Param(c) => render::bytes(c, format),
            Chart::Heatmap(c) => render::bytes(c, format),
        }
    }

    /// The chart as an SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        let bytes = self.render(Format::Svg)?;
        Ok(String::from_utf8(bytes).expect("SVG is text"))
    }
}
