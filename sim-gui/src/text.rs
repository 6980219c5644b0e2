//! Text from scenario files shown with the fonts the GUI has: a character the font lacks
//! (an arrow, a subscript) is written out in ASCII instead of drawn as a box.

use egui::FontId;

/// The ASCII stand-in for a character the font may lack.
fn stand_in(c: char) -> &'static str {
    match c {
        '→' => "->",
        '←' => "<-",
        '↔' => "<->",
        '≈' => "~",
        '≤' => "<=",
        '≥' => ">=",
        '≠' => "!=",
        '—' | '–' | '−' => "-",
        '…' => "...",
        '•' => "-",
        '²' => "^2",
        '³' => "^3",
        '₀' => "0",
        '₁' => "1",
        '₂' => "2",
        '₃' => "3",
        '₊' => "+",
        '·' => ".",
        '×' => "x",
        _ => "?",
    }
}

/// `text` with every character the proportional font lacks replaced by its stand-in.
pub fn printable(ctx: &egui::Context, text: &str) -> String {
    let font = FontId::proportional(14.0);
    ctx.fonts_mut(|f| {
        if f.has_glyphs(&font, text) {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_whitespace() || f.has_glyph(&font, c) {
                out.push(c);
            } else {
                out.push_str(stand_in(c));
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_the_font_lacks_are_written_out() {
        let ctx = egui::Context::default();
        ctx.set_fonts(egui::FontDefinitions::default());
        let _ = ctx.run_ui(Default::default(), |_| {});
        let shown = printable(&ctx, "users → api → db, λ ≈ 0.9");
        assert!(!shown.contains('→'), "{shown}");
        assert!(shown.contains("users -> api"), "{shown}");
        assert!(
            ctx.fonts_mut(|f| f.has_glyphs(&FontId::proportional(14.0), &shown)),
            "{shown}"
        );
    }
}
