//! A metric against a parameter: the mean as a line with markers, its confidence interval as a
//! shaded band and whiskers; numeric or categorical x.

use crate::render::{self, err, Draw, PlotError};
use crate::style::{self, Entry, Swatch};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The parameter's axis.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamAxis {
    /// Numbers: points sit at their value.
    Numeric,
    /// Names, in this order: a point's `x` is its index here.
    Categorical(Vec<String>),
}

/// One estimate of the metric at one parameter value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamPoint {
    /// The parameter value (or category index).
    pub x: f64,
    /// The mean.
    pub mean: f64,
    /// The confidence interval's low end.
    pub lo: f64,
    /// The confidence interval's high end.
    pub hi: f64,
}

/// One line: the metric over the parameter, other things held fixed.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSeries {
    /// The legend's label (e.g. the other parameters' values).
    pub name: String,
    /// The estimates, drawn in x order.
    pub points: Vec<ParamPoint>,
}

/// A metric against a parameter, with confidence bands.
///
/// ```
/// use sim_plot::{ParamAxis, ParamChart, ParamPoint, ParamSeries};
/// let chart = ParamChart {
///     series: vec![ParamSeries {
///         name: "p99".into(),
///         points: vec![
///             ParamPoint { x: 1.0, mean: 0.2, lo: 0.18, hi: 0.22 },
///             ParamPoint { x: 2.0, mean: 0.5, lo: 0.40, hi: 0.60 },
///         ],
///     }],
///     ..ParamChart::new("p99 against workers", "workers", "p99 (s)", ParamAxis::Numeric)
/// };
/// assert!(chart.to_svg().unwrap().contains("workers"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ParamChart {
    /// Title.
    pub title: String,
    /// The parameter's label, with its unit.
    pub x_label: String,
    /// The metric's label, with its unit.
    pub y_label: String,
    /// Numeric or categorical x.
    pub x: ParamAxis,
    /// The lines.
    pub series: Vec<ParamSeries>,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl ParamChart {
    /// An empty chart.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
        x: ParamAxis,
    ) -> ParamChart {
        ParamChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x,
            series: Vec::new(),
            size: (900, 440),
        }
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

    /// Every point with a finite x, in x order, per series.
    fn sorted(&self) -> Vec<Vec<ParamPoint>> {
        self.series
            .iter()
            .map(|s| {
                let mut p: Vec<ParamPoint> = s
                    .points
                    .iter()
                    .copied()
                    .filter(|p| p.x.is_finite())
                    .collect();
                p.sort_by(|a, b| a.x.total_cmp(&b.x));
                p
            })
            .collect()
    }
}

impl Draw for ParamChart {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        let body = style::title(root, &self.title)?;
        let (w, _) = body.dim_in_pixel();
        let entries: Vec<Entry> = if self.series.len() > 1 {
            self.series
                .iter()
                .enumerate()
                .map(|(i, s)| Entry {
                    label: s.name.clone(),
                    swatch: Swatch::Line {
                        color: style::palette(i).color(),
                        dashed: false,
                    },
                })
                .collect()
        } else {
            Vec::new()
        };
        let legend_w = style::legend_width(&body, &entries, w * 3 / 10);
        let (plot, legend) = body.split_horizontally(w - legend_w);
        style::draw_legend(&legend, &entries, 6)?;

        let series = self.sorted();
        let all = || series.iter().flatten();
        if all().next().is_none() {
            return style::no_data(&plot);
        }
        let (x0, x1, keys): (f64, f64, Vec<f64>) = match &self.x {
            ParamAxis::Categorical(names) => {
                let n = names.len().max(1) as f64;
                (-0.5, n - 0.5, (0..names.len()).map(|i| i as f64).collect())
            }
            ParamAxis::Numeric => {
                let (a, b) = style::drawable(style::finite_range(all().map(|p| p.x)), false, 0.06);
                let mut xs: Vec<f64> = all().map(|p| p.x).collect();
                xs.sort_by(f64::total_cmp);
                xs.dedup();
                (a, b, xs)
            }
        };
        let y_values = all().flat_map(|p| [p.mean, p.lo, p.hi]);
        let (y0, y1) = style::drawable(style::finite_range(y_values), false, 0.08);
        let (y0, y1) = if y0 < 0.0 && all().all(|p| p.mean >= 0.0 && p.lo >= 0.0) {
            (0.0, y1)
        } else {
            (y0, y1)
        };
        let (x_span, y_span) = (x1 - x0, y1 - y0);
        let tick_font = style::font(style::LABEL_SIZE);
        let left = (style::widest(
            &plot,
            [y0, y1, (y0 + y1) / 2.0].map(|v| style::tick(v, y_span)),
            &tick_font,
        ) + 34)
            .max(50);

        // Ticks at the swept values when there are few enough to read.
        let ticks = if !keys.is_empty() && keys.len() <= 12 {
            keys
        } else {
            linear_ticks(x0, x1, 10)
        };
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(6)
            .margin_left(8)
            .margin_right(20)
            .x_label_area_size(50)
            .y_label_area_size(left)
            .build_cartesian_2d(
                style::Ticked {
                    lo: x0,
                    hi: x1,
                    ticks,
                },
                y0..y1,
            )
            .map_err(err)?;
        let names = match &self.x {
            ParamAxis::Categorical(n) => n.clone(),
            ParamAxis::Numeric => Vec::new(),
        };
        let max_label = (w / names.len().max(1) as u32).saturating_sub(8).max(30);
        let label = |v: &f64| -> String {
            match &self.x {
                ParamAxis::Categorical(_) => {
                    let i = v.round();
                    if (v - i).abs() > 1e-9 || i < 0.0 {
                        return String::new();
                    }
                    names
                        .get(i as usize)
                        .map(|n| style::fit(&plot, n, &tick_font, max_label))
                        .unwrap_or_default()
                }
                ParamAxis::Numeric => style::tick(*v, x_span),
            }
        };
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .y_labels(8)
            .x_label_formatter(&label)
            .y_label_formatter(&|v| style::tick(*v, y_span))
            .max_light_lines(1)
            .light_line_style(style::GRID_LIGHT)
            .bold_line_style(style::GRID_BOLD)
            .axis_style(style::MUTED)
            .label_style(tick_font.clone())
            .axis_desc_style(style::font(style::DESC_SIZE))
            .draw()
            .map_err(err)?;

        for (i, points) in series.iter().enumerate() {
            let color = style::palette(i).color();
            // The band, in runs of points whose interval is known.
            let mut run: Vec<ParamPoint> = Vec::new();
            let flush = |run: &mut Vec<ParamPoint>| -> Vec<(f64, f64)> {
                let poly: Vec<(f64, f64)> = run
                    .iter()
                    .map(|p| (p.x, p.hi))
                    .chain(run.iter().rev().map(|p| (p.x, p.lo)))
                    .collect();
                run.clear();
                poly
            };
            let mut polygons = Vec::new();
            for p in points {
                if p.lo.is_finite() && p.hi.is_finite() {
                    run.push(*p);
                } else if !run.is_empty() {
                    polygons.push(flush(&mut run));
                }
            }
            if !run.is_empty() {
                polygons.push(flush(&mut run));
            }
            for poly in polygons.into_iter().filter(|p| p.len() >= 4) {
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        poly,
                        color.mix(0.18).filled(),
                    )))
                    .map_err(err)?;
            }
            // Whiskers: visible even for a lone point.
            let whiskers = points
                .iter()
                .filter(|p| p.lo.is_finite() && p.hi.is_finite())
                .map(|p| PathElement::new(vec![(p.x, p.lo), (p.x, p.hi)], color.stroke_width(1)));
            chart.draw_series(whiskers).map_err(err)?;
            let line: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| p.mean.is_finite())
                .map(|p| (p.x, p.mean))
                .collect();
            if line.len() > 1 {
                chart
                    .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
                    .map_err(err)?;
            }
            chart
                .draw_series(line.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(err)?;
        }
        Ok(())
    }
}

/// About `n` round tick positions between `a` and `b`.
pub(crate) fn linear_ticks(a: f64, b: f64, n: usize) -> Vec<f64> {
    let span = b - a;
    if !(span.is_finite() && span > 0.0) {
        return vec![a];
    }
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (a / step).ceil() as i64;
    let last = (b / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f64, mean: f64) -> ParamPoint {
        ParamPoint {
            x,
            mean,
            lo: mean * 0.9,
            hi: mean * 1.1,
        }
    }

    #[test]
    fn round_ticks() {
        assert_eq!(
            linear_ticks(0.0, 10.0, 5),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        assert_eq!(linear_ticks(1.0, 1.0, 5), vec![1.0]);
    }

    #[test]
    fn degenerate_data_draws_without_panicking() {
        let base = ParamChart::new("t", "x", "y", ParamAxis::Numeric);
        let nan = ParamPoint {
            x: 1.0,
            mean: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
        };
        let cases = [
            base.clone(),
            ParamChart {
                series: vec![ParamSeries {
                    name: "one".into(),
                    points: vec![p(3.0, 1.0)],
                }],
                ..base.clone()
            },
            ParamChart {
                series: vec![ParamSeries {
                    name: "zeros".into(),
                    points: vec![p(0.0, 0.0), p(1.0, 0.0)],
                }],
                ..base.clone()
            },
            ParamChart {
                series: vec![ParamSeries {
                    name: "nan".into(),
                    points: vec![nan, p(f64::NAN, 1.0)],
                }],
                ..base.clone()
            },
            ParamChart {
                x: ParamAxis::Categorical(vec![]),
                series: vec![ParamSeries {
                    name: "out of range".into(),
                    points: vec![p(4.0, 1.0)],
                }],
                ..base.clone()
            },
            ParamChart {
                series: (0..40)
                    .map(|i| ParamSeries {
                        name: format!("many {i}"),
                        points: (0..30).map(|x| p(x as f64, (x * i) as f64)).collect(),
                    })
                    .collect(),
                ..base.clone()
            },
        ];
        for c in cases {
            c.to_svg().unwrap();
            c.to_png().unwrap();
        }
    }

    #[test]
    fn categories_label_the_axis() {
        let c = ParamChart {
            series: vec![ParamSeries {
                name: "m".into(),
                points: vec![p(0.0, 1.0), p(1.0, 2.0), p(2.0, 1.5)],
            }],
            ..ParamChart::new(
                "t",
                "policy",
                "y",
                ParamAxis::Categorical(vec!["none".into(), "retry".into(), "breaker".into()]),
            )
        };
        let svg = c.to_svg().unwrap();
        for name in ["none", "retry", "breaker"] {
            assert!(svg.contains(&format!(">\n{name}\n<")), "{name} missing");
        }
    }
}
