//! A metric over two parameters: one coloured cell per pair, its value written in it, and a
//! colour scale beside the grid.

use crate::render::{self, err, Draw, PlotError};
use crate::style::{self, Rgb};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// A metric over two categorical (or numeric, written as text) parameters.
///
/// ```
/// use sim_plot::Heatmap;
/// let map = Heatmap {
///     values: vec![vec![0.1, 0.2], vec![0.3, f64::NAN]], // NaN: not measured
///     ..Heatmap::new("p99 (s)", "workers", vec!["8".into(), "16".into()],
///                    "rate (1/s)", vec!["50".into(), "100".into()])
/// };
/// assert!(map.to_svg().unwrap().contains("0.3"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    /// Title.
    pub title: String,
    /// The x parameter's label.
    pub x_label: String,
    /// Its values, left to right.
    pub x_values: Vec<String>,
    /// The y parameter's label.
    pub y_label: String,
    /// Its values, bottom to top.
    pub y_values: Vec<String>,
    /// `values[y][x]`; NaN (or a missing cell) is drawn grey, without a colour.
    pub values: Vec<Vec<f64>>,
    /// What the colour scale measures, with its unit.
    pub value_label: String,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl Heatmap {
    /// An empty heatmap (fill `values`).
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        x_values: Vec<String>,
        y_label: impl Into<String>,
        y_values: Vec<String>,
    ) -> Heatmap {
        let title = title.into();
        Heatmap {
            value_label: title.clone(),
            title,
            x_label: x_label.into(),
            x_values,
            y_label: y_label.into(),
            y_values,
            values: Vec::new(),
            size: (900, 560),
        }
    }

    /// Writes the heatmap to `path` (`.png` or `.svg`).
    pub fn save(&self, path: &Path) -> Result<(), PlotError> {
        render::save(self, path)
    }

    /// The heatmap as an SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        render::svg(self)
    }

    /// The heatmap as PNG bytes.
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        render::png(self)
    }

    fn value(&self, x: usize, y: usize) -> f64 {
        self.values
            .get(y)
            .and_then(|r| r.get(x))
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// Viridis, sampled at nine points: perceptually uniform and readable in grey.
const VIRIDIS: [Rgb; 9] = [
    Rgb(68, 1, 84),
    Rgb(71, 44, 122),
    Rgb(59, 81, 139),
    Rgb(44, 113, 142),
    Rgb(33, 144, 141),
    Rgb(39, 173, 129),
    Rgb(92, 200, 99),
    Rgb(170, 220, 50),
    Rgb(253, 231, 37),
];

/// The colour of `t` in [0, 1] on the scale.
pub(crate) fn scale(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let f = t * (VIRIDIS.len() - 1) as f64;
    let i = (f.floor() as usize).min(VIRIDIS.len() - 2);
    let u = f - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * u).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever reads better on `c`.
fn text_on(c: RGBColor) -> RGBColor {
    let luma = 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
    if luma > 140.0 {
        style::INK
    } else {
        WHITE
    }
}

const MISSING: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

impl Draw for Heatmap {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        let body = style::title(root, &self.title)?;
        let (w, h) = body.dim_in_pixel();
        let (nx, ny) = (self.x_values.len(), self.y_values.len());
        if nx == 0 || ny == 0 {
            return style::no_data(&body);
        }
        let range = style::finite_range(
            (0..ny)
                .flat_map(|y| (0..nx).map(move |x| (x, y)))
                .map(|(x, y)| self.value(x, y)),
        );
        let (lo, hi) = range.unwrap_or((0.0, 0.0));
        let t = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };

        let bar_w = 120u32.min(w / 4);
        let (grid_area, bar_area) = body.split_horizontally(w - bar_w);
        let tick_font = style::font(style::LABEL_SIZE);
        let left = (style::widest(&grid_area, self.y_values.iter().cloned(), &tick_font) + 36)
            .clamp(50, w / 4);
        let mut chart = ChartBuilder::on(&grid_area)
            .margin_top(6)
            .margin_left(8)
            .margin_right(10)
            .x_label_area_size(50)
            .y_label_area_size(left)
            .build_cartesian_2d(
                style::Ticked {
                    lo: -0.5,
                    hi: nx as f64 - 0.5,
                    ticks: (0..nx).map(|i| i as f64).collect(),
                },
                style::Ticked {
                    lo: -0.5,
                    hi: ny as f64 - 0.5,
                    ticks: (0..ny).map(|i| i as f64).collect(),
                },
            )
            .map_err(err)?;
        let cell_w = grid_area.dim_in_pixel().0.saturating_sub(left + 10) / nx as u32;
        let cell_h = h.saturating_sub(56) / ny as u32;
        let category = |names: &[String], v: f64, max_w: u32| -> String {
            let i = v.round();
            if (v - i).abs() > 1e-9 || i < 0.0 {
                return String::new();
            }
            names
                .get(i as usize)
                .map(|n| style::fit(&grid_area, n, &tick_font, max_w))
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|v| category(&self.x_values, *v, cell_w.saturating_sub(4).max(20)))
            .y_label_formatter(&|v| category(&self.y_values, *v, left.saturating_sub(30)))
            .axis_style(style::MUTED)
            .label_style(tick_font.clone())
            .axis_desc_style(style::font(style::DESC_SIZE))
            .draw()
            .map_err(err)?;

        let label_font = style::font(if cell_h >= 30 && cell_w >= 60 {
            17.0
        } else {
            13.0
        });
        for y in 0..ny {
            for x in 0..nx {
                let v = self.value(x, y);
                let fill = if v.is_finite() { scale(t(v)) } else { MISSING };
                let (cx, cy) = (x as f64, y as f64);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(cx - 0.5, cy - 0.5), (cx + 0.5, cy + 0.5)],
                        fill.filled(),
                    )))
                    .map_err(err)?;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(cx - 0.5, cy - 0.5), (cx + 0.5, cy + 0.5)],
                        WHITE.stroke_width(1),
                    )))
                    .map_err(err)?;
                let text = style::sig3(v);
                let (tw, th) = grid_area
                    .estimate_text_size(&text, &label_font)
                    .unwrap_or((u32::MAX, u32::MAX));
                if tw + 6 <= cell_w && th + 4 <= cell_h {
                    let ink = text_on(fill);
                    let style = label_font
                        .clone()
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    chart
                        .draw_series(std::iter::once(Text::new(text, (cx, cy), style)))
                        .map_err(err)?;
                }
            }
        }

        // The colour scale: a vertical gradient with the lowest, middle and highest values.
        let (_, bh) = bar_area.dim_in_pixel();
        let (top, bottom) = (30i32, bh as i32 - 56);
        if bottom > top + 10 && range.is_some() {
            let steps = (bottom - top).max(1);
            for k in 0..steps {
                let c = scale(1.0 - k as f64 / steps as f64);
                bar_area
                    .draw(&Rectangle::new(
                        [(10, top + k), (30, top + k + 1)],
                        c.filled(),
                    ))
                    .map_err(err)?;
            }
            bar_area
                .draw(&Rectangle::new(
                    [(10, top), (30, bottom)],
                    style::MUTED.stroke_width(1),
                ))
                .map_err(err)?;
            let span = hi - lo;
            let ticks = if hi > lo {
                vec![
                    (hi, top),
                    ((lo + hi) / 2.0, (top + bottom) / 2),
                    (lo, bottom),
                ]
            } else {
                vec![(lo, (top + bottom) / 2)]
            };
            let tick_style = tick_font.clone().pos(Pos::new(HPos::Left, VPos::Center));
            for (v, y) in ticks {
                let label = style::fit(
                    &bar_area,
                    &style::tick(v, span.max(v.abs() * 1e-3)),
                    &tick_style,
                    bar_w.saturating_sub(40),
                );
                bar_area
                    .draw(&Text::new(label, (36, y), tick_style.clone()))
                    .map_err(err)?;
            }
            let head = style::font(14.0).pos(Pos::new(HPos::Left, VPos::Bottom));
            let name = style::fit(
                &bar_area,
                &self.value_label,
                &head,
                bar_w.saturating_sub(12),
            );
            bar_area
                .draw(&Text::new(name, (6, top - 8), head))
                .map_err(err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_runs_from_dark_purple_to_yellow() {
        assert_eq!(scale(0.0), RGBColor(68, 1, 84));
        assert_eq!(scale(1.0), RGBColor(253, 231, 37));
        assert_eq!(scale(f64::NAN), RGBColor(68, 1, 84));
        assert_eq!(text_on(scale(0.0)), WHITE);
        assert_eq!(text_on(scale(1.0)), style::INK);
    }

    #[test]
    fn degenerate_data_draws_without_panicking() {
        let base = Heatmap::new("t", "x", vec!["a".into()], "y", vec!["b".into()]);
        let cases = [
            Heatmap::new("empty", "x", vec![], "y", vec![]),
            base.clone(),
            Heatmap {
                values: vec![vec![0.0]],
                ..base.clone()
            },
            Heatmap {
                values: vec![vec![f64::NAN, f64::INFINITY]],
                ..base.clone()
            },
            Heatmap {
                values: vec![vec![1.0; 40]; 40],
                ..Heatmap::new(
                    "dense",
                    "x",
                    (0..40).map(|i| i.to_string()).collect(),
                    "y",
                    (0..40)
                        .map(|i| format!("a long category name {i}"))
                        .collect(),
                )
            },
        ];
        for c in cases {
            c.to_svg().unwrap();
            c.to_png().unwrap();
        }
    }
}
