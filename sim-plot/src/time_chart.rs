//! A chart of values over time: named lines, shaded intervals (fault windows) and, below the
//! lines, bands of a categorical state (a circuit breaker closed, half-open or open).

use crate::render::{self, err, Draw, PlotError};
use crate::style::{self, Entry, Rgb, Swatch};
use plotters::coord::ranged1d::SegmentValue;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// One named line.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// The legend's label.
    pub name: String,
    /// (x, y) points in x order; a non-finite y leaves a gap.
    pub points: Vec<(f64, f64)>,
    /// Hold each value until the next point (a staircase) instead of joining points directly.
    pub step: bool,
    /// Draw dashed (for a second line of the same colour, e.g. goodput beside throughput).
    pub dashed: bool,
    /// Palette index; by default the line's position.
    pub color: Option<usize>,
}

impl Line {
    /// A solid line joining `points`.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Line {
        Line {
            name: name.into(),
            points,
            step: false,
            dashed: false,
            color: None,
        }
    }

    /// The same line drawn as a staircase.
    pub fn step(mut self) -> Line {
        self.step = true;
        self
    }

    /// The same line dashed.
    pub fn dashed(mut self) -> Line {
        self.dashed = true;
        self
    }

    /// The same line in palette colour `i`.
    pub fn color(mut self, i: usize) -> Line {
        self.color = Some(i);
        self
    }
}

/// A shaded x-interval behind the lines, e.g. a fault's window.
#[derive(Clone, Debug, PartialEq)]
pub struct Shade {
    /// Start.
    pub start: f64,
    /// End.
    pub end: f64,
    /// A short label written at its top left (empty: none).
    pub label: String,
}

/// A categorical state over time, one row per thing that has the state.
#[derive(Clone, Debug, PartialEq)]
pub struct StateBands {
    /// The states' names and colours; spans refer to them by index.
    pub states: Vec<(String, Rgb)>,
    /// The rows, drawn top to bottom.
    pub rows: Vec<BandRow>,
}

/// One row of state bands.
#[derive(Clone, Debug, PartialEq)]
pub struct BandRow {
    /// The row's label.
    pub name: String,
    /// `(start, end, state index)`; time not covered is left blank.
    pub spans: Vec<(f64, f64, usize)>,
}

/// A chart over time. Build it with [`TimeChart::new`] and the builder methods, or fill the
/// fields; then [`save`](TimeChart::save) it as `.png` or `.svg`.
///
/// ```
/// use sim_plot::{Line, TimeChart};
/// let chart = TimeChart::new("Throughput", "requests/s")
///     .line(Line::new("api", vec![(0.5, 10.0), (1.5, 12.0), (2.5, 3.0)]))
///     .shade(1.0, 2.0, "slowdown db");
/// let svg = chart.to_svg().unwrap();
/// assert!(svg.contains("<svg"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TimeChart {
    /// Title, at the top.
    pub title: String,
    /// The x axis's label, with its unit.
    pub x_label: String,
    /// The y axis's label, with its unit.
    pub y_label: String,
    /// The lines.
    pub lines: Vec<Line>,
    /// Shaded intervals behind the lines.
    pub shaded: Vec<Shade>,
    /// What the legend calls the shaded intervals.
    pub shade_name: String,
    /// State bands under the lines (or alone, without lines).
    pub states: Option<StateBands>,
    /// The x range; by default the data's.
    pub x_range: Option<(f64, f64)>,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl TimeChart {
    /// An empty chart with a title and a y label; x is "time (s)".
    pub fn new(title: impl Into<String>, y_label: impl Into<String>) -> TimeChart {
        TimeChart {
            title: title.into(),
            x_label: "time (s)".into(),
            y_label: y_label.into(),
            lines: Vec::new(),
            shaded: Vec::new(),
            shade_name: "fault window".into(),
            states: None,
            x_range: None,
            size: (1000, 440),
        }
    }

    /// Adds a line.
    pub fn line(mut self, line: Line) -> TimeChart {
        self.lines.push(line);
        self
    }

    /// Adds a shaded interval.
    pub fn shade(mut self, start: f64, end: f64, label: impl Into<String>) -> TimeChart {
        self.shaded.push(Shade {
            start,
            end,
            label: label.into(),
        });
        self
    }

    /// Sets the state bands.
    pub fn states(mut self, bands: StateBands) -> TimeChart {
        self.states = Some(bands);
        self
    }

    /// Fixes the x range.
    pub fn x_range(mut self, from: f64, to: f64) -> TimeChart {
        self.x_range = Some((from, to));
        self
    }

    /// Writes the chart to `path` (`.png` or `.svg`).
    pub fn save(&self, path: &Path) -> Result<(), PlotError> {
        render::save(self, path)
    }

    /// The chart as an SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        render::svg(self)
    }

    /// The chart as PNG bytes.
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        render::png(self)
    }

    fn band_rows(&self) -> usize {
        self.states.as_ref().map_or(0, |s| s.rows.len())
    }

    fn legend(&self) -> Vec<Entry> {
        let mut entries: Vec<Entry> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| Entry {
                label: l.name.clone(),
                swatch: Swatch::Line {
                    color: style::palette(l.color.unwrap_or(i)).color(),
                    dashed: l.dashed,
                },
            })
            .collect();
        if let Some(bands) = &self.states {
            for (k, (name, color)) in bands.states.iter().enumerate() {
                let used = bands
                    .rows
                    .iter()
                    .any(|r| r.spans.iter().any(|&(_, _, s)| s == k));
                if used {
                    entries.push(Entry {
                        label: name.clone(),
                        swatch: Swatch::Fill {
                            color: color.color(),
                            alpha: 1.0,
                        },
                    });
                }
            }
        }
        if !self.lines.is_empty() && self.visible_shades().next().is_some() {
            entries.push(Entry {
                label: self.shade_name.clone(),
                swatch: Swatch::Fill {
                    color: style::SHADE,
                    alpha: style::SHADE_ALPHA * 2.0,
                },
            });
        }
        entries
    }

    fn x_bounds(&self) -> (f64, f64) {
        let data = || {
            let xs = self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
            let spans = self
                .states
                .iter()
                .flat_map(|s| s.rows.iter())
                .flat_map(|r| r.spans.iter().flat_map(|&(a, b, _)| [a, b]));
            style::finite_range(xs.chain(spans))
        };
        let r = self
            .x_range
            .filter(|(a, b)| a.is_finite() && b.is_finite() && b > a)
            .or_else(data);
        style::drawable(r, false, 0.0)
    }

    fn visible_shades(&self) -> impl Iterator<Item = &Shade> {
        let (x0, x1) = self.x_bounds();
        self.shaded.iter().filter(move |s| {
            s.start.is_finite() && s.end.is_finite() && s.end.min(x1) > s.start.max(x0)
        })
    }
}

/// Splits points into runs of finite values.
fn finite_runs(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![Vec::new()];
    for &(x, y) in points {
        if x.is_finite() && y.is_finite() {
            runs.last_mut().expect("never empty").push((x, y));
        } else if !runs.last().expect("never empty").is_empty() {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// A staircase through `points`: each value held until the next point's x.
fn staircase(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, &(x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push((x, points[i - 1].1));
        }
        out.push((x, y));
    }
    out
}

impl Draw for TimeChart {
    fn size(&self) -> (u32, u32) {
        let extra = if self.lines.is_empty() {
            0
        } else {
            self.band_rows() as u32 * 26 + if self.band_rows() > 0 { 40 } else { 0 }
        };
        (self.size.0, self.size.1 + extra)
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        let body = style::title(root, &self.title)?;
        let (w, h) = body.dim_in_pixel();
        let entries = self.legend();
        let legend_w = style::legend_width(&body, &entries, w * 3 / 10);
        let (plot, legend) = body.split_horizontally(w - legend_w);
        style::draw_legend(&legend, &entries, 6)?;

        let rows = self.band_rows();
        let (x0, x1) = self.x_bounds();
        let x_span = x1 - x0;
        let y_range = style::finite_range(
            self.lines
                .iter()
                .flat_map(|l| l.points.iter().filter(|p| p.0.is_finite()).map(|p| p.1)),
        );
        let labelled = self.visible_shades().any(|s| !s.label.is_empty());
        let (y0, y1) = style::drawable(y_range, true, if labelled { 0.16 } else { 0.05 });
        let y_span = y1 - y0;

        // The y label area is as wide as the widest tick label or row name needs, the same for
        // the lines and the bands so both share the x axis pixel for pixel.
        let tick_font = style::font(style::LABEL_SIZE);
        let mut left = style::widest(
            &plot,
            [y0, y1, (y0 + y1) / 2.0].map(|v| style::tick(v, y_span)),
            &tick_font,
        ) + 34;
        if let Some(bands) = &self.states {
            let names = style::widest(&plot, bands.rows.iter().map(|r| r.name.clone()), &tick_font);
            left = left.max(names.min(w / 4) + 14);
        }
        let left = left.max(50);

        if self.lines.is_empty() && rows == 0 {
            return style::no_data(&plot);
        }
        let (main, strip) = if self.lines.is_empty() {
            (None, Some(plot))
        } else if rows > 0 {
            let strip_h = rows as u32 * 26 + 60;
            let (a, b) = plot.split_vertically(h.saturating_sub(strip_h));
            (Some(a), Some(b))
        } else {
            (Some(plot), None)
        };

        if let Some(area) = main {
            let mut chart = ChartBuilder::on(&area)
                .margin_top(6)
                .margin_left(8)
                .margin_right(16)
                .x_label_area_size(if strip.is_some() { 10 } else { 46 })
                .y_label_area_size(left)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc(if strip.is_some() { "" } else { &self.x_label })
                .y_desc(&self.y_label)
                .x_labels(12)
                .y_labels(8)
                // With bands below, the bands' axis carries the time labels.
                .x_label_formatter(&|v| {
                    if strip.is_some() {
                        String::new()
                    } else {
                        style::tick(*v, x_span)
                    }
                })
                .y_label_formatter(&|v| style::tick(*v, y_span))
                .max_light_lines(1)
                .light_line_style(style::GRID_LIGHT)
                .bold_line_style(style::GRID_BOLD)
                .axis_style(style::MUTED)
                .label_style(tick_font.clone())
                .axis_desc_style(style::font(style::DESC_SIZE))
                .draw()
                .map_err(err)?;

            // Fault windows behind the data, labels staggered so they never overlap each other.
            let label_font = style::font(14.0).color(&style::SHADE_TEXT);
            let mut row_ends: Vec<i32> = Vec::new();
            for s in self.visible_shades() {
                let (a, b) = (s.start.max(x0), s.end.min(x1));
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(a, y0), (b, y1)],
                        style::SHADE.mix(style::SHADE_ALPHA).filled(),
                    )))
                    .map_err(err)?;
                if s.label.is_empty() {
                    continue;
                }
                let (px, _) = chart.backend_coord(&(a, y1));
                let tw = area
                    .estimate_text_size(&s.label, &label_font)
                    .map_or(0, |(w, _)| w as i32);
                let row = match row_ends.iter().position(|&end| end < px) {
                    Some(r) => r,
                    None if row_ends.len() < 3 => {
                        row_ends.push(i32::MIN);
                        row_ends.len() - 1
                    }
                    None => continue,
                };
                row_ends[row] = px + 4 + tw + 8;
                let label = EmptyElement::at((a, y1))
                    + Text::new(
                        s.label.clone(),
                        (4, 4 + 16 * row as i32),
                        label_font.clone().pos(Pos::new(HPos::Left, VPos::Top)),
                    );
                chart.draw_series(std::iter::once(label)).map_err(err)?;
            }

            for (i, line) in self.lines.iter().enumerate() {
                let color = style::palette(line.color.unwrap_or(i)).color();
                let stroke = color.stroke_width(2);
                for run in finite_runs(&line.points) {
                    let run = if line.step { staircase(&run) } else { run };
                    if run.len() == 1 {
                        chart
                            .draw_series(std::iter::once(Circle::new(run[0], 3, color.filled())))
                            .map_err(err)?;
                    } else if line.dashed {
                        chart
                            .draw_series(DashedLineSeries::new(run, 7, 5, stroke))
                            .map_err(err)?;
                    } else {
                        chart
                            .draw_series(LineSeries::new(run, stroke))
                            .map_err(err)?;
                    }
                }
            }
        }

        if let (Some(area), Some(bands)) = (strip, &self.states) {
            let n = bands.rows.len().max(1) as i32;
            let mut chart = ChartBuilder::on(&area)
                .margin_top(6)
                .margin_left(8)
                .margin_right(16)
                .x_label_area_size(46)
                .y_label_area_size(left)
                .build_cartesian_2d(x0..x1, (0..n).into_segmented())
                .map_err(err)?;
            let names: Vec<String> = bands
                .rows
                .iter()
                .map(|r| style::fit(&area, &r.name, &tick_font, left.saturating_sub(14)))
                .collect();
            chart
                .configure_mesh()
                .disable_y_mesh()
                // Every row named, not plotters' default ten.
                .y_labels(bands.rows.len() + 1)
                .x_desc(&self.x_label)
                .x_labels(12)
                .x_label_formatter(&|v| style::tick(*v, x_span))
                .y_label_formatter(&|v| match v {
                    // Row 0 is drawn at the top.
                    SegmentValue::CenterOf(r) => {
                        names.get((n - 1 - r) as usize).cloned().unwrap_or_default()
                    }
                    _ => String::new(),
                })
                .max_light_lines(1)
                .light_line_style(style::GRID_LIGHT)
                .bold_line_style(style::GRID_BOLD)
                .axis_style(style::MUTED)
                .label_style(tick_font.clone())
                .axis_desc_style(style::font(style::DESC_SIZE))
                .draw()
                .map_err(err)?;
            for (r, row) in bands.rows.iter().enumerate() {
                let y = n - 1 - r as i32;
                let rects = row
                    .spans
                    .iter()
                    .filter(|&&(a, b, s)| {
                        a.is_finite() && b.is_finite() && b > a && s < bands.states.len()
                    })
                    .map(|&(a, b, s)| {
                        Rectangle::new(
                            [
                                (a.max(x0), SegmentValue::Exact(y)),
                                (b.min(x1), SegmentValue::Exact(y + 1)),
                            ],
                            bands.states[s].1.color().filled(),
                        )
                    });
                chart.draw_series(rects).map_err(err)?;
            }
            // White rules between rows keep neighbouring rows apart.
            for y in 1..n {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x0, SegmentValue::Exact(y)), (x1, SegmentValue::Exact(y))],
                        WHITE.stroke_width(2),
                    )))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_split_lines_and_steps_hold_values() {
        let runs = finite_runs(&[(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (3.0, 4.0)]);
        assert_eq!(runs, vec![vec![(0.0, 1.0)], vec![(2.0, 3.0), (3.0, 4.0)]]);
        assert_eq!(
            staircase(&[(0.0, 1.0), (1.0, 2.0)]),
            vec![(0.0, 1.0), (1.0, 1.0), (1.0, 2.0)]
        );
    }

    fn breaker() -> StateBands {
        StateBands {
            states: vec![
                ("closed".into(), Rgb(0x59, 0xA1, 0x4F)),
                ("open".into(), Rgb(0xE1, 0x57, 0x59)),
            ],
            rows: vec![BandRow {
                name: "api → db".into(),
                spans: vec![(0.0, 5.0, 0), (5.0, 8.0, 1), (8.0, 10.0, 0)],
            }],
        }
    }

    #[test]
    fn degenerate_data_draws_without_panicking() {
        let cases = [
            TimeChart::new("empty", "y"),
            TimeChart::new("one point", "y").line(Line::new("a", vec![(1.0, 2.0)])),
            TimeChart::new("zeros", "y").line(Line::new("a", vec![(0.0, 0.0), (1.0, 0.0)])),
            TimeChart::new("nan", "y").line(Line::new("a", vec![(f64::NAN, f64::NAN)])),
            TimeChart::new("inf", "y")
                .line(Line::new("a", vec![(0.0, f64::INFINITY), (1.0, 1.0)]).step())
                .shade(f64::NAN, 3.0, "x"),
            TimeChart::new("bands only", "").states(breaker()),
            TimeChart::new("bands, empty row", "").states(StateBands {
                states: vec![],
                rows: vec![BandRow {
                    name: "r".into(),
                    spans: vec![(0.0, 1.0, 7)],
                }],
            }),
            TimeChart::new("inverted range", "y")
                .line(Line::new("a", vec![(0.0, 1.0)]))
                .x_range(5.0, 1.0),
        ];
        for c in cases {
            c.to_svg().unwrap_or_else(|e| panic!("{}: {e}", c.title));
            c.to_png().unwrap_or_else(|e| panic!("{}: {e}", c.title));
        }
    }

    #[test]
    fn bands_and_shades_appear_in_the_picture() {
        let chart = TimeChart::new("breaker", "refused/s")
            .line(Line::new("refused", vec![(0.0, 0.0), (6.0, 4.0), (10.0, 0.0)]).step())
            .shade(3.0, 9.0, "slowdown db")
            .states(breaker());
        let svg = chart.to_svg().unwrap();
        assert!(svg.contains("slowdown db"));
        assert!(svg.contains("api → db"));
        assert!(
            svg.contains("#E15759") || svg.contains("#e15759"),
            "open band colour"
        );
        assert!(svg.contains("fault window"));
    }
}
