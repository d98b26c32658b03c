//! The `palisade` binary: parses the command line and hands over to `server::startup` or `server::cli`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use server::config::Config;
use server::startup::{self, StartupEnv};

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
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("palisade: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
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
    }
}
