//! The map as a static SVG picture, for reports: no tiles and no script,
//! only the outings, fixes, places and home in Web Mercator (the
//! projection web maps use, so it matches what the HTML page shows), a
//! scale bar and a legend.

use std::f64::consts::PI;
use std::fmt::Write;

use super::{CatLayer, LatLon, Map, escape_html};
use crate::track::fix::EARTH_RADIUS_M;

/// The whole picture, in pixels; the legend takes the right-hand strip.
const WIDTH: f64 = 1200.0;
const HEIGHT: f64 = 760.0;
const LEGEND_WIDTH: f64 = 280.0;
const MARGIN: f64 = 40.0;

/// Web Mercator stops at the latitude that makes the world a square.
const MAX_LATITUDE: f64 = 85.051_128_78;

/// The least ground a picture shows across, in metres, so a cat that
/// never left one spot is still drawn at a readable scale.
const MIN_SPAN_M: f64 = 300.0;

/// Web Mercator (EPSG:3857) on the unit square: `x` from 0 at 180° W to
/// 1 at 180° E, `y` from 0 at the top (85.05° N) to 1 at the bottom.
pub fn mercator(p: LatLon) -> (f64, f64) {
    let lat = p.lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    let x = (p.lon + 180.0) / 360.0;
    let y = 0.5 - (PI / 4.0 + lat / 2.0).tan().ln() / (2.0 * PI);
    (x, y)
}

/// How projected points become pixels: one scale for both axes, so the
/// picture is not stretched, centred in the map area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// Pixels per unit of the projected square.
    pub scale: f64,
    /// The projected point at the centre of the map area.
    pub centre: (f64, f64),
    /// Its latitude, where the scale bar is true.
    pub centre_lat: f64,
}

impl View {
    /// The view that shows the south-west to north-east box within the
    /// map area, at least [`MIN_SPAN_M`] across.
    pub fn fit(sw: LatLon, ne: LatLon) -> View {
        let (x0, y1) = mercator(sw);
        let (x1, y0) = mercator(ne);
        let centre_lat = (sw.lat + ne.lat) / 2.0;
        let min_span = MIN_SPAN_M / world_metres(centre_lat);
        let span_x = (x1 - x0).max(min_span);
        let span_y = (y1 - y0).max(min_span);
        let scale = ((map_width() - 2.0 * MARGIN) / span_x).min((HEIGHT - 2.0 * MARGIN) / span_y);
        View {
            scale,
            centre: ((x0 + x1) / 2.0, (y0 + y1) / 2.0),
            centre_lat,
        }
    }

    /// A position's pixel in the picture.
    pub fn pixel(&self, p: LatLon) -> (f64, f64) {
        let (x, y) = mercator(p);
        (
            map_width() / 2.0 + (x - self.centre.0) * self.scale,
            HEIGHT / 2.0 + (y - self.centre.1) * self.scale,
        )
    }

    /// Ground metres per pixel at the centre's latitude.
    pub fn metres_per_pixel(&self) -> f64 {
        world_metres(self.centre_lat) / self.scale
    }
}

fn map_width() -> f64 {
    WIDTH - LEGEND_WIDTH
}

/// The length of the unit square's side on the ground at a latitude.
fn world_metres(lat: f64) -> f64 {
    2.0 * PI * EARTH_RADIUS_M * lat.to_radians().cos()
}

/// The scale bar: the longest 1, 2 or 5 times a power of ten metres that
/// fits in `max_px`, and its length in pixels.
pub fn scale_bar(metres_per_pixel: f64, max_px: f64) -> (f64, f64) {
    let most = metres_per_pixel * max_px;
    let power = 10f64.powf(most.log10().floor());
    let metres = [5.0, 2.0, 1.0]
        .iter()
        .map(|m| m * power)
        .find(|m| *m <= most)
        .unwrap_or(power);
    (metres, metres / metres_per_pixel)
}

/// The whole picture.
pub fn render(map: &Map) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"13\">"
    );
    let _ = writeln!(svg, "<title>{}</title>", escape_html(&map.title));
    let _ = writeln!(
        svg,
        "<rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#f6f5f0\"/>"
    );
    if let Some((sw, ne)) = map.bounds() {
        let view = View::fit(sw, ne);
        for cat in &map.cats {
            draw_cat(&mut svg, cat, &view);
        }
        draw_scale_bar(&mut svg, &view);
    }
    draw_legend(&mut svg, map);
    svg.push_str("</svg>\n");
    svg
}

fn draw_cat(svg: &mut String, cat: &CatLayer, view: &View) {
    let name = escape_html(&cat.name);
    for outing in &cat.outings {
        let d: Vec<String> = outing
            .path
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (x, y) = view.pixel(*p);
                format!("{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" })
            })
            .collect();
        let _ = writeln!(
            svg,
            "<path class=\"outing\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"3\" \
             stroke-linejoin=\"round\" stroke-opacity=\"0.85\"><title>{name}: {}</title></path>",
            d.join(" "),
            outing.colour,
            escape_html(&outing.label)
        );
    }
    for place in &cat.places {
        let (x, y) = view.pixel(place.at);
        let _ = writeln!(
            svg,
            "<circle class=\"place\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{:.1}\" fill=\"#ffffff\" \
             fill-opacity=\"0.4\" stroke=\"#333\" stroke-width=\"2\"><title>{name}: {}</title>\
             </circle>",
            place.radius_px,
            escape_html(&place.label)
        );
    }
    if let Some(home) = cat.home {
        let (x, y) = view.pixel(home.at);
        let _ = writeln!(
            svg,
            "<circle class=\"home\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"7\" fill=\"#ffd400\" \
             stroke=\"#111\" stroke-width=\"3\"><title>home of {name}</title></circle>"
        );
    }
    for fix in &cat.fixes {
        let (x, y) = view.pixel(fix.at);
        let _ = writeln!(
            svg,
            "<circle class=\"fix\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\" fill=\"#fff\" \
             stroke=\"#222\"><title>{name} {}</title></circle>",
            escape_html(&fix.time)
        );
    }
}

fn draw_scale_bar(svg: &mut String, view: &View) {
    let (metres, px) = scale_bar(view.metres_per_pixel(), map_width() / 4.0);
    let (x, y) = (MARGIN / 2.0, HEIGHT - MARGIN / 2.0);
    let _ = writeln!(
        svg,
        "<g class=\"scale-bar\"><path d=\"M{x} {} v6 h{px:.1} v-6\" fill=\"none\" stroke=\"#222\" \
         stroke-width=\"2\"/><text x=\"{x}\" y=\"{}\">{}</text></g>",
        y - 6.0,
        y - 10.0,
        super::distance(metres)
    );
}

/// About how many characters of 13 px text fit across the legend.
const LEGEND_CHARS: usize = 36;

/// `text`, cut to `max` characters with an ellipsis: an SVG text does not
/// wrap, and a long line would run off the picture.
fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max - 1).collect();
    short.push('\u{2026}');
    short
}

fn draw_legend(svg: &mut String, map: &Map) {
    let x = map_width() + 16.0;
    let mut y = 32.0;
    let _ = writeln!(svg, "<g class=\"legend\">");
    let line = |svg: &mut String, y: &mut f64, weight: &str, text: &str| {
        let _ = writeln!(
            svg,
            "<text x=\"{x}\" y=\"{y}\" font-weight=\"{weight}\">{}</text>",
            escape_html(&shortened(text, LEGEND_CHARS))
        );
        *y += 18.0;
    };
    line(svg, &mut y, "bold", &map.title);
    line(svg, &mut y, "normal", &map.window);
    for cat in &map.cats {
        y += 8.0;
        line(svg, &mut y, "bold", &cat.name);
        let about: Vec<String> = std::iter::once(cat.device.clone())
            .chain(cat.attributes.iter().map(|(k, v)| format!("{k}: {v}")))
            .collect();
        line(svg, &mut y, "normal", &about.join(", "));
        if cat.fixes.is_empty() {
            line(svg, &mut y, "normal", "no fixes in this window");
        }
        for (i, outing) in cat.outings.iter().enumerate() {
            if y > HEIGHT - 24.0 {
                let more = format!("and {} more outings", cat.outings.len() - i);
                line(svg, &mut y, "normal", &more);
                break;
            }
            let _ = writeln!(
                svg,
                "<rect x=\"{x}\" y=\"{}\" width=\"18\" height=\"4\" fill=\"{}\"/>",
                y - 8.0,
                outing.colour
            );
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{y}\">{}</text>",
                x + 26.0,
                escape_html(&outing.label)
            );
            y += 18.0;
        }
    }
    let _ = writeln!(svg, "</g>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::sample;

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9
    }

    #[test]
    fn web_mercator_on_the_unit_square() {
        let at = |lat, lon| mercator(LatLon { lat, lon });
        assert!(close(at(0.0, 0.0), (0.5, 0.5)));
        assert!(close(at(MAX_LATITUDE, -180.0), (0.0, 0.0)));
        assert!(close(at(-MAX_LATITUDE, 180.0), (1.0, 1.0)));
        assert!(close(at(90.0, 0.0), at(MAX_LATITUDE, 0.0)), "clamped");
        // Amsterdam in EPSG:3857 metres is (544,927.6, 6,867,344.1).
        let half = PI * 6_378_137.0;
        let (x, y) = at(52.370_216, 4.895_168);
        assert!((x * 2.0 * half - half - 544_927.6).abs() < 0.1, "{x}");
        assert!((half - y * 2.0 * half - 6_867_344.1).abs() < 0.1, "{y}");
    }

    #[test]
    fn a_view_keeps_the_aspect_and_fits_the_map_area() {
        let sw = LatLon {
            lat: 52.36,
            lon: 4.88,
        };
        let ne = LatLon {
            lat: 52.38,
            lon: 4.91,
        };
        let view = View::fit(sw, ne);
        let (x0, y0) = view.pixel(sw);
        let (x1, y1) = view.pixel(ne);
        assert!(
            x0 >= MARGIN - 1e-6 && x1 <= map_width() - MARGIN + 1e-6,
            "{x0} {x1}"
        );
        assert!(
            y1 >= MARGIN - 1e-6 && y0 <= HEIGHT - MARGIN + 1e-6,
            "{y0} {y1}"
        );
        assert!(y0 > y1, "north is up");
        // Ground distances east-west and north-south come out alike.
        let metres_x = (x1 - x0) * view.metres_per_pixel();
        let expected_x = crate::track::haversine((52.37, 4.88), (52.37, 4.91));
        assert!(
            (metres_x / expected_x - 1.0).abs() < 0.01,
            "{metres_x} {expected_x}"
        );
    }

    #[test]
    fn scale_bars_are_round_numbers() {
        assert_eq!(scale_bar(1.0, 250.0), (200.0, 200.0));
        assert_eq!(scale_bar(2.0, 250.0), (500.0, 250.0));
        assert_eq!(scale_bar(10.0, 250.0), (2000.0, 200.0));
        assert_eq!(scale_bar(0.3, 250.0).0, 50.0);
    }

    #[test]
    fn the_picture_has_a_path_per_outing_and_a_circle_per_fix_and_place() {
        let map = sample("Snowy");
        let svg = render(&map);
        assert_eq!(svg.matches("<path class=\"outing\"").count(), 2);
        assert_eq!(svg.matches("<circle class=\"fix\"").count(), 4);
        assert_eq!(svg.matches("<circle class=\"place\"").count(), 1);
        assert_eq!(svg.matches("<circle class=\"home\"").count(), 1);
        assert!(svg.contains("<g class=\"scale-bar\">"));
        assert!(svg.contains(&map.cats[0].outings[1].colour));
        assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn long_legend_lines_are_cut() {
        assert_eq!(shortened("Snowy", 36), "Snowy");
        let long = "a".repeat(50);
        let short = shortened(&long, 36);
        assert_eq!(short.chars().count(), 36);
        assert!(short.ends_with('\u{2026}'));
    }

    #[test]
    fn names_are_text() {
        let svg = render(&sample("<script>alert(1)</script>"));
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }
}
