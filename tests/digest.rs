//! Daily digests end to end: items of the labelled set ingested through the real pipeline, the
//! real binary, and a real SMTP server (aiosmtpd) on 127.0.0.1 that records what it receives.
//!
//! Topics come from the sources' `topics` hints in the test config (smm-news → finance,
//! metals-wire → supply, magnet-journal → none), so these tests do not depend on a classifier.

mod support;

use std::time::Duration;

use support::digests::{
    PASSWORD, assert_markup_is_ours, config, digests, fixture_items, run, workspace_with,
};
use support::smtp::{Received, SmtpServer};
use support::{Workspace, free_port, text};

fn message_to<'a>(messages: &'a [Received], address: &str) -> &'a Received {
    messages
        .iter()
        .find(|message| message.rcpt_tos == [address.to_string()])
        .unwrap_or_else(|| panic!("no message to {address} in {messages:#?}"))
}

#[test]
fn digest_arrives_once_with_both_parts_grouped_by_topic_with_the_chart() {
    let smtp = SmtpServer::start_with_auth("lodestone", PASSWORD);
    let workspace =
        workspace_with(&fixture_items(), &config(smtp.port, "at = \"07:00\"\ntimezone = \"Asia/Shanghai\""));
    let (ok, stdout, stderr) = run(&workspace, &["digest", "--date", "2026-02-07"]);
    assert!(ok, "digest failed: {stderr}");
    assert!(stdout.contains("desk: sent the digest for 2026-02-07 to desk@example.com"), "{stdout}");
    let messages = smtp.wait_for(2, Duration::from_secs(5));
    assert_eq!(messages.len(), 2, "{messages:#?}");

    let all = message_to(&messages, "all@example.com");
    assert_eq!(all.mail_from, "news@example.com");
    assert_eq!(all.auth.as_deref(), Some("lodestone"), "logged in with the password from the environment");
    assert_eq!(all.header("From"), Some("lodestone <news@example.com>"));
    assert_eq!(all.header("To"), Some("All Topics <all@example.com>"));
    assert_eq!(all.header("Message-ID"), Some("<lodestone-digest.2026-02-07.all@example.com>"));
    assert!(all.header("Date").is_some_and(|date| date.contains("2026") || date.contains(',')));
    assert_eq!(
        all.content_types(),
        ["multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]
    );
    let subject = all.header("Subject").unwrap().to_string();
    assert!(
        subject.starts_with("lodestone digest — 2026-02-07 — ") && subject.ends_with(" stories"),
        "{subject}"
    );
    let plain = all.text_part("text/plain").unwrap();
    let html = all.text_part("text/html").unwrap();
    // Sections in taxonomy order, each story under its main topic.
    let positions: Vec<usize> =
        ["== Supply (", "== Projects (", "== Finance (", "== Prices (", "== Demand ("]
            .iter()
            .map(|heading| plain.find(heading).unwrap_or_else(|| panic!("no {heading} section: {plain}")))
            .collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{plain}");
    let finance = positions[2];
    assert!(plain[finance..positions[3]].contains("Frontier Secures"), "{plain}");
    // The Serra Verde trio: one line with its three reports; Frontier is its own story.
    let serra_verde_lines =
        plain.lines().filter(|line| line.starts_with("* ") && line.contains("$565")).count();
    assert_eq!(serra_verde_lines, 1, "{plain}");
    assert!(plain.contains("3 sources: SMM News ×3"), "{plain}");
    assert!(plain.contains("* Frontier Secures $20 Million"), "{plain}");
    assert!(html.contains("<strong>3 sources</strong> · SMM News ×3"), "{html}");
    // The chart: a PNG part with the Content-ID the HTML refers to.
    let chart = all.parts.iter().find(|part| part["content_type"] == "image/png").unwrap();
    assert_eq!(chart["content_id"], "<digest-chart@lodestone>");
    assert_eq!(chart["disposition"], "inline");
    assert_eq!(chart["head"], "89504e470d0a1a0a");
    assert!(html.contains("src=\"cid:digest-chart@lodestone\""));
    assert!(html.contains("prefers-color-scheme: dark") && html.contains("name=\"color-scheme\""));
    assert_markup_is_ours(&html);

    // The finance-only recipient gets the smm-news stories and nothing of the others.
    let desk = message_to(&messages, "desk@example.com");
    let desk_plain = desk.text_part("text/plain").unwrap();
    assert!(desk_plain.contains("== Finance ("), "{desk_plain}");
    assert!(!desk_plain.contains("== Supply") && !desk_plain.contains("== Prices"), "{desk_plain}");
    assert!(!desk_plain.contains("Energy Fuels"), "a supply story reached the finance-only digest");
    assert!(desk.header("Subject").unwrap() != subject, "both got the same number of stories");

    // Sent once: the same command again sends nothing and says so; --force sends a new copy.
    let (ok, stdout, _) = run(&workspace, &["digest", "--date", "2026-02-07", "--recipient", "desk"]);
    assert!(ok && stdout.contains("was already sent"), "{stdout}");
    assert_eq!(smtp.messages().len(), 2);
    let (ok, _, stderr) =
        run(&workspace, &["digest", "--date", "2026-02-07", "--recipient", "desk", "--force"]);
    assert!(ok, "{stderr}");
    let messages = smtp.wait_for(3, Duration::from_secs(5));
    assert_eq!(
        messages[2].header("Message-ID"),
        Some("<lodestone-digest.2026-02-07.desk.resend-1@example.com>")
    );
    let records = digests(&workspace);
    assert!(records.iter().all(|record| record.status == "sent" && record.kind == "dated"), "{records:#?}");
    assert!(records.iter().all(|record| !record.message_id.is_empty() && record.error.is_none()));
}

#[test]
fn dry_run_and_out_show_the_digest_without_sending_or_recording() {
    let smtp = SmtpServer::start();
    let workspace =
        workspace_with(&fixture_items(), &config(smtp.port, "at = \"07:00\"\ntimezone = \"Asia/Shanghai\""));
    let (ok, stdout, stderr) =
        run(&workspace, &["digest", "--date", "2026-02-07", "--recipient", "desk", "--dry-run"]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("lodestone digest — 2026-02-07 — "), "{stdout}");
    assert!(stdout.contains("3 sources: SMM News ×3"), "{stdout}");
    let out = workspace.directory.path().join("out");
    let (ok, _, stderr) =
        run(&workspace, &["digest", "--date", "2026-02-07", "--out", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    for name in ["2026-02-07-desk", "2026-02-07-all"] {
        for extension in ["eml", "html", "txt", "png"] {
            assert!(out.join(format!("{name}.{extension}")).is_file(), "no {name}.{extension}");
        }
    }
    let html = std::fs::read_to_string(out.join("2026-02-07-all.html")).unwrap();
    assert!(html.contains("src=\"2026-02-07-all.png\""), "the browser copy shows the chart file");
    let eml = std::fs::read_to_string(out.join("2026-02-07-all.eml")).unwrap();
    assert!(eml.contains("Message-ID: <lodestone-digest.2026-02-07.all@example.com>"));
    std::thread::sleep(Duration::from_millis(300));
    assert!(smtp.messages().is_empty(), "--dry-run or --out sent mail");
    assert!(digests(&workspace).is_empty(), "--dry-run or --out recorded a digest");
}

#[test]
fn a_topic_added_to_the_taxonomy_has_its_own_section_in_the_taxonomy_order_with_its_label() {
    let smtp = SmtpServer::start_with_auth("lodestone", PASSWORD);
    // The shipped taxonomy with a topic of the user's in front of it.
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/topics.toml")).unwrap();
    let first_topic = shipped.find("\n[[topic]]").unwrap() + 1;
    let taxonomy = format!(
        "{}[[topic]]\nname = \"magnets\"\nlabel = \"Magnets & motors\"\ndescription = \"permanent magnets\"\nthreshold = 1.0\nterms = {{ \"magnet\" = 3.0, \"ndfeb\" = 3.0 }}\n\n{}",
        &shipped[..first_topic],
        &shipped[first_topic..]
    );
    let taxonomy_directory = tempfile::tempdir().unwrap();
    let taxonomy_file = taxonomy_directory.path().join("taxonomy.toml");
    std::fs::write(&taxonomy_file, taxonomy).unwrap();
    let config_text = config(smtp.port, "timezone = \"Asia/Shanghai\"").replace(
        "topics = [\"finance\"]\n\n[[digest.recipient]]",
        "topics = [\"magnets\", \"finance\"]\n\n[[digest.recipient]]",
    ) + &format!("\n[topics]\nfile = \"{}\"\n", taxonomy_file.display());
    // Ingested with that taxonomy: the classifier tags the magnet stories `magnets`.
    let workspace = workspace_with(&fixture_items(), &config_text);
    let output = workspace.run(&["check"]);
    assert!(output.status.success(), "a recipient's topic from the taxonomy file: {}", text(&output).1);
    for recipient in ["desk", "all"] {
        let (ok, stdout, stderr) =
            run(&workspace, &["digest", "--date", "2026-02-07", "--recipient", recipient, "--dry-run"]);
        assert!(ok, "{stderr}");
        let magnets =
            stdout.find("== Magnets & motors (").unwrap_or_else(|| panic!("no magnets section: {stdout}"));
        let finance = stdout.find("== Finance (").unwrap_or_else(|| panic!("no finance section: {stdout}"));
        assert!(magnets < finance, "sections not in the taxonomy file's order: {stdout}");
        assert!(stdout[magnets..finance].contains("Samarium squeeze"), "{stdout}");
    }
    // A topic that is in no taxonomy is still refused, naming the recipient's key.
    workspace.write_config(&config_text.replace("\"magnets\", \"finance\"", "\"magnetz\""));
    let output = workspace.run(&["check"]);
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("digest.recipient[1].topics") && stderr.contains("unknown topic `magnetz`"),
        "{stderr}"
    );
}

#[test]
fn hostile_titles_and_links_cannot_inject_headers_markup_or_links() {
    let smtp = SmtpServer::start();
    let feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Hostile",
        "items": [
            {"id": "1", "url": "javascript:alert(document.cookie)", "date_published": "2026-02-06T10:00:00Z",
             "title": "Copper up\r\nBcc: victim@example.com\r\nSubject: pwned\r\n\r\n&lt;script&gt;alert(1)&lt;/script&gt;",
             "content_text": "<a href=\"javascript:alert(2)\">click</a> <img src=x onerror=alert(3)>"},
            {"id": "2", "url": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "date_published": "2026-02-06T11:00:00Z",
             "title": "Nickel <b onmouseover=\"alert(4)\">down</b>", "content_text": "Plain."}
        ]
    });
    let config_text = format!(
        "[[source]]\nname = \"hostile\"\nurl = \"http://127.0.0.1:{}/feed\"\nenabled = false\n\n[digest]\ntimezone = \"UTC\"\n\n[[digest.recipient]]\nname = \"desk\"\nemail = \"desk@example.com\"\n\n[smtp]\nhost = \"localhost\"\nport = {}\nsecurity = \"none\"\nfrom = \"news@example.com\"\n",
        free_port(),
        smtp.port
    );
    let workspace = Workspace::new(&config_text);
    let path = workspace.directory.path().join("hostile.json");
    std::fs::write(&path, feed.to_string()).unwrap();
    let output = workspace.run(&["ingest", "--source", "hostile", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output).1);
    let (ok, _, stderr) = run(&workspace, &["digest", "--date", "2026-02-07"]);
    assert!(ok, "{stderr}");
    let messages = smtp.wait_for(1, Duration::from_secs(5));
    let message = &messages[0];
    assert_eq!(message.rcpt_tos, ["desk@example.com"], "a title added a recipient");
    assert_eq!(message.header("Subject"), Some("lodestone digest — 2026-02-07 — 2 stories"));
    assert!(message.header("Bcc").is_none(), "{:?}", message.headers);
    let (head, _) = message.raw.split_once("\r\n\r\n").unwrap();
    assert!(!head.contains("victim") && !head.contains("pwned"), "{head}");
    let html = message.text_part("text/html").unwrap();
    let plain = message.text_part("text/plain").unwrap();
    assert_markup_is_ours(&html);
    // The pipeline stores the title as text ("<script>…" written out); the digest shows it so.
    assert!(html.contains("&lt;script&gt;alert(1)"), "the title is shown as text: {html}");
    for line in plain.lines() {
        assert!(
            !line.starts_with("Bcc:") && !line.starts_with("Subject: pwned"),
            "a title broke a line: {line:?}"
        );
    }
    assert!(plain.contains("Copper up"), "{plain}");
}

#[test]
fn dated_digest_windows_follow_the_clock_across_the_spring_forward_switch() {
    // Europe/Berlin, 2026-03-29: clocks go from 02:00 CET to 03:00 CEST. The digest of the 29th
    // covers 28 March 07:00 CET (06:00Z) to 29 March 07:00 CEST (05:00Z): 23 hours.
    let smtp = SmtpServer::start();
    // Distinct events, so that story detection keeps them apart.
    let entries = [
        // 06:30 CET: the day before, though within 24 h of the window's end.
        (
            "before",
            "2026-03-28T05:30:00Z",
            "Chilean copper smelter restarts after strike",
            "Workers at the Altonorte smelter returned.",
        ),
        // 07:00 CET: the window's first second.
        (
            "first",
            "2026-03-28T06:00:00Z",
            "Indonesia approves two nickel HPAL plants",
            "Permits cover 120,000 t of nickel a year.",
        ),
        // 03:30 CEST, just after the switch.
        (
            "night",
            "2026-03-29T01:30:00Z",
            "Lithium spodumene prices slip in Australia",
            "Spot SC6 fell 4% to US$1,010/t.",
        ),
        // 06:59:59 CEST: the window's last second.
        (
            "last",
            "2026-03-29T04:59:59Z",
            "Cobalt hydroxide payables climb in Congo",
            "Payables rose to 78% of the metal price.",
        ),
        // 07:30 CEST: the next digest's, though within 24 h of the window's start.
        (
            "after",
            "2026-03-29T05:30:00Z",
            "Japan funds gallium recycling pilot",
            "A grant of JPY 2 billion goes to Dowa.",
        ),
    ];
    let mut feed = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>https://t.example/</link><description>d</description>",
    );
    for (name, published, title, summary) in entries {
        let date = published.parse::<jiff::Timestamp>().unwrap().strftime("%a, %d %b %Y %H:%M:%S +0000");
        feed.push_str(&format!(
            "<item><title>{title}</title><link>https://t.example/{name}</link><guid>{name}</guid><pubDate>{date}</pubDate><description>{summary}</description></item>"
        ));
    }
    let title_of =
        |wanted: &str| entries.iter().find(|(name, ..)| *name == wanted).map(|entry| entry.2).unwrap();
    feed.push_str("</channel></rss>");
    let config_text = format!(
        "[[source]]\nname = \"wire\"\nurl = \"http://127.0.0.1:{}/feed\"\nenabled = false\n\n[digest]\nat = \"07:00\"\ntimezone = \"Europe/Berlin\"\n\n[[digest.recipient]]\nname = \"desk\"\nemail = \"desk@example.com\"\n\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"news@example.com\"\n",
        free_port(),
        smtp.port
    );
    let workspace = Workspace::new(&config_text);
    let path = workspace.directory.path().join("feed.xml");
    std::fs::write(&path, feed).unwrap();
    assert!(workspace.run(&["ingest", "--source", "wire", path.to_str().unwrap()]).status.success());
    let (ok, stdout, stderr) = run(&workspace, &["digest", "--date", "2026-03-29", "--dry-run"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("3 stories from Sat 28 Mar 07:00 to Sun 29 Mar 07:00 (Europe/Berlin)"),
        "{stdout}"
    );
    for name in ["first", "night", "last"] {
        assert!(stdout.contains(&format!("* {}", title_of(name))), "{name} missing:\n{stdout}");
    }
    for name in ["before", "after"] {
        assert!(!stdout.contains(title_of(name)), "{name} included:\n{stdout}");
    }
    let (ok, stdout, _) = run(&workspace, &["digest", "--date", "2026-03-30", "--dry-run"]);
    assert!(ok && stdout.contains("1 story from Sun 29 Mar 07:00 to Mon 30 Mar 07:00"), "{stdout}");
    assert!(stdout.contains(&format!("* {}", title_of("after"))), "{stdout}");
}

#[test]
fn config_mistakes_name_the_file_line_and_key() {
    let workspace = Workspace::new(
        "[digest]\n\n[[digest.recipient]]\nname = \"desk\"\nemail = \"desk@example.com\"\n\n[smtp]\nhost = \"smtp.example.com\"\nsecurity = \"none\"\nfrom = \"news@example.com\"\n",
    );
    let output = workspace.run(&["check"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output).1;
    assert!(
        stderr.contains("lodestone.toml:12: key `smtp.security`") && stderr.contains("loopback"),
        "{stderr}"
    );

    let templates = workspace.directory.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("digest.txt"),
        "{{ subject }}\n{% for s in sections %}{{ s.lable }}{% endfor %}\n",
    )
    .unwrap();
    std::fs::write(templates.join("digest.html"), "<p>{{ subject }}</p>\n").unwrap();
    workspace.write_config("[digest]\ntimezone = \"Mars/Olympus\"\n");
    let stderr = text(&workspace.run(&["check"])).1;
    assert!(stderr.contains("key `digest.timezone`: unknown time zone"), "{stderr}");
    workspace.write_config("[digest]\ntimezone = \"UTC\"\n");
    let output = workspace.run(&["check"]);
    let stderr = text(&output).1;
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("templates/digest.txt:2:"), "{stderr}");
}

#[test]
fn an_empty_day_sends_a_short_mail_or_nothing_with_skip_empty() {
    let smtp = SmtpServer::start_with_auth("lodestone", PASSWORD);
    let workspace = workspace_with(&fixture_items(), &config(smtp.port, "timezone = \"Asia/Shanghai\""));
    let (ok, _, stderr) = run(&workspace, &["digest", "--date", "2026-03-01", "--recipient", "desk"]);
    assert!(ok, "{stderr}");
    let messages = smtp.wait_for(1, Duration::from_secs(5));
    assert_eq!(messages[0].header("Subject"), Some("lodestone digest — 2026-03-01 — 0 stories"));
    assert!(messages[0].text_part("text/plain").unwrap().contains("No new stories from Sat 28 Feb 07:00"));
    assert!(!messages[0].content_types().contains(&"image/png".to_string()), "a chart of nothing");

    workspace.write_config(&config(smtp.port, "timezone = \"Asia/Shanghai\"\nskip_empty = true"));
    let (ok, stdout, stderr) = run(&workspace, &["digest", "--date", "2026-03-02", "--recipient", "desk"]);
    assert!(ok && stdout.contains("nothing sent"), "{stdout}{stderr}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(smtp.messages().len(), 1);
    let records = digests(&workspace);
    assert_eq!(records.iter().find(|record| record.date == "2026-03-02").unwrap().status, "skipped");
}
