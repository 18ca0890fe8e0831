#[path = "../benches/corpus.rs"]
mod corpus;
fn main() {
    let feed = corpus::rss_feed(10_000, 7);
    for _ in 0..10 {
        let p = feed_rs::parser::parse(feed.as_bytes()).unwrap();
        assert_eq!(p.entries.len(), 10000);
    }
}
