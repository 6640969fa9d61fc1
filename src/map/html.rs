//! The map as one HTML page drawn by Leaflet: tiles, a line per outing,
//! a dot per fix, circles for places, home, a legend, fitted bounds.
//!
//! The page holds the map's data as JSON in a `<script type=
//! "application/json">` element and a small script (`page.js`) that draws
//! it, setting every name with `textContent`, never as markup. Leaflet
//! itself comes from a CDN or a mirror, pinned to one version and checked
//! by the browser against [`LEAFLET_JS_SHA384`] and [`LEAFLET_CSS_SHA384`]
//! (subresource integrity), or is copied into the page from a local copy
//! that fleet checks against the same hashes, for use offline.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha384};

use super::{Map, MapError, escape_html, script_json};

/// The Leaflet release the page is written for.
pub const LEAFLET_VERSION: &str = "1.9.4";

/// Subresource integrity of `dist/leaflet.js` and `dist/leaflet.css` of
/// the npm package `leaflet@1.9.4`. To recompute them:
///
/// ```sh
/// npm pack leaflet@1.9.4 && tar xzf leaflet-1.9.4.tgz
/// openssl dgst -sha384 -binary package/dist/leaflet.js | openssl base64 -A
/// ```
pub const LEAFLET_JS_SHA384: &str =
    "sha384-cxOPjt7s7Iz04uaHJceBmS+qpjv2JkIHNVcuOrM+YHwZOmJGBXI00mdUXEq65HTH";
pub const LEAFLET_CSS_SHA384: &str =
    "sha384-sHL9NAb7lN7rfvG5lfHpm643Xkcjzp4jFvuavGOndn6pjVqS6ny56CAt3nsEVT4H";

/// Where pages load Leaflet from by default: the npm package as a CDN
/// serves it.
pub const LEAFLET_CDN: &str = "https://unpkg.com/leaflet@1.9.4/dist";

const PAGE_JS: &str = include_str!("page.js");
const PAGE_CSS: &str = include_str!("page.css");

const OSM_ATTRIBUTION: &str = "&copy; <a href=\"https://www.openstreetmap.org/copyright\">\
                               OpenStreetMap</a> contributors";
const MAPBOX_ATTRIBUTION: &str = "&copy; <a href=\"https://www.mapbox.com/about/maps/\">\
                                  Mapbox</a> &copy; <a href=\"https://www.openstreetmap.org/\
                                  copyright\">OpenStreetMap</a>";

/// Where the page gets Leaflet's script and stylesheet.
#[derive(Debug, Clone, PartialEq)]
pub enum Assets {
    /// `leaflet.js` and `leaflet.css` under this URL, checked by the
    /// browser against the pinned hashes.
    Url(String),
    /// The files themselves, already checked, copied into the page.
    Inline { js: String, css: String },
}

impl Default for Assets {
    fn default() -> Self {
        Assets::Url(LEAFLET_CDN.to_string())
    }
}

impl Assets {
    /// `--assets`: an http(s) URL to load the files from, or a directory
    /// holding them (Leaflet's `dist`, or the npm package around it),
    /// whose files must be exactly Leaflet 1.9.4's.
    pub fn parse(text: &str) -> Result<Assets, MapError> {
        if text.starts_with("http://") || text.starts_with("https://") {
            return Ok(Assets::Url(text.trim_end_matches('/').to_string()));
        }
        let dir = Path::new(text);
        let dist = if dir.join("leaflet.js").is_file() {
            dir.to_path_buf()
        } else {
            dir.join("dist")
        };
        Ok(Assets::Inline {
            js: checked(&dist.join("leaflet.js"), LEAFLET_JS_SHA384)?,
            css: checked(&dist.join("leaflet.css"), LEAFLET_CSS_SHA384)?,
        })
    }
}

/// A file's text, when its hash is `integrity`.
fn checked(path: &Path, integrity: &str) -> Result<String, MapError> {
    let bytes = std::fs::read(path).map_err(|source| MapError::AssetRead {
        path: path.to_path_buf(),
        source,
    })?;
    if sha384_integrity(&bytes) != integrity {
        return Err(MapError::AssetMismatch {
            path: path.to_path_buf(),
        });
    }
    String::from_utf8(bytes).map_err(|_| MapError::AssetMismatch {
        path: PathBuf::from(path),
    })
}

/// `sha384-BASE64`, as an `integrity` attribute holds it.
pub fn sha384_integrity(bytes: &[u8]) -> String {
    let digest = Sha384::digest(bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The tiles under the map.
#[derive(Debug, Clone, PartialEq)]
pub enum Tiles {
    OpenStreetMap,
    /// Mapbox's Streets style; the token is a public (`pk.`) token, which
    /// ends up in the page as Mapbox's web maps require.
    Mapbox {
        token: String,
    },
}

impl Tiles {
    fn layer(&self) -> Value {
        match self {
            Tiles::OpenStreetMap => json!({
                "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "options": {"maxZoom": 19, "attribution": OSM_ATTRIBUTION},
            }),
            Tiles::Mapbox { token } => json!({
                "url": format!(
                    "https://api.mapbox.com/styles/v1/mapbox/streets-v12/tiles/{{z}}/{{x}}/{{y}}\
                     ?access_token={token}"
                ),
                "options": {
                    "maxZoom": 20,
                    "tileSize": 512,
                    "zoomOffset": -1,
                    "attribution": MAPBOX_ATTRIBUTION,
                },
            }),
        }
    }
}

/// The whole page.
pub fn render(map: &Map, assets: &Assets, tiles: &Tiles) -> String {
    let data = json!({
        "title": map.title,
        "window": map.window,
        "bounds": map.bounds().map(|(sw, ne)| [[sw.lat, sw.lon], [ne.lat, ne.lon]]),
        "tiles": tiles.layer(),
        "cats": map.cats,
    });
    let (leaflet_css, leaflet_js) = leaflet_tags(assets);
    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"en\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"fleet {version}\">\n\
         <title>{title}</title>\n\
         {leaflet_css}\n\
         <style>\n{PAGE_CSS}</style>\n\
         </head>\n\
         <body>\n\
         <div id=\"map\"></div>\n\
         <noscript>This map needs JavaScript.</noscript>\n\
         <script type=\"application/json\" id=\"fleet-map\">{data}</script>\n\
         {leaflet_js}\n\
         <script>\n{PAGE_JS}</script>\n\
         </body>\n\
         </html>\n",
        version = env!("CARGO_PKG_VERSION"),
        title = escape_html(&map.title),
        data = script_json(&data),
    )
}

/// The stylesheet and script elements that bring Leaflet in.
fn leaflet_tags(assets: &Assets) -> (String, String) {
    match assets {
        Assets::Url(base) => {
            let url = |file: &str| escape_html(&format!("{base}/{file}"));
            (
                format!(
                    "<link rel=\"stylesheet\" href=\"{}\" integrity=\"{LEAFLET_CSS_SHA384}\" \
                     crossorigin=\"anonymous\">",
                    url("leaflet.css")
                ),
                format!(
                    "<script src=\"{}\" integrity=\"{LEAFLET_JS_SHA384}\" \
                     crossorigin=\"anonymous\"></script>",
                    url("leaflet.js")
                ),
            )
        }
        // Leaflet's own files, checked against the pinned hashes, contain
        // no `</style` or `</script` that could end these elements early.
        Assets::Inline { js, css } => (
            format!("<style>\n{css}\n</style>"),
            format!("<script>\n{js}\n</script>"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::sample;

    fn page(name: &str) -> String {
        render(&sample(name), &Assets::default(), &Tiles::OpenStreetMap)
    }

    #[test]
    fn a_small_page() {
        let page = page("Snowy").replace(env!("CARGO_PKG_VERSION"), "[version]");
        insta::assert_snapshot!(page);
    }

    #[test]
    fn a_hostile_name_stays_text() {
        let name = "<script>alert(1)</script></script><img src=x onerror=alert(2)>\u{2028}";
        let html = page(name);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains('\u{2028}'));
        assert!(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;"));
        // The page's own three script elements, and no other.
        assert_eq!(html.matches("<script").count(), 3);
        assert_eq!(html.matches("</script>").count(), 3);
    }

    #[test]
    fn leaflet_is_pinned_with_integrity() {
        let html = page("Snowy");
        let js =
            format!("<script src=\"{LEAFLET_CDN}/leaflet.js\" integrity=\"{LEAFLET_JS_SHA384}\"");
        assert!(html.contains(&js), "{html}");
        assert!(html.contains(LEAFLET_CSS_SHA384));
        assert!(LEAFLET_CDN.contains(LEAFLET_VERSION));

        let mirror = Assets::parse("https://maps.example.org/leaflet/").unwrap();
        let html = render(&sample("Snowy"), &mirror, &Tiles::OpenStreetMap);
        assert!(html.contains("src=\"https://maps.example.org/leaflet/leaflet.js\" integrity"));
    }

    #[test]
    fn local_assets_must_be_leaflets_own_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("leaflet.js"), "alert('not leaflet')").unwrap();
        std::fs::write(dir.path().join("leaflet.css"), "").unwrap();
        let err = Assets::parse(dir.path().to_str().unwrap()).unwrap_err();
        assert!(matches!(err, MapError::AssetMismatch { .. }), "{err}");
        assert!(err.to_string().contains("1.9.4"), "{err}");

        let missing = Assets::parse("/nonexistent/leaflet").unwrap_err();
        assert!(matches!(missing, MapError::AssetRead { .. }), "{missing}");
        assert_eq!(missing.exit_code(), 2);
    }

    #[test]
    fn integrity_is_sha384_in_base64() {
        // FIPS 180-2's example: SHA-384 of "abc".
        assert_eq!(
            sha384_integrity(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }

    #[test]
    fn mapbox_tiles_carry_the_token_and_attribution() {
        let tiles = Tiles::Mapbox {
            token: "pk.test-token".into(),
        };
        let html = render(&sample("Snowy"), &Assets::default(), &tiles);
        assert!(html.contains("access_token=pk.test-token"));
        assert!(html.contains("Mapbox"));
        assert!(!html.contains("tile.openstreetmap.org"));
    }
}
