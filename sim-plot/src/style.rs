//! Colours, type sizes, number formats and the legend panel shared by every chart.

use crate::render::{err, FAMILY};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A colour, 8 bits per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub(crate) fn color(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
}

/// Tableau 10: ten distinct hues that stay apart for the common colour-vision deficiencies.
pub const PALETTE: [Rgb; 10] = [
    Rgb(0x4E, 0x79, 0xA7), // blue
    Rgb(0xF2, 0x8E, 0x2B), // orange
    Rgb(0xE1, 0x57, 0x59), // red
    Rgb(0x76, 0xB7, 0xB2), // teal
    Rgb(0x59, 0xA1, 0x4F), // green
    Rgb(0xB0, 0x7A, 0xA1), // purple
    Rgb(0xED, 0xC9, 0x48), // yellow
    Rgb(0xFF, 0x9D, 0xA7), // pink
    Rgb(0x9C, 0x75, 0x5F), // brown
    Rgb(0x79, 0x70, 0x6E), // grey
];

/// The `i`th palette colour (cycling).
pub fn palette(i: usize) -> Rgb {
    PALETTE[i % PALETTE.len()]
}

/// Fault windows: a pale red behind the data.
pub(crate) const SHADE: RGBColor = RGBColor(0xE1, 0x57, 0x59);
pub(crate) const SHADE_ALPHA: f64 = 0.13;
pub(crate) const SHADE_TEXT: RGBColor = RGBColor(0xA2, 0x2E, 0x30);

pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub(crate) const GRID_LIGHT: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);
pub(crate) const GRID_BOLD: RGBColor = RGBColor(0xD8, 0xD8, 0xD8);

pub(crate) const TITLE_SIZE: f64 = 24.0;
pub(crate) const DESC_SIZE: f64 = 17.0;
pub(crate) const LABEL_SIZE: f64 = 15.0;
pub(crate) const LEGEND_SIZE: f64 = 15.0;

pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&INK)
}

/// A number for an axis whose ticks span `span`: as few decimals as the span needs, no trailing
/// zeros, thousands as `k` and millions as `M`.
pub(crate) fn tick(v: f64, span: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let a = v.abs();
    if a >= 1e6 && span >= 1e5 {
        return trim(format!("{:.2}", v / 1e6)) + "M";
    }
    if a >= 1e4 && span >= 1e3 {
        return trim(format!("{:.1}", v / 1e3)) + "k";
    }
    let span = if span.is_finite() && span > 0.0 {
        span
    } else {
        a.max(1.0)
    };
    let decimals = (-(span / 20.0).log10()).ceil().clamp(0.0, 9.0) as usize;
    let s = trim(format!("{v:.decimals$}"));
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// A value with three significant digits, for labels in cells and tables.
pub(crate) fn sig3(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "–".into()
        } else {
            format!("{v}")
        };
    }
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e6).contains(&a) {
        return format!("{v:.2e}");
    }
    let decimals = (2.0 - a.log10().floor()).max(0.0) as usize;
    trim(format!("{v:.decimals$}"))
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The smallest and largest finite values, if any.
pub(crate) fn finite_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// A range that can be drawn: never empty, never NaN. `pad` is the share of the span added above
/// (and below, unless the range starts at zero).
pub(crate) fn drawable(range: Option<(f64, f64)>, from_zero: bool, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = range.unwrap_or((0.0, 1.0));
    if from_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let d = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
        if from_zero && lo == 0.0 && hi == 0.0 {
            return (0.0, 1.0);
        }
        lo -= d;
        hi += d;
    }
    let span = hi - lo;
    let lo = if from_zero && lo >= 0.0 {
        lo
    } else {
        lo - span * pad
    };
    (lo, hi + span * pad)
}

/// A linear axis whose ticks are exactly the given values (the swept values, the categories'
/// indices), instead of plotters' own round numbers.
#[derive(Clone, Debug)]
pub(crate) struct Ticked {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        let t = if span > 0.0 {
            (v - self.lo) / span
        } else {
            0.5
        };
        let t = if t.is_finite() {
            t.clamp(-1.0, 2.0)
        } else {
            0.5
        };
        limit.0 + ((limit.1 - limit.0) as f64 * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new(); // no light grid lines between the ticks
        }
        self.ticks
            .iter()
            .copied()
            .filter(|t| (self.lo..=self.hi).contains(t))
            .collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// `text`, shortened with an ellipsis to fit in `max_w` pixels.
pub(crate) fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_w: u32,
) -> String {
    let width = |t: &str| area.estimate_text_size(t, style).map_or(0, |(w, _)| w);
    if width(text) <= max_w {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let t: String = chars[..mid].iter().collect::<String>() + "…";
        if width(&t) <= max_w {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    chars[..lo].iter().collect::<String>() + "…"
}

/// The widest of `texts` in `style`, in pixels.
pub(crate) fn widest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    texts: impl IntoIterator<Item = String>,
    style: &TextStyle,
) -> u32 {
    texts
        .into_iter()
        .map(|t| area.estimate_text_size(&t, style).map_or(0, |(w, _)| w))
        .max()
        .unwrap_or(0)
}

/// What a legend entry shows beside its label.
#[derive(Clone, Debug)]
pub(crate) enum Swatch {
    Line { color: RGBColor, dashed: bool },
    Fill { color: RGBColor, alpha: f64 },
}

/// One legend entry.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) label: String,
    pub(crate) swatch: Swatch,
}

const SWATCH_W: i32 = 26;
const ROW_H: i32 = 21;

/// The width a legend of `entries` wants: its widest label plus the swatch, at most `max`.
pub(crate) fn legend_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    max: u32,
) -> u32 {
    if entries.is_empty() {
        return 0;
    }
    let w = widest(
        area,
        entries.iter().map(|e| e.label.clone()),
        &font(LEGEND_SIZE),
    );
    (w + SWATCH_W as u32 + 24).min(max)
}

/// Draws a legend, one entry per row from `top`, in `area` (a panel beside the plot). Entries
/// that do not fit end in a "+N more" row; labels that are too long end in an ellipsis.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    top: i32,
) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let style = font(LEGEND_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let rows = ((h as i32 - top) / ROW_H).max(1) as usize;
    let shown = if entries.len() > rows {
        rows.saturating_sub(1)
    } else {
        entries.len()
    };
    let text_x = 8 + SWATCH_W + 6;
    let max_text = (w as i32 - text_x - 4).max(10) as u32;
    for (i, e) in entries.iter().take(shown).enumerate() {
        let y = top + i as i32 * ROW_H + ROW_H / 2;
        match &e.swatch {
            Swatch::Line { color, dashed } => {
                let stroke = color.stroke_width(3);
                if *dashed {
                    for k in 0..3 {
                        let x = 8 + k * 10;
                        area.draw(&PathElement::new(vec![(x, y), (x + 6, y)], stroke))
                            .map_err(err)?;
                    }
                } else {
                    area.draw(&PathElement::new(vec![(8, y), (8 + SWATCH_W, y)], stroke))
                        .map_err(err)?;
                }
            }
            Swatch::Fill { color, alpha } => {
                area.draw(&Rectangle::new(
                    [(8, y - 6), (8 + SWATCH_W, y + 6)],
                    color.mix(*alpha).filled(),
                ))
                .map_err(err)?;
                area.draw(&Rectangle::new(
                    [(8, y - 6), (8 + SWATCH_W, y + 6)],
                    color.mix((*alpha * 2.0).min(1.0)).stroke_width(1),
                ))
                .map_err(err)?;
            }
        }
        let label = fit(area, &e.label, &style, max_text);
        area.draw(&Text::new(label, (text_x, y), style.clone()))
            .map_err(err)?;
    }
    if shown < entries.len() {
        let y = top + shown as i32 * ROW_H + ROW_H / 2;
        let more = format!("+{} more", entries.len() - shown);
        area.draw(&Text::new(more, (text_x, y), style.clone().color(&MUTED)))
            .map_err(err)?;
    }
    Ok(())
}

/// Draws `title` centred at the top of `root` and returns the area below it.
pub(crate) fn title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    let (w, _) = root.dim_in_pixel();
    let style = font(TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    let text = fit(root, title, &style, w.saturating_sub(20));
    root.draw(&Text::new(text, (w as i32 / 2, 10), style))
        .map_err(err)?;
    Ok(root.split_vertically(40).1)
}

/// Says "no data" in the middle of `area`: what a chart with nothing to draw shows.
pub(crate) fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let style = font(DESC_SIZE)
        .color(&MUTED)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new("no data", (w as i32 / 2, h as i32 / 2), style))
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_use_as_many_decimals_as_the_span_needs() {
        assert_eq!(tick(20.0, 100.0), "20");
        assert_eq!(tick(0.25, 1.0), "0.25");
        assert_eq!(tick(0.004, 0.02), "0.004");
        assert_eq!(tick(15000.0, 20000.0), "15k");
        assert_eq!(tick(2_500_000.0, 3e6), "2.5M");
        assert_eq!(tick(-0.0001, 100.0), "0");
        assert_eq!(tick(f64::NAN, 1.0), "");
        assert_eq!(tick(1.0, f64::NAN), "1");
    }

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(0.0), "0");
        assert_eq!(sig3(1234.6), "1235");
        assert_eq!(sig3(12.345), "12.3");
        assert_eq!(sig3(0.012345), "0.0123");
        assert_eq!(sig3(f64::NAN), "–");
        assert_eq!(sig3(1e-9), "1.00e-9");
    }

    #[test]
    fn degenerate_ranges_become_drawable() {
        assert_eq!(drawable(None, true, 0.0), (0.0, 1.0));
        assert_eq!(drawable(Some((0.0, 0.0)), true, 0.0), (0.0, 1.0));
        let (lo, hi) = drawable(Some((5.0, 5.0)), false, 0.0);
        assert!(lo < 5.0 && hi > 5.0);
        let (lo, hi) = drawable(Some((2.0, 4.0)), true, 0.1);
        assert_eq!(lo, 0.0);
        assert!((hi - 4.4).abs() < 1e-9);
        assert_eq!(
            finite_range([f64::NAN, 3.0, f64::INFINITY, -1.0]),
            Some((-1.0, 3.0))
        );
        assert_eq!(finite_range([f64::NAN]), None);
    }
}
