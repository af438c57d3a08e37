//! `/admin/fees`: the hospital's fee table, one row per visit type (its CPT code, what the
//! invoice calls it, the fee and its currency), kept with one plain form post. Completed visits
//! keep the fee they were recorded with.

use hospitallink::domain::scheduling::billing::format_amount;
use leptos::prelude::*;
use leptos_meta::Title;

use super::parts::Notice;
use super::BUTTON;
use crate::components::StaffShell;
use crate::pages::auth::use_outcome;
use crate::pages::patients::Unavailable;
use crate::server_fns::scheduling::load_fees;

const CELL: &str =
    "focus-ring block min-h-11 w-full rounded border border-slate-300 bg-white px-2 text-base";

/// An amount in minor units as the form shows it: `15.00`.
fn amount(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[component]
pub fn FeesPage() -> impl IntoView {
    let outcome = use_outcome();
    let fees = crate::resource::resource(|| (), |_| load_fees());
    view! {
        <Title text="Visit fees" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Visit fees"</h1>
            <p class="text-slate-600">"The CPT code and fee each kind of visit is invoiced at. A completed visit keeps the fee it was recorded with."</p>
            <Notice />
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
                {move || {
                    let typed = outcome.values.clone();
                    fees.get().map(move |result| match result {
                        Err(e) => view! { <Unavailable error=e /> }.into_any(),
                        Ok(rows) => view! {
                            <form method="post" action="/admin/fees" class="mt-4 overflow-x-auto rounded-lg border border-slate-200 bg-white p-2">
                                <table class="min-w-full text-left text-sm">
                                    <thead>
                                        <tr>
                                            <th scope="col" class="px-2 py-2">"Visit"</th>
                                            <th scope="col" class="px-2 py-2">"CPT code"</th>
                                            <th scope="col" class="px-2 py-2">"On the invoice"</th>
                                            <th scope="col" class="px-2 py-2">"Fee"</th>
                                            <th scope="col" class="px-2 py-2">"Currency"</th>
                                        </tr>
                                    </thead>
                                    <tbody id="fee-rows">
                                        {rows.into_iter().enumerate().map(|(i, f)| {
                                            let field = |name: &str, value: String| typed.get(&format!("fees[{i}].{name}")).cloned().unwrap_or(value);
                                            let label = f.visit_type.label();
                                            view! {
                                                <tr class="border-t border-slate-100" data-visit-type=f.visit_type.as_str()>
                                                    <th scope="row" class="px-2 py-2 font-medium">
                                                        {label}
                                                        <input type="hidden" name=format!("fees[{i}].visit_type") value=f.visit_type.as_str() />
                                                        <span class="block text-xs font-normal text-slate-500">{format_amount(f.amount_minor, &f.currency)}</span>
                                                    </th>
                                                    <td class="px-2 py-1"><input class=CELL name=format!("fees[{i}].cpt_code") aria-label=format!("{label}: CPT code") value=field("cpt_code", f.cpt_code.clone()) maxlength="5" /></td>
                                                    <td class="px-2 py-1"><input class=CELL name=format!("fees[{i}].description") aria-label=format!("{label}: on the invoice") value=field("description", f.description.clone()) maxlength="120" /></td>
                                                    <td class="px-2 py-1"><input class=CELL name=format!("fees[{i}].amount") aria-label=format!("{label}: fee") inputmode="decimal" value=field("amount", amount(f.amount_minor)) /></td>
                                                    <td class="px-2 py-1"><input class=CELL name=format!("fees[{i}].currency") aria-label=format!("{label}: currency") value=field("currency", f.currency.clone()) maxlength="3" /></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <div class="mt-3"><button type="submit" class=BUTTON>"Save the fees"</button></div>
                            </form>
                        }.into_any(),
                    })
                }}
            </Suspense>
        </StaffShell>
    }
}
