//! The walk over a fleet file's tree that builds the [`Fleet`], checking
//! each value where it stands so its problem carries its position.

use std::collections::{BTreeMap, HashMap};

use super::yaml::{Fields, Node, Reader, free_entries, pos_of, shown};
use super::{
    CAT_KEYS, FLEET_KEYS, GROUP_KEYS, MAP_KEYS, MAX_SHARDS, RESERVED_ATTRIBUTES, RULE_KEYS,
    TABLE_KEYS, THING_TYPE_KEYS, TTN_KEYS,
};
use crate::model::{
    Cat, DEFAULT_ERROR_LOG_DAYS, DEFAULT_SHARDS, DEFAULT_TOPIC, Fleet, Group, MapSettings, Rule,
    Table, ThingType, Ttn,
};
use crate::{names, rule_sql};

/// The retention periods CloudWatch Logs accepts, in days.
const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// A thing with a thing type holds at most 50 attributes.
const MAX_ATTRIBUTES: usize = 50;

pub fn fleet(r: &mut Reader, root: &Node<'_>) -> Option<Fleet> {
    let f = r.mapping(root, "", FLEET_KEYS)?;

    let hint = "the CloudFormation stack name, e.g. `stack: backyard-cats`";
    let stack = f
        .require(r, "stack", hint)
        .and_then(|n| named(r, n, "stack", names::stack));
    let region = f
        .get("region")
        .and_then(|n| named(r, n, "region", names::region));
    let timezone = f
        .get("timezone")
        .and_then(|n| named(r, n, "timezone", time_zone));
    let map = map(r, &f);
    let base = stack.clone().unwrap_or_default();

    let ttn = ttn(r, &f);
    let table = table(r, &f, &base);
    let thing_type = thing_type(r, &f, &base);
    let groups = groups(r, &f);
    let rule = rule(r, &f, &base, ttn.as_ref(), table.as_ref());
    let shards = match f.get("shards") {
        Some(n) => r.integer(n, "shards", 1, MAX_SHARDS),
        None => Some(DEFAULT_SHARDS),
    };
    let cats = cats(r, &f, groups.as_deref());

    Some(Fleet {
        stack: stack?,
        region,
        timezone,
        map: map?,
        ttn: ttn?,
        table: table?,
        thing_type: thing_type?,
        groups: groups?,
        rule: rule?,
        shards: shards?,
        cats: cats?,
    })
}

/// An IANA time zone name the time zone database knows.
fn time_zone(name: &str) -> Result<(), String> {
    jiff::tz::TimeZone::get(name).map(|_| ()).map_err(|_| {
        "the time zone database has no such zone; write an IANA name such as `Europe/Amsterdam`"
            .to_string()
    })
}

fn map(r: &mut Reader, f: &Fields<'_, '_>) -> Option<MapSettings> {
    let m = section(r, f, "map", MAP_KEYS)?;
    let mapbox_token_secret = match m.as_ref().and_then(|m| m.get("mapbox_token_secret")) {
        Some(n) => Some(named(r, n, "map.mapbox_token_secret", secret_name)?),
        None => None,
    };
    Some(MapSettings {
        mapbox_token_secret,
    })
}

/// A Secrets Manager secret's name (or ARN), as the service accepts it.
fn secret_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/_+=.@-:".contains(c);
    if (1..=2048).contains(&name.len()) && name.chars().all(allowed) {
        Ok(())
    } else {
        Err(
            "a secret name uses letters, digits and /_+=.@- (or is the secret's ARN), \
             e.g. `fleet/mapbox-token`"
                .to_string(),
        )
    }
}

/// Reads a string and checks it with one of the [`names`] rules.
fn named(
    r: &mut Reader,
    node: &Node<'_>,
    key: &str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Option<String> {
    let value = r.string(node, key)?;
    match check(&value) {
        Ok(()) => Some(value),
        Err(e) => {
            let value = shown(&value);
            r.report(node, key, format!("`{value}` is not valid: {e}"));
            None
        }
    }
}

fn section<'n, 'a>(
    r: &mut Reader,
    parent: &Fields<'n, 'a>,
    key: &str,
    known: &[&str],
) -> Option<Option<Fields<'n, 'a>>> {
    match parent.get(key) {
        None => Some(None),
        Some(node) => r.mapping(node, key, known).map(Some),
    }
}

fn ttn(r: &mut Reader, f: &Fields<'_, '_>) -> Option<Ttn> {
    let hint =
        "the TTN application the uplinks come from, e.g. `ttn: {application: backyard-cats}`";
    let node = f.require(r, "ttn", hint)?;
    let t = r.mapping(node, "ttn", TTN_KEYS)?;

    let hint = "the application's id in The Things Network, e.g. `application: backyard-cats`";
    let application = t.require(r, "application", hint).and_then(|n| {
        named(r, n, &t.path("application"), |v| {
            names::ttn_id(v, "an application id")
        })
    });
    let topic = match t.get("topic") {
        Some(n) => named(r, n, &t.path("topic"), names::topic_filter),
        None => Some(DEFAULT_TOPIC.to_string()),
    };

    Some(Ttn {
        application: application?,
        topic: topic?,
    })
}

fn table(r: &mut Reader, f: &Fields<'_, '_>, stack: &str) -> Option<Table> {
    let t = section(r, f, "table", TABLE_KEYS)?;
    let get = |key| t.as_ref().and_then(|t| t.get(key));

    let name = match get("name") {
        Some(n) => named(r, n, "table.name", names::table),
        None => Some(format!("{stack}-locations")),
    };
    let retention_days = match get("retention_days") {
        Some(n) => retention(r, n),
        None => Some(None),
    };
    let point_in_time_recovery = match get("point_in_time_recovery") {
        Some(n) => r.boolean(n, "table.point_in_time_recovery"),
        None => Some(true),
    };

    Some(Table {
        name: name?,
        retention_days: retention_days?,
        point_in_time_recovery: point_in_time_recovery?,
    })
}

fn retention(r: &mut Reader, node: &Node<'_>) -> Option<Option<u32>> {
    let key = "table.retention_days";
    let text = r.string(node, key)?;
    if text == "none" {
        return Some(None);
    }
    if text == "0" {
        let message = "a retention of 0 days would expire every location at once; \
                       write a number of days, or `none` to keep locations forever";
        r.report(node, key, message);
        return None;
    }
    match text.parse::<u32>() {
        Ok(days) if days <= 36_500 => Some(Some(days)),
        _ => {
            let message =
                format!("expected a number of days from 1 to 36500, or `none`, found `{text}`");
            r.report(node, key, message);
            None
        }
    }
}

fn thing_type(r: &mut Reader, f: &Fields<'_, '_>, stack: &str) -> Option<ThingType> {
    let t = section(r, f, "thing_type", THING_TYPE_KEYS)?;
    let get = |key| t.as_ref().and_then(|t| t.get(key));

    let name = match get("name") {
        Some(n) => named(r, n, "thing_type.name", |v| {
            names::iot(v, "a thing type name")
        }),
        None => Some(format!("{stack}-tracker")),
    };
    let description = match get("description") {
        Some(n) => named(r, n, "thing_type.description", |v| description(v, 2028)),
        None => Some(format!("GPS cat tracker of fleet {stack}")),
    };
    let searchable = match get("searchable_attributes") {
        Some(n) => searchable_attributes(r, n),
        None => Some(vec!["cat".to_string(), "dev_eui".to_string()]),
    };

    Some(ThingType {
        name: name?,
        description: description?,
        searchable_attributes: searchable?,
    })
}

fn description(text: &str, max: usize) -> Result<(), String> {
    if text.chars().count() > max {
        return Err(format!("a description has at most {max} characters"));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err("a description is one line without control characters".into());
    }
    Ok(())
}

fn searchable_attributes(r: &mut Reader, node: &Node<'_>) -> Option<Vec<String>> {
    let key = "thing_type.searchable_attributes";
    let items = r.strings(node, key);
    if items.len() > 3 {
        r.report(
            node,
            key,
            format!(
                "AWS IoT indexes at most 3 attributes, found {}",
                items.len()
            ),
        );
        return None;
    }
    let mut ok = true;
    for (i, (name, pos)) in items.iter().enumerate() {
        if let Err(e) = names::attribute_name(name) {
            let message = format!("`{name}` is not valid: {e}");
            r.report_at(*pos, &format!("{key}[{i}]"), message);
            ok = false;
        }
    }
    ok.then(|| items.into_iter().map(|(name, _)| name).collect())
}

fn groups(r: &mut Reader, f: &Fields<'_, '_>) -> Option<Vec<Group>> {
    let Some(node) = f.get("groups") else {
        return Some(Vec::new());
    };
    let items = r.sequence(node, "groups")?;

    let mut groups = Vec::with_capacity(items.len());
    let mut seen = HashMap::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let path = format!("groups[{i}]");
        match group(r, item, &path, &mut seen) {
            Some(g) => groups.push(g),
            None => ok = false,
        }
    }
    ok.then_some(groups)
}

fn group(
    r: &mut Reader,
    node: &Node<'_>,
    path: &str,
    seen: &mut HashMap<String, (usize, String)>,
) -> Option<Group> {
    let g = r.mapping(node, path, GROUP_KEYS)?;

    let hint = "the thing group's name, e.g. `name: indoor`";
    let name = g.require(r, "name", hint).and_then(|n| {
        unique(r, n, &g.path("name"), seen, "group", |v| {
            names::iot(v, "a group name")
        })
    });
    let description = match g.get("description") {
        Some(n) => named(r, n, &g.path("description"), |v| description(v, 2028)).map(Some),
        None => Some(None),
    };

    Some(Group {
        name: name?,
        description: description?,
    })
}

/// Reads a name that must be valid and appear once; `seen` maps each
/// name's comparison form (ignoring case) to the line it was first
/// declared on and how it was written there.
fn unique(
    r: &mut Reader,
    node: &Node<'_>,
    key: &str,
    seen: &mut HashMap<String, (usize, String)>,
    what: &str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Option<String> {
    let value = named(r, node, key, check)?;
    let line = pos_of(node).line;
    let Some((first, written)) = seen.get(&value.to_ascii_lowercase()) else {
        seen.insert(value.to_ascii_lowercase(), (line, value.clone()));
        return Some(value);
    };

    // Differing only in case is still the same name, which is easy to miss.
    let message = if *written == value {
        format!("{what} `{value}` is already declared on line {first}")
    } else {
        format!(
            "{what} `{value}` is already declared on line {first} as `{written}`, \
             which differs only in case"
        )
    };
    r.report(node, key, message);
    None
}

fn rule(
    r: &mut Reader,
    f: &Fields<'_, '_>,
    stack: &str,
    ttn: Option<&Ttn>,
    table: Option<&Table>,
) -> Option<Rule> {
    let t = section(r, f, "rule", RULE_KEYS)?;
    let get = |key| t.as_ref().and_then(|t| t.get(key));

    let name = match get("name") {
        Some(n) => named(r, n, "rule.name", names::rule),
        None => Some(format!("{}_uplinks", stack.replace('-', "_"))),
    };
    let enabled = match get("enabled") {
        Some(n) => r.boolean(n, "rule.enabled"),
        None => Some(true),
    };
    let error_log_days = match get("error_log_days") {
        Some(n) => log_retention(r, n),
        None => Some(DEFAULT_ERROR_LOG_DAYS),
    };
    let (sql, custom_sql) = match get("sql") {
        Some(n) => (custom_sql(r, n, ttn), true),
        None => {
            let sql = ttn
                .zip(table)
                .map(|(t, tb)| rule_sql::default_sql(&t.topic, tb.retention_days));
            (sql, false)
        }
    };

    Some(Rule {
        name: name?,
        sql: sql?,
        custom_sql,
        enabled: enabled?,
        error_log_days: error_log_days?,
    })
}

fn log_retention(r: &mut Reader, node: &Node<'_>) -> Option<u32> {
    let key = "rule.error_log_days";
    let days = r.integer(node, key, 1, 3653)?;
    if LOG_RETENTION_DAYS.contains(&days) {
        return Some(days);
    }

    // The range check above puts `days` between two periods CloudWatch
    // offers; either may be what was meant, so both are named.
    let below = LOG_RETENTION_DAYS.iter().rev().find(|d| **d < days);
    let above = LOG_RETENTION_DAYS.iter().find(|d| **d > days);
    let (below, above) = (below.unwrap_or(&1), above.unwrap_or(&3653));
    let message = format!(
        "CloudWatch Logs cannot keep logs for {days} days; the nearest periods it offers \
         are {below} and {above}"
    );
    r.report(node, key, message);
    None
}

fn custom_sql(r: &mut Reader, node: &Node<'_>, ttn: Option<&Ttn>) -> Option<String> {
    let key = "rule.sql";
    let sql = r.string(node, key)?;
    let sql = sql.trim().to_string();

    let (problems, topic) = rule_sql::check(&sql);
    for problem in &problems {
        r.report(node, key, problem.clone());
    }
    // A FROM topic that is not a valid filter was reported just above;
    // that it also differs from `ttn.topic` would be the same mistake twice.
    let valid = topic.filter(|t| names::topic_filter(t).is_ok());
    let expected = ttn.map(|t| t.topic.as_str());
    if let (Some(found), Some(expected)) = (valid.as_deref(), expected)
        && found != expected
    {
        let message = format!(
            "the statement reads FROM '{found}' but `ttn.topic` is `{expected}`; \
             make them the same so fleet's test uplinks reach the rule"
        );
        r.report(node, key, message);
        return None;
    }
    if !problems.is_empty() {
        return None;
    }

    // The shape is right; now the full parser, which knows every function
    // and construct and refuses what it cannot evaluate faithfully.
    match crate::iotsql::parse(&sql) {
        Ok(_) => Some(sql),
        Err(e) => {
            let message = format!("the statement is not IoT SQL that fleet can check: {e}");
            r.report(node, key, message);
            None
        }
    }
}

/// Names, devices and DevEUIs already declared, as [`unique`] keeps them.
#[derive(Default)]
struct Seen {
    names: HashMap<String, (usize, String)>,
    devices: HashMap<String, (usize, String)>,
    euis: HashMap<String, (usize, String)>,
}

/// Reads the cats; `groups` is `None` when the groups could not be read,
/// and then the groups a cat lists are not checked against them.
fn cats(r: &mut Reader, f: &Fields<'_, '_>, groups: Option<&[Group]>) -> Option<Vec<Cat>> {
    let hint = "the list of cats and their trackers, e.g. `cats: [{name: Snowy, \
                device: snowy-lgt92, dev_eui: 70B3D57ED005A1B2}]`";
    let node = f.require(r, "cats", hint)?;
    let items = r.sequence(node, "cats")?;
    if items.is_empty() {
        r.report(node, "cats", "the fleet has no cats; declare at least one");
        return None;
    }

    let group_names: Option<Vec<&str>> =
        groups.map(|groups| groups.iter().map(|g| g.name.as_str()).collect());
    let mut seen = Seen::default();
    let mut cats = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match cat(
            r,
            item,
            &format!("cats[{i}]"),
            &mut seen,
            group_names.as_deref(),
        ) {
            Some(c) => cats.push(c),
            None => ok = false,
        }
    }
    ok.then_some(cats)
}

fn cat(
    r: &mut Reader,
    node: &Node<'_>,
    path: &str,
    seen: &mut Seen,
    groups: Option<&[&str]>,
) -> Option<Cat> {
    let c = r.mapping(node, path, CAT_KEYS)?;

    let name = c
        .require(r, "name", "the cat's name, e.g. `name: Snowy`")
        .and_then(|n| unique(r, n, &c.path("name"), &mut seen.names, "cat", names::cat));
    let device = c
        .require(
            r,
            "device",
            "the tracker's TTN device id, e.g. `device: snowy-lgt92`",
        )
        .and_then(|n| {
            let check = |v: &str| names::ttn_id(v, "a device id");
            unique(r, n, &c.path("device"), &mut seen.devices, "device", check)
        });
    let dev_eui = c
        .require(
            r,
            "dev_eui",
            "the tracker's DevEUI, e.g. `dev_eui: 70B3D57ED005A1B2`",
        )
        .and_then(|n| {
            unique(
                r,
                n,
                &c.path("dev_eui"),
                &mut seen.euis,
                "DevEUI",
                names::dev_eui,
            )
        });
    let cat_groups = match c.get("groups") {
        Some(n) => cat_groups(r, n, &c.path("groups"), groups),
        None => Some(Vec::new()),
    };
    let attributes = match c.get("attributes") {
        Some(n) => attributes(r, n, &c.path("attributes")),
        None => Some(BTreeMap::new()),
    };

    Some(Cat {
        name: name?,
        device: device?,
        dev_eui: dev_eui?.to_ascii_uppercase(),
        groups: cat_groups?,
        attributes: attributes?,
    })
}

fn cat_groups(
    r: &mut Reader,
    node: &Node<'_>,
    key: &str,
    declared: Option<&[&str]>,
) -> Option<Vec<String>> {
    let items = r.strings(node, key);
    let mut ok = true;
    let mut names: Vec<String> = Vec::with_capacity(items.len());
    for (i, (name, pos)) in items.into_iter().enumerate() {
        let problem = match declared {
            _ if names.contains(&name) => Some(format!("group `{name}` is listed twice")),
            Some(declared) if !declared.contains(&name.as_str()) => {
                Some(undeclared_group(&name, declared))
            }
            _ => None,
        };
        if let Some(message) = problem {
            r.report_at(pos, &format!("{key}[{i}]"), message);
            ok = false;
        }
        names.push(name);
    }
    ok.then_some(names)
}

fn undeclared_group(name: &str, declared: &[&str]) -> String {
    let closest = declared
        .iter()
        .min_by_key(|g| strsim::levenshtein(name, g))
        .filter(|g| strsim::levenshtein(name, g) <= 2);
    match closest {
        Some(g) => format!("group `{name}` is not declared under `groups`; did you mean `{g}`?"),
        None => format!("group `{name}` is not declared under `groups`; declare it there first"),
    }
}

fn attributes(r: &mut Reader, node: &Node<'_>, path: &str) -> Option<BTreeMap<String, String>> {
    let entries = free_entries(r, node, path);
    let limit = MAX_ATTRIBUTES - RESERVED_ATTRIBUTES.len();
    if entries.len() > limit {
        r.report(
            node,
            path,
            format!(
                "a cat has at most {limit} attributes, found {}",
                entries.len()
            ),
        );
        return None;
    }

    let mut ok = true;
    let mut map = BTreeMap::new();
    for (name, key_node, value_node) in entries {
        let key = format!("{path}.{name}");
        if RESERVED_ATTRIBUTES.contains(&name.as_str()) {
            r.report(
                key_node,
                &key,
                format!("`{name}` is set by fleet itself; choose another name"),
            );
            ok = false;
            continue;
        }
        if let Err(e) = names::attribute_name(&name) {
            r.report(key_node, &key, format!("`{name}` is not valid: {e}"));
            ok = false;
            continue;
        }
        match named(r, value_node, &key, names::attribute_value) {
            Some(value) => {
                map.insert(name, value);
            }
            None => ok = false,
        }
    }
    ok.then_some(map)
}
