//! The digest's chart: stories per topic for each of the last days, as stacked bars, drawn
//! pixel by pixel and encoded as a PNG in-process.
//!
//! No plotting crate: plotters needs fontconfig (a C library) for its text, and a chart of
//! seven bars needs little more than rectangles and an embedded bitmap font (`font`). The image
//! is drawn at twice its display size for sharp text on high-density screens, on a light card
//! that stays readable when a mail client is in dark mode. Pure: bytes out, no I/O.

use super::font::{GLYPH_SIZE, glyph};
use super::sections::ChartCounts;

/// Display width in CSS pixels; the PNG has twice as many.
pub const DISPLAY_WIDTH: u32 = 580;
const SCALE: u32 = 2;
const WIDTH: u32 = DISPLAY_WIDTH * SCALE;
/// Each font pixel is drawn as a square of this many image pixels (12 CSS px text).
const TEXT_SCALE: u32 = 3;
const CHAR: u32 = GLYPH_SIZE * TEXT_SCALE;
const PADDING: u32 = 24;
const PLOT_HEIGHT: u32 = 240;

/// Palette entries: card, text, grid, muted text, then the topic colors.
const CARD: u8 = 0;
const TEXT: u8 = 1;
const GRID: u8 = 2;
const MUTED: u8 = 3;
const FIRST_TOPIC_COLOR: u8 = 4;
const BASE_PALETTE: [[u8; 3]; 4] =
    [[0xF6, 0xF8, 0xFA], [0x1F, 0x23, 0x28], [0xD0, 0xD7, 0xDE], [0x57, 0x60, 0x6A]];
/// Tableau 10: distinguishable, and legible on the light card.
const TOPIC_COLORS: [[u8; 3]; 10] = [
    [0x4E, 0x79, 0xA7],
    [0xF2, 0x8E, 0x2B],
    [0x59, 0xA1, 0x4F],
    [0xE1, 0x57, 0x59],
    [0x76, 0xB7, 0xB2],
    [0xED, 0xC9, 0x48],
    [0xB0, 0x7A, 0xA1],
    [0x9C, 0x75, 0x5F],
    [0xFF, 0x9D, 0xA7],
    [0xBA, 0xB0, 0xAC],
];

/// The chart's height in CSS pixels for `counts` (it grows with the legend's rows).
pub fn display_height(counts: &ChartCounts) -> u32 {
    layout(counts).height / SCALE
}

/// Draws `counts` and encodes it as an indexed-color PNG.
pub fn draw(counts: &ChartCounts) -> Result<Vec<u8>, String> {
    let layout = layout(counts);
    let mut canvas =
        Canvas { width: WIDTH, height: layout.height, pixels: vec![CARD; (WIDTH * layout.height) as usize] };
    canvas.text(PADDING, PADDING, "Stories per topic, last 7 days", TEXT);
    let totals: Vec<u32> = counts
        .counts
        .iter()
        .map(|day| day.iter().fold(0u32, |sum, count| sum.saturating_add(*count)))
        .collect();
    let top = nice_ceiling(totals.iter().copied().max().unwrap_or(0));
    let plot_left = PADDING + CHAR * top.to_string().len() as u32 + 16;
    let plot_right = WIDTH - PADDING;
    let plot_bottom = layout.plot_top + PLOT_HEIGHT;
    // Bar heights in u64: a count times the plot height must not overflow.
    let height_of = |value: u32| (u64::from(value.min(top)) * u64::from(PLOT_HEIGHT) / u64::from(top)) as u32;
    for value in [0, top / 2, top] {
        let y = plot_bottom - height_of(value);
        canvas.rectangle(plot_left, y, plot_right - plot_left, SCALE, GRID);
        let label = value.to_string();
        let label_x = plot_left - 12 - CHAR * label.len() as u32;
        canvas.text(label_x, y.saturating_sub(CHAR / 2), &label, MUTED);
    }
    let days = counts.days.len().max(1) as u32;
    let slot = (plot_right - plot_left) / days;
    let bar_width = slot * 3 / 5;
    for (day, label) in counts.days.iter().enumerate() {
        let x = plot_left + slot * day as u32 + (slot - bar_width) / 2;
        let mut cumulative = 0;
        for (topic, count) in counts.counts.get(day).map(Vec::as_slice).unwrap_or_default().iter().enumerate()
        {
            let bottom = plot_bottom - height_of(cumulative);
            cumulative = cumulative.saturating_add(*count);
            let upper = plot_bottom - height_of(cumulative);
            canvas.rectangle(x, upper, bar_width, bottom - upper, topic_color(topic));
        }
        let total = totals.get(day).copied().unwrap_or(0);
        if total > 0 {
            let text = total.to_string();
            let upper = plot_bottom - height_of(total);
            canvas.text(centered(x, bar_width, &text), upper - CHAR - 8, &text, TEXT);
        }
        // "Sat 7" on two lines: the weekday, then the day of the month.
        let mut parts = label.splitn(2, ' ');
        let weekday = parts.next().unwrap_or_default();
        let day_of_month = parts.next().unwrap_or_default();
        canvas.text(centered(x, bar_width, weekday), plot_bottom + 12, weekday, MUTED);
        canvas.text(centered(x, bar_width, day_of_month), plot_bottom + 18 + CHAR, day_of_month, MUTED);
    }
    for (topic, (x, y)) in counts.topics.iter().zip(&layout.legend) {
        let total = topic_total(counts, legend_index(counts, topic));
        canvas.rectangle(*x, *y, CHAR, CHAR, topic_color(legend_index(counts, topic)));
        canvas.text(x + CHAR + 10, *y, &legend_label(topic, total), TEXT);
    }
    encode(&canvas, counts.topics.len())
}

struct Layout {
    height: u32,
    plot_top: u32,
    /// The top-left corner of each legend entry.
    legend: Vec<(u32, u32)>,
}

fn layout(counts: &ChartCounts) -> Layout {
    let plot_top = PADDING + CHAR + 24 + CHAR + 8;
    let legend_top = plot_top + PLOT_HEIGHT + 18 + 2 * CHAR + 28;
    let mut legend = Vec::new();
    let (mut x, mut y) = (PADDING, legend_top);
    for (index, topic) in counts.topics.iter().enumerate() {
        let total = topic_total(counts, index);
        let width = CHAR + 10 + CHAR * legend_label(topic, total).chars().count() as u32 + 36;
        if x + width > WIDTH - PADDING && x > PADDING {
            x = PADDING;
            y += CHAR + 16;
        }
        legend.push((x, y));
        x += width;
    }
    Layout { height: y + CHAR + PADDING, plot_top, legend }
}

fn topic_total(counts: &ChartCounts, index: usize) -> u32 {
    counts.counts.iter().fold(0u32, |sum, day| sum.saturating_add(day.get(index).copied().unwrap_or(0)))
}

fn legend_index(counts: &ChartCounts, topic: &str) -> usize {
    counts.topics.iter().position(|known| known == topic).unwrap_or(0)
}

fn legend_label(topic: &str, total: u32) -> String {
    format!("{topic} {total}")
}

fn topic_color(index: usize) -> u8 {
    FIRST_TOPIC_COLOR + (index % TOPIC_COLORS.len()) as u8
}

fn centered(x: u32, width: u32, text: &str) -> u32 {
    let text_width = CHAR * text.chars().count() as u32;
    (x + width / 2).saturating_sub(text_width / 2)
}

/// 1, 2, 3, 4, 5, 6 or 8 times a power of ten, at least `value` and at least 1: a round top
/// for the axis that wastes little height.
fn nice_ceiling(value: u32) -> u32 {
    let mut power = 1u32;
    loop {
        for step in [1, 2, 3, 4, 5, 6, 8] {
            let candidate = power.saturating_mul(step);
            if candidate >= value.max(1) || candidate == u32::MAX {
                return candidate;
            }
        }
        power = power.saturating_mul(10);
    }
}

struct Canvas {
    width: u32,
    height: u32,
    /// Palette indices, row by row.
    pixels: Vec<u8>,
}

impl Canvas {
    /// Fills a rectangle, clipped to the canvas.
    fn rectangle(&mut self, x: u32, y: u32, width: u32, height: u32, color: u8) {
        let x_end = x.saturating_add(width).min(self.width);
        let y_end = y.saturating_add(height).min(self.height);
        for row in y.min(self.height)..y_end {
            let start = (row * self.width + x.min(x_end)) as usize;
            let end = (row * self.width + x_end) as usize;
            self.pixels[start..end].fill(color);
        }
    }

    fn text(&mut self, x: u32, y: u32, text: &str, color: u8) {
        for (index, character) in text.chars().enumerate() {
            let left = x + CHAR * index as u32;
            for (row, bits) in glyph(character).iter().enumerate() {
                for column in 0..GLYPH_SIZE {
                    if bits & (1 << column) != 0 {
                        let px = left + column * TEXT_SCALE;
                        let py = y + row as u32 * TEXT_SCALE;
                        self.rectangle(px, py, TEXT_SCALE, TEXT_SCALE, color);
                    }
                }
            }
        }
    }
}

fn encode(canvas: &Canvas, topics: usize) -> Result<Vec<u8>, String> {
    let colors = topics.clamp(1, TOPIC_COLORS.len());
    let mut palette: Vec<u8> = BASE_PALETTE.iter().flatten().copied().collect();
    palette.extend(TOPIC_COLORS.iter().take(colors).flatten());
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, canvas.width, canvas.height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(palette);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(|error| error.to_string())?;
    writer.write_image_data(&canvas.pixels).map_err(|error| error.to_string())?;
    writer.finish().map_err(|error| error.to_string())?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ChartCounts {
        ChartCounts {
            days: ["Sun 1", "Mon 2", "Tue 3", "Wed 4", "Thu 5", "Fri 6", "Sat 7"].map(String::from).to_vec(),
            topics: vec!["finance".into(), "policy".into(), "other".into()],
            counts: (0..7).map(|day| vec![day, 2, 1]).collect(),
        }
    }

    #[test]
    fn draws_a_decodable_png_with_the_bars_colors() {
        let bytes = draw(&sample()).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(info.width, WIDTH);
        assert_eq!(info.height / SCALE, display_height(&sample()));
        // Every topic's color is used, and text and grid too: not a blank card.
        for color in [TEXT, GRID, FIRST_TOPIC_COLOR, FIRST_TOPIC_COLOR + 1, FIRST_TOPIC_COLOR + 2] {
            assert!(pixels.contains(&color), "color {color} not drawn");
        }
    }

    #[test]
    fn extreme_counts_and_long_legends_stay_inside_the_image() {
        let counts = ChartCounts {
            days: vec!["Sat 7".into()],
            topics: (0..14).map(|index| format!("a-rather-long-topic-name-{index}")).collect(),
            counts: vec![vec![u32::MAX / 32; 14]],
        };
        assert!(draw(&counts).is_ok());
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(7), 8);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(24), 30);
        assert_eq!(nice_ceiling(5000), 5000);
    }
}
