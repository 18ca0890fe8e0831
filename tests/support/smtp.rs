//! A real SMTP server for tests: Debian's aiosmtpd (`python3-aiosmtpd`) run by
//! `tests/support/smtp_server.py` on 127.0.0.1, writing every message it receives to a
//! directory, with the MIME parts decoded by Python's email package.
//!
//! Not a fake transport: lodestone speaks SMTP over TCP to it exactly as to a real relay. The
//! server can be stopped and started again on the same port, to test a server that is down at
//! send time.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One received message.
#[derive(Clone, Debug)]
pub struct Received {
    /// The message as received (headers and encoded body).
    pub raw: String,
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// The AUTH user, when the client logged in.
    pub auth: Option<String>,
    pub headers: Vec<(String, String)>,
    pub parts: Vec<serde_json::Value>,
}

impl Received {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// The decoded text of the first part of type `content_type`.
    pub fn text_part(&self, content_type: &str) -> Option<String> {
        self.parts
            .iter()
            .find(|part| part["content_type"] == content_type)
            .and_then(|part| part["text"].as_str().map(String::from))
    }

    pub fn content_types(&self) -> Vec<String> {
        self.parts.iter().filter_map(|part| part["content_type"].as_str().map(String::from)).collect()
    }
}

pub struct SmtpServer {
    pub port: u16,
    directory: tempfile::TempDir,
    credentials: Option<(String, String)>,
    child: Option<Child>,
}

impl SmtpServer {
    /// A server without authentication.
    pub fn start() -> SmtpServer {
        SmtpServer::start_on(super::free_port(), None)
    }

    /// A server that requires AUTH with this user and password.
    pub fn start_with_auth(user: &str, password: &str) -> SmtpServer {
        SmtpServer::start_on(super::free_port(), Some((user.to_string(), password.to_string())))
    }

    /// A server on `port` that is not running yet (`resume` starts it).
    pub fn stopped_on(port: u16) -> SmtpServer {
        SmtpServer { port, directory: tempfile::tempdir().unwrap(), credentials: None, child: None }
    }

    fn start_on(port: u16, credentials: Option<(String, String)>) -> SmtpServer {
        let mut server =
            SmtpServer { port, directory: tempfile::tempdir().unwrap(), credentials, child: None };
        server.resume();
        server
    }

    /// Starts the server (again) on the same port, keeping the messages received so far.
    pub fn resume(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
        let mut command = Command::new(python());
        command.arg("-W").arg("ignore").arg(script).arg(self.port.to_string()).arg(self.directory.path());
        if let Some((user, password)) = &self.credentials {
            command.arg(user).arg(password);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tests/support/smtp_server.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("ready"), "the SMTP server did not start: {line:?}");
        self.child = Some(child);
    }

    /// Stops the server; connections to its port are refused until `resume`.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every message received so far, in order.
    pub fn messages(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|path| {
                let meta: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let raw = std::fs::read_to_string(path.with_extension("eml")).unwrap_or_default();
                Received {
                    raw,
                    mail_from: meta["mail_from"].as_str().unwrap_or_default().to_string(),
                    rcpt_tos: meta["rcpt_tos"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|value| value.as_str().unwrap().to_string())
                        .collect(),
                    auth: meta["auth"].as_str().map(String::from),
                    headers: meta["headers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|pair| {
                            (pair[0].as_str().unwrap().to_string(), pair[1].as_str().unwrap().to_string())
                        })
                        .collect(),
                    parts: meta["parts"].as_array().unwrap().clone(),
                }
            })
            .collect()
    }

    /// Waits up to `timeout` for at least `count` messages.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count || Instant::now() > deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Debian's python3 (where python3-aiosmtpd installs), else the first python3 on PATH. Fails
/// with the fix when neither has aiosmtpd: these tests need a real server, never a fake one.
fn python() -> PathBuf {
    for candidate in ["/usr/bin/python3", "python3"] {
        let has_aiosmtpd = Command::new(candidate)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if has_aiosmtpd {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "python3 with aiosmtpd is needed for the digest tests: apt-get install python3-aiosmtpd (.ci/run does)"
    );
}
