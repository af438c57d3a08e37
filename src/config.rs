//! Typed configuration from the environment (a `.env` file is read first by the binary).
//!
//! Every problem is reported at once with the variable's name. In development, missing secrets
//! are generated once and kept in `<DATA_DIR>/secrets.env`; in production, missing or weak
//! secrets stop the start.

use base64::Engine;
use rand::RngCore;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

impl AppEnv {
    pub fn is_development(self) -> bool {
        self == AppEnv::Development
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AppEnv::Development => "development",
            AppEnv::Production => "production",
        }
    }
}

/// A secret value that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailerTls {
    None,
    Starttls,
    Tls,
}

#[derive(Clone, Debug)]
pub struct MailerConfig {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub pass: Option<Secret<String>>,
    pub tls: MailerTls,
    pub from: String,
}

#[derive(Clone, Debug)]
pub struct SmsConfig {
    pub url: String,
    pub api_key: Secret<String>,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub env: AppEnv,
    pub host: IpAddr,
    pub port: u16,
    pub app_url: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub jwt_secret: Secret<String>,
    pub jwt_expires_in: Duration,
    pub encryption_key: Secret<[u8; 32]>,
    /// Earlier keys, still able to open values sealed with them until `keys rotate` re-seals.
    pub retired_encryption_keys: Vec<Secret<[u8; 32]>>,
    /// Key of the blind indexes (email, phone, national identifier). Kept apart from the
    /// encryption keys so rotating those never changes an index.
    pub blind_index_key: Secret<[u8; 32]>,
    pub mailer: Option<MailerConfig>,
    pub sms: Option<SmsConfig>,
    pub audit_log_retention_days: u32,
    /// Where attachment contents are stored (`storage` module).
    pub storage_url: String,
    /// The largest attachment accepted, in bytes.
    pub attachment_max_bytes: u64,
    /// Access key of S3-compatible storage: (key id, secret).
    pub storage_access_key: Option<(String, Secret<String>)>,
    pub seed_demo: bool,
    /// Password checks allowed per client address per minute.
    pub login_attempts_per_ip_per_minute: u32,
    /// Password checks allowed per account per minute.
    pub login_attempts_per_account_per_minute: u32,
    /// One-time-code requests (and, separately, verifications) per client address per minute.
    pub otp_attempts_per_ip_per_minute: u32,
    /// Invitation acceptances per client address per minute.
    pub invitation_attempts_per_ip_per_minute: u32,
    /// Where the built site (wasm, css, static files) lives.
    pub site_root: String,
    /// Proxies (load balancers) whose `X-Forwarded-For` is believed, for rate limits and the
    /// audit log's client address. Empty: the connection's address is the client's.
    pub trusted_proxies: Vec<ProxyNet>,
    /// Bearer token that `/metrics` asks for. Outside development `/metrics` is closed without
    /// one.
    pub metrics_token: Option<Secret<String>>,
}

/// All configuration problems, one per line.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

const SECRETS_FILE: &str = "secrets.env";

impl Config {
    /// Loads from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load(|name| std::env::var(name).ok())
    }

    /// Loads from any variable source (tests pass a map).
    pub fn load(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut problems = Vec::new();

        let env = match var("APP_ENV").as_deref() {
            None | Some("development") | Some("dev") => AppEnv::Development,
            Some("production") | Some("prod") => AppEnv::Production,
            Some(other) => {
                problems.push(format!(
                    "APP_ENV: `{other}` is not one of development, production"
                ));
                AppEnv::Development
            }
        };
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let host = parse_or(
            &var,
            "APP_HOST",
            IpAddr::from([127, 0, 0, 1]),
            &mut problems,
            "an IP address such as 0.0.0.0",
        );
        let port: u16 = parse_or(
            &var,
            "APP_PORT",
            3000u16,
            &mut problems,
            "a port number (1-65535)",
        );
        let app_url = var("APP_URL")
            .unwrap_or_else(|| format!("http://127.0.0.1:{port}"))
            .trim_end_matches('/')
            .to_string();
        if !(app_url.starts_with("http://") || app_url.starts_with("https://")) {
            problems.push(format!(
                "APP_URL: `{app_url}` must start with http:// or https://"
            ));
        } else if env == AppEnv::Production && !app_url.starts_with("https://") {
            problems.push("APP_URL: must use https:// in production (cookies are Secure)".into());
        }

        let database_url = var("DATABASE_URL").unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("hospitallink.db").display()
            )
        });
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            problems
                .push("DATABASE_URL: must start with sqlite:, postgres:// or postgresql://".into());
        }

        let jwt_expires_in = match var("JWT_EXPIRES_IN") {
            None => Duration::from_secs(15 * 60),
            Some(raw) => match parse_duration(&raw) {
                Some(d) if d.as_secs() >= 60 && d.as_secs() <= 24 * 3600 => d,
                _ => {
                    problems.push(format!(
                        "JWT_EXPIRES_IN: `{raw}` must be a duration between 1m and 24h, e.g. 900, 15m or 1h"
                    ));
                    Duration::from_secs(15 * 60)
                }
            },
        };

        // Secrets: explicit values win; development falls back to a generated, persisted file.
        let stored = if env.is_development()
            && (var("JWT_SECRET").is_none()
                || var("ENCRYPTION_KEY").is_none()
                || var("BLIND_INDEX_KEY").is_none())
        {
            match load_or_create_dev_secrets(&data_dir) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(format!(
                        "could not keep generated development secrets in {}: {e}",
                        data_dir.join(SECRETS_FILE).display()
                    ));
                    DevSecrets::default()
                }
            }
        } else {
            DevSecrets::default()
        };
        let jwt_secret = var("JWT_SECRET").or(stored.jwt_secret).unwrap_or_default();
        if jwt_secret.is_empty() {
            problems
                .push("JWT_SECRET: required in production (at least 32 random characters)".into());
        } else if is_weak_secret(&jwt_secret) {
            problems.push("JWT_SECRET: too weak; use at least 32 random characters (e.g. `openssl rand -hex 32`)".into());
        }
        let encryption_key = required_key(
            "ENCRYPTION_KEY",
            var("ENCRYPTION_KEY").or(stored.encryption_key),
            &mut problems,
        );
        let blind_index_key = required_key(
            "BLIND_INDEX_KEY",
            var("BLIND_INDEX_KEY").or(stored.blind_index_key),
            &mut problems,
        );

        let mut retired_encryption_keys = Vec::new();
        for (i, raw) in var("ENCRYPTION_KEYS_RETIRED")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .enumerate()
        {
            match parse_key(raw) {
                Some(key) => retired_encryption_keys.push(Secret::new(key)),
                None => problems.push(format!(
                    "ENCRYPTION_KEYS_RETIRED: key {} must be 32 bytes written as 64 hex characters or base64",
                    i + 1
                )),
            }
        }

        let mailer = var("MAILER_HOST").map(|host| {
            let tls = match var("MAILER_TLS").as_deref() {
                None | Some("starttls") => MailerTls::Starttls,
                Some("tls") => MailerTls::Tls,
                Some("none") => MailerTls::None,
                Some(other) => {
                    problems.push(format!(
                        "MAILER_TLS: `{other}` is not one of none, starttls, tls"
                    ));
                    MailerTls::Starttls
                }
            };
            let default_port = match tls {
                MailerTls::None => 25,
                MailerTls::Starttls => 587,
                MailerTls::Tls => 465,
            };
            let port = parse_or(
                &var,
                "MAILER_PORT",
                default_port,
                &mut problems,
                "a port number",
            );
            let from =
                var("MAILER_FROM").unwrap_or_else(|| "HospitalLink <no-reply@localhost>".into());
            MailerConfig {
                host,
                port,
                user: var("MAILER_USER"),
                pass: var("MAILER_PASS").map(Secret::new),
                tls,
                from,
            }
        });
        let sms = match (var("SMS_PROVIDER_URL"), var("SMS_PROVIDER_API_KEY")) {
            (None, _) => None,
            (Some(url), Some(key)) => Some(SmsConfig {
                url,
                api_key: Secret::new(key),
            }),
            (Some(_), None) => {
                problems.push("SMS_PROVIDER_API_KEY: required when SMS_PROVIDER_URL is set".into());
                None
            }
        };
        let audit_log_retention_days = parse_or(
            &var,
            "AUDIT_LOG_RETENTION_DAYS",
            365u32,
            &mut problems,
            "a number of days",
        );
        if audit_log_retention_days == 0 {
            problems.push("AUDIT_LOG_RETENTION_DAYS: must be at least 1".into());
        }
        let storage_url = var("STORAGE_URL").unwrap_or_else(|| {
            let dir = data_dir.join("attachments");
            let dir = std::path::absolute(&dir).unwrap_or(dir);
            format!("file://{}", dir.display())
        });
        if let Err(problem) = crate::storage::check_url(&storage_url) {
            problems.push(problem);
        }
        let storage_access_key = match (
            var("STORAGE_ACCESS_KEY_ID"),
            var("STORAGE_SECRET_ACCESS_KEY"),
        ) {
            (Some(id), Some(secret)) => Some((id, Secret::new(secret))),
            (None, None) => None,
            _ => {
                problems.push(
                    "STORAGE_ACCESS_KEY_ID, STORAGE_SECRET_ACCESS_KEY: set both or neither".into(),
                );
                None
            }
        };
        let attachment_max_bytes = parse_or(
            &var,
            "ATTACHMENT_MAX_BYTES",
            crate::domain::clinical::attachment::DEFAULT_MAX_BYTES,
            &mut problems,
            "a number of bytes",
        );
        if !(1024..=100 * 1024 * 1024).contains(&attachment_max_bytes) {
            problems.push("ATTACHMENT_MAX_BYTES: must be between 1024 and 104857600".into());
        }
        let seed_demo = match var("SEED_DEMO").as_deref() {
            None => env.is_development(),
            Some("true") | Some("1") | Some("yes") => true,
            Some("false") | Some("0") | Some("no") => false,
            Some(other) => {
                problems.push(format!("SEED_DEMO: `{other}` is not true or false"));
                false
            }
        };
        let login_attempts_per_ip_per_minute = parse_or(
            &var,
            "RATE_LIMIT_LOGIN_PER_IP",
            30u32,
            &mut problems,
            "a number of attempts per minute",
        );
        let login_attempts_per_account_per_minute = parse_or(
            &var,
            "RATE_LIMIT_LOGIN_PER_ACCOUNT",
            10u32,
            &mut problems,
            "a number of attempts per minute",
        );
        let otp_attempts_per_ip_per_minute = parse_or(
            &var,
            "RATE_LIMIT_OTP_PER_IP",
            20u32,
            &mut problems,
            "a number of attempts per minute",
        );
        let invitation_attempts_per_ip_per_minute = parse_or(
            &var,
            "RATE_LIMIT_INVITATION_PER_IP",
            10u32,
            &mut problems,
            "a number of attempts per minute",
        );
        for (name, value) in [
            ("RATE_LIMIT_OTP_PER_IP", otp_attempts_per_ip_per_minute),
            (
                "RATE_LIMIT_INVITATION_PER_IP",
                invitation_attempts_per_ip_per_minute,
            ),
            ("RATE_LIMIT_LOGIN_PER_IP", login_attempts_per_ip_per_minute),
            (
                "RATE_LIMIT_LOGIN_PER_ACCOUNT",
                login_attempts_per_account_per_minute,
            ),
        ] {
            if value == 0 {
                problems.push(format!("{name}: must be at least 1"));
            }
        }
        let site_root = var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into());
        let mut trusted_proxies = Vec::new();
        for raw in var("TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match ProxyNet::parse(raw) {
                Some(net) => trusted_proxies.push(net),
                None => problems.push(format!(
                    "TRUSTED_PROXIES: `{raw}` is not an IP address or a network like 10.0.0.0/8"
                )),
            }
        }
        let metrics_token = var("METRICS_TOKEN").filter(|t| !t.is_empty());
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            problems.push("METRICS_TOKEN: must be at least 16 characters".into());
        }

        if !problems.is_empty() {
            return Err(ConfigError(problems));
        }
        Ok(Config {
            env,
            host,
            port,
            app_url,
            data_dir,
            database_url,
            jwt_secret: Secret::new(jwt_secret),
            jwt_expires_in,
            encryption_key: Secret::new(encryption_key),
            retired_encryption_keys,
            blind_index_key: Secret::new(blind_index_key),
            mailer,
            sms,
            audit_log_retention_days,
            storage_url,
            attachment_max_bytes,
            storage_access_key,
            seed_demo,
            login_attempts_per_ip_per_minute,
            login_attempts_per_account_per_minute,
            otp_attempts_per_ip_per_minute,
            invitation_attempts_per_ip_per_minute,
            site_root,
            metrics_token: metrics_token.map(Secret::new),
            trusted_proxies,
        })
    }

    /// The access key of S3-compatible attachment storage, when configured.
    pub fn storage_credentials(&self) -> Option<crate::storage::Credentials> {
        self.storage_access_key
            .as_ref()
            .map(|(id, secret)| crate::storage::Credentials {
                access_key_id: id.clone(),
                secret_access_key: secret.expose().clone(),
            })
    }

    /// The field-encryption keyring: the primary key seals, retired keys only open.
    pub fn keyring(&self) -> crate::crypto::Keyring {
        let retired: Vec<[u8; 32]> = self
            .retired_encryption_keys
            .iter()
            .map(|k| *k.expose())
            .collect();
        crate::crypto::Keyring::new(
            self.encryption_key.expose(),
            &retired,
            self.blind_index_key.expose(),
        )
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn parse_or<T: std::str::FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
    problems: &mut Vec<String>,
    expected: &str,
) -> T {
    match var(name) {
        None => default,
        Some(raw) => match raw.parse::<T>() {
            Ok(v) => v,
            Err(_) => {
                problems.push(format!("{name}: `{raw}` is not {expected}"));
                default
            }
        },
    }
}

/// `900`, `90s`, `15m`, `1h`.
pub fn parse_duration(raw: &str) -> Option<Duration> {
    let raw = raw.trim();
    let (digits, unit) = match raw.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => raw.split_at(i),
        None => (raw, "s"),
    };
    let n: u64 = digits.parse().ok()?;
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86400)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

/// 32 bytes as hex (64 characters) or base64.
pub fn parse_key(raw: &str) -> Option<[u8; 32]> {
    let bytes = if raw.len() == 64 && raw.chars().all(|c| c.is_ascii_hexdigit()) {
        hex::decode(raw).ok()?
    } else {
        base64::engine::general_purpose::STANDARD.decode(raw).ok()?
    };
    bytes.try_into().ok()
}

fn is_weak_secret(secret: &str) -> bool {
    let distinct: std::collections::BTreeSet<char> = secret.chars().collect();
    secret.chars().count() < 32 || distinct.len() < 8
}

#[derive(Default)]
struct DevSecrets {
    jwt_secret: Option<String>,
    encryption_key: Option<String>,
    blind_index_key: Option<String>,
}

/// A required 32-byte key: missing, malformed and trivially weak values are problems.
fn required_key(name: &str, raw: Option<String>, problems: &mut Vec<String>) -> [u8; 32] {
    match raw {
        None => {
            problems.push(format!(
                "{name}: required in production (32 bytes as 64 hex characters or base64)"
            ));
            [0u8; 32]
        }
        Some(raw) => match parse_key(&raw) {
            Some(key) if key.iter().any(|b| *b != key[0]) => key,
            Some(_) => {
                problems.push(format!(
                    "{name}: too weak (all bytes equal); generate 32 random bytes"
                ));
                [0u8; 32]
            }
            None => {
                problems.push(format!(
                    "{name}: must be 32 bytes written as 64 hex characters or base64"
                ));
                [0u8; 32]
            }
        },
    }
}

fn load_or_create_dev_secrets(data_dir: &Path) -> std::io::Result<DevSecrets> {
    let path = data_dir.join(SECRETS_FILE);
    let mut s = DevSecrets::default();
    if let Ok(text) = std::fs::read_to_string(&path) {
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("JWT_SECRET=") {
                s.jwt_secret = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("ENCRYPTION_KEY=") {
                s.encryption_key = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("BLIND_INDEX_KEY=") {
                s.blind_index_key = Some(v.trim().to_string());
            }
        }
        if s.jwt_secret.is_some() && s.encryption_key.is_some() && s.blind_index_key.is_some() {
            return Ok(s);
        }
    }
    // Generate what is missing; never replace a key that already sealed data.
    let mut random = || {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Some(hex::encode(bytes))
    };
    s.jwt_secret = s.jwt_secret.or_else(&mut random);
    s.encryption_key = s.encryption_key.or_else(&mut random);
    s.blind_index_key = s.blind_index_key.or_else(&mut random);
    std::fs::create_dir_all(data_dir)?;
    let text = format!(
        "# Generated for development on first start. Never use in production.\nJWT_SECRET={}\nENCRYPTION_KEY={}\nBLIND_INDEX_KEY={}\n",
        s.jwt_secret.as_deref().unwrap_or_default(),
        s.encryption_key.as_deref().unwrap_or_default(),
        s.blind_index_key.as_deref().unwrap_or_default()
    );
    write_private(&path, &text)?;
    Ok(s)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// Reads `./.env` into the process environment if present (existing variables win).
pub fn load_dotenv() -> Option<()> {
    dotenvy::dotenv().ok().map(|_| ())
}

/// An address or a network (`10.0.0.0/8`, `fd00::/8`) of trusted proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyNet {
    addr: IpAddr,
    prefix: u8,
}

impl ProxyNet {
    pub fn parse(raw: &str) -> Option<Self> {
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (
                a.trim().parse::<IpAddr>().ok()?,
                Some(p.trim().parse::<u8>().ok()?),
            ),
            None => (raw.trim().parse::<IpAddr>().ok()?, None),
        };
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Self { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let mask = |bits: u32, width: u32| -> u128 {
            if bits == 0 {
                0
            } else {
                (!0u128 << (width - bits)) & (!0u128 >> (128 - width))
            }
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let m = mask(self.prefix as u32, 32);
                (u32::from(net) as u128 & m) == (u32::from(ip) as u128 & m)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let m = mask(self.prefix as u32, 128);
                (u128::from(net) & m) == (u128::from(ip) & m)
            }
            _ => false,
        }
    }
}

/// The client's address: the connection's peer, unless the peer is a trusted proxy, in which
/// case the nearest address in `X-Forwarded-For` (read from the right) that is not a trusted
/// proxy. Addresses a client wrote itself further left are never believed.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[ProxyNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(|k| map.get(k).cloned())
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hl-config-{tag}-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn development_generates_secrets_once() {
        let dir = temp_dir("dev");
        let d = dir.to_str().unwrap();
        let first = load(&[("DATA_DIR", d)]).unwrap();
        let second = load(&[("DATA_DIR", d)]).unwrap();
        assert_eq!(first.jwt_secret, second.jwt_secret);
        assert_eq!(first.encryption_key, second.encryption_key);
        assert!(first.database_url.starts_with("sqlite://"));
        assert!(first.seed_demo);
        assert_eq!(format!("{:?}", first.jwt_secret), "[redacted]");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn production_refuses_missing_and_weak_secrets() {
        let err = load(&[
            ("APP_ENV", "production"),
            ("APP_URL", "https://hl.example.org"),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("JWT_SECRET: required"), "{text}");
        assert!(text.contains("ENCRYPTION_KEY: required"), "{text}");
        assert!(text.contains("BLIND_INDEX_KEY: required"), "{text}");
        let err = load(&[
            ("APP_ENV", "production"),
            ("APP_URL", "https://hl.example.org"),
            ("JWT_SECRET", "secret"),
            ("ENCRYPTION_KEY", &"00".repeat(32)),
        ])
        .unwrap_err();
        assert!(err.0.iter().any(|p| p.starts_with("JWT_SECRET: too weak")));
        assert!(err
            .0
            .iter()
            .any(|p| p.starts_with("ENCRYPTION_KEY: too weak")));
    }

    #[test]
    fn production_with_good_secrets_starts() {
        let key = base64::engine::general_purpose::STANDARD.encode((0u8..32).collect::<Vec<_>>());
        let cfg = load(&[
            ("APP_ENV", "production"),
            ("APP_URL", "https://hl.example.org/"),
            ("JWT_SECRET", "3f9a1c7e5b2d8f4a6c0e9b1d7f3a5c8e"),
            ("ENCRYPTION_KEY", &key),
            ("BLIND_INDEX_KEY", &"a5b6".repeat(16)),
            ("DATABASE_URL", "postgres://hl@db/hl"),
            ("JWT_EXPIRES_IN", "10m"),
            ("MAILER_HOST", "smtp.example.org"),
            ("MAILER_TLS", "tls"),
        ])
        .unwrap();
        assert_eq!(cfg.app_url, "https://hl.example.org");
        assert_eq!(cfg.jwt_expires_in, Duration::from_secs(600));
        assert_eq!(cfg.encryption_key.expose()[31], 31);
        assert_eq!(
            cfg.keyring().primary_id(),
            crate::crypto::key_id(cfg.encryption_key.expose())
        );
        assert_eq!(cfg.mailer.as_ref().unwrap().port, 465);
        assert!(!cfg.seed_demo);
        assert!(!cfg.is_sqlite());
    }

    #[test]
    fn every_bad_value_is_named() {
        let dir = temp_dir("bad");
        let err = load(&[
            ("DATA_DIR", dir.to_str().unwrap()),
            ("APP_ENV", "staging"),
            ("APP_PORT", "70000"),
            ("DATABASE_URL", "mysql://x"),
            ("JWT_EXPIRES_IN", "forever"),
            ("MAILER_HOST", "smtp"),
            ("MAILER_TLS", "ssl"),
            ("SMS_PROVIDER_URL", "http://sms"),
            ("AUDIT_LOG_RETENTION_DAYS", "-1"),
            ("SEED_DEMO", "maybe"),
            ("ENCRYPTION_KEYS_RETIRED", "nope"),
        ])
        .unwrap_err();
        for name in [
            "APP_ENV",
            "APP_PORT",
            "DATABASE_URL",
            "JWT_EXPIRES_IN",
            "MAILER_TLS",
            "SMS_PROVIDER_API_KEY",
            "AUDIT_LOG_RETENTION_DAYS",
            "SEED_DEMO",
            "ENCRYPTION_KEYS_RETIRED",
        ] {
            assert!(
                err.0.iter().any(|p| p.starts_with(name)),
                "{name} not named in {err}"
            );
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn durations_and_keys() {
        assert_eq!(parse_duration("900"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("5x"), None);
        assert!(parse_key(&"ab".repeat(32)).is_some());
        assert!(parse_key("short").is_none());
    }

    #[test]
    fn forwarded_addresses_are_believed_from_trusted_proxies_only() {
        let nets: Vec<ProxyNet> = ["10.0.0.0/8", "fd00::/8", "192.0.2.7"]
            .iter()
            .map(|n| ProxyNet::parse(n).unwrap())
            .collect();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Not a proxy: its own address, whatever it claims.
        assert_eq!(
            client_address(ip("203.0.113.9"), Some("1.2.3.4"), &nets),
            ip("203.0.113.9")
        );
        // Through the balancer: the address the balancer saw.
        assert_eq!(
            client_address(ip("10.1.2.3"), Some("198.51.100.4"), &nets),
            ip("198.51.100.4")
        );
        // A forged left part is skipped: the nearest untrusted hop wins.
        assert_eq!(
            client_address(
                ip("10.1.2.3"),
                Some("1.2.3.4, 198.51.100.4, 192.0.2.7"),
                &nets
            ),
            ip("198.51.100.4")
        );
        assert_eq!(
            client_address(ip("fd00::1"), Some("2001:db8::5"), &nets),
            ip("2001:db8::5")
        );
        // No header: the proxy's address.
        assert_eq!(client_address(ip("10.1.2.3"), None, &nets), ip("10.1.2.3"));
        assert!(ProxyNet::parse("10.0.0.0/33").is_none());
        assert!(ProxyNet::parse("balancer").is_none());
        assert!(ProxyNet::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("8.8.8.8")));
    }
}
