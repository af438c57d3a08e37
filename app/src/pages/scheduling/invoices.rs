//! `/invoices`: the billing desk. The completed visits waiting for an invoice, each with a
//! button that invoices it; the invoices (all, unpaid or paid) with their totals, each with a
//! button that marks it paid or unpaid. Amounts, codes and names only: nothing clinical.

use hospitallink::domain::format_timestamp;
use hospitallink::domain::scheduling::billing::{format_amount, BillingDesk, InvoiceStatus};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::parts::Notice;
use crate::components::StaffShell;
use crate::pages::patients::Unavailable;
use crate::server_fns::scheduling::load_billing_desk;

const SMALL_BUTTON: &str = "focus-ring inline-flex min-h-11 items-center rounded border border-slate-400 bg-white px-3 text-sm font-medium";

#[component]
pub fn InvoicesPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let desk = crate::resource::resource(
        move || (status(), page()),
        |(status, page)| load_billing_desk(status, page),
    );
    view! {
        <Title text="Billing" />
        <StaffShell>
            <h1 class="text-2xl font-bold">"Billing"</h1>
            <Notice />
            <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
                {move || desk.get().map(|result| match result {
                    Err(e) => view! { <Unavailable error=e /> }.into_any(),
                    Ok(d) => view! { <Desk d status=status() /> }.into_any(),
                })}
            </Transition>
        </StaffShell>
    }
}

#[component]
fn Desk(d: BillingDesk, status: String) -> impl IntoView {
    let back = if status.is_empty() {
        "/invoices".to_string()
    } else {
        format!("/invoices?status={status}")
    };
    let filters = [("", "All"), ("unpaid", "Unpaid"), ("paid", "Paid")];
    let p = d.invoices.pagination.clone();
    let link = {
        let status = status.clone();
        move |n: u64| format!("/invoices?status={status}&page={n}")
    };
    view! {
        <section class="mt-4" aria-labelledby="to-invoice-title">
            <h2 id="to-invoice-title" class="text-xl font-semibold">"Completed visits to invoice"</h2>
            {if d.to_invoice.is_empty() {
                view! { <p class="text-slate-600" id="to-invoice">"Nothing waiting."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white" id="to-invoice">
                        {d.to_invoice.into_iter().map(|v| view! {
                            <li class="flex flex-wrap items-center justify-between gap-2 px-3 py-2" data-appointment=v.appointment_id.to_string()>
                                <span>
                                    <span class="font-medium">{v.patient_name.clone().unwrap_or_else(|| "Patient".into())}</span>
                                    {format!(" · {} · {} {} · {}", v.visit_date.date_naive(), v.cpt_code, v.description, format_amount(v.amount_minor, &v.currency))}
                                </span>
                                <form method="post" action="/invoices">
                                    <input type="hidden" name="appointment_id" value=v.appointment_id.to_string() />
                                    <input type="hidden" name="back" value=back.clone() />
                                    <button type="submit" class=SMALL_BUTTON data-action="invoice">"Create invoice"</button>
                                </form>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="mt-6" aria-labelledby="invoices-title">
            <h2 id="invoices-title" class="text-xl font-semibold">"Invoices"</h2>
            <nav aria-label="Filter invoices" class="mt-2 flex gap-2 text-sm">
                {filters.into_iter().map(|(value, label)| {
                    let current = value == status;
                    view! {
                        <a
                            href=if value.is_empty() { "/invoices".to_string() } else { format!("/invoices?status={value}") }
                            aria-current=current.then_some("page")
                            class="focus-ring inline-flex min-h-11 items-center rounded border border-slate-300 bg-white px-3 aria-[current=page]:bg-teal-800 aria-[current=page]:text-white"
                        >{label}</a>
                    }
                }).collect_view()}
            </nav>
            <table class="mt-3 min-w-full rounded-lg border border-slate-200 bg-white text-left text-sm" id="totals">
                <caption class="sr-only">"Totals of the invoices listed"</caption>
                <thead class="bg-slate-100">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Currency"</th>
                        <th scope="col" class="px-3 py-2">"Invoices"</th>
                        <th scope="col" class="px-3 py-2">"Invoiced"</th>
                        <th scope="col" class="px-3 py-2">"Paid"</th>
                        <th scope="col" class="px-3 py-2">"Outstanding"</th>
                    </tr>
                </thead>
                <tbody>
                    {d.invoices.totals.into_iter().map(|t| view! {
                        <tr class="border-t border-slate-100" data-currency=t.currency.clone()>
                            <td class="px-3 py-2">{t.currency.clone()}</td>
                            <td class="px-3 py-2">{t.count}</td>
                            <td class="px-3 py-2">{format_amount(t.invoiced_minor, &t.currency)}</td>
                            <td class="px-3 py-2">{format_amount(t.paid_minor, &t.currency)}</td>
                            <td class="px-3 py-2 font-semibold" data-outstanding="">{format_amount(t.outstanding_minor, &t.currency)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <div class="mt-3 overflow-x-auto rounded-lg border border-slate-200 bg-white">
                <table class="min-w-full text-left text-sm">
                    <thead class="bg-slate-100">
                        <tr>
                            <th scope="col" class="px-3 py-2">"Visit"</th>
                            <th scope="col" class="px-3 py-2">"Patient"</th>
                            <th scope="col" class="px-3 py-2">"Code"</th>
                            <th scope="col" class="px-3 py-2">"Amount"</th>
                            <th scope="col" class="px-3 py-2">"Status"</th>
                            <th scope="col" class="px-3 py-2"><span class="sr-only">"Action"</span></th>
                        </tr>
                    </thead>
                    <tbody id="invoice-rows">
                        {d.invoices.invoices.into_iter().map(|i| {
                            let (next, label) = match i.status {
                                InvoiceStatus::Unpaid => ("paid", "Mark paid"),
                                InvoiceStatus::Paid => ("unpaid", "Mark unpaid"),
                            };
                            let state = match i.status {
                                InvoiceStatus::Paid => format!("Paid {}", i.paid_at.map(format_timestamp).unwrap_or_default()),
                                InvoiceStatus::Unpaid => "Unpaid".into(),
                            };
                            view! {
                                <tr class="border-t border-slate-100" data-invoice=i.invoice_id.to_string() data-appointment=i.appointment_id.to_string()>
                                    <td class="px-3 py-2">{i.visit_date.date_naive().to_string()}</td>
                                    <td class="px-3 py-2">{i.patient_name.clone().unwrap_or_default()}</td>
                                    <td class="px-3 py-2">{format!("{} {}", i.cpt_code, i.description)}</td>
                                    <td class="px-3 py-2">{format_amount(i.amount_minor, &i.currency)}</td>
                                    <td class="px-3 py-2" data-status=i.status.as_str()>{state}</td>
                                    <td class="px-3 py-2">
                                        <form method="post" action=format!("/invoices/{}/status", i.invoice_id)>
                                            <input type="hidden" name="status" value=next />
                                            <input type="hidden" name="back" value=back.clone() />
                                            <button type="submit" class=SMALL_BUTTON data-action=next>{label}</button>
                                        </form>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <nav aria-label="Pages" class="mt-3 flex items-center gap-4 text-sm text-slate-600">
                <span id="invoice-total">{format!("{} invoices · page {}", p.total, p.page)}</span>
                {p.has_prev.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=link(p.page - 1)>"Previous"</a> })}
                {p.has_next.then(|| view! { <a class="focus-ring inline-flex min-h-11 items-center underline" href=link(p.page + 1)>"Next"</a> })}
            </nav>
        </section>
    }
}
