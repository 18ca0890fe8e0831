//! systemd's notification protocol (sd_notify): one datagram to `$NOTIFY_SOCKET` per state
//! change. A few lines of our own instead of a crate: the protocol is a string on a socket.
//!
//! Outside systemd (no socket given) every call does nothing.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

/// Where to send notifications: the socket systemd named in `NOTIFY_SOCKET`, if any.
#[derive(Clone, Debug, Default)]
pub struct Notifier {
    socket: Option<PathBuf>,
}

impl Notifier {
    pub fn new(socket: Option<PathBuf>) -> Notifier {
        Notifier { socket }
    }

    /// `READY=1`: migrations done and the first schedule made.
    pub fn ready(&self) {
        self.send("READY=1\nSTATUS=Fetching on schedule");
    }

    /// `STOPPING=1`: shutdown has begun.
    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=Stopping");
    }

    /// `RELOADING=1` then `READY=1` around a config reload, as `Type=notify` expects.
    pub fn reloading(&self) {
        self.send("RELOADING=1");
    }

    /// `WATCHDOG=1`: still alive (sent only while the database answers).
    pub fn watchdog(&self) {
        self.send("WATCHDOG=1");
    }

    fn send(&self, message: &str) {
        let Some(path) = &self.socket else { return };
        if let Err(error) = send_datagram(path, message) {
            tracing::warn!(%error, socket = %path.display(), "Could not notify systemd.");
        }
    }
}

fn send_datagram(path: &std::path::Path, message: &str) -> std::io::Result<()> {
    let socket = UnixDatagram::unbound()?;
    let text = path.as_os_str().to_string_lossy();
    // A leading `@` names a socket in the abstract namespace.
    if let Some(abstract_name) = text.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        let address = std::os::unix::net::SocketAddr::from_abstract_name(abstract_name.as_bytes())?;
        socket.send_to_addr(message.as_bytes(), &address)?;
    } else {
        socket.send_to(message.as_bytes(), path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_reach_the_socket() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("notify.sock");
        let receiver = UnixDatagram::bind(&path).unwrap();
        let notifier = Notifier::new(Some(path));
        notifier.ready();
        notifier.watchdog();
        let mut buffer = [0u8; 128];
        let length = receiver.recv(&mut buffer).unwrap();
        assert!(std::str::from_utf8(&buffer[..length]).unwrap().starts_with("READY=1"));
        let length = receiver.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..length], b"WATCHDOG=1");
        Notifier::default().ready();
    }
}
