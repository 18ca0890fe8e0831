//! `[smtp]`: the mail server the digests go through, how the connection is secured, and where
//! the password is.
//!
//! Plain-text SMTP (`security = "none"`) is accepted only to a loopback host: a digest and a
//! password never cross a network unencrypted by a typo. This module validates the settings;
//! the password itself is read when a digest is sent (`SmtpSettings::read_password`) and is
//! never logged, printed or stored.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use serde::Deserialize;
use toml::Spanned;

use super::units::HumanDuration;
use super::{ConfigError, Invalid};

/// How the connection to the SMTP server is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required, not opportunistic); port 587.
    Starttls,
    /// TLS from the first byte ("SMTPS"); port 465.
    Tls,
    /// No encryption at all; loopback hosts only; port 25.
    None,
}

/// Validated `[smtp]` settings.
#[derive(Clone, Debug, PartialEq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// The environment variable holding the password.
    pub password_env: Option<String>,
    /// The file holding the password (e.g. a systemd credential).
    pub password_file: Option<PathBuf>,
    /// The digest's sender, `From:`.
    pub from: Mailbox,
    /// For connecting and for each SMTP command.
    pub timeout: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSmtp {
    host: Spanned<String>,
    port: Option<Spanned<i64>>,
    security: Option<Spanned<SmtpSecurity>>,
    username: Option<String>,
    password_env: Option<Spanned<String>>,
    password_file: Option<Spanned<PathBuf>>,
    from: Spanned<String>,
    timeout: Option<Spanned<HumanDuration>>,
}

pub(super) fn validate_smtp(
    raw: RawSmtp,
    table_span: std::ops::Range<usize>,
    invalid: &Invalid,
) -> Result<SmtpSettings, ConfigError> {
    let host_span = raw.host.span();
    let host = raw.host.into_inner().trim().to_string();
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(invalid(host_span, "must be a host name or an IP address".to_string()));
    }
    let (security, security_span) = match raw.security {
        Some(spanned) => (*spanned.get_ref(), spanned.span()),
        None => (SmtpSecurity::Starttls, table_span.clone()),
    };
    if security == SmtpSecurity::None && !is_loopback_host(&host) {
        return Err(invalid(
            security_span,
            format!(
                "`none` sends mail and password in clear text: it is allowed only to a loopback host (127.0.0.1, ::1, localhost), not `{host}`; use `starttls` or `tls`"
            ),
        ));
    }
    let default_port = match security {
        SmtpSecurity::Starttls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    };
    let port = match raw.port {
        None => default_port,
        Some(spanned) => u16::try_from(*spanned.get_ref())
            .ok()
            .filter(|port| *port > 0)
            .ok_or_else(|| invalid(spanned.span(), "must be a port between 1 and 65535".to_string()))?,
    };
    if raw.password_env.is_some() && raw.password_file.is_some() {
        let span = raw.password_file.as_ref().map(Spanned::span).unwrap_or(table_span.clone());
        return Err(invalid(span, "set `password_env` or `password_file`, not both".to_string()));
    }
    let has_password = raw.password_env.is_some() || raw.password_file.is_some();
    match (&raw.username, has_password) {
        (Some(_), false) => {
            return Err(invalid(
                table_span,
                "`username` needs a password: set `password_env` or `password_file`".to_string(),
            ));
        }
        (None, true) => {
            return Err(invalid(table_span, "a password is set but no `username`".to_string()));
        }
        _ => {}
    }
    let from_span = raw.from.span();
    let from: Mailbox = raw.from.get_ref().parse().map_err(|error| {
        invalid(from_span, format!("`{}` is not a mail address ({error})", raw.from.get_ref()))
    })?;
    let timeout = match raw.timeout {
        None => Duration::from_secs(30),
        Some(spanned) if spanned.get_ref().0.is_zero() => {
            return Err(invalid(spanned.span(), "must be longer than zero".to_string()));
        }
        Some(spanned) => spanned.into_inner().0,
    };
    Ok(SmtpSettings {
        host,
        port,
        security,
        username: raw.username,
        password_env: raw.password_env.map(Spanned::into_inner),
        password_file: raw.password_file.map(Spanned::into_inner),
        from,
        timeout,
    })
}

/// `localhost` or a loopback address (127.0.0.0/8, ::1).
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|address| address.is_loopback())
}

impl SmtpSettings {
    /// Reads the password, if one is configured. An empty or unreadable password is an error,
    /// never "no password". The error names where it looked, never the value.
    pub fn read_password(&self) -> Result<Option<String>, String> {
        if let Some(variable) = &self.password_env {
            let password = std::env::var(variable)
                .map_err(|_| format!("smtp.password_env: environment variable {variable} is not set"))?;
            return non_empty(password, &format!("environment variable {variable}")).map(Some);
        }
        if let Some(file) = &self.password_file {
            let password = std::fs::read_to_string(file)
                .map_err(|error| format!("smtp.password_file: cannot read {}: {error}", file.display()))?;
            return non_empty(password, &file.display().to_string()).map(Some);
        }
        Ok(None)
    }
}

/// A password file usually ends with a newline that is not part of the password.
fn non_empty(password: String, origin: &str) -> Result<String, String> {
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() { Err(format!("the SMTP password in {origin} is empty")) } else { Ok(password) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["smtp.example.com", "10.0.0.1", "localhost.example.com", "0.0.0.0"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn password_file_newline_is_not_part_of_the_password() {
        assert_eq!(non_empty("secret\n".into(), "f").unwrap(), "secret");
        assert!(non_empty("\n".into(), "f").unwrap_err().contains("empty"));
    }
}
