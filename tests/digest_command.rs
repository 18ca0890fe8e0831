//! The `digest` command's limits, end to end with the real binary, a real SMTP server (aiosmtpd)
//! on 127.0.0.1 and the real SQLite file: what it refuses to send, how long it tries, how it
//! reports what it cannot do, and the window a scheduled digest shows.

mod support;

use std::time::Duration;

use support::digests::{
    PASSWORD, PASSWORD_VARIABLE, config, digests, fixture_items, run, seed_sent_digest, workspace_with,
};
use support::smtp::SmtpServer;
use support::{Workspace, free_port, text};

#[test]
fn a_digest_whose_window_has_not_closed_is_refused_but_can_be_previewed() {
    let smtp = SmtpServer::start_with_auth("lodestone", PASSWORD);
    let workspace = Workspace::new(&config(smtp.port, "timezone = \"UTC\""));
    // Tomorrow's digest covers stories until tomorrow 07:00 UTC: not over yet.
    let tomorrow =
        jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date().tomorrow().unwrap();
    let tomorrow = tomorrow.to_string();
    let output = workspace
        .command(&["digest", "--date", &tomorrow])
        .env(PASSWORD_VARIABLE, PASSWORD)
        .output()
        .unwrap();
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("--date {tomorrow}")) && stderr.contains("has not come yet"),
        "{stderr}"
    );
    assert!(stderr.contains("--dry-run"), "the message says how to preview: {stderr}");
    let (ok, stdout, stderr) =
        run(&workspace, &["digest", "--date", &tomorrow, "--recipient", "desk", "--dry-run"]);
    assert!(ok && stdout.starts_with(&format!("lodestone digest — {tomorrow} — ")), "{stdout}{stderr}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(smtp.messages().is_empty(), "a digest was sent before its window closed");
    assert!(digests(&workspace).is_empty(), "a digest was recorded before its window closed");
}

#[test]
fn the_deadline_is_one_for_the_whole_command_not_one_per_recipient() {
    let closed = free_port();
    let workspace = workspace_with(
        &fixture_items(),
        &config(closed, "timezone = \"Asia/Shanghai\"\ncommand_deadline = \"3s\""),
    );
    let started = std::time::Instant::now();
    // Both recipients: the server never answers, yet the command stops after about 3 s in all.
    let output = workspace
        .command(&["digest", "--date", "2026-02-07"])
        .env(PASSWORD_VARIABLE, PASSWORD)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("recipient desk") && stderr.contains("recipient all"), "{stderr}");
    assert!(elapsed < Duration::from_millis(5_000), "3 s per recipient, not in all: took {elapsed:?}");
    let records = digests(&workspace);
    assert_eq!(records.len(), 2, "{records:#?}");
    assert!(records.iter().all(|record| record.status == "failed" && record.attempts >= 1), "{records:#?}");
}

#[test]
fn the_command_gives_up_after_its_deadline_with_the_reason_and_exit_1() {
    let closed = free_port();
    let workspace = workspace_with(
        &fixture_items(),
        &config(closed, "timezone = \"Asia/Shanghai\"\ncommand_deadline = \"2s\""),
    );
    let started = std::time::Instant::now();
    let output = workspace
        .command(&["digest", "--date", "2026-02-07", "--recipient", "desk"])
        .env(PASSWORD_VARIABLE, PASSWORD)
        .output()
        .unwrap();
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    assert!(stderr.contains("recipient desk") && stderr.contains("gave up after 2 s"), "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{closed}")), "the reason names the server: {stderr}");
    let records = digests(&workspace);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].status, "failed");
    assert!(records[0].attempts >= 2, "{records:#?}");
}

#[test]
fn a_missing_password_fails_at_once_naming_the_variable() {
    let smtp = SmtpServer::start_with_auth("lodestone", PASSWORD);
    let workspace = Workspace::new(&config(smtp.port, "timezone = \"UTC\"\ncommand_deadline = \"5s\""));
    let started = std::time::Instant::now();
    // No password in the environment: retrying cannot help.
    let output = workspace
        .command(&["digest", "--date", "2026-02-07"])
        .env_remove(PASSWORD_VARIABLE)
        .output()
        .unwrap();
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(3), "retried: took {:?}", started.elapsed());
    assert!(stderr.contains(&format!("environment variable {PASSWORD_VARIABLE} is not set")), "{stderr}");
    assert!(digests(&workspace).is_empty(), "a digest was claimed: {:#?}", digests(&workspace));
    assert!(smtp.messages().is_empty());
}

#[test]
fn a_scheduled_digest_shows_its_nominal_window() {
    let smtp = SmtpServer::start_with_auth("lodestone", PASSWORD);
    let workspace =
        workspace_with(&fixture_items(), &config(smtp.port, "at = \"07:00\"\ntimezone = \"UTC\""));
    // The previous scheduled digest ended yesterday at 07:00; the next starts there (the hour
    // it looks back for late items is not part of the window it shows).
    let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let yesterday = today.yesterday().unwrap();
    let previous_end = format!("{yesterday}T07:00:00Z");
    seed_sent_digest(&workspace, "all", &yesterday.to_string(), "scheduled", &previous_end);
    let (ok, stdout, stderr) = run(&workspace, &["digest", "--recipient", "all", "--dry-run"]);
    assert!(ok, "{stderr}");
    let from = format!("from {} 07:00 to ", yesterday.strftime("%a %-d %b"));
    assert!(stdout.contains(&from), "expected `{from}`:\n{stdout}");
}

#[test]
fn a_template_that_fails_on_a_real_digest_names_its_file_and_line() {
    let smtp = SmtpServer::start();
    let workspace = workspace_with(&fixture_items(), &config(smtp.port, "timezone = \"Asia/Shanghai\""));
    let templates = workspace.directory.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/config/templates/digest.html");
    std::fs::copy(shipped, templates.join("digest.html")).unwrap();
    // Fine for the samples it is checked with when loaded, broken for a real recipient.
    std::fs::write(
        templates.join("digest.txt"),
        "{{ subject }}\n{% if recipient != \"sample\" %}{{ no_such_value }}{% endif %}\n",
    )
    .unwrap();
    assert!(workspace.run(&["check"]).status.success(), "{}", text(&workspace.run(&["check"])).1);
    let (ok, _, stderr) =
        run(&workspace, &["digest", "--date", "2026-02-07", "--recipient", "desk", "--dry-run"]);
    assert!(!ok);
    let file = templates.join("digest.txt");
    assert!(stderr.contains(&format!("{}:2", file.display())), "the file and line: {stderr}");
}
