//! `fleet map CAT -o FILE`: the cats' fixes over a time window, read as
//! `fleet locations` reads them, drawn by [`crate::map`] as a Leaflet page
//! or an SVG picture, and written atomically.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use super::history::{self, DefaultWindow, History};
use super::session::{self, Session};
use crate::aws::{Aws, Target};
use crate::cli::{Format, MapArgs};
use crate::data::window::Window;
use crate::error::Error;
use crate::map::html::{self, Assets, Tiles};
use crate::map::{self, CatInfo, LatLon, Map, MapError, MapFormat, svg};
use crate::model::{Cat, Fleet};

pub async fn run(
    file: &Path,
    target: &Target,
    args: &MapArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let Session {
        fleet, ctx, aws, ..
    } = session::open(file, target, format).await?;
    let cats = chosen_cats(&fleet, args)?;
    let now = jiff::Timestamp::now();
    let window = history::window(&fleet, &args.window, DefaultWindow::Today, now)?;
    let home: Option<LatLon> = args
        .home
        .as_deref()
        .map(|h| h.parse().map_err(|e| Error::Usage(format!("--home {e}"))))
        .transpose()?;
    let kind = args.format.unwrap_or_else(|| format_of(&args.out));
    let (assets, tiles) = match kind {
        MapFormat::Html => (assets(args)?, tiles(&aws, &fleet, args).await?),
        MapFormat::Svg => (Assets::default(), Tiles::OpenStreetMap),
    };

    let mut layers = Vec::with_capacity(cats.len());
    for cat in &cats {
        let history = History::read(&ctx, &fleet, cat, &window).await?;
        eprintln!("{}", history.describe(cat, &window));
        layers.push(map::layer(info(cat), &history.fixes, &window.tz, home));
    }
    let names: Vec<&str> = cats.iter().map(|c| c.name.as_str()).collect();
    let map = Map {
        title: title(&names, args),
        window: describe(&window),
        cats: layers,
    };
    if map.counts().fixes == 0 {
        return Err(MapError::Empty {
            cats: names.join(", "),
            window: map.window,
        }
        .into());
    }

    let mut map = map;
    map::assign_colours(&mut map.cats);
    let body = match kind {
        MapFormat::Html => html::render(&map, &assets, &tiles),
        MapFormat::Svg => svg::render(&map),
    };
    write_atomically(&args.out, &body)?;
    report(&args.out, &map, format, out)
}

/// `CAT` or `--cats A,B`, each a cat of the fleet file.
fn chosen_cats<'f>(fleet: &'f Fleet, args: &MapArgs) -> Result<Vec<&'f Cat>, Error> {
    let names: Vec<&String> = args.cat.iter().chain(&args.cats).collect();
    if names.is_empty() {
        return Err(Error::Usage(
            "name the cat to draw, e.g. `fleet map Snowy --day 2026-12-01 -o snowy.html`".into(),
        ));
    }
    let mut cats: Vec<&Cat> = Vec::new();
    for name in names {
        let cat = history::cat(fleet, name)?;
        if !cats.iter().any(|c| c.name == cat.name) {
            cats.push(cat);
        }
    }
    Ok(cats)
}

/// `--format`, else `svg` for an output ending in `.svg`, else `html`.
fn format_of(path: &Path) -> MapFormat {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("svg") => MapFormat::Svg,
        _ => MapFormat::Html,
    }
}

fn assets(args: &MapArgs) -> Result<Assets, Error> {
    match &args.assets {
        Some(text) => Ok(Assets::parse(text)?),
        None => Ok(Assets::default()),
    }
}

/// Mapbox when a token is given (`--mapbox-token`, `MAPBOX_TOKEN`, or the
/// fleet file's secret), unless `--no-mapbox`; OpenStreetMap otherwise.
async fn tiles(aws: &Aws, fleet: &Fleet, args: &MapArgs) -> Result<Tiles, Error> {
    if args.no_mapbox {
        tracing::debug!("tiles: OpenStreetMap (--no-mapbox)");
        return Ok(Tiles::OpenStreetMap);
    }
    let given = args.mapbox_token.as_deref().map(str::trim);
    if let Some(token) = given.filter(|t| !t.is_empty()) {
        tracing::debug!("tiles: Mapbox, token from MAPBOX_TOKEN or --mapbox-token");
        return mapbox(token, "MAPBOX_TOKEN or --mapbox-token");
    }
    if let Some(name) = &fleet.map.mapbox_token_secret {
        tracing::debug!(secret = %name, "tiles: Mapbox, token from Secrets Manager");
        let token = secret_token(aws, name).await?;
        return mapbox(&token, &format!("secret `{name}`"));
    }
    tracing::debug!("tiles: OpenStreetMap (no Mapbox token given)");
    Ok(Tiles::OpenStreetMap)
}

/// The token goes into a URL in the page, so only a token's characters
/// are let through.
fn mapbox(token: &str, origin: &str) -> Result<Tiles, Error> {
    let valid = token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if token.is_empty() || !valid {
        return Err(MapError::BadToken {
            origin: origin.into(),
        }
        .into());
    }
    Ok(Tiles::Mapbox {
        token: token.into(),
    })
}

/// The secret's string: the token itself, or a JSON object with the token
/// under `token` or `mapbox_token`, as the console's key/value editor
/// stores it.
async fn secret_token(aws: &Aws, name: &str) -> Result<String, Error> {
    let failed = |message: String| MapError::Secret {
        name: name.into(),
        message,
    };
    let client = aws_sdk_secretsmanager::Client::new(&aws.config);
    let value = client
        .get_secret_value()
        .secret_id(name)
        .send()
        .await
        .map_err(|e| failed(crate::deploy::sdk_message(e)))?;
    let text = value
        .secret_string()
        .ok_or_else(|| failed("it holds binary data, not a token string".into()))?
        .trim();
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(fields)) => ["token", "mapbox_token"]
            .iter()
            .find_map(|k| fields.get(*k).and_then(|v| v.as_str()))
            .map(str::to_string)
            .ok_or_else(|| failed("its JSON has no `token` or `mapbox_token` key".into()).into()),
        _ => Ok(text.to_string()),
    }
}

fn info(cat: &Cat) -> CatInfo {
    CatInfo {
        name: cat.name.clone(),
        device: cat.device.clone(),
        attributes: cat
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

fn title(names: &[&str], args: &MapArgs) -> String {
    match &args.window.day {
        Some(day) => format!("{}, {day}", names.join(", ")),
        None => names.join(", "),
    }
}

fn describe(window: &Window) -> String {
    let local = |t: jiff::Timestamp| {
        t.to_zoned_datetime(window.tz.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    };
    format!("{} to {}", local(window.from), local(window.to))
}

/// Writes through a temporary file beside `path` and a rename, so a
/// browser never opens half a page; makes the directory when missing.
fn write_atomically(path: &Path, body: &str) -> Result<(), Error> {
    let error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(error)?;
    }
    let name = path
        .file_name()
        .map_or("map".into(), |n| n.to_string_lossy());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, body).map_err(error)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        error(e)
    })
}

fn report(path: &Path, map: &Map, format: Format, out: &mut dyn Write) -> Result<(), Error> {
    let counts = map.counts();
    match format {
        Format::Json => {
            let cats: Vec<_> = map
                .cats
                .iter()
                .map(|c| {
                    json!({
                        "name": c.name,
                        "outings": c.outings.len(),
                        "fixes": c.fixes.len(),
                        "places": c.places.len(),
                        "home": c.home.map(|h| [h.at.lat, h.at.lon]),
                    })
                })
                .collect();
            let summary = json!({
                "ok": true,
                "path": path.display().to_string(),
                "window": map.window,
                "outings": counts.outings,
                "fixes": counts.fixes,
                "places": counts.places,
                "homes": counts.homes,
                "cats": cats,
            });
            writeln!(out, "{summary}")?;
        }
        Format::Text => writeln!(
            out,
            "wrote {}: {} outings, {} fixes, {} places, {} home{} ({})",
            path.display(),
            counts.outings,
            counts.fixes,
            counts.places,
            counts.homes,
            if counts.homes == 1 { "" } else { "s" },
            map.window
        )?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_the_file_name() {
        assert_eq!(format_of(Path::new("maps/snowy.SVG")), MapFormat::Svg);
        assert_eq!(format_of(Path::new("snowy.html")), MapFormat::Html);
        assert_eq!(format_of(Path::new("snowy")), MapFormat::Html);
    }

    #[test]
    fn only_a_tokens_characters_reach_the_tile_url() {
        assert_eq!(
            mapbox("pk.eyJ1_x-y", "test").unwrap(),
            Tiles::Mapbox {
                token: "pk.eyJ1_x-y".into()
            }
        );
        for bad in ["", "pk.a&b=c", "pk.\"><script>"] {
            let err = mapbox(bad, "test").unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
    }
}
