//! Daemon benchmark (issue: the daemon). Run with `benches/run.sh daemon` (needs `wrk`).
//!
//! - Start-up to READY (systemd's notification, read on our own socket) with 1,000,000 items.
//! - Resident memory idle with 100,000 items (after a first pass), and during a pass over 200
//!   sources.
//! - `GET /api/items?limit=50` over 100,000 items with wrk on loopback while the scheduler keeps
//!   fetching: requests/s and latency percentiles.
//! - A pass over 500 sources on 50 ports, each answering after 200 ms, concurrency 64: its
//!   duration, and the most requests one host saw at once.

#[path = "bigdb.rs"]
mod bigdb;
mod corpus;
#[path = "../tests/support/mod.rs"]
mod support;

use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{Concurrency, Response, TestServer};

fn main() {
    // `cargo bench --bench daemon -- startup|idle|api|pass` runs one part.
    let only = std::env::args().skip(1).find(|argument| !argument.starts_with('-'));
    let runs = |part: &str| only.as_deref().is_none_or(|only| only == part);
    let directory = tempfile::tempdir().unwrap();
    if runs("startup") {
        startup_with_a_million_items(directory.path());
    }
    if runs("idle") {
        idle_memory(directory.path());
    }
    if runs("api") {
        api_load(directory.path());
    }
    if runs("pass") {
        pass_over_many_sources(directory.path(), 200, 20, 16, "200 sources");
        pass_over_many_sources(directory.path(), 500, 50, 64, "500 sources");
    }
}

fn spawn_daemon(
    config: &std::path::Path,
    database: &std::path::Path,
    notify: Option<&std::path::Path>,
) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lodestone"));
    command
        .args(["--config", config.to_str().unwrap(), "--db", database.to_str().unwrap(), "-q", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env_remove("WATCHDOG_USEC");
    match notify {
        Some(socket) => command.env("NOTIFY_SOCKET", socket),
        None => command.env_remove("NOTIFY_SOCKET"),
    };
    command.spawn().unwrap()
}

fn startup_with_a_million_items(directory: &std::path::Path) {
    let database = bigdb::database(1_000_000, 365);
    let config = directory.join("startup.toml");
    std::fs::write(&config, bigdb::config_text()).unwrap();
    let socket_path = directory.join("notify.sock");
    let mut times = Vec::new();
    for _ in 0..5 {
        let _ = std::fs::remove_file(&socket_path);
        let socket = UnixDatagram::bind(&socket_path).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let started = Instant::now();
        let mut daemon = spawn_daemon(&config, &database, Some(&socket_path));
        let mut buffer = [0u8; 256];
        loop {
            let length = socket.recv(&mut buffer).expect("READY within 30 s");
            if buffer[..length].starts_with(b"READY=1") {
                break;
            }
        }
        times.push(started.elapsed());
        terminate(&mut daemon);
    }
    times.sort();
    println!(
        "start-up to READY with 1,000,000 items: median {:.0} ms (goal < 300 ms)",
        times[2].as_secs_f64() * 1e3
    );
}

/// A config for the 100,000-item database: 20 live sources on `server` fetched every
/// `interval`, the database's own (disabled) sources, the API on `port`.
fn live_config(server: &TestServer, interval: &str, port: u16) -> String {
    let mut config = format!(
        "[fetch]\ninterval = \"{interval}\"\nmin_interval = \"{interval}\"\nmax_interval = \"{interval}\"\n\n"
    );
    for index in 0..20 {
        let path = format!("/live-{index}.xml");
        server.fixed(&path, Response::ok("application/rss+xml", corpus::rss_feed(20, index as u64)));
        config.push_str(&format!("[[source]]\nname = \"live-{index}\"\nurl = \"{}\"\n\n", server.url(&path)));
    }
    config.push_str(&bigdb::config_text());
    config.push_str(&format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"));
    config
}

/// Idle memory: the daemon after its first pass (20 sources, each stored with its stories),
/// with nothing due for an hour.
fn idle_memory(directory: &std::path::Path) {
    let database = directory.join("idle.db");
    std::fs::copy(bigdb::database(100_000, 30), &database).unwrap();
    let server = TestServer::start();
    let port = support::free_port();
    let config_path = directory.join("idle.toml");
    std::fs::write(&config_path, live_config(&server, "1h", port)).unwrap();
    let mut daemon = spawn_daemon(&config_path, &database, None);
    wait_for_port(port);
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.requests().len() < 20 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // The pass's last writes, then the store threads' idle release (after 1 s without work).
    std::thread::sleep(Duration::from_secs(3));
    let pid = daemon.id();
    let (total, anonymous, file) = (rss_kib(pid, "VmRSS"), rss_kib(pid, "RssAnon"), rss_kib(pid, "RssFile"));
    println!(
        "resident memory idle with 100,000 items, after a first pass over 20 sources: {:.1} MB (goal < 30 MB): {:.1} MB heap and stacks, {:.1} MB mapped files (the binary, SQLite's shared memory)",
        total as f64 / 1024.0,
        anonymous as f64 / 1024.0,
        file as f64 / 1024.0
    );
    terminate(&mut daemon);
}

fn api_load(directory: &std::path::Path) {
    let database = directory.join("api.db");
    std::fs::copy(bigdb::database(100_000, 30), &database).unwrap();
    // The scheduler keeps fetching during the load: 20 sources every second.
    let server = TestServer::start();
    let port = support::free_port();
    let config_path = directory.join("api.toml");
    std::fs::write(&config_path, live_config(&server, "1s", port)).unwrap();
    let mut daemon = spawn_daemon(&config_path, &database, None);
    wait_for_port(port);
    std::thread::sleep(Duration::from_secs(3));
    let output = Command::new("wrk")
        .args(["-t2", "-c32", "-d10s", "--latency", &format!("http://127.0.0.1:{port}/api/items?limit=50")])
        .output()
        .expect("wrk is installed (benches/run.sh installs it)");
    let busy_rss = rss_kib(daemon.id(), "VmRSS");
    let report = String::from_utf8_lossy(&output.stdout);
    let requests_per_second =
        report.lines().find(|l| l.starts_with("Requests/sec:")).unwrap_or("Requests/sec: ?").to_string();
    let p99 =
        report.lines().find(|l| l.trim_start().starts_with("99%")).unwrap_or("99% ?").trim().to_string();
    let errors = report
        .lines()
        .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
        .collect::<Vec<_>>()
        .join("; ");
    let fetches = server.requests().len();
    println!(
        "GET /api/items?limit=50 over 100,000 items, wrk -t2 -c32 -d10s: {requests_per_second}, latency {p99} (goals >= 2000/s, p99 < 50 ms); errors: {}; {fetches} fetches by the scheduler meanwhile; RSS after {:.1} MB",
        if errors.is_empty() { "none".to_string() } else { errors },
        busy_rss as f64 / 1024.0
    );
    terminate(&mut daemon);
}

fn pass_over_many_sources(
    directory: &std::path::Path,
    sources: usize,
    ports: usize,
    concurrency: usize,
    label: &str,
) {
    let per_host = 2;
    let everyone = Arc::new(Concurrency::default());
    let servers: Vec<TestServer> = (0..ports).map(|_| TestServer::start_sharing(everyone.clone())).collect();
    let mut config =
        format!("[fetch]\nconcurrency = {concurrency}\nper_host = {per_host}\ninterval = \"1h\"\n\n");
    for index in 0..sources {
        let server = &servers[index % ports];
        let path = format!("/s{index}.xml");
        server.fixed(
            &path,
            Response::ok("application/rss+xml", corpus::rss_feed(10, index as u64))
                .delayed(Duration::from_millis(200)),
        );
        config.push_str(&format!("[[source]]\nname = \"s{index}\"\nurl = \"{}\"\n\n", server.url(&path)));
    }
    let config_path = directory.join(format!("pass-{sources}.toml"));
    std::fs::write(&config_path, config).unwrap();
    let database = directory.join(format!("pass-{sources}.db"));
    let started = Instant::now();
    let mut daemon = spawn_daemon(&config_path, &database, None);
    let mut peak_rss = 0;
    loop {
        peak_rss = peak_rss.max(rss_kib(daemon.id(), "VmHWM"));
        let done = servers.iter().map(|server| server.requests().len()).sum::<usize>() >= sources
            && count_fetches(&database) >= sources as i64;
        if done || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    peak_rss = peak_rss.max(rss_kib(daemon.id(), "VmHWM"));
    let busiest_host = servers.iter().map(TestServer::max_in_flight).max().unwrap_or(0);
    terminate(&mut daemon);
    println!(
        "pass over {label} on {ports} ports (200 ms each, concurrency {concurrency}): {:.2} s from start (goal < 10 s for 500); at most {busiest_host} requests at once to one host (per_host {per_host}); peak RSS {:.1} MB (goal < 100 MB for 200)",
        elapsed.as_secs_f64(),
        peak_rss as f64 / 1024.0
    );
}

fn count_fetches(database: &std::path::Path) -> i64 {
    let Ok(connection) =
        rusqlite::Connection::open_with_flags(database, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    connection.query_row("SELECT COUNT(*) FROM fetches", [], |row| row.get(0)).unwrap_or(0)
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the API did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn terminate(daemon: &mut Child) {
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    let _ = daemon.wait();
}
