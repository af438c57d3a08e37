//! Server-rendered SVG trend charts (viral load on a log scale, CD4 on a linear one). No
//! script: they read the same on a tablet with or without JavaScript.

use chrono::{DateTime, Datelike, Utc};
use hospitallink::domain::clinical::record::{format_number, ChartPoint};
use leptos::prelude::*;

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;

/// How values map to the vertical axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    /// log10 between the bounds (copies/mL).
    Log {
        min: f64,
        max: f64,
    },
    Linear {
        min: f64,
        max: f64,
    },
}

impl Scale {
    fn fraction(self, v: f64) -> f64 {
        match self {
            Scale::Log { min, max } => {
                (v.max(min).log10() - min.log10()) / (max.log10() - min.log10())
            }
            Scale::Linear { min, max } => (v - min) / (max - min),
        }
        .clamp(0.0, 1.0)
    }

    fn y(self, v: f64) -> f64 {
        TOP + (1.0 - self.fraction(v)) * (H - TOP - BOTTOM)
    }

    fn ticks(self) -> Vec<f64> {
        match self {
            Scale::Log { min, max } => [20.0, 100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0]
                .into_iter()
                .filter(|t| *t >= min && *t <= max)
                .collect(),
            Scale::Linear { min, max } => {
                let step = if max - min > 1000.0 { 500.0 } else { 250.0 };
                let mut out = Vec::new();
                let mut t = min;
                while t <= max {
                    out.push(t);
                    t += step;
                }
                out
            }
        }
    }
}

fn label(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("{}M", format_number(v / 1_000_000.0))
    } else if v >= 1_000.0 {
        format!("{}k", format_number(v / 1_000.0))
    } else {
        format_number(v)
    }
}

/// A chart's words in the reader's language, when they are not the staff pages' English: the
/// line for no results, the description read out for the whole chart, and one hover text per
/// plotted point (in order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartWords {
    pub empty: String,
    pub description: String,
    pub tips: Vec<String>,
}

/// A trend chart. `threshold` draws a dashed reference line with its label.
#[component]
pub fn TrendChart(
    points: Vec<ChartPoint>,
    scale: Scale,
    title: &'static str,
    unit: &'static str,
    #[prop(optional)] threshold: Option<(f64, String)>,
    id: &'static str,
    #[prop(optional)] words: Option<ChartWords>,
) -> impl IntoView {
    let plotted: Vec<(DateTime<Utc>, f64, bool)> = points
        .iter()
        .filter_map(|p| p.value.map(|v| (p.at, v, p.below_limit)))
        .collect();
    let sources: Vec<Option<String>> = points
        .iter()
        .filter(|p| p.value.is_some())
        .map(|p| p.source.clone())
        .collect();
    let (empty, mut tips) = match &words {
        Some(w) => (w.empty.clone(), w.tips.clone().into_iter()),
        None => ("No results yet.".to_string(), Vec::new().into_iter()),
    };
    let description = match plotted.last() {
        _ if words.is_some() => words
            .as_ref()
            .map(|w| w.description.clone())
            .unwrap_or_default(),
        None => format!("{title}: no results yet."),
        Some((at, v, below)) => format!(
            "{title}: {} results; latest {}{} {unit} on {}.",
            plotted.len(),
            if *below { "below " } else { "" },
            format_number(*v),
            at.date_naive()
        ),
    };
    if plotted.is_empty() {
        return view! {
            <figure id=id class="rounded-lg border border-slate-200 bg-white p-4">
                <figcaption class="text-sm font-semibold text-slate-700">{title}</figcaption>
                <p class="mt-2 text-sm text-slate-500">{empty}</p>
            </figure>
        }
        .into_any();
    }
    let first = plotted.first().map(|p| p.0).unwrap_or_default();
    let last = plotted.last().map(|p| p.0).unwrap_or_default();
    let span = ((last - first).num_seconds() as f64).max(86_400.0 * 180.0);
    let x = move |at: DateTime<Utc>| {
        LEFT + ((at - first).num_seconds() as f64 / span) * (W - LEFT - RIGHT)
    };
    let path = plotted
        .iter()
        .enumerate()
        .map(|(i, (at, v, _))| {
            format!(
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { " L" },
                x(*at),
                scale.y(*v)
            )
        })
        .collect::<String>();
    let years: Vec<(f64, i32)> = (first.year()..=last.year() + 1)
        .filter_map(|y| {
            let at = chrono::NaiveDate::from_ymd_opt(y, 1, 1)?
                .and_hms_opt(0, 0, 0)?
                .and_utc();
            let px = x(at);
            (LEFT..=W - RIGHT).contains(&px).then_some((px, y))
        })
        .collect();
    let dots = plotted
        .iter()
        .zip(sources)
        .map(|((at, v, below), source)| {
            let tip = tips.next().unwrap_or_else(|| {
                format!(
                    "{}: {}{} {unit}{}",
                    at.date_naive(),
                    if *below { "<" } else { "" },
                    format_number(*v),
                    source.map(|s| format!(" ({s})")).unwrap_or_default()
                )
            });
            view! {
                <circle
                    cx=format!("{:.1}", x(*at))
                    cy=format!("{:.1}", scale.y(*v))
                    r="5"
                    class=if *below { "fill-white stroke-teal-700" } else { "fill-teal-700 stroke-teal-700" }
                    stroke-width="2"
                >
                    <title>{tip}</title>
                </circle>
            }
        })
        .collect_view();
    let grid = scale
        .ticks()
        .into_iter()
        .map(|t| {
            let y = format!("{:.1}", scale.y(t));
            view! {
                <line x1=LEFT x2=W - RIGHT y1=y.clone() y2=y.clone() class="stroke-slate-200" />
                <text x=LEFT - 6.0 y=y text-anchor="end" dominant-baseline="middle" class="fill-slate-500 text-[11px]">{label(t)}</text>
            }
        })
        .collect_view();
    let year_marks = years
        .into_iter()
        .map(|(px, y)| {
            view! {
                <line x1=px x2=px y1=TOP y2=H - BOTTOM class="stroke-slate-100" />
                <text x=px y=H - 10.0 text-anchor="middle" class="fill-slate-500 text-[11px]">{y.to_string()}</text>
            }
        })
        .collect_view();
    let reference = threshold.map(|(v, text)| {
        let y = scale.y(v);
        view! {
            <line x1=LEFT x2=W - RIGHT y1=y y2=y class="stroke-red-600" stroke-dasharray="6 4" stroke-width="1.5" />
            <text x=W - RIGHT - 4.0 y=y - 5.0 text-anchor="end" class="fill-red-700 text-[11px]">{text}</text>
        }
    });
    let aria = description.clone();
    view! {
        <figure id=id class="rounded-lg border border-slate-200 bg-white p-4">
            <figcaption class="text-sm font-semibold text-slate-700">{title}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") class="mt-2 h-auto w-full" role="img" aria-label=aria>
                <title>{description}</title>
                {grid}
                {year_marks}
                {reference}
                <path d=path class="fill-none stroke-teal-700" stroke-width="2" />
                {dots}
            </svg>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_scale_places_the_threshold_between_the_bounds() {
        let s = Scale::Log {
            min: 20.0,
            max: 1_000_000.0,
        };
        assert!(s.y(1_000_000.0) < s.y(1_000.0));
        assert!(s.y(1_000.0) < s.y(20.0));
        assert_eq!(s.y(5.0), s.y(20.0), "values under the floor sit on it");
        assert_eq!(label(250_000.0), "250k");
        assert_eq!(label(1_500.0), "1.5k");
    }
}
