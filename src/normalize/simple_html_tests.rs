//! The fast path against ammonia itself: on every fragment it takes, its output must be
//! ammonia's, byte for byte.

use super::*;
use crate::normalize::NormalizeContext;

fn ammonia(html: &str) -> String {
    let context =
        NormalizeContext::new("https://feeds.example/news/".parse().unwrap(), jiff::Timestamp::UNIX_EPOCH);
    context.sanitizer.clean(html).to_string()
}

/// A small, seeded generator (xorshift): the same fragments on every run.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }

    fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[self.below(choices.len())]
    }
}

const TEXTS: &[&str] = &[
    "copper",
    " ",
    "Serra Verde",
    "\n",
    "\t",
    "$565 million",
    "R&D",
    "S&P 500",
    "AT&T",
    "&amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&apos;",
    "&#39;",
    "&#8217;",
    "&#x2014;",
    "&#X41;",
    "&nbsp;",
    "&mdash;",
    "&copy;",
    "&copy",
    "&copy2",
    "&not",
    "&notit;",
    "&Dagger;",
    "&",
    "& ",
    "&#",
    "&#;",
    "&#0;",
    "&#128;",
    "&#x9F;",
    "&#xD800;",
    "&#1114112;",
    "&#65;",
    "&#9;",
    ">",
    "a > b",
    "\u{a0}",
    "é",
    "稀土",
    "\u{feff}",
    "\r",
    "\u{0}",
    "\u{7f}",
    "\u{85}",
    "'",
    "\"",
    "x=1",
    "&amp",
    "&ampx",
    "&AMP;",
    "&Amp;",
];

/// Text the fast path takes.
const PLAIN_TEXTS: &[&str] = &[
    "copper",
    " ",
    "Serra Verde",
    "\n",
    "$565 million",
    "R&D",
    "&amp;",
    "&#8217;",
    "&nbsp;",
    "a > b",
    "稀土",
    "\"",
];

const TAGS: &[&str] = &[
    "<p>",
    "</p>",
    "<P>",
    "</P>",
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    "<em>",
    "</em>",
    "<strong>",
    "</strong>",
    "<span>",
    "</span>",
    "<code>",
    "</code>",
    "<sub>",
    "</sub>",
    "<s>",
    "</s>",
    "<br>",
    "<br/>",
    "<br />",
    "<BR>",
    "</br>",
    "<a href=\"https://example.com/x\">",
    "<a href=\"http://x.example/?a=1\">",
    "<a href=\"https://e.example/a b\">",
    "<a href=\"javascript:alert(1)\">",
    "<a href=\"/relative\">",
    "<a href=\"https://e.example/&amp;\">",
    "<a href=\"http://\">",
    "<a href=\"https://é.example/\">",
    "</a>",
    "<a>",
    "<div>",
    "</div>",
    "<img src=x>",
    "<!-- note -->",
    "<",
    "<b class=\"x\">",
    "<p >",
    "<script>",
    "</script>",
    "<ul>",
    "<li>",
];

/// Any sequence of the pieces above: mostly rejected, and where taken, compared.
fn random_fragment(random: &mut Random) -> String {
    let length = random.below(12);
    (0..length).map(|_| if random.below(2) == 0 { random.pick(TEXTS) } else { random.pick(TAGS) }).collect()
}

/// A well-formed fragment of the kind the fast path takes (paragraphs of text, inline tags,
/// links, line breaks), with some of the text pieces it must handle or refuse.
fn shaped_fragment(random: &mut Random) -> String {
    let mut html = String::new();
    for _ in 0..1 + random.below(3) {
        if random.below(4) > 0 {
            html.push_str("<p>");
            inline(random, &mut html, 0, false);
            html.push_str("</p>");
        } else {
            inline(random, &mut html, 0, false);
        }
        if random.below(3) == 0 {
            html.push('\n');
        }
    }
    html
}

fn inline(random: &mut Random, html: &mut String, depth: usize, in_link: bool) {
    for _ in 0..1 + random.below(4) {
        match random.below(if depth < 3 { 6 } else { 3 }) {
            0 => html.push_str(random.pick(PLAIN_TEXTS)),
            1 => {
                let texts = if random.below(5) == 0 { TEXTS } else { PLAIN_TEXTS };
                html.push_str(random.pick(texts));
            }
            2 => html.push_str(random.pick(&["<br>", "<br/>", " ", "copper cathode"])),
            3 if !in_link => {
                html.push_str(random.pick(&[
                    "<a href=\"https://example.com/news/1\">",
                    "<a href=\"http://x.example/a?b=c#d\">",
                    "<a href=\"https://e.example/%20x\">",
                ]));
                inline(random, html, depth + 1, true);
                html.push_str("</a>");
            }
            _ => {
                let tag =
                    random.pick(&["b", "i", "em", "strong", "span", "code", "sub", "sup", "u", "small"]);
                html.push_str(&format!("<{tag}>"));
                inline(random, html, depth + 1, in_link);
                html.push_str(&format!("</{tag}>"));
            }
        }
    }
}

#[test]
fn the_fast_path_writes_what_ammonia_writes() {
    let mut random = Random(0x5eed_1234_abcd_ef01);
    let (mut taken, mut shaped_taken) = (0, 0);
    let rounds: usize =
        std::env::var("LODESTONE_FUZZ_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(6_000);
    for round in 0..rounds {
        let shaped = round % 2 == 0;
        let html = if shaped { shaped_fragment(&mut random) } else { random_fragment(&mut random) };
        if let Some(fast) = sanitize_simple(&html) {
            assert_eq!(fast, ammonia(&html), "fragment {html:?}");
            taken += 1;
            shaped_taken += usize::from(shaped);
        }
    }
    eprintln!("fast path taken by {taken} of {rounds} fragments ({shaped_taken} of the well-formed half)");
    // Not a vacuous comparison: most well-formed fragments take the fast path.
    assert!(shaped_taken > rounds / 4, "{shaped_taken} of {} well-formed fragments taken", rounds / 2);
    assert!(taken > shaped_taken, "some random sequences are taken too");
}

#[test]
fn what_the_fast_path_writes_and_refuses() {
    let link = "<p>Serra Verde &amp; DFC: <a href=\"https://example.com/a\"><b>$565M</b></a> R&D</p>";
    assert_eq!(
        sanitize_simple(link).as_deref(),
        Some(
            "<p>Serra Verde &amp; DFC: <a href=\"https://example.com/a\" rel=\"noopener noreferrer nofollow\"><b>$565M</b></a> R&amp;D</p>"
        )
    );
    assert_eq!(sanitize_simple("<P>a&nbsp;b<BR>c</P>").as_deref(), Some("<p>a&nbsp;b<br>c</p>"));
    for refused in [
        "<p><b>misnested</p></b>",
        "<p>unclosed",
        "</p>stray",
        "<b><p>inside</p></b>",
        "<a href=\"https://x.example/\"><a href=\"https://y.example/\">in</a></a>",
        "<a href=\"/relative\">rel</a>",
        "<a href=\"javascript:alert(1)\">js</a>",
        "<p onclick=\"x\">attribute</p>",
        "<img src=\"https://x.example/a.png\">",
        "<!-- comment -->",
        "a < b",
        "&copy2026",
        "line\r\nbreak",
    ] {
        assert_eq!(sanitize_simple(refused), None, "{refused:?}");
    }
    // Past the nesting limit a body is kept as text (by the caller), as on ammonia's way.
    let nested = |depth: usize| format!("{}x{}", "<b>".repeat(depth), "</b>".repeat(depth));
    assert_eq!(sanitize_simple(&nested(500)), Some(nested(500)));
    assert_eq!(sanitize_simple(&nested(600)), None);
    let link_at = |depth: usize| {
        format!("{}<a href=\"https://x.example/\">x</a>{}", "<b>".repeat(depth), "</b>".repeat(depth))
    };
    assert!(sanitize_simple(&link_at(511)).is_some());
    assert_eq!(sanitize_simple(&link_at(512)), None, "a link counts as a level too");
}
