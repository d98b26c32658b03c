//! Configuration: `palisade.toml` plus `PALISADE_<SECTION>_<KEY>` environment overrides (SPEC §1.2).
//!
//! Parsed once in `main`; nothing else reads the environment. Every field documents its unit and default.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// The whole configuration file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub security: SecurityConfig,
    pub providers: Vec<ProviderConfig>,
    /// Price overrides in USD per million tokens, keyed by `provider/model`.
    pub prices: BTreeMap<String, PriceConfig>,
    pub mock: MockConfig,
    pub autonomy: AutonomyConfig,
    pub limits: LimitsConfig,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Socket address to listen on. Default `127.0.0.1:3000`.
    pub listen: String,
    /// The URL browsers use to reach Palisade, without a trailing slash; `Origin` of writes must equal it.
    /// Default `http://127.0.0.1:3000`.
    pub public_url: String,
    /// Mark the session cookie `Secure`. Default true; set false only for plain-HTTP local use.
    pub secure_cookies: bool,
    /// Directory with the compiled console (`pkg/`) and public assets. Default `target/site`.
    pub site_root: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:3000".into(),
            public_url: "http://127.0.0.1:3000".into(),
            secure_cookies: true,
            site_root: "target/site".into(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://data/palisade.db?mode=rwc` (default, embedded) or `postgres://user:pass@host/db`.
    pub url: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: "sqlite://data/palisade.db?mode=rwc".into() }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// CIDRs that outbound calls may reach although private (the SSRF guard refuses private ranges).
    pub allow_private_destinations: Vec<String>,
    /// Accept `http://` approval webhooks. Default false.
    pub allow_http_webhooks: bool,
}

/// An OpenAI-compatible upstream serving every workspace (SPEC §2.4).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Prefix in `provider/model`; `[a-z0-9_-]{1,32}`, not `mock`.
    pub name: String,
    /// e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Sent as Bearer; never logged.
    #[serde(default)]
    pub api_key: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub models: Vec<ModelConfig>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub id: String,
    #[serde(default)]
    pub input_usd_per_mtok: f64,
    #[serde(default)]
    pub output_usd_per_mtok: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    pub input_usd_per_mtok: f64,
    pub output_usd_per_mtok: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MockConfig {
    /// Serve the built-in offline `mock/*` models. Default true.
    pub enabled: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutonomyConfig {
    /// Largest posture snapshot kept for undo, in bytes. Default 1 MiB.
    pub snapshot_cap_bytes: u64,
}

impl Default for AutonomyConfig {
    fn default() -> Self {
        Self { snapshot_cap_bytes: 1_048_576 }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest `/v1` request body, bytes. Default 8 MiB.
    pub relay_body_bytes: usize,
    /// Largest `/api` request body, bytes. Default 1 MiB.
    pub api_body_bytes: usize,
    /// Largest MCP request body, bytes. Default 4 MiB.
    pub mcp_body_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self { relay_body_bytes: 8 << 20, api_body_bytes: 1 << 20, mcp_body_bytes: 4 << 20 }
    }
}

/// Sections that `PALISADE_<SECTION>_<KEY>` may address.
const SECTIONS: &[&str] = &["server", "database", "security", "mock", "autonomy", "limits"];

/// Errors reading the configuration, with the file or variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read `{path}`: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads `path` when it exists (a missing default file means all defaults), then applies `env`.
    pub fn load(path: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let mut table = match path {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
                text.parse::<toml::Table>().map_err(|err| ConfigError::Invalid(format!("{}: {err}", path.display())))?
            }
            _ => toml::Table::new(),
        };
        for (name, value) in env {
            apply_override(&mut table, &name, &value)?;
        }
        let config: Config =
            toml::Value::Table(table).try_into().map_err(|err: toml::de::Error| ConfigError::Invalid(err.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.server.public_url.ends_with('/') {
            return Err(ConfigError::Invalid("server.public_url must not end with `/`".into()));
        }
        for provider in &self.providers {
            let valid_name = !provider.name.is_empty()
                && provider.name.len() <= 32
                && provider.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
            if !valid_name || provider.name == "mock" {
                return Err(ConfigError::Invalid(format!(
                    "providers: name `{}` must match [a-z0-9_-]{{1,32}} and not be `mock`",
                    provider.name
                )));
            }
        }
        Ok(())
    }
}

/// Applies `PALISADE_<SECTION>_<KEY>=value` to the parsed file; other variables are ignored.
fn apply_override(table: &mut toml::Table, name: &str, value: &str) -> Result<(), ConfigError> {
    let Some(rest) = name.strip_prefix("PALISADE_") else { return Ok(()) };
    let rest = rest.to_ascii_lowercase();
    let Some((section, key)) = SECTIONS
        .iter()
        .find_map(|section| rest.strip_prefix(section).and_then(|key| key.strip_prefix('_')).map(|key| (*section, key)))
    else {
        return Ok(());
    };
    let entry = table.entry(section.to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(section_table) = entry else {
        return Err(ConfigError::Invalid(format!("`{section}` must be a table")));
    };
    section_table.insert(key.to_owned(), env_value(key, value));
    Ok(())
}

/// Environment values are strings; booleans, integers and comma lists are recognised by shape.
fn env_value(key: &str, value: &str) -> toml::Value {
    if key == "allow_private_destinations" {
        let items = value.split(',').map(str::trim).filter(|item| !item.is_empty());
        return toml::Value::Array(items.map(|item| toml::Value::String(item.to_owned())).collect());
    }
    if let Ok(flag) = value.parse::<bool>() {
        return toml::Value::Boolean(flag);
    }
    if let Ok(number) = value.parse::<i64>() {
        return toml::Value::Integer(number);
    }
    toml::Value::String(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_apply_without_a_file() {
        let config = Config::load(None, env(&[])).expect("defaults");
        assert_eq!(config.server.listen, "127.0.0.1:3000");
        assert!(config.server.secure_cookies);
        assert!(config.database.url.starts_with("sqlite://data/"));
        assert!(config.mock.enabled);
        assert_eq!(config.limits.relay_body_bytes, 8 << 20);
    }

    #[test]
    fn environment_overrides_file_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("palisade.toml");
        std::fs::write(&path, "[server]\nlisten = \"0.0.0.0:8080\"\n[mock]\nenabled = false\n").expect("write");
        let config = Config::load(
            Some(&path),
            env(&[
                ("PALISADE_SERVER_SECURE_COOKIES", "false"),
                ("PALISADE_DATABASE_URL", "postgres://x@127.0.0.1/db"),
                ("PALISADE_LIMITS_API_BODY_BYTES", "2048"),
                ("PALISADE_SECURITY_ALLOW_PRIVATE_DESTINATIONS", "10.0.0.0/8, 192.168.1.0/24"),
                ("PALISADE_BOOTSTRAP_EMAIL", "ignored@example.com"),
                ("HOME", "/root"),
            ]),
        )
        .expect("load");
        assert_eq!(config.server.listen, "0.0.0.0:8080");
        assert!(!config.server.secure_cookies);
        assert!(!config.mock.enabled);
        assert_eq!(config.database.url, "postgres://x@127.0.0.1/db");
        assert_eq!(config.limits.api_body_bytes, 2048);
        assert_eq!(config.security.allow_private_destinations, vec!["10.0.0.0/8", "192.168.1.0/24"]);
    }

    #[test]
    fn unknown_keys_and_bad_provider_names_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("palisade.toml");
        std::fs::write(&path, "[server]\nlisten_port = 1\n").expect("write");
        let err = Config::load(Some(&path), env(&[])).expect_err("unknown key");
        assert!(err.to_string().contains("listen_port"), "{err}");
        std::fs::write(&path, "[[providers]]\nname = \"mock\"\nbase_url = \"http://x\"\n").expect("write");
        assert!(Config::load(Some(&path), env(&[])).is_err());
    }
}
