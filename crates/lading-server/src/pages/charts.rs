//! Charts drawn on the server as inline SVG: stacked bars and lines over a row of categories
//! (days), with axes, gridlines, a legend, a `<title>` per mark and an accessible name and
//! description. Colours come from classes in `lading.css`, never inline styles (the CSP allows
//! none).

use std::fmt::Write;

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 230.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 34.0;

/// One series of a chart: a value per category, `None` where there is nothing to plot.
pub struct Series {
    pub name: String,
    /// The CSS class that colours it: `ok`, `fail`, `warn`, `accent`, `muted`.
    pub class: &'static str,
    pub values: Vec<Option<f64>>,
}

/// What a chart shows. `labels` are the categories (ISO dates, shown as `MM-DD` under the
/// axis and in full in the tooltips); `format` writes a value for the axis and the tooltips.
pub struct Chart<'a> {
    /// Unique on the page: the ids of the SVG's `<title>` and `<desc>` derive from it.
    pub id: &'static str,
    pub title: &'static str,
    pub labels: &'a [String],
    pub series: Vec<Series>,
    pub format: fn(f64) -> String,
}

/// Series stacked on each other, one bar per category.
pub fn stacked_bars(chart: &Chart) -> String {
    let n = chart.labels.len().max(1);
    let totals: Vec<f64> =
        (0..n).map(|i| chart.series.iter().map(|s| value(s, i).unwrap_or(0.0).max(0.0)).sum()).collect();
    let axis = Axis::new(totals.iter().copied().fold(0.0, f64::max));
    let mut svg = open(chart, true);
    grid(&mut svg, chart, &axis);
    let band = plot_width() / n as f64;
    for i in 0..chart.labels.len() {
        let mut base = 0.0;
        for series in &chart.series {
            let v = value(series, i).unwrap_or(0.0).max(0.0);
            if v <= 0.0 {
                continue;
            }
            let (y_top, y_base) = (axis.y(base + v), axis.y(base));
            let _ = write!(
                svg,
                r#"<rect class="bar {class}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}"><title>{label}: {value} {name}</title></rect>"#,
                class = series.class,
                x = LEFT + band * i as f64 + band * 0.15,
                y = y_top,
                w = band * 0.7,
                h = (y_base - y_top).max(0.5),
                label = escape(&chart.labels[i]),
                value = escape(&(chart.format)(v)),
                name = escape(&series.name.to_lowercase()),
            );
            base += v;
        }
    }
    close(svg)
}

/// One line per series, a dot per point; a missing value breaks the line.
pub fn lines(chart: &Chart) -> String {
    let n = chart.labels.len().max(1);
    let max = chart.series.iter().flat_map(|s| s.values.iter().flatten().copied()).fold(0.0, f64::max);
    let axis = Axis::new(max);
    let mut svg = open(chart, false);
    grid(&mut svg, chart, &axis);
    let band = plot_width() / n as f64;
    let x = |i: usize| LEFT + band * i as f64 + band / 2.0;
    for series in &chart.series {
        let mut path = String::new();
        let mut pen_down = false;
        for i in 0..chart.labels.len() {
            match value(series, i) {
                Some(v) => {
                    let _ = write!(path, "{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), axis.y(v));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(svg, r#"<path class="line {}" d="{}"/>"#, series.class, path.trim_end());
        }
        for i in 0..chart.labels.len() {
            if let Some(v) = value(series, i) {
                let _ = write!(
                    svg,
                    r#"<circle class="dot {class}" cx="{cx:.1}" cy="{cy:.1}" r="3"><title>{label}: {value} {name}</title></circle>"#,
                    class = series.class,
                    cx = x(i),
                    cy = axis.y(v),
                    label = escape(&chart.labels[i]),
                    value = escape(&(chart.format)(v)),
                    name = escape(&series.name.to_lowercase()),
                );
            }
        }
    }
    close(svg)
}

fn value(series: &Series, i: usize) -> Option<f64> {
    series.values.get(i).copied().flatten().filter(|v| v.is_finite())
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// The y axis: from zero to a round number at or above the largest value, in round steps.
struct Axis {
    top: f64,
    step: f64,
}

impl Axis {
    fn new(max: f64) -> Axis {
        if max <= 0.0 || !max.is_finite() {
            return Axis { top: 1.0, step: 1.0 };
        }
        // The smallest 1, 2 or 5 × 10^k step that covers `max` in at most five steps; at
        // least 1, as most charts count things.
        let raw = max / 5.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(raw);
        let step = step.max(1.0);
        Axis { top: (max / step).ceil() * step, step }
    }

    fn y(&self, v: f64) -> f64 {
        TOP + plot_height() * (1.0 - v / self.top)
    }

    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let count = (self.top / self.step).round() as usize;
        (0..=count).map(|k| k as f64 * self.step)
    }
}

fn open(chart: &Chart, bars: bool) -> String {
    let mut svg = String::with_capacity(8 * 1024);
    let description = describe(chart, bars);
    let _ = write!(
        svg,
        r#"<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}" aria-describedby="{id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
        label = escape(chart.title),
        id = escape(chart.id),
        title = escape(chart.title),
        desc = escape(&description),
    );
    // The legend, top left, one swatch per series.
    let mut x = LEFT;
    for series in &chart.series {
        let _ = write!(
            svg,
            r#"<rect class="swatch {class}" x="{x:.1}" y="8" width="12" height="12"/><text class="legend" x="{tx:.1}" y="18">{name}</text>"#,
            class = series.class,
            tx = x + 16.0,
            name = escape(&series.name),
        );
        x += 16.0 + 7.5 * series.name.chars().count() as f64 + 16.0;
    }
    svg
}

fn grid(svg: &mut String, chart: &Chart, axis: &Axis) {
    let right = WIDTH - RIGHT;
    for tick in axis.ticks() {
        let y = axis.y(tick);
        let _ = write!(
            svg,
            r#"<line class="gridline" x1="{LEFT}" y1="{y:.1}" x2="{right}" y2="{y:.1}"/><text class="tick" x="{tx}" y="{ty:.1}" text-anchor="end">{label}</text>"#,
            tx = LEFT - 6.0,
            ty = y + 4.0,
            label = escape(&(chart.format)(tick)),
        );
    }
    let bottom = TOP + plot_height();
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/><line class="axis" x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>"#
    );
    let n = chart.labels.len().max(1);
    let band = plot_width() / n as f64;
    // At most about eight labels under the axis, the last day always among them.
    let every = n.div_ceil(8).max(1);
    for (i, label) in chart.labels.iter().enumerate() {
        if !(n - 1 - i).is_multiple_of(every) {
            continue;
        }
        let _ = write!(
            svg,
            r#"<text class="tick" x="{x:.1}" y="{y:.1}" text-anchor="middle">{text}</text>"#,
            x = LEFT + band * i as f64 + band / 2.0,
            y = bottom + 16.0,
            text = escape(short_label(label)),
        );
    }
}

fn close(mut svg: String) -> String {
    svg.push_str("</svg>");
    svg
}

/// `2026-07-01` → `07-01`; anything else as it is.
fn short_label(label: &str) -> &str {
    let is_date = label.len() == 10 && label.as_bytes()[4] == b'-' && label.as_bytes()[7] == b'-';
    if is_date { &label[5..] } else { label }
}

/// What a screen reader hears after the title: the span and each series' highest point (and
/// total, for bars).
fn describe(chart: &Chart, bars: bool) -> String {
    let mut text = match (chart.labels.first(), chart.labels.last()) {
        (Some(first), Some(last)) => format!("{} days from {first} to {last}.", chart.labels.len()),
        _ => "No data.".to_string(),
    };
    for series in &chart.series {
        let points: Vec<(usize, f64)> =
            (0..chart.labels.len()).filter_map(|i| value(series, i).map(|v| (i, v))).collect();
        let Some(&(at, max)) = points.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
            let _ = write!(text, " {}: no data.", series.name);
            continue;
        };
        let _ = write!(text, " {}: highest {} on {}", series.name, (chart.format)(max), chart.labels[at]);
        if bars {
            let total: f64 = points.iter().map(|p| p.1).sum();
            let _ = write!(text, ", {} in all", (chart.format)(total));
        }
        text.push('.');
    }
    text
}

/// Escapes text for SVG/HTML content and attribute values.
pub fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn count(v: f64) -> String {
        format!("{v:.0}")
    }

    fn days(n: usize) -> Vec<String> {
        (1..=n).map(|d| format!("2026-07-{d:02}")).collect()
    }

    #[test]
    fn the_axis_ends_on_a_round_number_above_the_largest_value() {
        let check = |max: f64, expect: (f64, f64)| {
            let axis = Axis::new(max);
            assert_eq!((axis.top, axis.step), expect, "max {max}");
        };
        check(0.0, (1.0, 1.0));
        check(3.0, (3.0, 1.0));
        check(7.0, (8.0, 2.0));
        check(42.0, (50.0, 10.0));
        check(1234.0, (1500.0, 500.0));
    }

    #[test]
    fn stacked_bars_are_labelled_and_carry_a_title_per_bar() {
        let labels = days(3);
        let chart = Chart {
            id: "runs",
            title: "Runs per day",
            labels: &labels,
            series: vec![
                Series { name: "Succeeded".into(), class: "ok", values: vec![Some(2.0), Some(0.0), Some(4.0)] },
                Series { name: "Failed".into(), class: "fail", values: vec![Some(1.0), None, Some(0.0)] },
            ],
            format: count,
        };
        let svg = stacked_bars(&chart);
        assert!(
            svg.starts_with(r#"<svg class="chart-svg" viewBox="0 0 480 230" role="img" aria-label="Runs per day""#)
        );
        assert!(svg.contains("<title id=\"runs-title\">Runs per day</title>"));
        assert!(svg.contains(
            "3 days from 2026-07-01 to 2026-07-03. Succeeded: highest 4 on 2026-07-03, 6 in all. Failed: highest 1 on 2026-07-01, 1 in all."
        ));
        assert_eq!(svg.matches("<rect class=\"bar ").count(), 3, "zero values draw nothing");
        assert!(svg.contains("<title>2026-07-01: 1 failed</title>"));
        assert!(svg.contains(">07-03</text>"));
        assert!(!svg.contains("style="), "the CSP allows no inline styles");
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn a_missing_value_breaks_the_line() {
        let labels = days(4);
        let chart = Chart {
            id: "d",
            title: "Mean <duration>",
            labels: &labels,
            series: vec![Series {
                name: "Mean".into(),
                class: "accent",
                values: vec![Some(1.0), Some(2.0), None, Some(3.0)],
            }],
            format: count,
        };
        let svg = lines(&chart);
        let path = svg.split(r#"<path class="line accent" d=""#).nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("aria-label=\"Mean &lt;duration&gt;\""));
    }
}
