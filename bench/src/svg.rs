//! Hand-written SVG bar chart of a benchmark table: for each program, one
//! horizontal bar per engine, its time divided by the reference engine's
//! (luajit) time on that program, with the value as a label ("n/a" and no
//! bar when the engine or the reference has no time), a legend, and a last
//! group with the geometric means of the ratios.

use std::fmt::Write;

/// Bar colours, by engine column.
const COLOURS: [&str; 8] = [
    "#f4a259", "#d1495b", "#2e86ab", "#8fc1e3", "#7a7a7a", "#6a994e", "#9b5de5", "#b08968",
];

const BAR_H: f64 = 12.0;
const BAR_GAP: f64 = 2.0;
const GROUP_GAP: f64 = 12.0;
const LABEL_W: f64 = 130.0;
const PLOT_W: f64 = 560.0;
const VALUE_W: f64 = 60.0;
const MARGIN: f64 = 10.0;

/// Escape text for an XML text node or attribute value.
pub fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            _ => o.push(c),
        }
    }
    o
}

/// Ratios of each engine's time to the reference engine's time per row
/// (NaN where either is missing), plus a last row of geometric means.
fn ratio_rows(rows: &[(String, Vec<f64>)], reference: usize) -> Vec<(String, Vec<f64>)> {
    let nengines = rows.first().map_or(0, |r| r.1.len());
    let mut out: Vec<(String, Vec<f64>)> = rows
        .iter()
        .map(|(name, secs)| {
            let r = secs.get(reference).copied().unwrap_or(f64::NAN);
            let v = secs
                .iter()
                .map(|&t| {
                    if t.is_finite() && r.is_finite() && r > 0.0 {
                        t / r
                    } else {
                        f64::NAN
                    }
                })
                .collect();
            (name.clone(), v)
        })
        .collect();
    if rows.len() > 1 {
        let g = (0..nengines)
            .map(|e| {
                let col: Vec<f64> = out.iter().map(|r| r.1[e]).collect();
                crate::geomean(&col)
            })
            .collect();
        out.push(("geomean".to_string(), g));
    }
    out
}

/// A step for the vertical grid lines so that there are at most ~10.
fn grid_step(max: f64) -> f64 {
    let mut step = 0.25;
    for s in [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0] {
        step = s;
        if max / s <= 10.0 {
            break;
        }
    }
    step
}

/// The chart as SVG text. `engines` names the columns of each row's times
/// (seconds, NaN when the engine failed or did not run); `reference` is the
/// column the times are divided by.
pub fn chart(
    title: &str,
    engines: &[&str],
    rows: &[(String, Vec<f64>)],
    reference: usize,
) -> String {
    let data = ratio_rows(rows, reference);
    let ne = engines.len().max(1) as f64;
    let max = data
        .iter()
        .flat_map(|r| r.1.iter().copied())
        .filter(|v| v.is_finite())
        .fold(1.0f64, f64::max);
    let step = grid_step(max);
    let xmax = (max / step).ceil() * step;
    let scale = PLOT_W / xmax;

    let legend_y = MARGIN + 22.0;
    let top = legend_y + 24.0;
    let group_h = ne * (BAR_H + BAR_GAP) - BAR_GAP;
    let plot_h = data.len() as f64 * (group_h + GROUP_GAP);
    let axis_y = top + plot_h;
    let width = MARGIN * 2.0 + LABEL_W + PLOT_W + VALUE_W;
    let height = axis_y + 30.0 + MARGIN;
    let x0 = MARGIN + LABEL_W;

    let mut s = String::new();
    let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="11">"#,
        w = width,
        h = height
    );
    let _ = writeln!(
        s,
        r#"<rect x="0" y="0" width="{}" height="{}" fill="white"/>"#,
        width, height
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" font-size="14" font-weight="bold">{}</text>"#,
        MARGIN,
        MARGIN + 12.0,
        xml_escape(title)
    );

    // Legend.
    let mut lx = MARGIN;
    let _ = writeln!(s, r#"<g class="legend">"#);
    for (i, e) in engines.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            lx,
            legend_y,
            COLOURS[i % COLOURS.len()],
            lx + 16.0,
            legend_y + 10.0,
            xml_escape(e)
        );
        lx += 16.0 + 7.0 * e.len() as f64 + 18.0;
    }
    let _ = writeln!(s, "</g>");

    // Grid lines and axis labels.
    let _ = writeln!(s, r#"<g class="grid">"#);
    let mut v = 0.0;
    while v <= xmax + 1e-9 {
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#ddd"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            top - 4.0,
            axis_y,
            axis_y + 14.0,
            fmt_tick(v),
            x = x0 + v * scale
        );
        v += step;
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">time / {} time (lower is better)</text>"#,
        x0 + PLOT_W / 2.0,
        axis_y + 28.0,
        xml_escape(engines.get(reference).copied().unwrap_or("reference"))
    );
    let _ = writeln!(s, "</g>");

    // One group per program.
    for (gi, (name, vals)) in data.iter().enumerate() {
        let gy = top + gi as f64 * (group_h + GROUP_GAP);
        let _ = writeln!(s, r#"<g class="program">"#);
        let _ = writeln!(
            s,
            r#"<text class="name" x="{}" y="{:.1}" text-anchor="end"{}>{}</text>"#,
            x0 - 6.0,
            gy + group_h / 2.0 + 4.0,
            if name == "geomean" && gi + 1 == data.len() {
                r#" font-weight="bold""#
            } else {
                ""
            },
            xml_escape(name)
        );
        // The reference engine's time in seconds, under the name.
        if let Some(t) = rows.get(gi).and_then(|r| r.1.get(reference)) {
            if t.is_finite() {
                let _ = writeln!(
                    s,
                    r##"<text class="secs" x="{}" y="{:.1}" text-anchor="end" font-size="9" fill="#777">{} {:.2} s</text>"##,
                    x0 - 6.0,
                    gy + group_h / 2.0 + 15.0,
                    xml_escape(engines.get(reference).copied().unwrap_or("")),
                    t
                );
            }
        }
        for (i, &r) in vals.iter().enumerate() {
            let y = gy + i as f64 * (BAR_H + BAR_GAP);
            let engine = engines.get(i).copied().unwrap_or("?");
            if r.is_finite() {
                let w = (r * scale).max(0.5);
                let _ = writeln!(
                    s,
                    r#"<rect class="bar" x="{}" y="{:.1}" width="{:.1}" height="{}" fill="{}"><title>{}: {}</title></rect><text class="value" x="{:.1}" y="{:.1}">{:.2}</text>"#,
                    x0,
                    y,
                    w,
                    BAR_H,
                    COLOURS[i % COLOURS.len()],
                    xml_escape(engine),
                    format_args!("{:.2}", r),
                    x0 + w + 3.0,
                    y + BAR_H - 2.0,
                    r
                );
            } else {
                let _ = writeln!(
                    s,
                    r##"<text class="value" x="{}" y="{:.1}" fill="#999">n/a ({})</text>"##,
                    x0 + 3.0,
                    y + BAR_H - 2.0,
                    xml_escape(engine)
                );
            }
        }
        let _ = writeln!(s, "</g>");
    }
    // The reference line at 1.0, over the bars.
    let _ = writeln!(
        s,
        r##"<line class="reference" x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#222" stroke-dasharray="4 3"/>"##,
        top - 4.0,
        axis_y,
        x = x0 + scale
    );
    let _ = writeln!(s, "</svg>");
    s
}

fn fmt_tick(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{}", v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal XML well-formedness check: balanced tags, exactly one root
    /// element (after the declaration), no stray text outside it, quoted
    /// attributes, only known entities. Returns the element names opened.
    fn check_xml(s: &str) -> Vec<String> {
        let mut stack: Vec<String> = Vec::new();
        let mut names = Vec::new();
        let mut roots = 0;
        let mut rest = s.trim_start();
        if let Some(r) = rest.strip_prefix("<?xml") {
            let end = r.find("?>").expect("unterminated declaration");
            rest = &r[end + 2..];
        }
        while !rest.is_empty() {
            let lt = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..lt];
            if stack.is_empty() {
                assert!(text.trim().is_empty(), "text outside the root: {:?}", text);
            }
            let mut t = text;
            while let Some(a) = t.find('&') {
                let semi = t[a..].find(';').expect("bare &") + a;
                let ent = &t[a + 1..semi];
                assert!(
                    ["amp", "lt", "gt", "quot", "apos"].contains(&ent),
                    "entity {}",
                    ent
                );
                t = &t[semi + 1..];
            }
            rest = &rest[lt..];
            if rest.is_empty() {
                break;
            }
            let gt = rest.find('>').expect("unterminated tag");
            let tag = &rest[1..gt];
            rest = &rest[gt + 1..];
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in <{}>",
                tag
            );
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().expect("close without open");
                assert_eq!(open, name.trim(), "mismatched close tag");
            } else {
                let self_closing = tag.ends_with('/');
                let name = tag
                    .trim_end_matches('/')
                    .split_whitespace()
                    .next()
                    .expect("empty tag")
                    .to_string();
                if stack.is_empty() {
                    roots += 1;
                }
                names.push(name.clone());
                if !self_closing {
                    stack.push(name);
                }
            }
        }
        assert!(stack.is_empty(), "unclosed: {:?}", stack);
        assert_eq!(roots, 1, "one root element");
        names
    }

    #[test]
    fn chart_is_well_formed() {
        let engines = ["lt -joff", "lt", "luajit", "lj -joff", "lua5.1"];
        let rows = vec![
            ("fib".to_string(), vec![2.0, 0.5, 0.25, 1.0, 1.5]),
            ("a<b&c".to_string(), vec![4.0, 1.0, 1.0, 2.0, 3.0]),
            ("strings".to_string(), vec![0.9, 0.8, 0.3, 0.6, 0.7]),
        ];
        let svg = chart("test & chart", &engines, &rows, 2);
        let names = check_xml(&svg);
        assert_eq!(names[0], "svg");
        assert_eq!(svg.matches("<svg").count(), 1);
        // One bar per engine per program, plus the geomean group.
        assert_eq!(
            svg.matches(r#"class="bar""#).count(),
            engines.len() * (rows.len() + 1)
        );
        assert_eq!(
            svg.matches(r#"<g class="program">"#).count(),
            rows.len() + 1
        );
        // Labels: engine names in the legend, program names, values.
        for e in engines {
            assert!(
                svg.contains(&format!(">{}</text>", xml_escape(e))),
                "legend {}",
                e
            );
        }
        for name in ["fib", "a&lt;b&amp;c", "strings", "geomean"] {
            assert!(
                svg.contains(&format!(">{}</text>", name)),
                "program {}",
                name
            );
        }
        // fib under lt -joff: 2.0 / 0.25 = 8.00; luajit is 1.00 everywhere.
        assert!(svg.contains(">8.00</text>"));
        assert!(svg.matches(">1.00</text>").count() > rows.len());
        assert!(svg.contains("test &amp; chart"));
    }

    #[test]
    fn missing_times_are_na() {
        let engines = ["lt", "luajit"];
        let rows = vec![
            ("ok".to_string(), vec![2.0, 1.0]),
            ("ltfail".to_string(), vec![f64::NAN, 1.0]),
            ("reffail".to_string(), vec![1.0, f64::NAN]),
        ];
        let svg = chart("t", &engines, &rows, 1);
        check_xml(&svg);
        // ok: 2 bars; ltfail: luajit only; reffail: none; geomean: lt (2.0
        // from the one row with both) and luajit.
        assert_eq!(svg.matches(r#"class="bar""#).count(), 2 + 1 + 2);
        assert_eq!(svg.matches("n/a (").count(), 1 + 2);
        assert!(svg.contains(">2.00</text>"));
    }
}
