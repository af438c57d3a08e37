//! Command line: `serve` (default), `migrate`, `seed-demo`, `admin create`, `clients create`,
//! `indicators`, `audit verify`, `keys generate`, `keys rotate`.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "hospitallink",
    version,
    about = "HIV care coordination across a network of hospitals"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application and the API (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Seed the demo network if the database has no hospital yet.
    SeedDemo {
        /// Also add this many synthetic patients with HIV histories to the demo hospitals
        /// (benchmark data sets: 100000 gives about a million observations).
        #[arg(long)]
        patients: Option<usize>,
        /// Put the synthetic patients at this demo hospital only (its code, e.g. KSM).
        #[arg(long)]
        hospital: Option<String>,
    },
    /// Audit log operations.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage platform administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Integration clients of a hospital (the same as its admin's page, for scripts).
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// A hospital's indicators for a period, as JSON (or one indicator as CSV), computed as
    /// the application; `--profile` times the report and each of its queries, with the
    /// database's plans.
    Indicators {
        /// The hospital's code, e.g. KSM.
        #[arg(long)]
        hospital: String,
        /// First day (YYYY-MM-DD); with --period-end, or neither for the last whole quarter.
        #[arg(long)]
        period_start: Option<String>,
        #[arg(long)]
        period_end: Option<String>,
        /// One indicator as CSV (tx_curr, tx_new, tx_pvls_d, tx_pvls_n, tx_ml, tx_rtt, enrolled).
        #[arg(long)]
        csv: Option<String>,
        #[arg(long)]
        profile: bool,
    },
    /// Encryption keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random 32-byte key (hex), for ENCRYPTION_KEY.
    Generate,
    /// Re-seal every encrypted value still under a retired key with ENCRYPTION_KEY, in batches,
    /// while the application keeps running.
    Rotate {
        /// Rows per transaction.
        #[arg(long, default_value_t = 500)]
        batch: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Create an integration client and print its id and secret (shown this once).
    Create {
        /// The hospital's code, e.g. KSM.
        #[arg(long)]
        hospital: String,
        #[arg(long)]
        name: String,
        /// Space- or comma-separated scopes, e.g. "sync patients.write records.write labs.write".
        #[arg(long)]
        scopes: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a platform admin.
    Create {
        #[arg(long)]
        email: String,
        /// At least 12 characters. Prefer the HOSPITALLINK_ADMIN_PASSWORD variable, which stays
        /// out of the shell history.
        #[arg(long, env = "HOSPITALLINK_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain; exits with status 1 naming the first broken entry.
    Verify,
}

/// Creates an integration client of the hospital with `code`, as the platform itself.
pub async fn create_client(
    core: &hospitallink::services::Core,
    code: &str,
    name: &str,
    scopes: &str,
) -> hospitallink::error::AppResult<hospitallink::domain::integration::ApiClientSecret> {
    use hospitallink::domain::page::PageRequest;
    use hospitallink::domain::ErrorKind;
    use hospitallink::policy::Caller;
    let system = Caller::system();
    let found = hospitallink::services::platform::hospitals::list(
        core,
        &system,
        Some(code),
        PageRequest::default(),
    )
    .await?;
    let hospital = found
        .data
        .into_iter()
        .find(|h| h.code.eq_ignore_ascii_case(code.trim()))
        .ok_or_else(|| ErrorKind::invalid_field("hospital", "no hospital has this code"))?;
    let input = hospitallink::domain::integration::ClientInput {
        name: Some(name.to_string()),
        scopes: Some(
            scopes
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ),
    };
    hospitallink::services::integration::clients::create(core, &system, hospital.id, &input).await
}

/// Prints a hospital's indicators (JSON, or one as CSV), or with `profile` the time of the
/// report and of each query with its plan. Runs as the application.
pub async fn indicators(
    core: &hospitallink::services::Core,
    code: &str,
    period_start: Option<&str>,
    period_end: Option<&str>,
    csv: Option<&str>,
    profile: bool,
) -> hospitallink::error::AppResult<()> {
    use hospitallink::domain::indicators::{Measure, Period};
    use hospitallink::domain::ErrorKind;
    use hospitallink::policy::Caller;
    use hospitallink::services::indicators;
    let hospital = indicators::hospital_by_code(core, code).await?;
    let period = Period::parse_or_last_quarter(period_start, period_end, indicators::today(core))?;
    let system = Caller::system();
    if profile {
        let profile = indicators::profile(core, hospital, period).await?;
        println!(
            "{code} {} to {}: the whole report in {:.1} ms; the worklists' evaluation in {:.1} ms",
            period.start, period.end, profile.report_millis, profile.worklists_millis
        );
        let queries = profile.queries;
        for q in &queries {
            println!("  {:<11} {:>8} rows {:>9.1} ms", q.name, q.rows, q.millis);
        }
        if let Some(slowest) = queries.iter().max_by(|a, b| a.millis.total_cmp(&b.millis)) {
            println!("plan of the slowest ({}):", slowest.name);
            for line in &slowest.plan {
                println!("  {line}");
            }
        }
        return Ok(());
    }
    match csv {
        Some(raw) => {
            let m = Measure::parse(raw)
                .ok_or_else(|| ErrorKind::invalid_field("csv", "no such indicator"))?;
            print!(
                "{}",
                indicators::export_csv(core, &system, Some(hospital), period, m).await?
            );
        }
        None => {
            let report = indicators::report(core, &system, Some(hospital), period).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
        }
    }
    Ok(())
}
