//! Self-contained HTML pages: inline style, no script, no external resource; every name escaped.

use std::fmt::Write;

/// `text` safe inside HTML text and quoted attribute values.
///
/// ```
/// assert_eq!(sim_plot::html::escape(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif;color:#222;\
margin:0 auto;max-width:1060px;padding:16px 24px 48px;line-height:1.4}\
h1{font-size:1.6em;margin:.6em 0 .2em}h2{font-size:1.25em;margin:1.6em 0 .4em;\
border-bottom:1px solid #ddd;padding-bottom:.2em}\
p.meta{color:#555;margin:.2em 0 1em}\
table{border-collapse:collapse;font-size:.9em;margin:.4em 0 1em;display:block;overflow-x:auto}\
th,td{border:1px solid #ddd;padding:3px 8px;white-space:nowrap}\
th{background:#f4f4f4;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\
figure{margin:1em 0 2em}figure img{max-width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#444;font-size:.92em;margin-top:.3em}\
.note{color:#555;font-size:.92em}";

/// An HTML page built piece by piece. Text passed in is escaped; nothing refers outside the
/// directory the page is written to.
#[derive(Clone, Debug)]
pub struct Page {
    title: String,
    body: String,
}

impl Page {
    /// A page with a title (shown as its heading too).
    pub fn new(title: &str) -> Page {
        let mut p = Page {
            title: title.to_string(),
            body: String::new(),
        };
        let _ = writeln!(p.body, "<h1>{}</h1>", escape(title));
        p
    }

    /// A section heading.
    pub fn heading(&mut self, text: &str) -> &mut Page {
        let _ = writeln!(self.body, "<h2>{}</h2>", escape(text));
        self
    }

    /// A paragraph of plain text.
    pub fn paragraph(&mut self, text: &str) -> &mut Page {
        let _ = writeln!(self.body, "<p>{}</p>", escape(text));
        self
    }

    /// A muted paragraph of plain text, for notes.
    pub fn note(&mut self, text: &str) -> &mut Page {
        let _ = writeln!(self.body, "<p class=\"note\">{}</p>", escape(text));
        self
    }

    /// A line of `label: value` pairs under the title.
    pub fn meta(&mut self, pairs: &[(&str, String)]) -> &mut Page {
        let items: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("<b>{}</b> {}", escape(k), escape(v)))
            .collect();
        let _ = writeln!(self.body, "<p class=\"meta\">{}</p>", items.join(" · "));
        self
    }

    /// A table; cells that read as numbers are right-aligned.
    pub fn table(&mut self, headers: &[&str], rows: &[Vec<String>]) -> &mut Page {
        self.body.push_str("<table>\n<tr>");
        for h in headers {
            let _ = write!(self.body, "<th>{}</th>", escape(h));
        }
        self.body.push_str("</tr>\n");
        for row in rows {
            self.body.push_str("<tr>");
            for cell in row {
                let numeric = cell
                    .trim_end_matches(['%', 's', '×'])
                    .trim_end_matches("m")
                    .trim_end_matches("µ")
                    .parse::<f64>()
                    .is_ok();
                let class = if numeric { " class=\"n\"" } else { "" };
                let _ = write!(self.body, "<td{class}>{}</td>", escape(cell));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</table>\n");
        self
    }

    /// A figure: `image` (a file name in the page's directory) with a caption and links to other
    /// renderings of it (`(label, file name)`).
    pub fn figure(
        &mut self,
        image: &str,
        alt: &str,
        caption: &str,
        also: &[(&str, &str)],
    ) -> &mut Page {
        let links: Vec<String> = also
            .iter()
            .map(|(label, href)| format!("<a href=\"{}\">{}</a>", escape(href), escape(label)))
            .collect();
        let links = if links.is_empty() {
            String::new()
        } else {
            format!(" ({})", links.join(", "))
        };
        let _ = writeln!(
            self.body,
            "<figure><img src=\"{}\" alt=\"{}\"><figcaption>{}{links}</figcaption></figure>",
            escape(image),
            escape(alt),
            escape(caption),
        );
        self
    }

    /// A list of links to files in the page's directory: `(label, file name)`.
    pub fn links(&mut self, links: &[(&str, &str)]) -> &mut Page {
        self.body.push_str("<ul>\n");
        for (label, href) in links {
            let _ = writeln!(
                self.body,
                "<li><a href=\"{}\">{}</a></li>",
                escape(href),
                escape(label)
            );
        }
        self.body.push_str("</ul>\n");
        self
    }

    /// The whole document.
    pub fn finish(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
            escape(&self.title),
            self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_escaped() {
        let mut p = Page::new("a<b>&c");
        p.heading("<h>")
            .paragraph("x & y")
            .table(&["<col>"], &[vec!["<cell>".into(), "12.5".into()]])
            .figure("f.svg", "<alt>", "<cap>", &[("PNG", "f.png")])
            .links(&[("<l>", "x&y.csv")]);
        let html = p.finish();
        for raw in [
            "a<b>", "<h>", "<col>", "<cell>", "<alt>", "<cap>", "<l>", "x&y",
        ] {
            assert!(!html.contains(raw), "{raw} left unescaped");
        }
        assert!(html.contains("a&lt;b&gt;&amp;c"));
        assert!(html.contains("<td class=\"n\">12.5</td>"));
        assert!(!html.contains("http"), "no external reference");
    }
}
