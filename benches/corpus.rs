//! Deterministic synthetic news for benchmarks: metals-desk vocabulary, realistic lengths, a
//! fixed-seed generator so every run measures the same bytes.

#![allow(dead_code)]

const WORDS: &[&str] = &[
    "copper",
    "cathode",
    "premiums",
    "lithium",
    "carbonate",
    "hydroxide",
    "rare",
    "earth",
    "oxide",
    "neodymium",
    "praseodymium",
    "dysprosium",
    "terbium",
    "magnet",
    "NdFeB",
    "smelter",
    "refinery",
    "output",
    "capacity",
    "tonnes",
    "quarterly",
    "prices",
    "rose",
    "fell",
    "steady",
    "export",
    "controls",
    "license",
    "quota",
    "stockpile",
    "financing",
    "loan",
    "offtake",
    "agreement",
    "project",
    "feasibility",
    "study",
    "deposit",
    "drilling",
    "resource",
    "estimate",
    "permit",
    "mine",
    "plant",
    "expansion",
    "restart",
    "shutdown",
    "maintenance",
    "inventory",
    "warehouse",
    "Shanghai",
    "Yangshan",
    "London",
    "Brazil",
    "Australia",
    "Canada",
    "China",
    "Japan",
    "Korea",
    "demand",
    "electric",
    "vehicles",
    "wind",
    "turbines",
    "defence",
    "supply",
    "chain",
    "market",
    "traders",
    "buyers",
    "sellers",
    "spot",
    "futures",
    "contract",
    "yuan",
    "dollars",
    "million",
    "billion",
    "percent",
    "week",
    "month",
    "year",
    "recycling",
    "tailings",
    "emissions",
    "water",
    "technology",
    "separation",
    "processing",
    "pilot",
    "patent",
    "cobalt",
    "nickel",
    "zinc",
    "tin",
    "tungsten",
    "antimony",
    "gallium",
    "germanium",
    "graphite",
    "the",
    "of",
    "and",
    "in",
    "to",
    "a",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "its",
    "that",
    "was",
    "were",
    "is",
    "said",
];

/// Distinct words in the synthetic vocabulary: the metals words above, then generated ones.
const VOCABULARY: usize = 20_000;

/// A tiny fixed-seed generator (SplitMix64) drawing words with a Zipf distribution over a
/// 20,000-word vocabulary, as in real news text (a few words very common, most rare): no
/// dependency, the same sequence everywhere.
pub struct Words {
    state: u64,
    vocabulary: Vec<String>,
    cumulative: Vec<f64>,
}

impl Words {
    pub fn new(seed: u64) -> Words {
        let mut vocabulary: Vec<String> = WORDS.iter().map(|word| word.to_string()).collect();
        const SYLLABLES: [&str; 24] = [
            "ka", "lo", "mi", "ter", "van", "sul", "dor", "pe", "ri", "gan", "bo", "shi", "ne", "tu", "ra",
            "mex", "zo", "lin", "cha", "wen", "ob", "ul", "fi", "sta",
        ];
        let mut index = 0usize;
        while vocabulary.len() < VOCABULARY {
            let (a, b, c) = (index % 24, (index / 24) % 24, (index / 576) % 24);
            vocabulary.push(format!(
                "{}{}{}",
                SYLLABLES[a],
                SYLLABLES[b],
                if index >= 576 { SYLLABLES[c] } else { "" }
            ));
            index += 1;
        }
        let mut total = 0.0;
        let cumulative = (1..=vocabulary.len())
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Words { state: seed, vocabulary, cumulative }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A word drawn with probability proportional to 1 / rank.
    pub fn word(&mut self) -> &str {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let target = (self.next_u64() as f64 / u64::MAX as f64) * total;
        let rank = self.cumulative.partition_point(|value| *value < target).min(self.vocabulary.len() - 1);
        &self.vocabulary[rank]
    }

    pub fn sentence(&mut self, words: usize) -> String {
        let mut sentence = String::new();
        for index in 0..words {
            if index > 0 {
                sentence.push(' ');
            }
            let word = self.word().to_string();
            sentence.push_str(&word);
        }
        sentence
    }
}

/// An RSS 2.0 feed of `entries` entries of about 1 KB each, HTML descriptions escaped as real
/// feeds do.
pub fn rss_feed(entries: usize, seed: u64) -> String {
    let mut words = Words::new(seed);
    let mut feed = String::with_capacity(entries * 1100);
    feed.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Bench Wire</title><link>https://bench.example/</link><description>Synthetic metals news</description>\n");
    for index in 0..entries {
        let title = words.sentence(9);
        let body = format!(
            "&lt;p&gt;{}. &lt;b&gt;{}&lt;/b&gt; {}.&lt;/p&gt;&lt;p&gt;{} &lt;a href=\"https://bench.example/ref/{index}\"&gt;{}&lt;/a&gt; {}.&lt;/p&gt;",
            words.sentence(24),
            words.sentence(4),
            words.sentence(26),
            words.sentence(22),
            words.sentence(3),
            words.sentence(24)
        );
        let day = 1 + index % 28;
        let minute = index % 60;
        feed.push_str(&format!(
            "<item><title>{title}</title><link>https://bench.example/news/{index}</link><guid>bench-{seed}-{index}</guid><pubDate>Mon, {day:02} Feb 2026 10:{minute:02}:00 +0000</pubDate><description>{body}</description></item>\n"
        ));
    }
    feed.push_str("</channel></rss>\n");
    feed
}
