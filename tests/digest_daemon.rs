//! The daemon's digests: the real `lodestone run`, a real SMTP server on 127.0.0.1 that goes
//! down and comes back, and the `digests` table read from the real SQLite file.
//!
//! Retry timings are shortened through `[digest] retry_for`, `retry_backoff` and
//! `retry_backoff_max`; `at` is set to seconds from now in UTC.

mod support;

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use lodestone::store::DigestRecord;
use support::digests::{
    PASSWORD, PASSWORD_VARIABLE, config, digests, fixture_items, seed_sent_digest, workspace_with,
};
use support::smtp::SmtpServer;
use support::{Daemon, Workspace};

/// `[digest]` lines: `at` is `instant`'s time of day in UTC.
fn digest_settings(instant: Timestamp, extra: &str) -> String {
    let time = instant.strftime("%H:%M:%S");
    format!("at = \"{time}\"\ntimezone = \"UTC\"\n{extra}")
}

fn date_of(instant: Timestamp) -> jiff::civil::Date {
    instant.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

fn days_before(date: jiff::civil::Date, days: i64) -> String {
    date.checked_sub(jiff::Span::new().days(days)).unwrap().to_string()
}

fn record<'a>(records: &'a [DigestRecord], recipient: &str, date: &str) -> Option<&'a DigestRecord> {
    records.iter().find(|record| record.recipient == recipient && record.date == date)
}

fn start_daemon(workspace: &Workspace) -> Daemon {
    Daemon::start(workspace, &[(PASSWORD_VARIABLE, PASSWORD)])
}

fn stop(mut daemon: Daemon) {
    daemon.signal(libc::SIGTERM);
    let status = daemon.wait_timeout(Duration::from_secs(20)).expect("the daemon did not stop");
    assert!(status.success(), "exit {status:?}\n{}", daemon.log());
}

#[test]
fn a_failing_server_is_retried_then_recorded_as_failed_and_a_restart_sends_nothing_twice() {
    let mut smtp = SmtpServer::start_with_auth("lodestone", PASSWORD);
    // Today's digest was due two minutes ago; yesterday's scheduled one was sent, so the
    // recipients have a history (a first digest is never sent for a time before the start).
    let due = Timestamp::now() - SignedDuration::from_mins(2);
    let today = date_of(due);
    let yesterday = days_before(today, 1);
    let retries = "retry_for = \"3s\"\nretry_backoff = \"300ms\"\nretry_backoff_max = \"1s\"";
    let workspace = workspace_with(&fixture_items(), &config(smtp.port, &digest_settings(due, retries)));
    let yesterday_end = (due - SignedDuration::from_hours(24)).to_string();
    for name in ["desk", "all"] {
        seed_sent_digest(&workspace, name, &yesterday, "scheduled", &yesterday_end);
    }

    smtp.stop();
    let daemon = start_daemon(&workspace);
    let today = today.to_string();
    let failed = daemon.wait_for(Duration::from_secs(30), || {
        let records = digests(&workspace);
        ["desk", "all"]
            .iter()
            .all(|name| record(&records, name, &today).is_some_and(|r| r.status == "failed"))
    });
    assert!(failed, "not recorded as failed: {:#?}\n{}", digests(&workspace), daemon.log());
    let records = digests(&workspace);
    for name in ["desk", "all"] {
        let record = record(&records, name, &today).unwrap();
        assert!(record.attempts >= 3, "{name}: only {} attempts", record.attempts);
        let error = record.error.as_deref().unwrap_or_default();
        assert!(error.contains(&format!("127.0.0.1:{}", smtp.port)), "{error}");
    }
    let log = daemon.log();
    assert!(log.contains("will retry") && log.contains("giving up"), "{log}");
    assert!(log.lines().any(|line| line.contains("ERROR") && line.contains("giving up")), "{log}");
    assert!(!log.contains(PASSWORD), "the password was logged");
    stop(daemon);

    // The server is back; a restart sends neither yesterday's digests again nor today's failed ones.
    smtp.resume();
    let daemon = start_daemon(&workspace);
    std::thread::sleep(Duration::from_secs(3));
    stop(daemon);
    assert!(smtp.messages().is_empty(), "a restart sent a digest again");
    let records = digests(&workspace);
    assert_eq!(records.len(), 4, "{records:#?}");
}

#[test]
fn missed_days_are_caught_up_once_and_a_digest_pending_at_a_crash_is_sent_once() {
    let mut smtp = SmtpServer::start_with_auth("lodestone", PASSWORD);
    let workspace = workspace_with(&fixture_items(), &config(smtp.port, "timezone = \"UTC\""));
    // The digest is due 8 s from now; desk last had one three days ago (the daemon was down).
    let due = Timestamp::now() + SignedDuration::from_secs(8);
    let today = date_of(due);
    let three_days_ago = (due - SignedDuration::from_hours(72)).to_string();
    seed_sent_digest(&workspace, "desk", &days_before(today, 3), "scheduled", &three_days_ago);
    let retries =
        "catch_up = \"3d\"\nretry_for = \"1h\"\nretry_backoff = \"200ms\"\nretry_backoff_max = \"500ms\"";
    workspace.write_config(&config(smtp.port, &digest_settings(due, retries)));

    // The server is down: the missed days and, once due, today's digests are claimed and fail.
    smtp.stop();
    let mut daemon = start_daemon(&workspace);
    let expected: Vec<(&str, String)> = vec![
        ("desk", days_before(today, 2)),
        ("desk", days_before(today, 1)),
        ("desk", today.to_string()),
        ("all", today.to_string()),
    ];
    let claimed = daemon.wait_for(Duration::from_secs(40), || {
        let records = digests(&workspace);
        expected.iter().all(|(name, date)| {
            record(&records, name, date)
                .is_some_and(|record| record.status == "pending" && record.attempts >= 1)
        })
    });
    assert!(claimed, "{:#?}\n{}", digests(&workspace), daemon.log());
    // A crash: no clean shutdown, the pending digests stay pending.
    daemon.child.kill().unwrap();
    daemon.child.wait().unwrap();

    smtp.resume();
    let daemon = start_daemon(&workspace);
    let sent = daemon.wait_for(Duration::from_secs(30), || {
        let records = digests(&workspace);
        expected
            .iter()
            .all(|(name, date)| record(&records, name, date).is_some_and(|record| record.status == "sent"))
    });
    assert!(sent, "{:#?}\n{}", digests(&workspace), daemon.log());
    stop(daemon);
    let daemon = start_daemon(&workspace);
    std::thread::sleep(Duration::from_secs(3));
    stop(daemon);

    let messages = smtp.messages();
    assert_eq!(messages.len(), 4, "one digest a recipient and day, each once: {messages:#?}");
    let mut ids: Vec<&str> = messages.iter().filter_map(|message| message.header("Message-ID")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "a digest was sent twice");
    for (name, date) in &expected {
        let id = format!("<lodestone-digest.{date}.{name}@example.com>");
        assert!(ids.contains(&id.as_str()), "no {id} in {ids:?}");
    }
    // Today's digests carry the stories stored before their time; the missed days had none.
    let today_desk = messages
        .iter()
        .find(|message| {
            message.header("Message-ID") == Some(&format!("<lodestone-digest.{today}.desk@example.com>"))
        })
        .unwrap();
    let plain = today_desk.text_part("text/plain").unwrap();
    assert!(plain.contains("3 sources: SMM News ×3"), "{plain}");
    let records = digests(&workspace);
    assert_eq!(record(&records, "desk", &days_before(today, 1)).unwrap().story_count, 0);
}

#[test]
fn a_dated_digest_sent_by_hand_does_not_move_the_schedule() {
    let smtp = SmtpServer::start_with_auth("lodestone", PASSWORD);
    let due = Timestamp::now() + SignedDuration::from_secs(4);
    let today = date_of(due);
    let workspace = workspace_with(&fixture_items(), &config(smtp.port, &digest_settings(due, "")));
    // A digest for a date five days ahead, sent by hand (as `digest --date` allowed before it
    // refused dates whose window had not closed): it is not part of the daily schedule.
    let ahead = today.checked_add(jiff::Span::new().days(5)).unwrap().to_string();
    let ahead_end = (due + SignedDuration::from_hours(5 * 24)).to_string();
    seed_sent_digest(&workspace, "desk", &ahead, "dated", &ahead_end);
    let daemon = start_daemon(&workspace);
    let today = today.to_string();
    let sent = daemon.wait_for(Duration::from_secs(30), || {
        let records = digests(&workspace);
        ["desk", "all"]
            .iter()
            .all(|name| record(&records, name, &today).is_some_and(|record| record.status == "sent"))
    });
    assert!(sent, "today's digest was skipped: {:#?}\n{}", digests(&workspace), daemon.log());
    stop(daemon);
    let desk = smtp.messages().into_iter().find(|message| message.rcpt_tos == ["desk@example.com"]).unwrap();
    assert!(desk.text_part("text/plain").unwrap().contains("3 sources: SMM News ×3"));
}
