//! The naming rules AWS and The Things Network impose on what the fleet
//! file names: stacks, tables, things, thing types, groups, rules,
//! attributes, DevEUIs and MQTT topic filters.
//!
//! Each check returns `Err` with a sentence saying what would be right, so
//! the fleet file loader can report it next to the offending key. Checking
//! here, before any AWS call, is what lets `fleet validate` promise that a
//! file it accepts will not be refused by CloudFormation for a name.

/// The suffix fleet appends to the stack name for a thing shard stack,
/// with its three-digit number: `-things-000`.
pub const SHARD_SUFFIX_LEN: usize = "-things-000".len();

/// The longest stack name a fleet file may use, leaving room for the shard
/// suffix within CloudFormation's 128 characters.
pub const MAX_STACK_NAME: usize = 128 - SHARD_SUFFIX_LEN;

/// Characters AWS IoT accepts in thing attribute names.
const ATTRIBUTE_NAME_CHARS: &str = "_.,@/:#-";

/// Characters AWS IoT accepts in thing attribute values, beyond letters
/// and digits.
const ATTRIBUTE_VALUE_CHARS: &str = "_.,@/:#=[]-";

type Check = Result<(), String>;

fn all_chars(value: &str, extra: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

fn length(value: &str, min: usize, max: usize, what: &str) -> Check {
    let len = value.chars().count();
    if len < min {
        return Err(format!("{what} must be at least {min} characters long"));
    }
    if len > max {
        return Err(format!(
            "{what} must be at most {max} characters long, this one has {len}"
        ));
    }
    Ok(())
}

/// A CloudFormation stack name: a letter, then letters, digits and hyphens.
pub fn stack(name: &str) -> Check {
    // CloudFormation's own limit is 128, which a user may know; the limit
    // here is lower because of the shard stacks, and says so.
    let len = name.chars().count();
    if len > MAX_STACK_NAME {
        return Err(format!(
            "a stack name must be at most {MAX_STACK_NAME} characters long, this one has {len} \
             (the shard stacks add `-things-000` within CloudFormation's 128)"
        ));
    }
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_alphabetic());
    if !starts_with_letter || !all_chars(name, "-") {
        return Err(
            "a stack name starts with a letter and has only letters, digits and `-` \
                    (e.g. `backyard-cats`)"
                .into(),
        );
    }
    Ok(())
}

/// A DynamoDB table name: 3 to 255 of letters, digits, `_`, `-` and `.`.
pub fn table(name: &str) -> Check {
    length(name, 3, 255, "a table name")?;
    if !all_chars(name, "_-.") {
        return Err("a table name has only letters, digits, `_`, `-` and `.`".into());
    }
    Ok(())
}

/// An IoT thing, thing type or thing group name: letters, digits, `:`, `_`
/// and `-`, at most 128 characters.
pub fn iot(name: &str, what: &str) -> Check {
    length(name, 1, 128, what)?;
    if !all_chars(name, ":_-") {
        return Err(format!("{what} has only letters, digits, `:`, `_` and `-`"));
    }
    Ok(())
}

/// An IoT topic rule name: letters, digits and `_`.
pub fn rule(name: &str) -> Check {
    length(name, 1, 128, "a rule name")?;
    if !all_chars(name, "_") {
        return Err("a rule name has only letters, digits and `_` (no `-`): \
                    e.g. `backyard_cats_uplinks`"
            .into());
    }
    Ok(())
}

/// A The Things Network identifier (application or device id): lowercase
/// letters and digits, single hyphens between them, 3 to 36 characters.
/// Every such id is also a valid thing name.
pub fn ttn_id(id: &str, what: &str) -> Check {
    length(id, 3, 36, what)?;
    let allowed = id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !allowed || id.starts_with('-') || id.ends_with('-') || id.contains("--") {
        return Err(format!(
            "{what} has only lowercase letters, digits and single `-` between them, \
             as The Things Network requires (e.g. `snowy-lgt92`)"
        ));
    }
    Ok(())
}

/// A cat's name: used on the command line and stored as a thing attribute
/// value, so it follows the attribute value rules, and stays short.
pub fn cat(name: &str) -> Check {
    length(name, 1, 64, "a cat name")?;
    if !all_chars(name, "_.-") {
        return Err("a cat name has only letters, digits, `_`, `.` and `-` \
                    (it is stored as a thing attribute, which allows no spaces)"
            .into());
    }
    Ok(())
}

/// A thing attribute name.
pub fn attribute_name(name: &str) -> Check {
    length(name, 1, 128, "an attribute name")?;
    if !all_chars(name, ATTRIBUTE_NAME_CHARS) {
        return Err(format!(
            "an attribute name has only letters, digits and `{ATTRIBUTE_NAME_CHARS}`"
        ));
    }
    Ok(())
}

/// A thing attribute value.
pub fn attribute_value(value: &str) -> Check {
    length(value, 0, 800, "an attribute value")?;
    if !all_chars(value, ATTRIBUTE_VALUE_CHARS) {
        return Err(format!(
            "an attribute value has only letters, digits and `{ATTRIBUTE_VALUE_CHARS}` \
             (no spaces: write `tabby-and-white`)"
        ));
    }
    Ok(())
}

/// A LoRaWAN DevEUI: 16 hexadecimal digits.
pub fn dev_eui(eui: &str) -> Check {
    const EXAMPLE: &str = "(e.g. `70B3D57ED005A1B2`)";
    // Labels often print the DevEUI in pairs, as `70-B3-...` or `70:B3:...`.
    let digits: String = eui.chars().filter(|c| !"-: ".contains(*c)).collect();
    if let Some(c) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!(
            "a DevEUI is 16 hexadecimal digits, 0-9 and A-F, and `{c}` is not one {EXAMPLE}"
        ));
    }

    match digits.len() {
        16 if digits == eui => Ok(()),
        16 => Err(format!(
            "a DevEUI is 16 hexadecimal digits without separators: write `{}`",
            digits.to_ascii_uppercase()
        )),
        n => Err(format!(
            "a DevEUI is 16 hexadecimal digits, this one has {n} {EXAMPLE}"
        )),
    }
}

/// An AWS region code such as `eu-west-1`.
pub fn region(code: &str) -> Check {
    let parts: Vec<&str> = code.split('-').collect();
    let letters = |p: &&str| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase());
    let shaped = parts.len() >= 3
        && parts[..parts.len() - 1].iter().all(letters)
        && parts[0].len() == 2
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if shaped {
        return Ok(());
    }

    // `eu-west-1a` is an availability zone, which the console shows often.
    let zone_of = code.strip_suffix(|c: char| c.is_ascii_lowercase());
    if let Some(region) = zone_of.filter(|r| region(r).is_ok()) {
        return Err(format!(
            "that is an availability zone; its region is `{region}`"
        ));
    }
    Err("a region looks like `eu-west-1` or `us-east-2`".into())
}

/// An MQTT topic filter as AWS IoT rules accept it: `+` stands for a whole
/// level, `#` only as the whole last level, at most 8 levels.
pub fn topic_filter(filter: &str) -> Check {
    if filter.is_empty() {
        return Err("a topic filter cannot be empty".into());
    }
    if filter.starts_with('$') {
        return Err("topics starting with `$` are reserved by AWS IoT".into());
    }
    let levels: Vec<&str> = filter.split('/').collect();
    if levels.len() > 8 {
        return Err(format!(
            "a topic filter has at most 8 levels, this one has {}",
            levels.len()
        ));
    }
    for (i, level) in levels.iter().enumerate() {
        let last = i + 1 == levels.len();
        if level.contains('#') && (*level != "#" || !last) {
            return Err(
                "`#` must be the whole last level of a topic filter (e.g. `v3/+/#`)".into(),
            );
        }
        if level.contains('+') && *level != "+" {
            return Err(
                "`+` must be a whole level of a topic filter (e.g. `+/devices/+/up`)".into(),
            );
        }
    }
    if filter.chars().any(|c| c.is_control() || c == '\'') {
        return Err("a topic filter cannot hold quotes or control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names() {
        assert!(stack("backyard-cats").is_ok());
        assert!(stack("1cats").is_err());
        assert!(stack("cats_home").is_err());
        assert!(stack("").is_err());
        assert!(stack(&"a".repeat(MAX_STACK_NAME)).is_ok());
        assert!(stack(&"a".repeat(MAX_STACK_NAME + 1)).is_err());
    }

    #[test]
    fn ttn_ids() {
        assert!(ttn_id("snowy-lgt92", "a device id").is_ok());
        for bad in [
            "Snowy",
            "ab",
            "-abc",
            "abc-",
            "a--b",
            "a_b",
            &"a".repeat(37),
        ] {
            assert!(ttn_id(bad, "a device id").is_err(), "{bad}");
        }
    }

    #[test]
    fn attributes() {
        assert!(attribute_value("tabby-and-white").is_ok());
        assert!(attribute_value("").is_ok());
        assert!(attribute_value("tabby and white").is_err());
        assert!(attribute_name("owner").is_ok());
        assert!(attribute_name("the owner").is_err());
    }

    #[test]
    fn regions() {
        for good in ["eu-west-1", "us-gov-west-1", "ap-southeast-2"] {
            assert!(region(good).is_ok(), "{good}");
        }
        for bad in [
            "eu-west",
            "EU-WEST-1",
            "euwest1",
            "e-west-1",
            "eu-west-x",
            "eu-west-1a",
        ] {
            assert!(region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn topic_filters() {
        assert!(topic_filter("+/devices/+/up").is_ok());
        assert!(topic_filter("v3/cats@ttn/devices/+/up").is_ok());
        assert!(topic_filter("v3/#").is_ok());
        for bad in [
            "",
            "a/#/b",
            "a/b#",
            "a+/b",
            "$aws/things",
            "a/b/c/d/e/f/g/h/i",
        ] {
            assert!(topic_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dev_euis() {
        assert!(dev_eui("70B3D57ED005A1B2").is_ok());
        assert!(dev_eui("70b3d57ed005a1b2").is_ok());
        assert!(dev_eui("70B3D57ED005A1B").is_err());
        assert!(dev_eui("70B3D57ED005A1BZ").is_err());
        assert!(dev_eui("70-B3-D5-7E-D0-05-A1-B2").is_err());
        assert!(dev_eui("70B3D57ED005A1B-").is_err());
        assert!(dev_eui("").is_err());
        assert!(dev_eui("0000000000000001").is_ok());
    }
}
