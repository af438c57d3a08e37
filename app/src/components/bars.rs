//! A server-rendered SVG bar chart for the dashboards: each bar labelled with its value, the
//! chart named and described for screen readers (`<title>`, `<desc>`), and readable on a tablet
//! without script.

use leptos::prelude::*;

const W: f64 = 640.0;
const H: f64 = 240.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 44.0;
const SIDE: f64 = 12.0;

/// One bar: its height on the chart's scale, the text above it and the label below it (a
/// second label line is optional).
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub value: f64,
    pub text: String,
    pub label: String,
    pub sublabel: String,
}

/// Bars on a scale from 0 to `max`.
#[component]
pub fn BarChart(
    id: &'static str,
    title: String,
    /// What the chart shows, in words (read out instead of the bars).
    description: String,
    bars: Vec<Bar>,
    max: f64,
) -> impl IntoView {
    let n = bars.len().max(1) as f64;
    let slot = (W - 2.0 * SIDE) / n;
    let width = (slot * 0.62).min(120.0);
    let max = if max > 0.0 { max } else { 1.0 };
    let plot = H - TOP - BOTTOM;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled_by = format!("{title_id} {desc_id}");
    let drawn = bars
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let h = (b.value / max).clamp(0.0, 1.0) * plot;
            let cx = SIDE + slot * (i as f64 + 0.5);
            let x = cx - width / 2.0;
            let y = TOP + plot - h;
            view! {
                <g>
                    <rect x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{width:.1}") height=format!("{h:.1}") rx="3" class="fill-teal-700" />
                    <text x=format!("{cx:.1}") y=format!("{:.1}", y - 6.0) text-anchor="middle" class="fill-slate-900 text-[13px] font-semibold">{b.text}</text>
                    <text x=format!("{cx:.1}") y=format!("{:.1}", H - BOTTOM + 16.0) text-anchor="middle" class="fill-slate-700 text-[12px]">{b.label}</text>
                    <text x=format!("{cx:.1}") y=format!("{:.1}", H - BOTTOM + 32.0) text-anchor="middle" class="fill-slate-500 text-[11px]">{b.sublabel}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure id=id class="rounded-lg border border-slate-200 bg-white p-4">
            <figcaption class="text-sm font-semibold text-slate-700">{title.clone()}</figcaption>
            <svg
                viewBox=format!("0 0 {W} {H}")
                class="mt-2 h-auto w-full"
                role="img"
                aria-labelledby=labelled_by
            >
                <title id=title_id>{title}</title>
                <desc id=desc_id>{description}</desc>
                <line x1=SIDE x2=W - SIDE y1=TOP + plot y2=TOP + plot class="stroke-slate-300" />
                {drawn}
            </svg>
        </figure>
    }
}
