//! Command line: `serve` (default), `migrate`, `seed-demo`, `admin create`, `audit verify`,
//! `keys generate`, `keys rotate`.

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
