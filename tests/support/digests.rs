//! Fixtures for the digest tests: a config with three sources (topics from their hints), two
//! recipients and `[smtp]` on a test server, and a workspace with labelled items ingested.

use super::labelled::{self, Labelled};
use super::{Workspace, free_port, text};

pub const PASSWORD_VARIABLE: &str = "LODESTONE_TEST_SMTP_PASSWORD";
pub const PASSWORD: &str = "s3cret-pa55";

/// The Serra Verde trio (one story), Frontier (published the same minute, another story) and a
/// few other stories of 6 February 2026 from three sources.
pub const FIXTURE_IDS: [&str; 10] =
    ["a069", "a070", "a071", "a072", "a064", "a066", "a076", "a078", "a075", "a068"];

pub fn fixture_items() -> Vec<Labelled> {
    labelled::load("items-").into_iter().filter(|item| FIXTURE_IDS.contains(&item.id.as_str())).collect()
}

/// Sources (disabled, on a closed loopback port: nothing is fetched), `[digest]` with `digest`
/// lines added, two recipients, and `[smtp]` on the test server.
pub fn config(smtp_port: u16, digest: &str) -> String {
    let closed = free_port();
    format!(
        "[[source]]\nname = \"smm-news\"\ntitle = \"SMM News\"\nurl = \"http://127.0.0.1:{closed}/smm\"\nkind = \"html\"\nenabled = false\ntopics = [\"finance\"]\n{rules}\n\
         [[source]]\nname = \"metals-wire\"\ntitle = \"Metals Wire\"\nurl = \"http://127.0.0.1:{closed}/wire\"\nenabled = false\ntopics = [\"supply\"]\n\n\
         [[source]]\nname = \"magnet-journal\"\ntitle = \"Magnet Journal\"\nurl = \"http://127.0.0.1:{closed}/journal\"\nenabled = false\n\n\
         [digest]\n{digest}\n\n\
         [[digest.recipient]]\nname = \"desk\"\nemail = \"desk@example.com\"\ntopics = [\"finance\"]\n\n\
         [[digest.recipient]]\nname = \"all\"\nemail = \"All Topics <all@example.com>\"\n\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\nusername = \"lodestone\"\npassword_env = \"{PASSWORD_VARIABLE}\"\nfrom = \"lodestone <news@example.com>\"\ntimeout = \"5s\"\n",
        rules = labelled::HTML_SCRAPE_RULES,
    )
}

/// A workspace whose database holds `items`, ingested source by source.
pub fn workspace_with(items: &[Labelled], config_text: &str) -> Workspace {
    let workspace = Workspace::new(config_text);
    for (source, items) in labelled::by_source(items) {
        let (file, body) = match items[0].format.as_str() {
            "html" => ("list.html", labelled::html_list(&items)),
            "rss" => ("feed.xml", labelled::rss(&items)),
            "atom" => ("feed.atom", labelled::atom(&items)),
            _ => ("feed.json", labelled::json_feed(&items)),
        };
        let path = workspace.directory.path().join(format!("{source}-{file}"));
        std::fs::write(&path, body).unwrap();
        let output = workspace.run(&["ingest", "--source", &source, path.to_str().unwrap()]);
        assert!(output.status.success(), "ingest {source}: {}", text(&output).1);
    }
    workspace
}

/// Runs the binary with the SMTP password in the environment.
pub fn run(workspace: &Workspace, arguments: &[&str]) -> (bool, String, String) {
    let output = workspace.command(arguments).env(PASSWORD_VARIABLE, PASSWORD).output().unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.success(), stdout, stderr)
}

pub fn digests(workspace: &Workspace) -> Vec<lodestone::store::DigestRecord> {
    lodestone::store::Store::open(&workspace.database()).unwrap().digest_records(None).unwrap()
}

/// Records `recipient`'s digest for `date` as sent, the way an earlier run would have left it:
/// `kind` "scheduled" (the daemon's) or "dated" (`digest --date`), its window ending at
/// `window_end`, no stories.
pub fn seed_sent_digest(workspace: &Workspace, recipient: &str, date: &str, kind: &str, window_end: &str) {
    use lodestone::store::{DigestAttempt, NewDigest, Store};
    let mut store = Store::open(&workspace.database()).unwrap();
    let new = NewDigest {
        recipient: recipient.to_string(),
        date: date.to_string(),
        kind: kind.to_string(),
        message_id: format!("<seeded.{date}.{recipient}@example.com>"),
        window_start: window_end.to_string(),
        window_end: window_end.to_string(),
        stories: Vec::new(),
        now: window_end.to_string(),
    };
    let (record, created) = store.claim_digest(&new).unwrap();
    assert!(created, "{recipient} already had a digest for {date}");
    store.record_digest_attempt(record.id, &DigestAttempt::Sent, window_end).unwrap();
}

/// Parsed as a browser would: no script, no event handler, no element a story could add, and
/// every link http(s) (or a section anchor), every image the chart.
pub fn assert_markup_is_ours(html: &str) {
    let document = scraper::Html::parse_document(html);
    let allowed = [
        "html", "head", "meta", "title", "style", "body", "table", "tbody", "tr", "td", "div", "span", "h1",
        "h2", "p", "a", "strong", "br", "img", "code",
    ];
    for element in document.root_element().descendants().filter_map(scraper::ElementRef::wrap) {
        let name = element.value().name();
        assert!(allowed.contains(&name), "unexpected <{name}> in the digest");
        for (attribute, value) in element.value().attrs() {
            assert!(!attribute.starts_with("on"), "event handler {attribute}={value:?}");
            if attribute == "href" {
                let safe =
                    value.starts_with("https://") || value.starts_with("http://") || value.starts_with('#');
                assert!(safe, "link to {value:?}");
            }
            if attribute == "src" {
                assert_eq!(value, "cid:digest-chart@lodestone", "an image other than the chart");
            }
        }
    }
}
