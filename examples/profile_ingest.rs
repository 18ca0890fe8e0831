#[path = "../benches/corpus.rs"]
mod corpus;
use std::time::Instant;
fn main() {
    let feed = corpus::rss_feed(10_000, 7);
    let base = url::Url::parse("https://bench.example/feed.xml").unwrap();
    let t = Instant::now();
    let parsed = lodestone::parse::parse_feed(feed.as_bytes(), None, &base).unwrap();
    println!("parse {:?}", t.elapsed());
    let ctx = lodestone::normalize::NormalizeContext::new(base.clone(), jiff::Timestamp::now());
    let t = Instant::now();
    let mut text_total = 0;
    for e in &parsed.entries {
        text_total += lodestone::normalize::html_to_text(
            e.summary_html.as_deref().unwrap(),
            lodestone::normalize::Layout::Paragraphs,
        )
        .len();
    }
    println!("html_to_text {:?} {text_total}", t.elapsed());
    let t = Instant::now();
    for e in &parsed.entries {
        text_total += ctx.sanitize(e.summary_html.as_deref().unwrap()).len();
    }
    println!("sanitize {:?}", t.elapsed());
    let t = Instant::now();
    let items: Vec<_> =
        parsed.entries.into_iter().map(|e| lodestone::normalize::normalize_entry(e, &ctx)).collect();
    println!("normalize all {:?}", t.elapsed());
    let config = lodestone::config::Config::parse(
        "[[source]]\nname = \"bench\"\nurl = \"https://bench.example/feed.xml\"\n",
        std::path::Path::new("x"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = lodestone::store::Store::open(&dir.path().join("x.db")).unwrap();
    store.sync_sources(&config.sources, jiff::Timestamp::now()).unwrap();
    let state = store.source_state("bench").unwrap();
    drop(store);
    {
        let c = rusqlite::Connection::open(dir.path().join("x.db")).unwrap();
        if let Ok(v) = std::env::var("EXP_AUTOMERGE") {
            c.execute(
                "INSERT INTO items_fts(items_fts, rank) VALUES ('automerge', ?1)",
                [v.parse::<i64>().unwrap()],
            )
            .unwrap();
        }
        if let Ok(v) = std::env::var("EXP_HASH") {
            c.execute(
                "INSERT INTO items_fts(items_fts, rank) VALUES ('hashsize', ?1)",
                [v.parse::<i64>().unwrap()],
            )
            .unwrap();
        }
        if let Ok(v) = std::env::var("EXP_CRISIS") {
            c.execute(
                "INSERT INTO items_fts(items_fts, rank) VALUES ('crisismerge', ?1)",
                [v.parse::<i64>().unwrap()],
            )
            .unwrap();
        }
        if std::env::var("EXP_NOFTS").is_ok() {
            c.execute_batch("DROP TRIGGER items_fts_after_insert;").unwrap();
        }
        if std::env::var("EXP_NOPORTER").is_ok() {
            c.execute_batch("DROP TABLE items_fts; CREATE VIRTUAL TABLE items_fts USING fts5(title, summary, body_text, content = 'items', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');").unwrap();
        }
        if std::env::var("EXP_NOSUMMARY").is_ok() {
            c.execute_batch("DROP TRIGGER items_fts_after_insert; CREATE TRIGGER items_fts_after_insert AFTER INSERT ON items BEGIN INSERT INTO items_fts(rowid, title, summary, body_text) VALUES (new.id, new.title, '', new.body_text); END;").unwrap();
        }
    }
    let mut store = lodestone::store::Store::open(&dir.path().join("x.db")).unwrap();
    let record = lodestone::store::FetchRecord {
        source_id: state.id,
        started_at: jiff::Timestamp::now(),
        url: "x".into(),
        http_status: None,
        bytes: 0,
        duration: std::time::Duration::ZERO,
        outcome: lodestone::store::FetchOutcome::Ok,
        error: None,
        etag: None,
        last_modified: None,
        body_hash: None,
        permanent_redirect: None,
        retry_after_until: None,
        next_fetch_at: None,
    };
    let t = Instant::now();
    store.record_fetch(&record, items, jiff::Timestamp::now()).unwrap();
    println!("store {:?}", t.elapsed());
    drop(store);
    println!(
        "db size {} wal {:?}",
        std::fs::metadata(dir.path().join("x.db")).unwrap().len(),
        std::fs::metadata(dir.path().join("x.db-wal")).map(|m| m.len())
    );
    let c = rusqlite::Connection::open(dir.path().join("x.db")).unwrap();
    let (a,b,d,e): (i64,i64,i64,i64) = c.query_row("select sum(length(title)), sum(length(summary)), sum(length(body_text)), sum(length(body_html)) from items", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap();
    println!("title {a} summary {b} body_text {d} body_html {e}");
}
