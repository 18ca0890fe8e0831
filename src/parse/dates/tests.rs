use super::*;

fn smm_formats() -> Vec<String> {
    ["%b %d, %Y %H:%M", "%b %d, %Y", "%Y-%m-%d %H:%M", "%Y-%m-%d"].iter().map(|f| f.to_string()).collect()
}

fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap()
}

fn now() -> Timestamp {
    // 2026-02-06 20:00 in Shanghai.
    "2026-02-06T12:00:00Z".parse().unwrap()
}

fn read(text: &str, zone: &TimeZone) -> Option<String> {
    parse_date(text, &smm_formats(), zone, now()).map(|instant| instant.to_string())
}

#[test]
fn smm_list_and_article_forms_in_shanghai_time() {
    let zone = shanghai();
    assert_eq!(read("Feb 6, 2026 18:46", &zone).as_deref(), Some("2026-02-06T10:46:00Z"));
    assert_eq!(read("Jan 9, 2025 14:38", &zone).as_deref(), Some("2025-01-09T06:38:00Z"), "1-digit day");
    assert_eq!(read("Jan 09, 2025 14:38", &zone).as_deref(), Some("2025-01-09T06:38:00Z"));
    assert_eq!(read("2026-02-06 18:46", &zone).as_deref(), Some("2026-02-06T10:46:00Z"));
    assert_eq!(read("2026-02-06", &zone).as_deref(), Some("2026-02-05T16:00:00Z"), "midnight in Shanghai");
    assert_eq!(read("Dec 3,2013", &zone).as_deref(), Some("2013-12-02T16:00:00Z"), "2013 pages lack a space");
    assert_eq!(read("  Feb\u{a0}6,\n 2026   18:46 ", &zone).as_deref(), Some("2026-02-06T10:46:00Z"));
}

#[test]
fn dates_inside_labels_are_found_at_the_longest_reading() {
    let zone = shanghai();
    assert_eq!(read("Published: Feb 6, 2026 18:46", &zone).as_deref(), Some("2026-02-06T10:46:00Z"));
    assert_eq!(read("Flash Oct 1, 2026 18:46", &zone).as_deref(), Some("2026-10-01T10:46:00Z"));
    assert_eq!(read("PriceMar 13, 2026 16:19", &zone), None, "no word starts at `Mar`");
    assert_eq!(read("Updated 2026-02-06 18:46 by the desk", &zone).as_deref(), Some("2026-02-06T10:46:00Z"));
}

#[test]
fn relative_dates_count_back_from_now_in_the_source_zone() {
    let zone = shanghai();
    assert_eq!(read("2 hours ago", &zone).as_deref(), Some("2026-02-06T10:00:00Z"));
    assert_eq!(read("an hour ago", &zone).as_deref(), Some("2026-02-06T11:00:00Z"));
    assert_eq!(read("45 mins ago", &zone).as_deref(), Some("2026-02-06T11:15:00Z"));
    assert_eq!(read("3 days ago", &zone).as_deref(), Some("2026-02-03T12:00:00Z"));
    assert_eq!(read("just now", &zone).as_deref(), Some("2026-02-06T12:00:00Z"));
    // Yesterday in Shanghai is Feb 5; 10:00 there is 02:00 UTC.
    assert_eq!(read("yesterday 10:00", &zone).as_deref(), Some("2026-02-05T02:00:00Z"));
    assert_eq!(read("Yesterday, at 10:00", &zone).as_deref(), Some("2026-02-05T02:00:00Z"));
    assert_eq!(read("today 09:30", &zone).as_deref(), Some("2026-02-06T01:30:00Z"));
    assert_eq!(read("3小时前", &zone).as_deref(), Some("2026-02-06T09:00:00Z"));
    assert_eq!(read("昨天 10:00", &zone).as_deref(), Some("2026-02-05T02:00:00Z"));
    // The same "yesterday" in UTC: at 12:00 UTC it is still Feb 6 there too, so Feb 5.
    assert_eq!(read("yesterday 10:00", &TimeZone::UTC).as_deref(), Some("2026-02-05T10:00:00Z"));
}

#[test]
fn yesterday_depends_on_the_zone_near_midnight() {
    // 2026-02-06 17:00 UTC is already Feb 7 (01:00) in Shanghai.
    let late: Timestamp = "2026-02-06T17:00:00Z".parse().unwrap();
    let shanghai_reading = parse_date("yesterday 10:00", &smm_formats(), &shanghai(), late).unwrap();
    assert_eq!(shanghai_reading.to_string(), "2026-02-06T02:00:00Z");
}

#[test]
fn a_dst_zone_uses_the_offset_of_the_day() {
    let new_york = TimeZone::get("America/New_York").unwrap();
    assert_eq!(read("Jan 9, 2025 14:38", &new_york).as_deref(), Some("2025-01-09T19:38:00Z"), "EST, -5");
    assert_eq!(read("Jul 1, 2026 12:00", &new_york).as_deref(), Some("2026-07-01T16:00:00Z"), "EDT, -4");
    // 02:30 on Mar 8, 2026 does not exist in New York (clocks jump 02:00 → 03:00): read as 03:30 EDT.
    assert_eq!(read("Mar 8, 2026 02:30", &new_york).as_deref(), Some("2026-03-08T07:30:00Z"));
    // 01:30 on Nov 1, 2026 happens twice: the first (EDT) is taken.
    assert_eq!(read("Nov 1, 2026 01:30", &new_york).as_deref(), Some("2026-11-01T05:30:00Z"));
}

#[test]
fn offsets_and_rfc3339_win_over_the_zone() {
    let zone = shanghai();
    assert_eq!(read("2026-02-06T10:46:00Z", &zone).as_deref(), Some("2026-02-06T10:46:00Z"));
    let formats = vec!["%Y-%m-%d %H:%M %z".to_string()];
    let reading = parse_date("2026-02-06 18:46 +0200", &formats, &zone, now()).unwrap();
    assert_eq!(reading.to_string(), "2026-02-06T16:46:00Z");
}

#[test]
fn a_year_less_format_takes_the_latest_year_not_in_the_future() {
    let formats = vec!["%b %d %H:%M".to_string()];
    let zone = shanghai();
    let reading = |text| parse_date(text, &formats, &zone, now()).map(|instant| instant.to_string());
    assert_eq!(reading("Feb 6 18:46").as_deref(), Some("2026-02-06T10:46:00Z"));
    assert_eq!(reading("Dec 30 09:00").as_deref(), Some("2025-12-30T01:00:00Z"));
}

#[test]
fn unreadable_text_is_none() {
    let zone = shanghai();
    for text in ["", "   ", "Flash", "Feb 31, 2026 10:00", "tomorrow", "99 hours from now", "Read more"] {
        assert_eq!(read(text, &zone), None, "{text:?}");
    }
}
