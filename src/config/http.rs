//! `[http]`: where the read-only HTTP API listens and how it is protected.
//!
//! A non-loopback address requires a bearer token (from an environment variable or a file), so
//! an API is never exposed to a network by accident. This module only validates the settings;
//! the token itself is read when the daemon starts (`HttpSettings::read_token`).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Invalid};

/// Validated `[http]` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    pub listen: SocketAddr,
    /// The environment variable holding the bearer token.
    pub token_env: Option<String>,
    /// The file holding the bearer token (e.g. a systemd credential).
    pub token_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    listen: Option<Spanned<String>>,
    token_env: Option<String>,
    token_file: Option<PathBuf>,
}

/// The default address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8410";

pub(super) fn validate_http(
    raw: RawHttp,
    table_span: std::ops::Range<usize>,
    invalid: &Invalid,
) -> Result<HttpSettings, ConfigError> {
    let (listen_text, span) = match raw.listen {
        Some(listen) => (listen.get_ref().clone(), listen.span()),
        None => (DEFAULT_LISTEN.to_string(), table_span),
    };
    let listen: SocketAddr = listen_text.parse().map_err(|_| {
        invalid(span.clone(), format!("`{listen_text}` is not an address:port such as 127.0.0.1:8410"))
    })?;
    let has_token = raw.token_env.is_some() || raw.token_file.is_some();
    if !listen.ip().is_loopback() && !has_token {
        return Err(invalid(
            span,
            format!(
                "`{listen}` is not a loopback address: set `token_env` or `token_file` so the API requires a bearer token"
            ),
        ));
    }
    Ok(HttpSettings { listen, token_env: raw.token_env, token_file: raw.token_file })
}

impl HttpSettings {
    /// Reads the bearer token, if one is configured. An empty or unreadable token is an error,
    /// never "no token": that would open the API by mistake.
    pub fn read_token(&self) -> Result<Option<String>, String> {
        if let Some(variable) = &self.token_env {
            let token = std::env::var(variable)
                .map_err(|_| format!("http.token_env: environment variable {variable} is not set"))?;
            return non_empty(token, &format!("environment variable {variable}")).map(Some);
        }
        if let Some(file) = &self.token_file {
            let token = std::fs::read_to_string(file)
                .map_err(|error| format!("http.token_file: cannot read {}: {error}", file.display()))?;
            return non_empty(token, &file.display().to_string()).map(Some);
        }
        Ok(None)
    }
}

fn non_empty(token: String, origin: &str) -> Result<String, String> {
    let token = token.trim().to_string();
    if token.is_empty() { Err(format!("the bearer token in {origin} is empty")) } else { Ok(token) }
}
