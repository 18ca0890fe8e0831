//! Test support: a real HTTP/1.1 server on 127.0.0.1 serving routes the test defines, and
//! helpers to run the real `lodestone` binary against a temporary config and database.
//!
//! The server is a small hand-written one (not a mock framework) so that tests can make it
//! misbehave the way real servers do: stall after the headers, redirect in a loop, send a gzip
//! bomb. It records every request so tests can count them and read their headers.

#![allow(dead_code)]

pub mod digests;
pub mod labelled;
pub mod smtp;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    pub headers: HashMap<String, String>,
    /// When the request arrived.
    pub at: std::time::Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

/// What the server answers.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the headers, then wait this long before the body (a stalling server).
    pub stall_after_headers: Option<Duration>,
    /// Wait this long before answering at all (a slow server).
    pub delay: Option<Duration>,
}

impl Response {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            stall_after_headers: None,
            delay: None,
        }
    }

    pub fn status(status: u16) -> Response {
        Response { status, headers: Vec::new(), body: Vec::new(), stall_after_headers: None, delay: None }
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Response {
        self.delay = Some(delay);
        self
    }
}

type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// A server on 127.0.0.1:0; it stops when the test process ends.
pub struct TestServer {
    pub address: SocketAddr,
    routes: Arc<Mutex<HashMap<String, Handler>>>,
    requests: Arc<Mutex<Vec<Request>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    /// Counts requests in flight across every server sharing it.
    pub shared: Arc<Concurrency>,
}

/// Requests being answered right now, and the most there ever were, across several servers.
#[derive(Default, Debug)]
pub struct Concurrency {
    pub in_flight: AtomicUsize,
    pub max: AtomicUsize,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_sharing(Arc::default())
    }

    /// A server whose in-flight requests also count in `shared`.
    pub fn start_sharing(shared: Arc<Concurrency>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().unwrap();
        let server = TestServer {
            address,
            routes: Arc::default(),
            requests: Arc::default(),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
            shared,
        };
        let routes = server.routes.clone();
        let requests = server.requests.clone();
        let in_flight = server.in_flight.clone();
        let max_in_flight = server.max_in_flight.clone();
        let shared = server.shared.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = routes.clone();
                let requests = requests.clone();
                let in_flight = in_flight.clone();
                let max_in_flight = max_in_flight.clone();
                let shared = shared.clone();
                thread::spawn(move || serve(stream, &routes, &requests, &in_flight, &max_in_flight, &shared));
            }
        });
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Answers `path` with `handler`'s response (replacing an earlier route).
    pub fn route(&self, path: &str, handler: impl Fn(&Request) -> Response + Send + Sync + 'static) {
        self.routes.lock().unwrap().insert(path.to_string(), Arc::new(handler));
    }

    /// Answers `path` with the same response every time.
    pub fn fixed(&self, path: &str, response: Response) {
        self.route(path, move |_| response.clone());
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests().into_iter().filter(|request| request.path == path).collect()
    }

    /// The most requests that were being answered at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Handler>>,
    requests: &Mutex<Vec<Request>>,
    in_flight: &AtomicUsize,
    max_in_flight: &AtomicUsize,
    shared: &Concurrency,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let request = Request { path: path.clone(), headers, at: std::time::Instant::now() };
    requests.lock().unwrap().push(request.clone());
    let now_in_flight = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    max_in_flight.fetch_max(now_in_flight, Ordering::SeqCst);
    let now_shared = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max.fetch_max(now_shared, Ordering::SeqCst);
    let handler = routes.lock().unwrap().get(&path).cloned();
    let response = match handler {
        Some(handler) => handler(&request),
        None => Response::status(404),
    };
    if let Some(delay) = response.delay {
        thread::sleep(delay);
    }
    let mut stream = stream;
    let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, reason(response.status));
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", response.body.len()));
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.flush();
    if let Some(stall) = response.stall_after_headers {
        thread::sleep(stall);
    }
    // Counted out before the last bytes go: once the client has the whole response it may send
    // its next request, which must not be seen as overlapping this one.
    in_flight.fetch_sub(1, Ordering::SeqCst);
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    let _ = stream.write_all(&response.body);
    let _ = stream.flush();
    // Drain so the client sees a clean close.
    let _ = reader.get_mut().set_read_timeout(Some(Duration::from_millis(50)));
    let mut sink = [0u8; 256];
    let _ = reader.read(&mut sink);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        308 => "Permanent Redirect",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A fixture file's bytes, from `tests/fixtures/`.
pub fn fixture(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("fixture {}: {error}", path.display()))
}

/// A temporary directory with a config file and a database path for the binary.
pub struct Workspace {
    pub directory: tempfile::TempDir,
}

impl Workspace {
    /// Writes `config_body` (without `[storage]`) to `lodestone.toml`, adding a database path.
    pub fn new(config_body: &str) -> Workspace {
        let directory = tempfile::tempdir().unwrap();
        let workspace = Workspace { directory };
        workspace.write_config(config_body);
        workspace
    }

    pub fn write_config(&self, config_body: &str) {
        let text = format!("[storage]\npath = \"{}\"\n\n{config_body}", self.database().display());
        std::fs::write(self.config(), text).unwrap();
    }

    pub fn config(&self) -> PathBuf {
        self.directory.path().join("lodestone.toml")
    }

    pub fn database(&self) -> PathBuf {
        self.directory.path().join("lodestone.db")
    }

    /// Runs the real binary with this workspace's config.
    pub fn run(&self, arguments: &[&str]) -> Output {
        self.command(arguments).output().expect("run lodestone")
    }

    pub fn command(&self, arguments: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lodestone"));
        command
            .arg("--config")
            .arg(self.config())
            .args(arguments)
            .env_remove("RUST_LOG")
            .env_remove("LODESTONE_CONFIG");
        command
    }

    /// Like [`Workspace::items`], but None while the database is not there or not ready.
    pub fn items_unchecked(&self) -> Option<Vec<serde_json::Value>> {
        let output = self.run(&["query", "--format", "json", "--limit", "0"]);
        if !output.status.success() {
            return None;
        }
        serde_json::from_slice(&output.stdout).ok()
    }

    /// `query --format json --limit 0` as parsed JSON.
    pub fn items(&self) -> Vec<serde_json::Value> {
        let output = self.run(&["query", "--format", "json", "--limit", "0"]);
        assert!(output.status.success(), "query failed: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("query prints JSON")
    }
}

/// stdout and stderr as text, for assertions and failure messages.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A `[[source]]` block.
pub fn source_block(name: &str, url: &str) -> String {
    format!("[[source]]\nname = \"{name}\"\nurl = \"{url}\"\n\n")
}

/// The real binary running `lodestone run`, with its stderr collected.
pub struct Daemon {
    pub child: std::process::Child,
    log: Arc<Mutex<String>>,
}

impl Daemon {
    /// Starts `lodestone run` in `workspace` with extra environment variables.
    pub fn start(workspace: &Workspace, environment: &[(&str, &str)]) -> Daemon {
        let mut command = workspace.command(&["run"]);
        command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
        command.env_remove("NOTIFY_SOCKET").env_remove("WATCHDOG_USEC").env_remove("JOURNAL_STREAM");
        for (name, value) in environment {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start lodestone run");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Daemon { child, log }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Sends `signal` (libc::SIGTERM, SIGHUP…) to the daemon.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        let result = unsafe { libc::kill(self.child.id() as i32, signal) };
        assert_eq!(result, 0, "kill failed");
    }

    /// Waits up to `timeout` for the daemon to exit; None if it is still running.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to `timeout` until `condition` holds, checking every 20 ms.
    pub fn wait_for(&self, timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if condition() {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        condition()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free TCP port on 127.0.0.1 (bound then released; the race is harmless in tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A minimal HTTP/1.1 GET: status, headers (lower-case names) and body.
pub fn http_get(port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, HashMap<String, String>, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the API");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}
