use super::*;

fn norms(analysis: &Analysis) -> Vec<&str> {
    analysis.tokens.iter().map(|token| analysis.norm(token)).collect()
}

fn body_norms(body: &str) -> Vec<String> {
    let analysis = analyze("", body);
    norms(&analysis).into_iter().map(str::to_string).collect()
}

#[track_caller]
fn check_measures(body: &str, expected: &[&str]) {
    let analysis = analyze("", body);
    let found: Vec<&str> = analysis
        .tokens
        .iter()
        .filter(|token| !matches!(token.kind, TokenKind::Word | TokenKind::Cjk))
        .map(|token| analysis.norm(token))
        .collect();
    assert_eq!(found, expected, "in {body:?}");
}

#[test]
fn one_amount_many_spellings() {
    for text in ["$565 million", "$565M", "US$565 mln", "USD 565 million", "565 million US dollars", "$565mn"]
    {
        check_measures(text, &["money:USD:565000000"]);
    }
    check_measures("72.8 billion rupees", &["money:INR:72800000000"]);
    check_measures("9.8 billion won", &["money:KRW:9800000000"]);
    check_measures("A$1.2bn and C$30 million", &["money:AUD:1200000000", "money:CAD:30000000"]);
    check_measures(
        "RMB 1.5 billion, €20 million, 300 million yuan",
        &["money:CNY:1500000000", "money:EUR:20000000", "money:CNY:300000000"],
    );
    check_measures("Rs 500 crore", &["money:INR:5000000000"]);
}

#[test]
fn different_amounts_stay_different() {
    check_measures("$20 million and $50 million", &["money:USD:20000000", "money:USD:50000000"]);
}

#[test]
fn prices_take_their_unit_so_it_is_no_quantity() {
    check_measures("75,000 yuan/mt", &["money:CNY:75000/t"]);
    check_measures("$35/kg and $60 per tonne", &["money:USD:35/kg", "money:USD:60/t"]);
    check_measures("750,000-760,000 yuan/mt", &["money:CNY:750000/t", "money:CNY:760000/t"]);
    check_measures("$20-30 million", &["money:USD:20000000", "money:USD:30000000"]);
}

#[test]
fn tonnages_in_tonnes_with_their_rate() {
    check_measures("2,000 mt", &["qty:t:2000"]);
    check_measures("2000 tonnes", &["qty:t:2000"]);
    check_measures("2 kt", &["qty:t:2000"]);
    check_measures("2kt", &["qty:t:2000"]);
    check_measures("1.5 million tonnes", &["qty:t:1500000"]);
    check_measures("10 Mt of ore", &["qty:t:10000000"]);
    let analysis = analyze("", "capacity of 2,000 mt/year; 5,000 mt per year; 300 mt a month; 20 ktpa");
    let rates: Vec<Rate> = analysis
        .measures
        .iter()
        .filter_map(|measure| match measure.kind {
            MeasureKind::Quantity { rate } => Some(rate),
            _ => None,
        })
        .collect();
    assert_eq!(rates, [Rate::PerYear, Rate::PerYear, Rate::PerMonth, Rate::PerYear]);
}

#[test]
fn annual_capacity_makes_the_listed_tonnages_per_year() {
    let body = "The project is expected to achieve an annual capacity of approximately 3,038 mt of Pr-Nd \
                oxide, 114 mt of dysprosium oxide, and 25 mt of terbium oxide. It sold 40 mt in May.";
    let analysis = analyze("", body);
    let rates: Vec<(String, Rate)> = analysis
        .measures
        .iter()
        .filter_map(|measure| match measure.kind {
            MeasureKind::Quantity { rate } => Some((measure.value.to_string(), rate)),
            _ => None,
        })
        .collect();
    assert_eq!(
        rates,
        [
            ("3038".to_string(), Rate::PerYear),
            ("114".to_string(), Rate::PerYear),
            ("25".to_string(), Rate::PerYear),
            ("40".to_string(), Rate::Total),
        ]
    );
}

#[test]
fn percentages_and_plain_numbers() {
    check_measures("up 12.5% to 85 percent, 3 per cent", &["pct:12.5", "pct:85", "pct:3"]);
    check_measures("in 2027 some 2,000 units and 565 million people", &["2027", "2000", "565000000"]);
    check_measures("the 2nd line, 5 m of cable", &["5"]);
}

#[test]
fn a_sign_apart_from_its_number_starts_the_span() {
    let body = "costs € 20 million";
    let analysis = analyze("", body);
    assert_eq!(&body[analysis.measures[0].span.clone()], "€ 20 million");
    assert_eq!(analysis.norm(&analysis.tokens[analysis.measures[0].token]), "money:EUR:20000000");
}

#[test]
fn measure_spans_cover_the_original_words() {
    let body = "DFC offered US$565 mln to Serra Verde.";
    let analysis = analyze("", body);
    let measure = &analysis.measures[0];
    assert_eq!(&body[measure.span.clone()], "US$565 mln");
    assert_eq!(analysis.tokens[measure.token].kind, TokenKind::Money);
}

#[test]
fn words_are_folded_stemmed_and_flagged() {
    let analysis = analyze("Financing for the Project", "It was financed; finance ＮｄＦｅＢ Korea’s U.S.");
    let stems: Vec<&str> = analysis.tokens.iter().map(|token| analysis.stem(token)).collect();
    assert_eq!(
        stems,
        ["financ", "for", "the", "project", "it", "was", "financ", "financ", "ndfeb", "korea", "u.s"]
    );
    let stops: Vec<bool> = analysis.tokens.iter().map(|token| token.is_stop).collect();
    assert_eq!(stops, [false, true, true, false, true, true, false, false, false, false, false]);
    assert_eq!(analysis.title_token_count, 4);
    assert_eq!(analysis.tokens[8].case, Case::Capitalized);
    assert_eq!(analysis.tokens[10].case, Case::Upper);
    let korea = &analysis.tokens[9];
    assert_eq!(&"It was financed; finance ＮｄＦｅＢ Korea’s U.S."[korea.span.clone()], "Korea");
}

#[test]
fn us_in_capitals_is_not_a_stop_word() {
    let analysis = analyze("US provides funding to us", "");
    assert!(!analysis.tokens[0].is_stop);
    assert!(analysis.tokens[4].is_stop);
}

#[test]
fn flash_prefix_and_boilerplate_are_set_aside() {
    let title = "US DFC Offers $565M Financing to Brazilian Rare Earth Project";
    let body = "[SMM Flash: US Provides $565 Million in Financing for Brazilian Rare Earth Project] Serra \
                Verde announced.\nData Source Statement: Except for publicly available information.";
    let analysis = analyze(title, body);
    assert_eq!(
        analysis.flash_reference.as_deref(),
        Some("US Provides $565 Million in Financing for Brazilian Rare Earth Project")
    );
    let body_words: Vec<&str> = analysis.body_tokens().iter().map(|token| analysis.norm(token)).collect();
    assert_eq!(body_words, ["serra", "verde", "announced"]);
}

#[test]
fn cjk_text_becomes_bigrams() {
    assert_eq!(body_norms("稀土价格"), ["稀土", "土价", "价格"]);
}

#[test]
fn hashes_are_stable_and_follow_the_text() {
    let first = analyze("", "lithium Lithium");
    assert_eq!(first.tokens[0].norm_hash, first.tokens[1].norm_hash);
    assert_eq!(first.tokens[0].norm_hash, term_hash("lithium"));
    // A persisted value: if this changes, every stored signature must be recomputed.
    assert_eq!(term_hash("lithium"), 0xf65f332cccaf3496);
}

#[test]
fn odd_input_never_panics() {
    let long_number = "9".repeat(500);
    let inputs = [
        "",
        "$",
        "$$$ 5",
        "US$",
        "5 million",
        "%",
        "5,",
        "1,000,000,000,000,000,000,000,000,000,000,000,000 t",
        long_number.as_str(),
        "\u{0}\u{FEFF}\u{200B}",
        "ǅ Ǆ ǆ İ ß ﬁ",
        "🦀 $5 🦀 bn",
        "١٢٣ ٤٥٦",
        "- - - / / % %",
        "5-",
        "5 to",
        "by 5 to",
        "$5/",
        "5 mt/",
        "5 mt per",
        "[SMM Flash: [SMM Flash: x]] y",
        "€ 20 million, ₹  5 crore, ￥ 3",
        "x € 5",
    ];
    for text in inputs {
        let analysis = analyze(text, text);
        for token in &analysis.tokens {
            // Title and body are the same text here, so every span must fit it.
            assert!(text.get(token.span.clone()).is_some(), "bad span in {text:?}");
        }
    }
}
