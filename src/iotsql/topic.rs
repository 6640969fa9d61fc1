//! The topic filter of a `FROM` clause: which filters are valid and which
//! topics they match, as the MQTT topics page of the AWS IoT guide defines.
//!
//! `#` matches its parent level too (`a/#` matches `a`), as MQTT 3.1.1 says;
//! a filter starting with a wildcard does not match topics starting with `$`,
//! which MQTT reserves for the broker's own use.

/// Why a topic filter is invalid, or nothing.
pub(crate) fn check_filter(filter: &str) -> Result<(), String> {
    if filter.is_empty() {
        return Err("a topic filter cannot be empty".into());
    }
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        let last = i + 1 == levels.len();
        if level.contains('#') && (*level != "#" || !last) {
            return Err("`#` must be the whole last level, as in `a/#`".into());
        }
        if level.contains('+') && *level != "+" {
            return Err("`+` must be a whole level, as in `a/+/b`".into());
        }
    }
    if filter.contains('\0') {
        return Err("a topic filter cannot contain the NUL character".into());
    }
    Ok(())
}

/// Whether a concrete topic matches a valid filter.
pub(crate) fn matches(filter: &str, topic: &str) -> bool {
    let wildcard_first = filter.starts_with('+') || filter.starts_with('#');
    if wildcard_first && topic.starts_with('$') {
        return false;
    }
    let mut topic_levels = topic.split('/');
    for level in filter.split('/') {
        if level == "#" {
            return true;
        }
        match topic_levels.next() {
            Some(t) if level == "+" || level == t => {}
            _ => return false,
        }
    }
    topic_levels.next().is_none()
}

/// The topic as `topic()` sees it: Basic Ingest's `$aws/rules/<rule>/`
/// prefix is not part of it.
pub(crate) fn visible_topic(topic: &str) -> &str {
    let Some(rest) = topic.strip_prefix("$aws/rules/") else {
        return topic;
    };
    match rest.split_once('/') {
        Some((_rule, after)) => after,
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        for good in ["a", "a/b", "+/devices/+/up", "#", "a/#", "+", "a//b", "/"] {
            assert_eq!(check_filter(good), Ok(()), "{good}");
        }
        for bad in ["", "a/#/b", "a#", "a/b+", "+a", "##"] {
            assert!(check_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_per_the_reference() {
        let cases = [
            ("a/b", "a/b", true),
            ("a/b", "a/c", false),
            ("a/#", "a/b", true),
            ("a/#", "a/e/f", true),
            ("a/#", "a", true),
            ("a/#", "b/x", false),
            ("a/+", "a/b", true),
            ("a/+", "a/e/f", false),
            ("sensor/#", "sensor/", true),
            ("sensor/#", "Sensor", false),
            ("sensor/+/room1", "sensor/humidity/room1", true),
            ("sensor/+/room1", "sensor/humidity/room2", false),
            ("+/devices/+/up", "cats/devices/snowy/up", true),
            ("+/devices/+/up", "$aws/devices/x/up", false),
            ("#", "$aws/things", false),
            ("$aws/#", "$aws/things", true),
            ("+", "", true),
            ("a/+", "a/", true),
        ];
        for (filter, topic, expected) in cases {
            assert_eq!(matches(filter, topic), expected, "{filter} vs {topic}");
        }
    }

    #[test]
    fn basic_ingest_prefix_is_hidden() {
        let topic = "$aws/rules/BuildingManager/Buildings/Building5/Floor2";
        assert_eq!(visible_topic(topic), "Buildings/Building5/Floor2");
        assert_eq!(visible_topic("a/b"), "a/b");
    }
}
