//! Reading a YAML document as a tree of positioned nodes, and the small
//! vocabulary the fleet file loader uses on it: "this is a mapping with
//! these keys", "this is a string", "this is a whole number".
//!
//! serde stops at the first problem; a person fixing a fleet file wants
//! every problem at once, each with its line, column and key. So the
//! loader walks saphyr's marked tree itself and records a [`Problem`] for
//! everything wrong, going on wherever it sensibly can.

use saphyr::{LoadableYamlNode, MarkedYaml, ScalarStyle, Tag, YamlData, YamlLoader};
use saphyr_parser::{Event, Parser, ScanError, Span, SpannedEventReceiver};

use super::problem::{Pos, Problem};

pub type Node<'a> = MarkedYaml<'a>;

/// Parses `text` into its single document, keeping every scalar as the
/// text the user wrote so that `0042` stays `0042` where a string is meant.
pub fn parse(text: &str) -> Result<Node<'_>, Problem> {
    let mut loader: YamlLoader<'_, Node<'_>> = YamlLoader::default();
    loader.early_parse(false);

    let mut tracker = FlowTracker::new(&mut loader, text);
    let mut parser = Parser::new_from_str(text);
    let scan = parser.load(&mut tracker, true);
    let open_flow = tracker.innermost();
    let error = scan.err().or_else(|| loader.error().cloned());
    if let Some(e) = error {
        return Err(syntax_problem(text, &e, open_flow));
    }

    let mut docs = loader.into_documents();
    match docs.len() {
        0 => Err(no_fleet()),
        1 if is_null_node(&docs[0]) => Err(no_fleet()),
        1 => Ok(docs.remove(0)),
        _ => Err(Problem::new(
            pos_of(&docs[1]),
            "",
            "the file holds more than one YAML document; keep one fleet per file",
        )),
    }
}

/// The problem of a file that is empty, only comments, or only `---`.
fn no_fleet() -> Problem {
    Problem::new(
        Pos { line: 1, col: 1 },
        "",
        "the file declares nothing; a fleet file needs at least `stack`, `ttn` and `cats` \
         (`fleet init` writes a starter)",
    )
}

/// Passes the parser's events on to the loader, remembering which flow
/// collections (`[...]`, `{...}`) are open: YAML reports an unclosed `[`
/// only where it gives up, often lines later, so the problem can point at
/// the bracket instead.
struct FlowTracker<'l, 'a> {
    loader: &'l mut YamlLoader<'a, Node<'a>>,
    lines: Vec<&'a str>,
    /// Every open collection, innermost last: its opening bracket and
    /// where it stands, or `None` for a block collection.
    open: Vec<Option<(Pos, char)>>,
}

impl<'l, 'a> FlowTracker<'l, 'a> {
    fn new(loader: &'l mut YamlLoader<'a, Node<'a>>, text: &'a str) -> Self {
        FlowTracker {
            loader,
            lines: text.lines().collect(),
            open: Vec::new(),
        }
    }

    /// The innermost flow collection still open.
    fn innermost(&self) -> Option<(Pos, char)> {
        self.open.iter().rev().find_map(|o| *o)
    }

    fn bracket_at(&self, span: Span) -> Option<(Pos, char)> {
        let (line, col) = (span.start.line(), span.start.col());
        let c = self.lines.get(line.checked_sub(1)?)?.chars().nth(col)?;
        let pos = Pos { line, col: col + 1 };
        matches!(c, '[' | '{').then_some((pos, c))
    }
}

impl<'a> SpannedEventReceiver<'a> for FlowTracker<'_, 'a> {
    fn on_event(&mut self, ev: Event<'a>, span: Span) {
        match ev {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                let bracket = self.bracket_at(span);
                self.open.push(bracket);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.open.pop();
            }
            _ => {}
        }
        self.loader.on_event(ev, span);
    }
}

/// Plain words for what the YAML parser's messages usually mean in a
/// hand-written file.
const SYNTAX_HINTS: &[(&str, &str)] = &[
    (
        "mapping values are not allowed",
        "check this line's indentation, and quote a value that holds `: `",
    ),
    (
        "did not find expected key",
        "check this line's indentation against the lines above it",
    ),
    (
        "did not find expected '-'",
        "check this line's indentation against the lines above it",
    ),
    ("quoted scalar", "is the quote that opens here closed?"),
    (
        "simple key expect",
        "does a `:` on this line or the one above lack the space after it?",
    ),
    ("in flow construct", "is a `[` or `{` above left open?"),
];

/// The problem for a file that is not valid YAML, pointing where the
/// mistake most likely is rather than where the parser gave up.
fn syntax_problem(text: &str, e: &ScanError, open_flow: Option<(Pos, char)>) -> Problem {
    let at = Pos {
        line: e.marker().line(),
        col: e.marker().col() + 1,
    };
    let info = e.info();

    if let Some((pos, bracket)) = open_flow.filter(|(pos, _)| pos.line < at.line) {
        let close = if bracket == '[' { ']' } else { '}' };
        let message = format!(
            "this is not valid YAML: the `{bracket}` here is not closed by a `{close}` \
             before line {}",
            at.line
        );
        return Problem::new(pos, "", message);
    }
    if info.contains("tab")
        && let Some(pos) = indenting_tab(text, at.line)
    {
        let message = "this is not valid YAML: this line is indented with a tab; \
                       YAML indents with spaces only";
        return Problem::new(pos, "", message);
    }
    if info == "duplicated key in mapping"
        && let Some(key) = key_at(text, at)
    {
        let message = format!(
            "this is not valid YAML: the key `{key}` appears twice in one mapping; keep one"
        );
        return Problem::new(at, "", message);
    }

    let hint = SYNTAX_HINTS
        .iter()
        .find(|(phrase, _)| info.contains(phrase))
        .map(|(_, hint)| format!("; {hint}"))
        .unwrap_or_default();
    Problem::new(at, "", format!("this is not valid YAML: {info}{hint}"))
}

/// The first tab in the indentation of line `from` or the one after it,
/// where the parser reports a tab it tripped over.
fn indenting_tab(text: &str, from: usize) -> Option<Pos> {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .take(2)
        .find_map(|(i, line)| {
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            let col = line[..indent].find('\t')?;
            Some(Pos {
                line: i + 1,
                col: col + 1,
            })
        })
}

/// The plain key written at `pos`, up to its `:`.
fn key_at(text: &str, pos: Pos) -> Option<String> {
    let line = text.lines().nth(pos.line.checked_sub(1)?)?;
    let rest: String = line.chars().skip(pos.col - 1).collect();
    let key = rest.split(':').next()?.trim().trim_matches(['"', '\'']);
    (!key.is_empty()).then(|| key.to_string())
}

/// The 1-based position at which a node starts.
pub fn pos_of(node: &Node<'_>) -> Pos {
    let start = node.span.start;
    Pos {
        line: start.line(),
        col: start.col() + 1,
    }
}

/// What a node holds, for "expected X, found Y" messages: a scalar as
/// written, so `yes` shows as `yes` rather than as "a string".
pub fn found(node: &Node<'_>) -> String {
    match &node.data {
        _ if is_null_node(node) => "nothing".to_string(),
        YamlData::Representation(text, ScalarStyle::Plain, None) => format!("`{}`", shown(text)),
        YamlData::Representation(text, _, None) => format!("the quoted string `{}`", shown(text)),
        YamlData::Sequence(_) => "a list".to_string(),
        YamlData::Mapping(_) => "a mapping".to_string(),
        YamlData::Representation(..) | YamlData::Tagged(..) => "a tagged value".to_string(),
        YamlData::Value(_) | YamlData::Alias(_) | YamlData::BadValue => {
            "an unreadable value".to_string()
        }
    }
}

/// A value as messages quote it: a long one is cut, so that a 256
/// character name does not bury the message that follows it.
pub fn shown(value: &str) -> String {
    const MAX: usize = 48;
    if value.chars().count() <= MAX {
        return value.to_string();
    }
    let head: String = value.chars().take(MAX - 8).collect();
    let tail: String = value.chars().skip(value.chars().count() - 4).collect();
    format!("{head}...{tail}")
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// Whether the node is YAML's null: an empty value, `~` or `null`.
pub fn is_null_node(node: &Node<'_>) -> bool {
    matches!(&node.data, YamlData::Representation(t, ScalarStyle::Plain, None) if is_null(t))
}

/// Collects problems while the loader walks the tree.
#[derive(Default)]
pub struct Reader {
    pub problems: Vec<Problem>,
}

/// The entries of one mapping, looked up by key. Keys the caller does not
/// know were already reported when the mapping was opened.
pub struct Fields<'n, 'a> {
    path: String,
    pos: Pos,
    /// Each known key with the position of the key itself and its value.
    entries: Vec<(&'n str, Pos, &'n Node<'a>)>,
    /// Known keys offered as "did you mean" for an unknown one: when such a
    /// key is missing, the misspelling was its problem and is reported once.
    suggested: Vec<String>,
}

impl Reader {
    pub fn report(&mut self, node: &Node<'_>, key: &str, message: impl Into<String>) {
        self.report_at(pos_of(node), key, message);
    }

    pub fn report_at(&mut self, pos: Pos, key: &str, message: impl Into<String>) {
        self.problems.push(Problem::new(pos, key, message));
    }

    fn expected(&mut self, node: &Node<'_>, key: &str, what: &str) {
        let found = found(node);
        self.report(node, key, format!("expected {what}, found {found}"));
    }

    /// Opens a mapping whose keys must be among `known`, reporting every
    /// other key with the closest known one as a suggestion.
    pub fn mapping<'n, 'a>(
        &mut self,
        node: &'n Node<'a>,
        path: &str,
        known: &[&str],
    ) -> Option<Fields<'n, 'a>> {
        let YamlData::Mapping(map) = &node.data else {
            let what = format!("a mapping (with the keys {})", key_list(known));
            self.expected(node, path, &what);
            return None;
        };

        let mut entries = Vec::with_capacity(map.len());
        let mut suggested = Vec::new();
        for (key, value) in map {
            let Some(name) = scalar_text(key) else {
                self.report(key, path, "keys must be plain names");
                continue;
            };
            if known.contains(&name) {
                entries.push((name, pos_of(key), value));
                continue;
            }
            let full = join(path, name);
            let closest = closest_key(name, known);
            let message = match closest {
                Some(k) => format!("unknown key `{name}`; did you mean `{k}`?"),
                None => format!("unknown key `{name}`; expected one of {}", key_list(known)),
            };
            self.report(key, &full, message);
            suggested.extend(closest.map(str::to_string));
        }

        Some(Fields {
            path: path.to_string(),
            pos: pos_of(node),
            entries,
            suggested,
        })
    }

    /// A string, from any scalar exactly as written (so `0042` stays).
    pub fn string(&mut self, node: &Node<'_>, key: &str) -> Option<String> {
        match scalar_text(node) {
            Some(text) if !is_null_node(node) => Some(text.to_string()),
            _ => {
                self.expected(node, key, "a string");
                None
            }
        }
    }

    /// A whole number within `min..=max`.
    pub fn integer(&mut self, node: &Node<'_>, key: &str, min: u32, max: u32) -> Option<u32> {
        let text = plain_text(node);
        let Some(number) = text.and_then(|t| t.parse::<i64>().ok()) else {
            self.expected(node, key, "a whole number");
            return None;
        };
        if number < i64::from(min) || number > i64::from(max) {
            self.report(
                node,
                key,
                format!("must be between {min} and {max}, found {number}"),
            );
            return None;
        }
        u32::try_from(number).ok()
    }

    pub fn boolean(&mut self, node: &Node<'_>, key: &str) -> Option<bool> {
        match plain_text(node) {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => {
                self.expected(node, key, "`true` or `false`");
                None
            }
        }
    }

    pub fn sequence<'n, 'a>(&mut self, node: &'n Node<'a>, key: &str) -> Option<&'n [Node<'a>]> {
        match &node.data {
            YamlData::Sequence(items) => Some(items),
            _ => {
                self.expected(node, key, "a list");
                None
            }
        }
    }

    /// A list of strings; a single string is not accepted as a list of one
    /// because that is usually a mistake in indentation, but the message
    /// shows how to write it as one.
    pub fn strings(&mut self, node: &Node<'_>, key: &str) -> Vec<(String, Pos)> {
        if let Some(text) = scalar_text(node).filter(|_| !is_null_node(node)) {
            let message = format!("expected a list, found `{text}`; write `[{text}]`");
            self.report(node, key, message);
            return Vec::new();
        }
        let Some(items) = self.sequence(node, key) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let text = self.string(item, &format!("{key}[{i}]"))?;
                Some((text, pos_of(item)))
            })
            .collect()
    }
}

impl<'n, 'a> Fields<'n, 'a> {
    /// The value under `key`, unless absent or null.
    pub fn get(&self, key: &str) -> Option<&'n Node<'a>> {
        let (_, _, value) = self.entry(key)?;
        (!is_null_node(value)).then_some(value)
    }

    fn entry(&self, key: &str) -> Option<(&'n str, Pos, &'n Node<'a>)> {
        self.entries.iter().find(|(name, ..)| *name == key).copied()
    }

    /// The value under `key`, reporting it as missing when absent or
    /// empty, unless an unknown key was already taken for its misspelling.
    pub fn require(&self, reader: &mut Reader, key: &str, hint: &str) -> Option<&'n Node<'a>> {
        let value = self.get(key);
        if value.is_some() || self.suggested.iter().any(|s| s == key) {
            return value;
        }
        match self.entry(key) {
            Some((_, pos, _)) => {
                reader.report_at(
                    pos,
                    &self.path(key),
                    format!("has no value; expected {hint}"),
                );
            }
            None => {
                let message = format!("`{key}` is required: {hint}");
                reader.report_at(self.pos, &self.path, message);
            }
        }
        None
    }

    /// The dotted path of a key in this mapping, for messages.
    pub fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    pub fn pos(&self) -> Pos {
        self.pos
    }

    /// The keys present, in file order.
    pub fn keys(&self) -> impl Iterator<Item = &'n str> + '_ {
        self.entries.iter().map(|(name, ..)| *name)
    }
}

/// Every entry of a free-form mapping (attributes, tags): key text, key
/// node and value node.
pub fn free_entries<'n, 'a>(
    reader: &mut Reader,
    node: &'n Node<'a>,
    path: &str,
) -> Vec<(String, &'n Node<'a>, &'n Node<'a>)> {
    let YamlData::Mapping(map) = &node.data else {
        reader.expected(node, path, "a mapping");
        return Vec::new();
    };
    map.iter()
        .filter_map(|(key, value)| match scalar_text(key) {
            Some(name) => Some((name.to_string(), key, value)),
            None => {
                reader.report(key, path, "keys must be plain names");
                None
            }
        })
        .collect()
}

/// The text of a scalar, untagged or tagged `!!str` (the way YAML says
/// "this is a string", as in `dev_eui: !!str 0000000000000001`).
fn scalar_text<'n>(node: &'n Node<'_>) -> Option<&'n str> {
    match &node.data {
        YamlData::Representation(text, _, None) => Some(text),
        YamlData::Representation(text, _, Some(tag)) if is_str_tag(tag) => Some(text),
        _ => None,
    }
}

fn is_str_tag(tag: &Tag) -> bool {
    tag.is_yaml_core_schema() && tag.suffix == "str"
}

fn plain_text<'n>(node: &'n Node<'_>) -> Option<&'n str> {
    match &node.data {
        YamlData::Representation(text, ScalarStyle::Plain, None) => Some(text),
        _ => None,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn key_list(known: &[&str]) -> String {
    known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The known key an unknown one most likely misspells: compared without
/// case, `_` and `-` (so `devEUI` finds `dev_eui`), within a few edits, or
/// as an abbreviation of at least three letters (`app` for `application`).
fn closest_key<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let folded = |s: &str| s.to_ascii_lowercase().replace(['_', '-'], "");
    let name = folded(name);
    known
        .iter()
        .map(|k| {
            let key = folded(k);
            let abbreviation = name.len() >= 3 && key.starts_with(&name);
            let distance = if abbreviation {
                0
            } else {
                strsim::damerau_levenshtein(&name, &key)
            };
            (distance, *k)
        })
        .filter(|(distance, k)| *distance <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k)
}

/// Parses a standalone document that is ours (the base templates), where a
/// problem is a bug, into JSON with plain scalars resolved as YAML 1.2 does.
pub fn to_json(text: &str) -> Result<serde_json::Value, String> {
    let docs = saphyr::Yaml::load_from_str(text).map_err(|e| e.to_string())?;
    let doc = docs.first().ok_or("empty document")?;
    Ok(yaml_to_json(doc))
}

fn yaml_to_json(yaml: &saphyr::Yaml<'_>) -> serde_json::Value {
    use saphyr::{Scalar, Yaml};
    use serde_json::Value;

    match yaml {
        Yaml::Value(Scalar::Null) => Value::Null,
        Yaml::Value(Scalar::Boolean(b)) => Value::Bool(*b),
        Yaml::Value(Scalar::Integer(i)) => Value::from(*i),
        Yaml::Value(Scalar::FloatingPoint(f)) => Value::from(f.into_inner()),
        Yaml::Value(Scalar::String(s)) => Value::String(s.to_string()),
        Yaml::Sequence(items) => items.iter().map(yaml_to_json).collect(),
        Yaml::Mapping(map) => map
            .iter()
            .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), yaml_to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        _ => Value::Null,
    }
}
