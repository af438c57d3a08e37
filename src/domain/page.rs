//! Pagination shared by every list.

use serde::{Deserialize, Serialize};

use super::error::ErrorKind;

pub const DEFAULT_PER_PAGE: u64 = 20;
pub const MAX_PER_PAGE: u64 = 100;
/// The last page number accepted: far beyond any list, and small enough that an offset never
/// overflows a database's 64-bit integer.
pub const MAX_PAGE: u64 = 1_000_000;

/// A validated page request: `page` starts at 1, `per_page` is 1..=100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl PageRequest {
    /// Parses the raw query values; absent values take defaults.
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<Self, ErrorKind> {
        let mut errors = super::validate::Errors::new();
        let page = match page.map(str::trim).filter(|s| !s.is_empty()) {
            None => 1,
            Some(raw) => match raw.parse::<u64>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
                _ => {
                    errors.add(
                        "page",
                        format!("must be a whole number between 1 and {MAX_PAGE}"),
                    );
                    1
                }
            },
        };
        let per_page = match per_page.map(str::trim).filter(|s| !s.is_empty()) {
            None => DEFAULT_PER_PAGE,
            Some(raw) => match raw.parse::<u64>() {
                Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
                _ => {
                    errors.add("per_page", format!("must be between 1 and {MAX_PER_PAGE}"));
                    DEFAULT_PER_PAGE
                }
            },
        };
        errors.finish(|| PageRequest { page, per_page })
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// The total, when the rows this page returned already tell it: a page that is not full
    /// is the last one, so the total is its offset plus its rows. A full page, or an empty
    /// page past the first (the list may have shrunk below its offset), needs a count.
    pub fn total_from_rows(&self, rows: usize) -> Option<u64> {
        let rows = rows as u64;
        (rows < self.per_page && (rows > 0 || self.page == 1)).then(|| self.offset() + rows)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Pagination {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub has_next: bool,
    pub has_prev: bool,
}

impl Pagination {
    pub fn new(req: PageRequest, total: u64) -> Self {
        Self {
            total,
            page: req.page,
            per_page: req.per_page,
            has_next: req.page.saturating_mul(req.per_page) < total,
            has_prev: req.page > 1,
        }
    }
}

/// One page of items with its pagination block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

impl<T> Page<T> {
    /// The same page with each item turned into another view of it.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            pagination: self.pagination,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_bounds() {
        assert_eq!(
            PageRequest::parse(None, None).unwrap(),
            PageRequest::default()
        );
        let p = PageRequest::parse(Some("3"), Some("10")).unwrap();
        assert_eq!(p.offset(), 20);
        let err = PageRequest::parse(Some("0"), Some("101")).unwrap_err();
        assert_eq!(err.field("page").len(), 1);
        assert_eq!(err.field("per_page").len(), 1);
        assert!(PageRequest::parse(Some("x"), None).is_err());
    }

    #[test]
    fn flags() {
        let req = PageRequest {
            page: 2,
            per_page: 10,
        };
        let p = Pagination::new(req, 25);
        assert!(p.has_next && p.has_prev);
        let p = Pagination::new(
            PageRequest {
                page: 3,
                per_page: 10,
            },
            25,
        );
        assert!(!p.has_next && p.has_prev);
        let p = Pagination::new(PageRequest::default(), 0);
        assert!(!p.has_next && !p.has_prev);
    }

    #[test]
    fn a_page_that_is_not_full_tells_the_total() {
        let page = |page| PageRequest { page, per_page: 10 };
        assert_eq!(page(1).total_from_rows(0), Some(0));
        assert_eq!(page(1).total_from_rows(7), Some(7));
        assert_eq!(page(3).total_from_rows(4), Some(24));
        // A full page may have more after it; an empty later page may be past a shrunk list.
        assert_eq!(page(1).total_from_rows(10), None);
        assert_eq!(page(3).total_from_rows(0), None);
    }
}
