//! Turning a chart into PNG or SVG bytes and files, with the bundled font.

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The bundled font: DejaVu Sans (license in `sim-plot/fonts/LICENSE-DejaVu.txt`). Every text is
/// measured (plotters, through ab_glyph) and drawn (resvg, for PNGs) with it, so a chart looks
/// the same on a machine without any system font.
static DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The family every chart asks for, and the bundled font's name in plotters' registry. As an
/// SVG `font-family` it asks a browser for DejaVu Sans, the font the layout was measured with,
/// and for its own sans-serif where it has none.
pub(crate) const FAMILY: &str = "DejaVu Sans, sans-serif";

/// Registers the bundled font once per process.
fn register_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Draw("the bundled font cannot be read".into()))
    }
}

/// What can go wrong while drawing or writing a chart or a report.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The file name does not end in `.png` or `.svg`.
    #[error("{0}: a chart is written as .png or .svg")]
    UnknownFormat(PathBuf),
    /// Drawing failed (a bug, or a size too small to draw in).
    #[error("cannot draw the chart: {0}")]
    Draw(String),
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// An image format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Portable Network Graphics, RGB, 8 bits per channel.
    Png,
    /// Scalable Vector Graphics; text stays text.
    Svg,
}

impl Format {
    /// The format a file name asks for, by its extension (case-insensitive).
    pub fn of(path: &Path) -> Result<Format, PlotError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            _ => Err(PlotError::UnknownFormat(path.to_path_buf())),
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

/// A drawing error from any backend, as text.
pub(crate) fn err<E: std::error::Error + Send + Sync>(
    e: plotters::drawing::DrawingAreaErrorKind<E>,
) -> String {
    e.to_string()
}

/// Something that draws itself on any plotters backend.
pub(crate) trait Draw {
    /// The picture's size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws on `root`, which is `size()` large.
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// The chart as an SVG document.
pub(crate) fn svg(chart: &impl Draw) -> Result<String, PlotError> {
    register_font()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, chart.size()).into_drawing_area();
        chart.draw_on(&root).map_err(PlotError::Draw)?;
        root.present().map_err(|e| PlotError::Draw(err(e)))?;
    }
    Ok(out)
}

/// The font database the PNG rasteriser reads: the bundled font alone, standing for every
/// generic family, so no system font can change a picture.
fn fonts() -> std::sync::Arc<resvg::usvg::fontdb::Database> {
    static FONTS: OnceLock<std::sync::Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            db.load_font_data(DEJAVU_SANS.to_vec());
            let family = db
                .faces()
                .next()
                .and_then(|f| f.families.first())
                .map_or_else(|| "DejaVu Sans".to_string(), |(name, _)| name.clone());
            db.set_sans_serif_family(&family);
            db.set_serif_family(&family);
            db.set_monospace_family(&family);
            std::sync::Arc::new(db)
        })
        .clone()
}

/// The chart as a PNG file's bytes: its SVG rasterised by resvg (anti-aliased shapes, text
/// laid out properly), on white, as 8-bit RGB.
pub(crate) fn png(chart: &impl Draw) -> Result<Vec<u8>, PlotError> {
    svg_to_png(&svg(chart)?)
}

/// Rasterises an SVG document of this crate's making.
pub(crate) fn svg_to_png(svg: &str) -> Result<Vec<u8>, PlotError> {
    use resvg::{tiny_skia, usvg};
    let options = usvg::Options {
        fontdb: fonts(),
        font_family: "DejaVu Sans".into(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| PlotError::Draw(format!("cannot read the SVG: {e}")))?;
    let size = tree.size().to_int_size();
    let (w, h) = (size.width(), size.height());
    let mut pixmap = tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| PlotError::Draw(format!("cannot make a {w}×{h} picture")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    // Opaque everywhere (white underneath), so the premultiplied RGBA is plain RGB.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::new();
    {
        let mut encoder = ::png::Encoder::new(&mut out, w, h);
        encoder.set_color(::png::ColorType::Rgb);
        encoder.set_depth(::png::BitDepth::Eight);
        // Charts are mostly flat colour: adaptive filters and default deflate make them small.
        encoder.set_compression(::png::Compression::Balanced);
        let fail = |e: ::png::EncodingError| PlotError::Draw(format!("PNG encoding: {e}"));
        let mut writer = encoder.write_header().map_err(fail)?;
        writer.write_image_data(&rgb).map_err(fail)?;
        writer.finish().map_err(fail)?;
    }
    Ok(out)
}

/// The chart in `format`.
pub(crate) fn bytes(chart: &impl Draw, format: Format) -> Result<Vec<u8>, PlotError> {
    match format {
        Format::Png => png(chart),
        Format::Svg => svg(chart).map(String::into_bytes),
    }
}

/// Writes the chart to `path`, in the format its extension names.
pub(crate) fn save(chart: &impl Draw, path: &Path) -> Result<(), PlotError> {
    let format = Format::of(path)?;
    write_file(path, &bytes(chart, format)?)
}

/// Writes `content` to `path` through a temporary file and a rename, so a reader never sees half
/// a file.
pub(crate) fn write_file(path: &Path, content: &[u8]) -> Result<(), PlotError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let fail = |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(&tmp, content).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}
