use clap::Parser;
use hospitallink::config::Config;
use migration::{Migrator, MigratorTrait};
use server::cli::{AdminCommand, AuditCommand, Cli, ClientsCommand, Command, KeysCommand};
use server::Application;
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: a request allocates thousands of small objects
/// (SQL text, rows, the rendered page), and glibc's `malloc` was 13 % of a records-API call's
/// instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_tracing(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.compact().init();
    }
}

/// Worker threads' stack: rendering the chart on the server nests deeply in unoptimised builds,
/// deeper than Tokio's 2 MiB default.
const WORKER_STACK_BYTES: usize = 16 * 1024 * 1024;

fn main() -> std::process::ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
    {
        Ok(runtime) => runtime.block_on(start()),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn start() -> std::process::ExitCode {
    let _ = dotenvy_load();
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_tracing(!config.env.is_development());
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn dotenvy_load() -> Option<()> {
    hospitallink::config::load_dotenv()
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let app = Application::build(config).await?;
            let url = app.core.config.app_url.clone();
            let env = app.core.config.env.as_str();
            tracing::info!(port = app.port(), env, "listening");
            println!();
            println!("  HospitalLink is running at {url}  ({env})");
            println!("  API docs: {url}/api/docs");
            if app.seeded_demo {
                println!(
                    "  Demo network seeded: {} hospitals and their staff, {} patients.",
                    hospitallink::services::seed::demo::DEMO_HOSPITALS.len(),
                    hospitallink::services::seed::demo::DEMO_PATIENTS.len()
                        + hospitallink::services::seed::demo::DEMO_SYNTHETIC_PATIENTS
                );
            }
            if app.core.config.seed_demo && app.core.config.env.is_development() {
                print!("{}", hospitallink::services::seed::demo::how_to_try(&url));
            } else {
                println!(
                    "  First administrator: hospitallink admin create --email you@example.org"
                );
            }
            println!();
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
        Command::Migrate => {
            let db = hospitallink::db::connect(&config.database_url).await?;
            Migrator::up(&db, None).await?;
            println!("migrations applied");
        }
        Command::SeedDemo { patients, hospital } => {
            let mut config = config;
            config.seed_demo = true;
            let (core, seeded) = server::prepare_core(config).await?;
            println!(
                "{}",
                if seeded {
                    "demo network seeded"
                } else {
                    "database already has hospitals; nothing seeded"
                }
            );
            if let Some(n) = patients {
                let started = std::time::Instant::now();
                let done = hospitallink::services::seed::demo::add_synthetic(
                    &core,
                    n,
                    hospital.as_deref(),
                )
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.into_kind()))?;
                println!(
                    "added {} synthetic patients with {} records in {:.1} s",
                    done.patients,
                    done.records,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = hospitallink::db::connect(&config.database_url).await?;
            Migrator::up(&db, None).await?;
            let report = hospitallink::services::platform::audit::verify_chain(&db)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.into_kind()))?;
            if report.intact {
                println!("audit chain intact: {} entries checked", report.checked);
            } else {
                println!(
                    "audit chain BROKEN at entry {} ({}): {}",
                    report.first_broken_seq.unwrap_or_default(),
                    report
                        .first_broken_id
                        .map(|id| id.to_string())
                        .unwrap_or_else(|| "-".into()),
                    report.problem.unwrap_or_default()
                );
                std::process::exit(1);
            }
        }
        Command::Clients {
            command:
                ClientsCommand::Create {
                    hospital,
                    name,
                    scopes,
                },
        } => {
            let (core, _) = server::prepare_core(Config {
                seed_demo: false,
                ..config
            })
            .await?;
            let created = server::cli::create_client(&core, &hospital, &name, &scopes)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.into_kind().explained()))?;
            println!("client_id={}", created.client_id);
            println!("client_secret={}", created.client_secret);
        }
        Command::Indicators {
            hospital,
            period_start,
            period_end,
            csv,
            profile,
        } => {
            let (core, _) = server::prepare_core(Config {
                seed_demo: false,
                ..config
            })
            .await?;
            server::cli::indicators(
                &core,
                &hospital,
                period_start.as_deref(),
                period_end.as_deref(),
                csv.as_deref(),
                profile,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.into_kind().explained()))?;
        }
        Command::Keys {
            command: KeysCommand::Generate,
        } => {
            use rand::RngCore;
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            println!(
                "{}",
                key.iter().map(|b| format!("{b:02x}")).collect::<String>()
            );
        }
        Command::Keys {
            command: KeysCommand::Rotate { batch },
        } => {
            let (core, _) = server::prepare_core(Config {
                seed_demo: false,
                ..config
            })
            .await?;
            let report = hospitallink::services::platform::keys::rotate(&core, batch)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.into_kind()))?;
            println!(
                "all values sealed with key {}: {} rows checked, {} values re-sealed",
                report.primary_key_id, report.rows_checked, report.values_resealed
            );
        }
        Command::Admin {
            command: AdminCommand::Create { email, password },
        } => {
            let (core, _) = server::prepare_core(Config {
                seed_demo: false,
                ..config
            })
            .await?;
            match hospitallink::services::identity::staff::create_platform_admin(
                &core, &email, &password,
            )
            .await
            {
                Ok(id) => println!("platform admin {email} created ({id})"),
                Err(e) => {
                    let kind = e.into_kind();
                    let mut text = kind.message();
                    for (field, messages) in kind.fields() {
                        text.push_str(&format!("\n  {field}: {}", messages.join("; ")));
                    }
                    anyhow::bail!(text);
                }
            }
        }
    }
    Ok(())
}
