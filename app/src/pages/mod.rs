pub mod auth;
pub mod break_glass;
pub mod hospitals;
pub mod landing;
pub mod not_found;
pub mod patients;
pub mod portal;

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
