#[path = "../benches/corpus.rs"]
mod corpus;
fn main() {
    let n: usize = std::env::args().nth(1).map(|a| a.parse().unwrap()).unwrap_or(10_000);
    print!("{}", corpus::rss_feed(n, 7));
}
