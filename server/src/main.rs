//! The `palisade` binary: parses the command line and hands over to `server::startup` or `server::cli`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use server::config::Config;
use server::startup::{self, StartupEnv};

/// mimalloc instead of glibc malloc: less CPU and RSS for the relay's many small per-request allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "palisade", version, about = "Self-hosted OpenAI-compatible LLM gateway with guardrails and an agent firewall")]
struct Cli {
    /// Configuration file; a missing default file means built-in defaults.
    #[arg(long, global = true, default_value = "palisade.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve the console, /api and /v1.
    Serve,
    /// Run pending database migrations and exit.
    Migrate,
    /// Operator tools.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Run the deterministic guardrail detectors over JSON Lines (no server, database or network).
    Scan {
        /// Comma-separated preset slugs to run instead of the built-in detector set.
        #[arg(long, value_delimiter = ',', conflicts_with = "guardrail")]
        presets: Option<Vec<String>>,
        /// A guardrail body (as accepted by POST /api/guardrails) to run instead of the built-in set.
        #[arg(long)]
        guardrail: Option<PathBuf>,
        /// Exit 1 when any line has a finding.
        #[arg(long)]
        fail_on_findings: bool,
        /// Input file (JSON Lines); standard input when absent or `-`.
        input: Option<PathBuf>,
    },
    /// Offline firewall tools.
    #[command(subcommand)]
    Firewall(FirewallCommand),
}

#[derive(Subcommand)]
enum FirewallCommand {
    /// Evaluate tool calls (JSON Lines) against an autonomy level or a policy file, with no server.
    Check {
        /// An autonomy level's policy.
        #[arg(long, value_parser = ["tight", "balanced", "permissive"], required_unless_present = "policy", conflicts_with = "policy")]
        level: Option<String>,
        /// A policy body with its rules (as accepted by POST /api/workspace/firewall/policies).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Exit 1 when any verdict is `deny`.
        #[arg(long)]
        fail_on_deny: bool,
        /// Input file (JSON Lines); standard input when absent or `-`.
        input: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user (or add an existing one) with a role; prints a one-time password for new accounts.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["member", "developer", "admin", "owner"])]
        role: String,
        /// Workspace name or id (default: the first workspace, created when none exists).
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Create an API key and print its secret once.
    CreateKey {
        /// Workspace name or id.
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "relay", value_parser = ["relay", "gateway"])]
        kind: String,
    },
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PALISADE_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // The offline checks need no configuration, database or network (SPEC §1.7).
    if let Command::Scan { presets, guardrail, fail_on_findings, input } = cli.command {
        return std::process::ExitCode::from(run_scan(presets, guardrail, fail_on_findings, input));
    }
    if let Command::Firewall(FirewallCommand::Check { level, policy, fail_on_deny, input }) = cli.command {
        return std::process::ExitCode::from(run_firewall_check(level, policy, fail_on_deny, input));
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("palisade: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Opens the input of an offline check: a file, or stdin for `-` / none.
fn open_input(path: Option<&PathBuf>) -> std::io::Result<Box<dyn std::io::BufRead>> {
    match path {
        Some(path) if path.as_os_str() != "-" => Ok(Box::new(std::io::BufReader::new(std::fs::File::open(path)?))),
        _ => Ok(Box::new(std::io::BufReader::new(std::io::stdin()))),
    }
}

/// `palisade scan`: exit codes of SPEC §1.7 (2 for usage errors and unreadable input).
fn run_scan(presets: Option<Vec<String>>, guardrail: Option<PathBuf>, fail_on_findings: bool, input: Option<PathBuf>) -> u8 {
    let guardrail = match guardrail.map(|path| std::fs::read_to_string(&path).map_err(|err| format!("cannot read {}: {err}", path.display()))) {
        None => None,
        Some(Err(message)) => {
            eprintln!("palisade scan: {message}");
            return 2;
        }
        Some(Ok(text)) => match server::cli::scan::parse_guardrail_file(&text) {
            Ok(config) => Some(config),
            Err(message) => {
                eprintln!("palisade scan: {message}");
                return 2;
            }
        },
    };
    let input = match open_input(input.as_ref()) {
        Ok(input) => input,
        Err(err) => {
            eprintln!("palisade scan: cannot read input: {err}");
            return 2;
        }
    };
    let options = server::cli::scan::ScanOptions { presets, guardrail, fail_on_findings };
    let code = server::cli::scan::run(&options, input, std::io::stdout().lock(), std::io::stderr().lock());
    u8::try_from(code).unwrap_or(2)
}

/// `palisade firewall check`: exit codes of SPEC §1.7.
fn run_firewall_check(level: Option<String>, policy: Option<PathBuf>, fail_on_deny: bool, input: Option<PathBuf>) -> u8 {
    use server::cli::firewall_check::{parse_policy_file, run, CheckOptions};
    use server::engine::autonomy::Level;
    let level = level.as_deref().and_then(Level::parse);
    let policy = match policy.map(|path| std::fs::read_to_string(&path).map_err(|err| format!("cannot read {}: {err}", path.display()))) {
        None => None,
        Some(Err(message)) => {
            eprintln!("palisade firewall check: {message}");
            return 2;
        }
        Some(Ok(text)) => match parse_policy_file(&text) {
            Ok(policy) => Some(policy),
            Err(message) => {
                eprintln!("palisade firewall check: {message}");
                return 2;
            }
        },
    };
    let input = match open_input(input.as_ref()) {
        Ok(input) => input,
        Err(err) => {
            eprintln!("palisade firewall check: cannot read input: {err}");
            return 2;
        }
    };
    let code = run(CheckOptions { level, policy, fail_on_deny }, input, std::io::stdout().lock(), std::io::stderr().lock());
    u8::try_from(code).unwrap_or(2)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(Some(&cli.config), std::env::vars())?;
    let master_key = env_var("PALISADE_MASTER_KEY");
    match cli.command {
        Command::Serve => {
            let env = StartupEnv {
                master_key,
                bootstrap_email: env_var("PALISADE_BOOTSTRAP_EMAIL"),
                bootstrap_password: env_var("PALISADE_BOOTSTRAP_PASSWORD"),
            };
            startup::serve(config, env).await
        }
        Command::Migrate => {
            startup::build_services(config, master_key.as_deref()).await?;
            eprintln!("Database is up to date.");
            Ok(())
        }
        Command::Admin(AdminCommand::CreateUser { email, role, workspace }) => {
            let services = startup::build_services(config, master_key.as_deref()).await?;
            server::cli::admin::create_user(&services, &email, &role, workspace.as_deref()).await
        }
        Command::Admin(AdminCommand::CreateKey { workspace, name, kind }) => {
            let services = startup::build_services(config, master_key.as_deref()).await?;
            server::cli::admin::create_key(&services, &workspace, &name, &kind).await
        }
        // Dispatched in `main` before any configuration is read.
        Command::Scan { .. } | Command::Firewall(_) => Ok(()),
    }
}
