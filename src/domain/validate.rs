//! Small parsing helpers that collect field errors instead of stopping at the first one.

use super::error::{ErrorKind, FieldErrors};

/// Collects messages per field while a form or body is parsed.
#[derive(Default, Debug)]
pub struct Errors(FieldErrors);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }

    /// The messages collected for `field` so far.
    pub fn messages(&self, field: &str) -> &[String] {
        self.0.get(field).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The collected errors as one validation error.
    pub fn into_kind(self) -> ErrorKind {
        ErrorKind::validation(self.0)
    }

    /// `Ok(value)` when no error was collected.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ErrorKind> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(ErrorKind::validation(self.0))
        }
    }

    /// A required text field: trimmed, non-empty, at most `max` characters.
    pub fn required_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        min: usize,
        max: usize,
    ) -> String {
        let value = value.map(str::trim).unwrap_or_default();
        if value.is_empty() {
            self.add(field, "is required");
        } else {
            self.length(field, value, min, max);
        }
        value.to_string()
    }

    /// An optional text field: trimmed; empty becomes `None`.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        self.length(field, value, 0, max);
        Some(value.to_string())
    }

    fn length(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.add(field, format!("must be at least {min} characters"));
        } else if n > max {
            self.add(field, format!("must be at most {max} characters"));
        }
        if value.chars().any(|c| c.is_control()) {
            self.add(field, "must not contain control characters");
        }
    }

    /// A required email address, normalised to lower case.
    pub fn email(&mut self, field: &str, value: Option<&str>) -> String {
        let value = value.map(str::trim).unwrap_or_default().to_lowercase();
        if value.is_empty() {
            self.add(field, "is required");
        } else if !is_plausible_email(&value) {
            self.add(field, "must be an email address like name@example.org");
        }
        value
    }
}

/// Syntax check only (deliverability is checked by sending): one `@`, a non-empty local part,
/// a domain with a dot and no spaces, at most 254 characters.
pub fn is_plausible_email(value: &str) -> bool {
    if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last+tag@hospital.example.org"] {
            assert!(is_plausible_email(ok), "{ok}");
        }
        for bad in [
            "", "a", "a@b", "@b.co", "a@b..co", "a b@c.co", "a@b.co.", "a@@b.co",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn collects_every_field() {
        let mut e = Errors::new();
        e.required_text("name", Some("  "), 2, 10);
        e.required_text("code", Some("x"), 2, 10);
        e.email("email", Some("nope"));
        let err = e.finish(|| ()).unwrap_err();
        assert_eq!(err.field("name"), vec!["is required"]);
        assert_eq!(err.field("code"), vec!["must be at least 2 characters"]);
        assert_eq!(err.field("email").len(), 1);
    }
}
