//! Sending one message over SMTP with lettre: STARTTLS (required), implicit TLS, or a plain
//! connection (which the config allows only to a loopback host).
//!
//! One connection per message: a daily digest to a few recipients gains nothing from a pool,
//! and a fresh connection makes every retry a clean start. The password is passed in by the
//! caller and goes only to lettre; errors name the server, never the credentials. No retries
//! here: the caller decides how often to try.

use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::DigestError;
use crate::config::{SmtpSecurity, SmtpSettings};

/// Sends `message` through the server of `settings`, logging in with `password` when a
/// username is configured.
pub async fn send(
    settings: &SmtpSettings,
    password: Option<&str>,
    message: &Message,
) -> Result<(), DigestError> {
    // lettre uses the process-wide rustls provider; the HTTP client installs the same one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = format!("{}:{}", settings.host, settings.port);
    let failed = |error: lettre::transport::smtp::Error| DigestError::Send(format!("{server}: {error}"));
    let builder = match settings.security {
        SmtpSecurity::Starttls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host).map_err(failed)?
        }
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host).map_err(failed)?,
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone()),
    };
    let mut builder = builder.port(settings.port).timeout(Some(settings.timeout));
    if let (Some(username), Some(password)) = (&settings.username, password) {
        builder = builder.credentials(Credentials::new(username.clone(), password.to_string()));
    }
    let transport: AsyncSmtpTransport<Tokio1Executor> = builder.build();
    transport.send(message.clone()).await.map_err(failed)?;
    Ok(())
}
