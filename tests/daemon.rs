//! `lodestone run` end to end: the real binary, signals, a real SQLite file, fixture feeds on a
//! real HTTP server on 127.0.0.1, and the daemon's own HTTP API.

mod support;

use std::time::Duration;

use support::{Daemon, Response, TestServer, Workspace, fixture, source_block, text};

/// A feed of `entries` entries whose ids start with `prefix`.
fn feed(prefix: &str, entries: usize) -> Vec<u8> {
    let mut text = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>https://t.example/</link><description>d</description>",
    );
    for index in 0..entries {
        text.push_str(&format!(
            "<item><title>{prefix} nickel note {index}</title><guid>{prefix}-{index}</guid><pubDate>Mon, 02 Feb 2026 10:00:00 GMT</pubDate><description>Nickel pig iron output rose in Indonesia as new lines started.</description></item>"
        ));
    }
    text.push_str("</channel></rss>");
    text.into_bytes()
}

fn fast_schedule() -> &'static str {
    "[fetch]\ninterval = \"1s\"\nmin_interval = \"1s\"\nmax_interval = \"1s\"\nbackoff = \"200ms\"\nbackoff_max = \"2s\"\ntimeout = \"5s\"\n\n"
}

#[test]
fn sigterm_mid_pass_exits_0_with_nothing_half_written_and_a_rerun_carries_on() {
    let server = TestServer::start();
    let sources = 6;
    let mut config = String::from("[fetch]\nconcurrency = 2\nper_host = 2\ninterval = \"1h\"\n\n");
    for index in 0..sources {
        let path = format!("/slow-{index}.xml");
        server.fixed(
            &path,
            Response::ok("application/rss+xml", feed(&format!("s{index}"), 300))
                .delayed(Duration::from_millis(1500)),
        );
        config.push_str(&source_block(&format!("slow-{index}"), &server.url(&path)));
    }
    let workspace = Workspace::new(&config);
    let mut daemon = Daemon::start(&workspace, &[]);
    assert!(daemon.wait_for(Duration::from_secs(10), || !server.requests().is_empty()), "no fetch started");
    daemon.signal(libc::SIGTERM);
    let started = std::time::Instant::now();
    let status = daemon.wait_timeout(Duration::from_secs(20)).expect("the daemon did not stop");
    assert!(status.success(), "exit status {status:?}\n{}", daemon.log());
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "stopped after {:?}, past the 10 s deadline",
        started.elapsed()
    );
    assert!(daemon.log().contains("Stopped cleanly."), "{}", daemon.log());
    let store = lodestone::store::Store::open(&workspace.database()).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(store.foreign_key_violations().unwrap(), 0);
    let statuses = store.source_statuses().unwrap();
    assert!(
        statuses.iter().all(|status| status.items == 0 || status.items == 300),
        "a source half-stored: {statuses:?}"
    );
    assert!(statuses.iter().any(|status| status.items == 0), "the pass should have been interrupted");
    drop(store);
    let rerun = workspace.run(&["fetch"]);
    assert!(rerun.status.success(), "{:?}", text(&rerun));
    assert_eq!(workspace.items().len(), sources * 300);
}

#[test]
fn sighup_adds_a_source_without_restart_and_a_broken_config_keeps_the_old_one() {
    let server = TestServer::start();
    server.fixed("/a.xml", Response::ok("application/rss+xml", feed("a", 2)));
    server.fixed("/b.xml", Response::ok("application/rss+xml", feed("b", 3)));
    let workspace =
        Workspace::new(&format!("{}{}", fast_schedule(), source_block("alpha", &server.url("/a.xml"))));
    let daemon = Daemon::start(&workspace, &[]);
    assert!(daemon.wait_for(Duration::from_secs(10), || !server.requests_to("/a.xml").is_empty()));
    workspace.write_config(&format!(
        "{}{}{}",
        fast_schedule(),
        source_block("alpha", &server.url("/a.xml")),
        source_block("beta", &server.url("/b.xml"))
    ));
    daemon.signal(libc::SIGHUP);
    assert!(
        daemon.wait_for(Duration::from_secs(10), || !server.requests_to("/b.xml").is_empty()),
        "the new source was not fetched:\n{}",
        daemon.log()
    );
    assert!(daemon.log().contains("Config reloaded."));
    workspace.write_config(&format!(
        "{}[[source]]\nname = \"alpha\"\nurl = \"{}\"\nintervall = \"1s\"\n",
        fast_schedule(),
        server.url("/a.xml")
    ));
    daemon.signal(libc::SIGHUP);
    assert!(
        daemon.wait_for(Duration::from_secs(5), || daemon.log().contains("Config reload rejected")),
        "{}",
        daemon.log()
    );
    let rejection =
        daemon.log().lines().find(|line| line.contains("Config reload rejected")).unwrap().to_string();
    assert!(rejection.contains("source[1].intervall"), "{rejection}");
    // The old config (both sources, one-second interval) keeps running.
    let before = server.requests_to("/b.xml").len();
    assert!(
        daemon.wait_for(Duration::from_secs(8), || server.requests_to("/b.xml").len() >= before + 2),
        "beta is no longer polled"
    );
}

#[test]
fn a_failing_source_backs_off_exponentially() {
    let server = TestServer::start();
    server.fixed("/down.xml", Response::status(500));
    let workspace = Workspace::new(&format!(
        "{}{}",
        fast_schedule()
            .replace("backoff = \"200ms\"", "backoff = \"250ms\"")
            .replace("backoff_max = \"2s\"", "backoff_max = \"4s\""),
        source_block("down", &server.url("/down.xml"))
    ));
    let daemon = Daemon::start(&workspace, &[]);
    assert!(
        daemon.wait_for(Duration::from_secs(15), || server.requests_to("/down.xml").len() >= 5),
        "{}",
        daemon.log()
    );
    let times: Vec<_> = server.requests_to("/down.xml").iter().map(|request| request.at).collect();
    let gaps: Vec<f64> = times.windows(2).map(|pair| (pair[1] - pair[0]).as_secs_f64()).collect();
    // 250 ms doubling (±10 % jitter): about 0.25, 0.5, 1, 2 s. Never sooner; later only by what
    // a loaded machine adds (the whole suite runs at once on two cores).
    for (index, gap) in gaps.iter().take(4).enumerate() {
        let expected = 0.25 * f64::from(1u32 << index);
        assert!(
            *gap >= expected * 0.85 && *gap <= expected * 2.0 + 0.5,
            "gap {index} was {gap:.2}s, expected about {expected}s: {gaps:?}"
        );
    }
    assert!(daemon.log().contains("Fetch failed."), "errors are logged at warn");
}

#[test]
fn retry_after_holds_off_the_whole_host_and_ttl_and_max_age_space_the_polls() {
    let server = TestServer::start();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    server.route("/busy.xml", move |_| {
        if counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Response::status(429).header("Retry-After", "3")
        } else {
            Response::ok("application/rss+xml", feed("busy", 1))
        }
    });
    server.fixed("/neighbour.xml", Response::ok("application/rss+xml", feed("n", 1)));
    let cached = TestServer::start();
    cached.fixed(
        "/max-age.xml",
        Response::ok("application/rss+xml", feed("m", 1)).header("Cache-Control", "public, max-age=3"),
    );
    let with_ttl =
        String::from_utf8(fixture("feeds/rss2.xml")).unwrap().replace("<ttl>30</ttl>", "<ttl>1</ttl>");
    cached.fixed("/ttl.xml", Response::ok("application/rss+xml", with_ttl));
    let workspace = Workspace::new(&format!(
        "{}{}{}{}{}",
        fast_schedule(),
        source_block("busy", &server.url("/busy.xml")),
        "",
        source_block("max-age", &cached.url("/max-age.xml")),
        source_block("ttl", &cached.url("/ttl.xml"))
    ));
    let daemon = Daemon::start(&workspace, &[]);
    assert!(daemon.wait_for(Duration::from_secs(5), || !server.requests_to("/busy.xml").is_empty()));
    let refused_at = server.requests_to("/busy.xml")[0].at;
    // The neighbour on the same host joins later through a reload, while Retry-After runs.
    workspace.write_config(&format!(
        "{}{}{}{}{}",
        fast_schedule(),
        source_block("busy", &server.url("/busy.xml")),
        source_block("neighbour", &server.url("/neighbour.xml")),
        source_block("max-age", &cached.url("/max-age.xml")),
        source_block("ttl", &cached.url("/ttl.xml"))
    ));
    daemon.signal(libc::SIGHUP);
    assert!(daemon.wait_for(Duration::from_secs(10), || server.requests_to("/busy.xml").len() >= 2
        && !server.requests_to("/neighbour.xml").is_empty()));
    for request in server.requests().iter().skip(1) {
        assert!(
            request.at.duration_since(refused_at) >= Duration::from_millis(2900),
            "{} was asked {:?} after the 429",
            request.path,
            request.at.duration_since(refused_at)
        );
    }
    std::thread::sleep(Duration::from_secs(5));
    let max_age: Vec<_> = cached.requests_to("/max-age.xml").iter().map(|request| request.at).collect();
    assert!(max_age.len() >= 2, "polled again after max-age");
    for pair in max_age.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(2900),
            "max-age=3 not respected: {:?}",
            pair[1] - pair[0]
        );
    }
    assert_eq!(cached.requests_to("/ttl.xml").len(), 1, "<ttl>1</ttl> (a minute) not respected");
}
