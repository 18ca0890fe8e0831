//! `lodestone digest`: build the digest now, then print it (`--dry-run`), write it to files
//! (`--out DIR`), or send and record it.
//!
//! Sending claims the digest first (see `digest::deliver`), so a digest already sent for that
//! recipient and date is not sent again without `--force`, and one the daemon is working on is
//! finished, not duplicated. The command tries the SMTP server for about a minute in all
//! (`[digest] command_deadline`, one deadline for every recipient) and then gives up with the
//! reason; the daemon, not the command, retries for hours. What retrying cannot fix is refused
//! at once (exit 2): a `--date` whose window has not closed, an SMTP password it cannot read.
//! `--dry-run` and `--out` record nothing, and may preview any date.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::civil::Date;

use super::{Cli, CliError, DigestArgs, load_config, open_store, runtime};
use crate::config::Recipient;
use crate::digest::deliver::{Deliverer, Selection};
use crate::digest::{CHART_CONTENT_ID, Digest, message, schedule};
use crate::model::format_time;
use crate::store::{DigestAttempt, DigestRecord, StoreHandle};

pub fn run(cli: &Cli, arguments: &DigestArgs) -> Result<(), CliError> {
    let config = Arc::new(load_config(cli)?);
    let usage = |message: String| CliError::Usage(anyhow::anyhow!(message));
    let settings = config
        .digest
        .as_ref()
        .ok_or_else(|| usage(format!("{} has no [digest] section", config.file.display())))?;
    let recipients: Vec<Recipient> = match &arguments.recipient {
        Some(name) => {
            let recipient =
                settings.recipients.iter().find(|recipient| &recipient.name == name).ok_or_else(|| {
                    let known: Vec<&str> =
                        settings.recipients.iter().map(|recipient| recipient.name.as_str()).collect();
                    usage(format!(
                        "--recipient: no recipient `{name}` in [digest] (known: {})",
                        known.join(", ")
                    ))
                })?;
            vec![recipient.clone()]
        }
        None => settings.recipients.clone(),
    };
    if recipients.is_empty() {
        return Err(usage(format!("{}: [digest] has no [[digest.recipient]]", config.file.display())));
    }
    let now = Timestamp::now();
    let (date, selection) = match &arguments.date {
        Some(text) => {
            let date: Date = text
                .trim()
                .parse()
                .map_err(|_| usage(format!("--date: `{text}` is not a date such as 2026-02-07")))?;
            (date, Selection::Dated)
        }
        None => (now.to_zoned_datetime(settings.time_zone.clone()).date(), Selection::Scheduled),
    };
    let sending = !arguments.dry_run && arguments.out.is_none();
    if sending && selection == Selection::Dated {
        // A digest sent is recorded for good: sent before its window closed it would miss the
        // stories still to come, and `--force` would be the only way to send them.
        let (_, end) = schedule::dated_window(date, settings.at, &settings.time_zone);
        if end > now {
            let closes = end.to_zoned_datetime(settings.time_zone.clone()).strftime("%Y-%m-%d %H:%M");
            return Err(usage(format!(
                "--date {date}: that digest covers stories until {closes} ({}), which has not come yet; \
                 it cannot be sent before then (preview it with --dry-run or --out)",
                settings.time_zone_name
            )));
        }
    }
    if sending {
        // A password that cannot be read will not appear by retrying: say so now, before
        // anything is claimed, rather than after the deadline.
        let smtp = config
            .smtp
            .as_ref()
            .ok_or_else(|| usage(format!("{} has no [smtp] section", config.file.display())))?;
        if let Err(error) = smtp.read_password() {
            return Err(usage(format!("{}: {error}", config.file.display())));
        }
    }
    let store = open_store(cli, &config)?;
    let (handle, thread) = StoreHandle::spawn(store).map_err(runtime)?;
    let async_runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(runtime)?;
    let deliverer = Deliverer { config: config.clone(), store: handle };
    // One deadline for the whole command, not one per recipient: "about a minute" is what a
    // script calling `digest` waits at most, however many recipients there are.
    let deadline = Instant::now().checked_add(settings.command_deadline).unwrap_or_else(Instant::now);
    let result = async_runtime.block_on(async {
        let mut failures = Vec::new();
        for recipient in &recipients {
            let outcome = if !sending {
                preview(&deliverer, recipient, date, selection, arguments, recipients.len() > 1, now).await
            } else {
                send(&deliverer, recipient, date, selection, arguments.force, deadline, now).await
            };
            if let Err(error) = outcome {
                failures.push(format!("recipient {}: {error:#}", recipient.name));
            }
        }
        failures
    });
    drop(deliverer);
    let _ = thread.join();
    if result.is_empty() { Ok(()) } else { Err(CliError::Runtime(anyhow::anyhow!(result.join("\nerror: ")))) }
}

/// Builds the digest without recording it: the recorded stories when this date was claimed
/// already, else the ones a claim would take now.
async fn preview(
    deliverer: &Deliverer,
    recipient: &Recipient,
    date: Date,
    selection: Selection,
    arguments: &DigestArgs,
    several: bool,
    now: Timestamp,
) -> anyhow::Result<()> {
    let existing = recorded(deliverer, recipient, date).await?;
    let digest = match &existing {
        Some(record) => deliverer.build_recorded(recipient, record, now).await?,
        None => {
            let chosen = deliverer.choose(recipient, date, selection, now).await?;
            deliverer.build(recipient, date, chosen, now).await?
        }
    };
    if arguments.dry_run {
        if several {
            println!("### {} <{}>", recipient.name, recipient.email.email);
        }
        print!("{}", digest.text);
        return Ok(());
    }
    let directory = arguments.out.as_deref().unwrap_or(Path::new("."));
    let smtp = deliverer.smtp()?;
    let message_id = match &existing {
        Some(record) => record.message_id.clone(),
        None => message::message_id(&recipient.name, date, &smtp.from, 0),
    };
    let mail = message::compose(&digest, &smtp.from, &recipient.email, &message_id, now)?;
    let written = write_files(directory, &format!("{date}-{}", recipient.name), &digest, &mail.formatted())?;
    println!("{}: {} stories → {written}", recipient.name, digest.story_ids.len());
    Ok(())
}

/// Writes NAME.eml, NAME.html, NAME.txt and, with a chart, NAME.png; the .html refers to the
/// .png so that a browser shows it as the mail client would.
fn write_files(directory: &Path, name: &str, digest: &Digest, eml: &[u8]) -> anyhow::Result<String> {
    use anyhow::Context;
    std::fs::create_dir_all(directory).with_context(|| format!("cannot create {}", directory.display()))?;
    let write = |extension: &str, bytes: &[u8]| -> anyhow::Result<()> {
        let path = directory.join(format!("{name}.{extension}"));
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
    };
    write("eml", eml)?;
    write("txt", digest.text.as_bytes())?;
    let mut html = digest.html.clone();
    if !digest.chart_png.is_empty() {
        write("png", &digest.chart_png)?;
        html = html.replace(&format!("cid:{CHART_CONTENT_ID}"), &format!("{name}.png"));
    }
    write("html", html.as_bytes())?;
    Ok(directory.join(format!("{name}.{{eml,html,txt}}")).display().to_string())
}

/// Claims (or reopens) the digest and tries to send it until `deadline` (the command's, shared
/// by all recipients); it is tried at least once, however little time is left.
#[allow(clippy::too_many_arguments)]
async fn send(
    deliverer: &Deliverer,
    recipient: &Recipient,
    date: Date,
    selection: Selection,
    force: bool,
    deadline: Instant,
    now: Timestamp,
) -> anyhow::Result<()> {
    let settings = deliverer.settings()?;
    let mut record = match recorded(deliverer, recipient, date).await? {
        Some(record) => record,
        None => deliverer.claim(recipient, date, selection, now).await?.0,
    };
    match (record.status.as_str(), force) {
        ("sent" | "skipped", false) => {
            let when = record.sent_at.clone().unwrap_or_else(|| record.updated_at.clone());
            println!(
                "{}: the digest for {date} was already {} ({when}, {}); nothing sent (use --force to send it again)",
                recipient.name, record.status, record.message_id
            );
            return Ok(());
        }
        ("sent" | "skipped", true) => {
            let resend = u32::try_from(record.resends + 1).unwrap_or(u32::MAX);
            let message_id = message::message_id(&recipient.name, date, &deliverer.smtp()?.from, resend);
            record = reopen(deliverer, &record, message_id, true, now).await?;
        }
        ("failed", _) => record = reopen(deliverer, &record, record.message_id.clone(), false, now).await?,
        _ => {}
    }
    let digest = deliverer.build_recorded(recipient, &record, now).await?;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        // Waits scale with the deadline: 2 s doubling to 15 s for the default minute.
        let wait = schedule::retry_delay(
            u32::try_from(record.attempts + 1).unwrap_or(u32::MAX),
            settings.command_deadline / 30,
            settings.command_deadline / 4,
        );
        let retry_at = |_| (wait < remaining).then(|| crate::schedule::after(Timestamp::now(), wait));
        let sending = deliverer.send_and_record(recipient, &record, &digest, retry_at, Timestamp::now());
        let attempt = match tokio::time::timeout(remaining.max(Duration::from_secs(1)), sending).await {
            Ok(attempt) => attempt?,
            Err(_) => {
                // Cut off mid-attempt, so nothing was recorded: record the failure here.
                let error = "the SMTP server did not answer in time".to_string();
                let failed = DigestAttempt::Failed { error, retry_at: None };
                let (id, recorded_failure, at) = (record.id, failed.clone(), format_time(Timestamp::now()));
                deliverer
                    .store
                    .call(move |store| store.record_digest_attempt(id, &recorded_failure, &at))
                    .await?;
                failed
            }
        };
        match attempt {
            DigestAttempt::Sent => {
                println!(
                    "{}: sent the digest for {date} to {} ({}, {})",
                    recipient.name, recipient.email.email, digest.subject, record.message_id
                );
                return Ok(());
            }
            DigestAttempt::Skipped => {
                println!("{}: no new stories for {date} and skip_empty is set: nothing sent", recipient.name);
                return Ok(());
            }
            DigestAttempt::Failed { error, retry_at: Some(_) } => {
                tracing::warn!(recipient = %recipient.name, %error, "Digest not sent; trying again.");
                tokio::time::sleep(wait).await;
                record = recorded(deliverer, recipient, date).await?.unwrap_or(record);
            }
            DigestAttempt::Failed { error, retry_at: None } => {
                let seconds = settings.command_deadline.as_secs();
                anyhow::bail!("the digest for {date} was not sent (gave up after {seconds} s): {error}");
            }
        }
    }
}

async fn recorded(
    deliverer: &Deliverer,
    recipient: &Recipient,
    date: Date,
) -> anyhow::Result<Option<DigestRecord>> {
    let (name, day) = (recipient.name.clone(), date.to_string());
    Ok(deliverer.store.call(move |store| store.digest_record(&name, &day)).await?)
}

async fn reopen(
    deliverer: &Deliverer,
    record: &DigestRecord,
    message_id: String,
    resend: bool,
    now: Timestamp,
) -> anyhow::Result<DigestRecord> {
    let (id, at, recipient, date) =
        (record.id, format_time(now), record.recipient.clone(), record.date.clone());
    deliverer
        .store
        .call(move |store| {
            store.reopen_digest(id, &message_id, resend, &at)?;
            store.digest_record(&recipient, &date)
        })
        .await?
        .ok_or_else(|| anyhow::anyhow!("digest {id} disappeared"))
}
