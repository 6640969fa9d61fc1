//! `fleet map` as a user runs it and as a browser shows it: a simulated
//! day in the emulator's table, drawn as a page that headless Chromium
//! opens with Leaflet served from the local npm package; the paths and
//! markers it draws are counted against the data, a screenshot is taken,
//! and a cat name made of markup is shown as text, never run. Chromium
//! and Leaflet are installed by `tests/browser/setup` (from
//! `scripts/test`); without them these tests fail, they never skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fleet::map::html::{self, Assets, Tiles};
use fleet::map::{self, CatLayer, LatLon, Map, Marker, Outing};

use crate::deploy::{self, ctx};
use crate::emulator::Emulator;
use crate::harness::{self, stderr, stdout};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium() -> &'static Path {
    let path = Path::new(CHROMIUM);
    assert!(
        path.is_file(),
        "no Chromium at {CHROMIUM}: run scripts/test, whose tests/browser/setup installs it"
    );
    path
}

/// Leaflet's `dist` folder from the pinned npm package.
fn leaflet_dist() -> PathBuf {
    let dist = harness::repo("tests/browser/node_modules/leaflet/dist");
    assert!(
        dist.join("leaflet.js").is_file(),
        "no Leaflet in {}: run scripts/test, whose tests/browser/setup runs npm ci there",
        dist.display()
    );
    dist
}

/// Runs headless Chromium on a page with a fresh profile and `extra`
/// flags. The network is not reached (tiles fail, which is fine): the
/// page must draw from what it holds.
fn browse(page: &Path, extra: &[String]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.display());
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--virtual-time-budget=5000")
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        stderr(&output)
    );
    output
}

/// The DOM once the page's scripts have run.
fn dom(page: &Path) -> String {
    stdout(&browse(page, &["--dump-dom".to_string()]))
}

fn screenshot(page: &Path, png: &Path) {
    browse(
        page,
        &[
            "--window-size=1200,800".to_string(),
            "--hide-scrollbars".to_string(),
            format!("--screenshot={}", png.display()),
        ],
    );
    let size = std::fs::metadata(png).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "the screenshot {} has {size} bytes",
        png.display()
    );
}

/// How many elements of `tag` have every one of `classes`.
fn count(dom: &str, tag: &str, classes: &[&str]) -> usize {
    dom.split(&format!("<{tag} "))
        .skip(1)
        .filter(|element| {
            let head = &element[..element.find('>').unwrap_or(element.len())];
            let class = head
                .split("class=\"")
                .nth(1)
                .and_then(|c| c.split('"').next())
                .unwrap_or("");
            let tokens: Vec<&str> = class.split_whitespace().collect();
            classes.iter().all(|c| tokens.contains(c))
        })
        .count()
}

fn drawn(dom: &str, class: &str) -> usize {
    count(dom, "path", &["leaflet-interactive", class])
}

fn fleet_in(emulator: &Emulator, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(args)
        .current_dir(harness::root())
        .env_remove("FLEET_FILE")
        .env_remove("FLEET_OUTPUT")
        .env_remove("FLEET_TZ")
        .env_remove("FLEET_MAP_ASSETS")
        .env_remove("MAPBOX_TOKEN")
        .envs(emulator.env())
        .output()
        .expect("the fleet binary runs")
}

fn json_of(output: &Output) -> serde_json::Value {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("{e}: {} {}", stdout(output), stderr(output)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_day_is_drawn_in_the_browser_as_the_data_says() {
    chromium();
    let dist = leaflet_dist();
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = deploy::sample();
    deploy::apply(&ctx(&aws, &fleet), &fleet, &rendered).await;
    let simulate = [
        "simulate",
        "--direct",
        "--cats",
        "Snowy",
        "--start",
        "2026-12-01",
        "--seed",
        "5",
        "--output",
        "json",
    ];
    json_of(&fleet_in(&emulator, &simulate));

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("maps/snowy.html");
    let day = ["--day", "2026-12-01", "--tz", "Europe/Amsterdam"];
    let mut args = vec!["map", "Snowy", "-o", page.to_str().unwrap()];
    args.extend(["--assets", dist.to_str().unwrap(), "--output", "json"]);
    args.extend(day);
    let summary = json_of(&fleet_in(&emulator, &args));

    // What the data says, through `fleet locations` too: a LineString per
    // outing and a Point per fix.
    let mut args = vec!["locations", "Snowy", "--format", "geojson"];
    args.extend(day);
    let geojson = json_of(&fleet_in(&emulator, &args));
    let features = geojson["features"].as_array().unwrap();
    let of_type = |t: &str| {
        features
            .iter()
            .filter(|f| f["geometry"]["type"] == t)
            .count()
    };
    let (outings, fixes) = (of_type("LineString"), of_type("Point"));
    assert!(
        outings >= 2 && fixes > 40,
        "a simulated day: {outings} outings, {fixes} fixes"
    );
    assert_eq!(summary["outings"], outings, "{summary}");
    assert_eq!(summary["fixes"], fixes, "{summary}");
    assert_eq!(summary["homes"], 1, "she slept at home: {summary}");

    let dom = dom(&page);
    assert!(
        dom.contains("data-fleet-drawn=\"true\""),
        "the page's script ran: {dom}"
    );
    assert_eq!(drawn(&dom, "fleet-outing"), outings);
    assert_eq!(drawn(&dom, "fleet-fix"), fixes);
    assert_eq!(
        drawn(&dom, "fleet-place"),
        summary["places"].as_u64().unwrap() as usize
    );
    assert_eq!(drawn(&dom, "fleet-home"), 1);
    assert_eq!(
        count(&dom, "li", &["fleet-legend-outing"]),
        outings,
        "the legend"
    );
    assert!(dom.contains("OpenStreetMap"), "tiles are attributed");

    let png = dir.path().join("snowy.png");
    screenshot(&page, &png);

    mapbox_from_the_fleet_files_secret(&emulator, &aws, dir.path()).await;
    an_empty_day_writes_nothing(&emulator, dir.path());
}

/// With `map.mapbox_token_secret` in the fleet file, the page draws Mapbox
/// tiles with the token read from Secrets Manager.
async fn mapbox_from_the_fleet_files_secret(
    emulator: &Emulator,
    aws: &fleet::aws::Aws,
    dir: &Path,
) {
    aws_sdk_secretsmanager::Client::new(&aws.config)
        .create_secret()
        .name("backyard-cats/mapbox-token")
        .secret_string(r#"{"token": "pk.from-the-secret"}"#)
        .send()
        .await
        .unwrap();
    let sample = std::fs::read_to_string(harness::repo("fleet.yaml")).unwrap();
    let with_map = sample.replace(
        "# map:\n#   mapbox_token_secret: backyard-cats/mapbox-token",
        "map:\n  mapbox_token_secret: backyard-cats/mapbox-token",
    );
    assert_ne!(with_map, sample, "the sample fleet file shows the map key");
    let file = dir.join("fleet.yaml");
    std::fs::write(&file, with_map).unwrap();

    let page = dir.join("mapbox.html");
    let args = [
        "map",
        "Snowy",
        "--day",
        "2026-12-01",
        "--file",
        file.to_str().unwrap(),
        "-o",
        page.to_str().unwrap(),
    ];
    let output = fleet_in(emulator, &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("api.mapbox.com") && html.contains("access_token=pk.from-the-secret"));
    assert!(
        !stderr(&output).contains("pk.from-the-secret"),
        "the token is not printed"
    );

    let mut no_mapbox = args.to_vec();
    no_mapbox.push("--no-mapbox");
    assert_eq!(fleet_in(emulator, &no_mapbox).status.code(), Some(0));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("pk.from-the-secret") && html.contains("tile.openstreetmap.org"));
}

fn an_empty_day_writes_nothing(emulator: &Emulator, dir: &Path) {
    let page = dir.join("empty.html");
    let args = [
        "map",
        "Tiger",
        "--day",
        "2026-12-01",
        "-o",
        page.to_str().unwrap(),
    ];
    let output = fleet_in(emulator, &args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("no fixes for Tiger from 2026-12-01 00:00"),
        "{message}"
    );
    assert!(!page.exists());
}

/// A map whose cat name, device and attribute are markup. fleet file
/// validation keeps such names out of real fleets, so this map is made in
/// memory, as a future source of names might make it.
fn hostile_map() -> Map {
    let at = |lat, lon| LatLon { lat, lon };
    let mut cats = vec![CatLayer {
        name: "<script>alert(1)</script>".into(),
        device: "<img src=x onerror=\"document.title='pwned'\">".into(),
        attributes: vec![(
            "notes".into(),
            "</script><script>document.title='pwned'</script>\u{2028}".into(),
        )],
        outings: vec![Outing {
            colour: String::new(),
            label: "<b onmouseover=alert(3)>08:00</b>".into(),
            path: vec![at(52.3702, 4.8951), at(52.3712, 4.8961)],
        }],
        fixes: vec![Marker {
            at: at(52.3702, 4.8951),
            time: "<svg onload=\"document.title='pwned'\">".into(),
        }],
        places: vec![],
        home: None,
    }];
    map::assign_colours(&mut cats);
    Map {
        title: "<script>alert(1)</script>".into(),
        window: "<iframe srcdoc=x>".into(),
        cats,
    }
}

/// Whether a page, once open, shows signs of injected markup running.
fn injected(dom: &str) -> bool {
    // Leaflet's own tiles are images too, so the injected one is known by
    // its source.
    dom.contains("<title>pwned</title>")
        || dom.contains("<img src=\"x\"")
        || dom.contains("<script>alert(1)</script>")
        || dom.contains("<iframe")
        || dom.contains("<b onmouseover")
        || dom.contains("<svg onload")
}

#[test]
fn a_cat_named_like_a_script_is_shown_as_text_and_never_runs() {
    chromium();
    let dir = tempfile::tempdir().unwrap();

    // The check sees injection when there is some.
    let naive = dir.path().join("naive.html");
    let payload = "<script>document.title='pwned'</script><img src=x>";
    std::fs::write(&naive, format!("<title>t</title><body>{payload}</body>")).unwrap();
    assert!(
        injected(&dom(&naive)),
        "the browser check must see an injection"
    );

    let page = dir.path().join("hostile.html");
    let assets = Assets::parse(leaflet_dist().to_str().unwrap()).unwrap();
    std::fs::write(
        &page,
        html::render(&hostile_map(), &assets, &Tiles::OpenStreetMap),
    )
    .unwrap();
    let dom = dom(&page);

    assert!(
        dom.contains("data-fleet-drawn=\"true\""),
        "the page's script ran: {dom}"
    );
    assert!(!injected(&dom), "{dom}");
    assert_eq!(
        dom.matches("<script").count(),
        3,
        "only the page's own scripts"
    );
    assert!(
        dom.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"),
        "{dom}"
    );
    assert!(
        dom.contains("<h2>&lt;script&gt;alert(1)&lt;/script&gt;</h2>"),
        "the legend: {dom}"
    );
    assert_eq!(drawn(&dom, "fleet-outing"), 1);
    assert_eq!(drawn(&dom, "fleet-fix"), 1);
}

#[test]
fn wrong_assets_or_no_cat_are_input_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    let output = Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(["map", "Snowy", "--assets", "/nonexistent/leaflet", "-o"])
        .arg(&page)
        .args(["--endpoint-url", "http://127.0.0.1:9"])
        .current_dir(harness::root())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("FLEET_MAP_ASSETS")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("leaflet@1.9.4"),
        "{}",
        stderr(&output)
    );

    let output = Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(["map", "Snowie", "-o"])
        .arg(&page)
        .current_dir(harness::root())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("did you mean `Snowy`"),
        "{}",
        stderr(&output)
    );
    assert!(!page.exists());
}
