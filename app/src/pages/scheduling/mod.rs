//! Scheduling and billing pages: the schedule (`/schedule`), booking (`/schedule/book`) and the
//! billing desk (`/invoices`). Every action is a plain form post the server answers with a
//! redirect back, or with the page and the error (so nothing typed is lost); hydrated, the
//! booking form shows overlaps before it is sent.

mod book;
#[cfg(feature = "ssr")]
mod fees;
#[cfg(feature = "ssr")]
mod invoices;
#[cfg(feature = "ssr")]
pub(crate) mod parts;
#[cfg(feature = "ssr")]
mod schedule;

pub use book::{BookPage, BOOK_FORM};
#[cfg(feature = "ssr")]
pub use fees::FeesPage;
#[cfg(feature = "ssr")]
pub use invoices::InvoicesPage;
#[cfg(feature = "ssr")]
pub use schedule::SchedulePage;

pub(crate) const INPUT: &str = "focus-ring mt-1 block min-h-11 w-full rounded border border-slate-300 bg-white px-3 text-base aria-[invalid=true]:border-red-600";
pub(crate) const BUTTON: &str = "focus-ring inline-flex min-h-11 items-center justify-center rounded bg-teal-700 px-4 font-medium text-white";
