//! Adding a cat to the fleet file and removing one, for `fleet cat add`
//! and `fleet cat remove`, without disturbing anything else in the file.
//!
//! The fleet file is the user's own: its comments, key order, blank lines,
//! quoting and line endings must come back exactly as they were. No
//! maintained crate edits YAML that way, so the edit works on the text, at
//! the positions saphyr's marked tree gives, and in whole lines. An entry
//! of `cats` is the lines from its `-` to its last value, together with
//! the comments that describe it: those directly above its `-` and
//! indented like it, and those directly below its last value and indented
//! deeper than its `-`.
//!
//! A new cat goes after the last one and is written the way that one is:
//! the same columns for `-` and for the keys, the keys in the order the
//! loader lists them, `groups` as a flow list, `attributes` as a block
//! mapping, and a blank line before it when the last two entries are apart
//! by one (with only one entry, when `cats` itself stands apart from the
//! section above it). Comments after the last entry that are indented
//! into the list stay above the new cat; a comment at the top level stays
//! after it.
//!
//! Removing a cat takes its lines and the blank line that parted it from a
//! neighbouring entry, so the spacing of the rest stays regular.
//!
//! Neither function checks the cat against fleet's rules: the caller loads
//! the new text with [`super::from_str`] before writing it, which reports
//! any problem with its line and key.

use std::ops::Range;

use saphyr::{ScalarStyle, YamlData};
use saphyr_parser::Marker;

use super::problem::Problem;
use super::yaml::{self, Node};

/// A cat to add, as the command line gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCat {
    pub name: String,
    pub device: String,
    pub dev_eui: String,
    pub groups: Vec<String>,
    /// Written in this order.
    pub attributes: Vec<(String, String)>,
}

/// Why the fleet file's text could not be edited.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(
        "cannot edit the fleet file: line {}, column {}: {}",
        .0.pos.line,
        .0.pos.col,
        .0.message
    )]
    Syntax(Problem),
    #[error(
        "the fleet file is not a mapping of keys such as `stack:` and `cats:`; \
         `fleet validate` says what is wrong"
    )]
    NotAFleet,
    #[error("the fleet file has no `cats` list; add `cats:` at the top level and run again")]
    NoCats,
    #[error(
        "`cats` on line {line} is a flow list (`cats: [...]`), which fleet cannot change \
         without rewriting it; write it as a block list, one `- name: ...` entry per cat \
         (as `fleet init` does), and run again"
    )]
    FlowCats { line: usize },
    #[error(
        "`cats` on line {line} is {found}, not a list of cats; write it as a block list, \
         one `- name: ...` entry per cat"
    )]
    NotAList { line: usize, found: String },
    #[error(
        "the entry of `cats` on line {line} is {found}, not a mapping such as \
         `- name: Snowy`; fix it by hand (`fleet validate` shows how)"
    )]
    NotAMapping { line: usize, found: String },
    #[error(
        "cannot tell where the entry of `cats` on line {line} begins: fleet expects its `-` \
         and then its first key, with only spaces or a line break between them (no anchor, \
         tag or comment); edit that entry by hand"
    )]
    Layout { line: usize },
    #[error(
        "the fleet already has a cat `{name}` (line {line}; names are compared ignoring \
         case); choose another name, or first remove that cat with `fleet cat remove {name}`"
    )]
    Duplicate { name: String, line: usize },
    #[error("there is no cat `{name}` in the fleet file{}", not_found_hint(.closest, .names))]
    NotFound {
        name: String,
        /// The cat whose name is nearest, if any is near.
        closest: Option<String>,
        /// Every cat in the file.
        names: Vec<String>,
    },
    #[error(
        "`{name}` is the fleet's only cat, and a fleet needs at least one; add the cat \
         that replaces it first (`fleet cat add`), then remove `{name}`"
    )]
    LastCat { name: String },
    #[error(
        "two cats are named `{name}` when case is ignored (lines {first} and {second}); \
         rename or remove one of them by hand"
    )]
    Ambiguous {
        name: String,
        first: usize,
        second: usize,
    },
}

/// How many names a "no such cat" message lists.
const NAMES_SHOWN: usize = 8;

fn not_found_hint(closest: &Option<String>, names: &[String]) -> String {
    if let Some(closest) = closest {
        return format!("; did you mean `{closest}`?");
    }
    if names.is_empty() {
        return "; its `cats` list is empty".to_string();
    }
    let shown: Vec<String> = names
        .iter()
        .take(NAMES_SHOWN)
        .map(|n| format!("`{n}`"))
        .collect();
    let more = names.len().saturating_sub(NAMES_SHOWN);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("; its cats are {}{more}", shown.join(", "))
}

/// Returns `text` with `cat` appended to its `cats` list.
pub fn add_cat(text: &str, cat: &NewCat) -> Result<String, EditError> {
    let lines = Lines::new(text);
    let root = yaml::parse(text).map_err(EditError::Syntax)?;
    let list = CatList::read(&lines, &root)?;
    if let Some(existing) = list.entries.iter().find(|e| e.is_named(&cat.name)) {
        return Err(EditError::Duplicate {
            name: existing.name.clone().unwrap_or_default(),
            line: existing.dash + 1,
        });
    }

    let layout = list.layout(&lines, &root);
    let entry = entry_lines(cat, &layout);
    Ok(lines.insert(list.insertion_line(&lines), &entry, layout.blank))
}

/// Returns `text` without the cat named `name`, compared ignoring ASCII
/// case.
pub fn remove_cat(text: &str, name: &str) -> Result<String, EditError> {
    let lines = Lines::new(text);
    let root = yaml::parse(text).map_err(EditError::Syntax)?;
    let list = CatList::read(&lines, &root)?;
    let index = list.position(name)?;
    if list.entries.len() == 1 {
        let name = list.entries[index].name.clone().unwrap_or_default();
        return Err(EditError::LastCat { name });
    }

    let doomed = list.removed_lines(&lines, index);
    Ok(lines.remove(doomed))
}

/// The fleet file's text as lines, and the way from saphyr's positions,
/// which count chars, to byte offsets.
struct Lines<'t> {
    text: &'t str,
    /// Where each line starts, in bytes; a line runs to the next one's
    /// start, its line break included.
    starts: Vec<usize>,
    /// The byte offset of every char, then the text's length.
    chars: Vec<usize>,
    /// The line break the file uses, judged by its first line.
    eol: &'static str,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&start| start < text.len())
            .collect();
        let chars = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        let eol = match text.find('\n') {
            Some(i) if text[..i].ends_with('\r') => "\r\n",
            _ => "\n",
        };
        Lines {
            text,
            starts,
            chars,
            eol,
        }
    }

    fn count(&self) -> usize {
        self.starts.len()
    }

    fn byte(&self, at: Marker) -> usize {
        self.chars[at.index().min(self.chars.len() - 1)]
    }

    /// The line holding the byte at `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// The line where the node at `at` starts.
    fn line_at(&self, at: Marker) -> usize {
        self.line_of(self.byte(at))
    }

    /// The bytes of a run of lines, line breaks included.
    fn bytes(&self, lines: Range<usize>) -> Range<usize> {
        let start = self.starts.get(lines.start).copied();
        let end = self.starts.get(lines.end).copied();
        start.unwrap_or(self.text.len())..end.unwrap_or(self.text.len())
    }

    /// A line without its line break.
    fn line(&self, i: usize) -> &'t str {
        self.text[self.bytes(i..i + 1)].trim_end_matches(['\n', '\r'])
    }

    fn indent(&self, i: usize) -> usize {
        let line = self.line(i);
        line.len() - line.trim_start_matches(' ').len()
    }

    fn is_blank(&self, i: usize) -> bool {
        self.line(i).trim().is_empty()
    }

    fn is_comment(&self, i: usize) -> bool {
        self.line(i).trim_start().starts_with('#')
    }

    /// Whether a line of values (not blank, not a comment) follows `i`
    /// indented deeper than `col`.
    fn value_follows(&self, i: usize, col: usize) -> bool {
        let next = i + 1;
        next < self.count()
            && !self.is_blank(next)
            && !self.is_comment(next)
            && self.indent(next) > col
    }

    /// The text with `entry` inserted after line `after`, a blank line
    /// before it if `blank`.
    fn insert(&self, after: usize, entry: &[String], blank: bool) -> String {
        let at = self.bytes(after..after + 1).end;
        let terminated = self.text[..at].ends_with('\n');
        let mut out = String::with_capacity(self.text.len() + 40 * (entry.len() + 1));
        out.push_str(&self.text[..at]);
        // After a last line without a line break, the new entry's last
        // line goes without one, as the file's did.
        if !terminated {
            out.push_str(self.eol);
        }
        if blank {
            out.push_str(self.eol);
        }
        for (i, line) in entry.iter().enumerate() {
            out.push_str(line);
            if terminated || i + 1 < entry.len() {
                out.push_str(self.eol);
            }
        }
        out.push_str(&self.text[at..]);
        out
    }

    /// The text without `lines`.
    fn remove(&self, lines: Range<usize>) -> String {
        let bytes = self.bytes(lines);
        let mut out = format!("{}{}", &self.text[..bytes.start], &self.text[bytes.end..]);
        // Removing the last lines must not give the file a final line
        // break it did not have.
        if !self.text.ends_with('\n') && out.ends_with('\n') {
            let kept = out.len() - if out.ends_with("\r\n") { 2 } else { 1 };
            out.truncate(kept);
        }
        out
    }
}

/// The `cats` list as the file lays it out.
struct CatList {
    key_line: usize,
    key_col: usize,
    entries: Vec<Entry>,
}

/// One cat's entry; lines count from 0.
struct Entry {
    name: Option<String>,
    /// Its first line: the first of the comments above it, or its `-`.
    first: usize,
    /// The line of its `-`, and that `-`'s column.
    dash: usize,
    dash_col: usize,
    /// Its last line: its last value, or the last comment below that.
    last: usize,
    /// The column of its keys, unless it is a flow mapping.
    key_col: Option<usize>,
    /// The column of the keys under `attributes`, if a block mapping.
    attributes_col: Option<usize>,
}

/// How a new entry is laid out.
struct Layout {
    dash_col: usize,
    key_col: usize,
    /// How much deeper than a key the keys under it stand.
    step: usize,
    /// Whether a blank line parts entries.
    blank: bool,
}

impl CatList {
    fn read(lines: &Lines<'_>, root: &Node<'_>) -> Result<CatList, EditError> {
        let YamlData::Mapping(map) = &root.data else {
            return Err(EditError::NotAFleet);
        };
        let (key, value) = map
            .iter()
            .find(|(key, _)| scalar_text(key) == Some("cats"))
            .ok_or(EditError::NoCats)?;

        let key_line = lines.line_at(key.span.start);
        let line = key_line + 1;
        let items: &[Node<'_>] = match &value.data {
            YamlData::Sequence(_) if is_flow(lines, value) => {
                return Err(EditError::FlowCats { line });
            }
            YamlData::Sequence(items) => items,
            YamlData::Representation(text, ScalarStyle::Plain, None) if text.is_empty() => &[],
            _ => {
                let found = yaml::found(value);
                return Err(EditError::NotAList { line, found });
            }
        };

        let mut entries: Vec<Entry> = Vec::with_capacity(items.len());
        for item in items {
            let floor = entries.last().map_or(key_line, |e| e.last);
            entries.push(Entry::read(lines, item, floor)?);
        }
        Ok(CatList {
            key_line,
            key_col: key.span.start.col(),
            entries,
        })
    }

    /// The index of the one entry named `name`.
    fn position(&self, name: &str) -> Result<usize, EditError> {
        let mut found = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.is_named(name));
        match (found.next(), found.next()) {
            (Some((index, _)), None) => Ok(index),
            (Some((_, first)), Some((_, second))) => Err(EditError::Ambiguous {
                name: name.to_string(),
                first: first.dash + 1,
                second: second.dash + 1,
            }),
            (None, _) => Err(self.not_found(name)),
        }
    }

    fn not_found(&self, name: &str) -> EditError {
        let names: Vec<String> = self.entries.iter().filter_map(|e| e.name.clone()).collect();
        let lower = name.to_ascii_lowercase();
        let near = (name.chars().count() / 3).max(1);
        let closest = names
            .iter()
            .map(|n| (strsim::levenshtein(&lower, &n.to_ascii_lowercase()), n))
            .filter(|(distance, _)| *distance <= near)
            .min()
            .map(|(_, n)| n.clone());
        EditError::NotFound {
            name: name.to_string(),
            closest,
            names,
        }
    }

    /// The lines removing entry `index` takes: the entry, and one blank
    /// line that parted it from the next entry or, for the last entry,
    /// from the one before.
    fn removed_lines(&self, lines: &Lines<'_>, index: usize) -> Range<usize> {
        let entry = &self.entries[index];
        let (first, last) = (entry.first, entry.last);
        match self.entries.get(index + 1) {
            Some(next) if last + 1 < next.first && lines.is_blank(last + 1) => first..last + 2,
            Some(_) => first..last + 1,
            None => {
                let previous = &self.entries[index - 1];
                if first > previous.last + 1 && lines.is_blank(first - 1) {
                    first - 1..last + 1
                } else {
                    first..last + 1
                }
            }
        }
    }

    /// How a new entry is laid out, following the last entry.
    fn layout(&self, lines: &Lines<'_>, root: &Node<'_>) -> Layout {
        let step = self
            .entries
            .iter()
            .rev()
            .find_map(|e| e.attributes_col?.checked_sub(e.key_col?))
            .filter(|&step| step > 0)
            .or_else(|| section_step(root))
            .unwrap_or(2);

        let Some(last) = self.entries.last() else {
            let dash_col = self.key_col + step;
            let key_col = dash_col + 2;
            let blank = false;
            return Layout {
                dash_col,
                key_col,
                step,
                blank,
            };
        };
        let key_col = last.key_col.unwrap_or(0).max(last.dash_col + 2);
        let blank = match self.entries.len() {
            1 => self.key_set_apart(lines),
            n => (self.entries[n - 2].last + 1..last.first).any(|i| lines.is_blank(i)),
        };
        Layout {
            dash_col: last.dash_col,
            key_col,
            step,
            blank,
        }
    }

    /// Whether a blank line parts `cats`, with the comments above it, from
    /// what comes before: with one entry there is no spacing to follow, and
    /// a file whose sections stand apart (as fleet's sample and `fleet
    /// init` write them) reads best with its cats apart too.
    fn key_set_apart(&self, lines: &Lines<'_>) -> bool {
        let mut top = self.key_line;
        while top > 0 && lines.is_comment(top - 1) {
            top -= 1;
        }
        top > 0 && lines.is_blank(top - 1)
    }

    /// The line a new entry goes after: the last entry's last line, or a
    /// later comment indented into the list. A comment at the top level
    /// (when `-` stands at the column of `cats`, one that a blank line
    /// parts from the list or that sits directly above the next key)
    /// stays after the new entry.
    fn insertion_line(&self, lines: &Lines<'_>) -> usize {
        let Some(last) = self.entries.last() else {
            return self.comments_below_key(lines);
        };

        let mut after = last.last;
        let mut parted = false;
        for i in last.last + 1..lines.count() {
            if lines.is_blank(i) {
                parted = true;
                continue;
            }
            if !lines.is_comment(i) {
                break;
            }
            let indent = lines.indent(i);
            let in_list = indent > self.key_col
                || (indent >= last.dash_col && !parted && !heads_key(lines, i));
            if !in_list {
                break;
            }
            after = i;
        }
        after
    }

    /// The `cats` key's line, or the last of the comments indented under
    /// it, where the first entry of an empty list goes.
    fn comments_below_key(&self, lines: &Lines<'_>) -> usize {
        let mut after = self.key_line;
        while after + 1 < lines.count()
            && lines.is_comment(after + 1)
            && lines.indent(after + 1) > self.key_col
        {
            after += 1;
        }
        after
    }
}

impl Entry {
    /// Whether the entry's name is `name`, ignoring ASCII case.
    fn is_named(&self, name: &str) -> bool {
        self.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    }

    /// Reads the entry for `item`; `floor` is the last line above it that
    /// belongs to something else.
    fn read(lines: &Lines<'_>, item: &Node<'_>, floor: usize) -> Result<Entry, EditError> {
        let start = lines.byte(item.span.start);
        let line = lines.line_of(start) + 1;
        let YamlData::Mapping(map) = &item.data else {
            let found = yaml::found(item);
            return Err(EditError::NotAMapping { line, found });
        };
        let dash_at = dash_before(lines, start).ok_or(EditError::Layout { line })?;
        let dash = lines.line_of(dash_at);
        let dash_col = dash_at - lines.bytes(dash..dash + 1).start;

        let value = |key: &str| {
            map.iter()
                .find(|(k, _)| scalar_text(k) == Some(key))
                .map(|(_, v)| v)
        };
        let block = !is_flow(lines, item);
        let attributes_col = value("attributes")
            .filter(|v| matches!(v.data, YamlData::Mapping(_)) && !is_flow(lines, v))
            .map(|v| v.span.start.col());

        Ok(Entry {
            name: value("name").and_then(scalar_text).map(str::to_string),
            first: comments_above(lines, dash, dash_col, floor),
            dash,
            dash_col,
            last: last_line(lines, item, dash, dash_col),
            key_col: block.then(|| item.span.start.col()),
            attributes_col,
        })
    }
}

/// The byte offset of the `-` that introduces the entry starting at
/// `start`, if only spaces and line breaks lie between them and only
/// spaces before it on its line.
fn dash_before(lines: &Lines<'_>, start: usize) -> Option<usize> {
    let before = lines.text[..start].trim_end_matches([' ', '\t', '\r', '\n']);
    let dash = before.strip_suffix('-')?.len();
    let line_start = lines
        .bytes(lines.line_of(dash)..lines.line_of(dash) + 1)
        .start;
    lines.text[line_start..dash]
        .bytes()
        .all(|b| b == b' ')
        .then_some(dash)
}

/// The first of the comment lines directly above `dash` at its column,
/// staying below `floor`; `dash` itself if there are none.
fn comments_above(lines: &Lines<'_>, dash: usize, dash_col: usize, floor: usize) -> usize {
    let mut first = dash;
    while first > floor + 1 && lines.is_comment(first - 1) && lines.indent(first - 1) == dash_col {
        first -= 1;
    }
    first
}

/// The entry's last line: its last value, then any comment lines directly
/// below, indented deeper than its `-`.
fn last_line(lines: &Lines<'_>, item: &Node<'_>, dash: usize, dash_col: usize) -> usize {
    let mut last = content_end(lines, item).unwrap_or(dash).max(dash);
    // Whatever follows indented deeper than the `-` is still the entry's.
    while lines.value_follows(last, dash_col) {
        last += 1;
    }
    while last + 1 < lines.count()
        && lines.is_comment(last + 1)
        && lines.indent(last + 1) > dash_col
    {
        last += 1;
    }
    last
}

/// The last line holding part of `node`. saphyr ends a block collection,
/// and a block scalar, where the next token starts, which may be lines
/// further on, so those are measured by what they hold.
fn content_end(lines: &Lines<'_>, node: &Node<'_>) -> Option<usize> {
    let children = match &node.data {
        YamlData::Sequence(items) => items.iter().filter_map(|n| content_end(lines, n)).max(),
        YamlData::Mapping(map) => map
            .iter()
            .flat_map(|(k, v)| [content_end(lines, k), content_end(lines, v)])
            .flatten()
            .max(),
        _ => None,
    };
    let own = match &node.data {
        YamlData::Sequence(_) | YamlData::Mapping(_) if is_flow(lines, node) => {
            Some(lines.line_at(node.span.end))
        }
        YamlData::Sequence(_) | YamlData::Mapping(_) => None,
        // An empty value ends where its key does.
        YamlData::Representation(text, ScalarStyle::Plain, _) if text.is_empty() => None,
        _ => Some(scalar_end(lines, node)),
    };
    own.max(children)
}

/// The last line of a scalar, before any blank lines saphyr counted in.
fn scalar_end(lines: &Lines<'_>, node: &Node<'_>) -> usize {
    let start = lines.line_at(node.span.start);
    let end = lines.byte(node.span.end);
    let mut line = lines.line_of(end);
    let line_start = lines.bytes(line..line + 1).start;
    if line > start && lines.text[line_start..end].trim().is_empty() {
        line -= 1;
        while line > start && lines.is_blank(line) {
            line -= 1;
        }
    }
    line
}

/// Whether a comment line `i` is one of a run sitting directly above a
/// key, which it then describes.
fn heads_key(lines: &Lines<'_>, i: usize) -> bool {
    let mut next = i;
    while next < lines.count() && lines.is_comment(next) {
        next += 1;
    }
    next < lines.count() && !lines.is_blank(next)
}

/// Whether a collection is written in flow style, `[...]` or `{...}`.
fn is_flow(lines: &Lines<'_>, node: &Node<'_>) -> bool {
    let start = lines.byte(node.span.start);
    lines.text[start..].starts_with(['[', '{'])
}

fn scalar_text<'n>(node: &'n Node<'_>) -> Option<&'n str> {
    match &node.data {
        YamlData::Representation(text, ..) => Some(text),
        _ => None,
    }
}

/// How deep the file indents the keys of its top-level sections (`ttn`,
/// `table`, ...), for a new entry's attributes when no cat has any.
fn section_step(root: &Node<'_>) -> Option<usize> {
    let YamlData::Mapping(map) = &root.data else {
        return None;
    };
    map.iter().find_map(|(key, value)| match &value.data {
        YamlData::Mapping(_) => value
            .span
            .start
            .col()
            .checked_sub(key.span.start.col())
            .filter(|&step| step > 0),
        _ => None,
    })
}

/// The lines of a new entry, without line breaks.
fn entry_lines(cat: &NewCat, layout: &Layout) -> Vec<String> {
    let dash = format!(
        "{}-{}",
        " ".repeat(layout.dash_col),
        " ".repeat(layout.key_col - layout.dash_col - 1)
    );
    let key = " ".repeat(layout.key_col);
    let mut entry = vec![
        format!("{dash}name: {}", written(&cat.name, Place::Value)),
        format!("{key}device: {}", written(&cat.device, Place::Value)),
        format!("{key}dev_eui: {}", written(&cat.dev_eui, Place::Value)),
    ];
    if !cat.groups.is_empty() {
        let groups: Vec<String> = cat.groups.iter().map(|g| written(g, Place::Flow)).collect();
        entry.push(format!("{key}groups: [{}]", groups.join(", ")));
    }
    if !cat.attributes.is_empty() {
        entry.push(format!("{key}attributes:"));
        let inner = " ".repeat(layout.key_col + layout.step);
        for (name, value) in &cat.attributes {
            let (name, value) = (written(name, Place::Key), written(value, Place::Value));
            entry.push(format!("{inner}{name}: {value}"));
        }
    }
    entry
}

/// Where a scalar is written, which decides what it may hold unquoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A block mapping's value.
    Value,
    /// A block mapping's key.
    Key,
    /// An item of a flow list.
    Flow,
}

/// A scalar as written into the file: plain where that reads back as the
/// same string, double-quoted otherwise.
fn written(value: &str, place: Place) -> String {
    if plain_reads_back(value, place) {
        value.to_string()
    } else {
        double_quoted(value)
    }
}

/// Whether `value` written plain at `place` is read back as this string,
/// by fleet and by other YAML readers. fleet reads every scalar as
/// written, but an editor checking the file against `fleet.schema.json`
/// (and any YAML 1.1 reader) takes `0042` for a number and `yes` for a
/// boolean.
fn plain_reads_back(value: &str, place: Place) -> bool {
    const INDICATORS: &str = "-?:,[]{}#&*!|>'\"%@`";
    let (Some(first), Some(last)) = (value.chars().next(), value.chars().last()) else {
        return false;
    };
    let syntax_safe = !first.is_whitespace()
        && !last.is_whitespace()
        && !INDICATORS.contains(first)
        && !value.chars().any(needs_escape)
        && !value.contains(": ")
        && !value.ends_with(':')
        && !value.contains(" #");
    let place_safe = match place {
        Place::Value => true,
        Place::Key => !value.contains(':'),
        Place::Flow => !value.contains([':', ',', '[', ']', '{', '}']),
    };
    syntax_safe && place_safe && !resolves_to_other(value)
}

/// Whether a plain scalar reads as something other than a string: null,
/// a boolean, a number or a date, in YAML 1.2's core schema or in 1.1.
fn resolves_to_other(value: &str) -> bool {
    const WORDS: &[&str] = &[
        "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", "=", "<<",
    ];
    let lower = value.to_ascii_lowercase();
    WORDS.contains(&lower.as_str()) || is_number(&lower) || is_date(&lower)
}

/// Whether lower-case `s` is an integer or a float to YAML 1.2 or 1.1:
/// `12`, `0x1f`, `0o17`, `0b101`, `1_000`, `1:30` (base 60), `.5`,
/// `1e3`, `.inf`, `.nan`.
fn is_number(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    if matches!(s, ".inf" | ".nan") {
        return true;
    }
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .into_iter()
        .find_map(|(prefix, radix)| Some((s.strip_prefix(prefix)?, radix)));
    if let Some((digits, radix)) = radix {
        return !digits.is_empty() && digits.chars().all(|c| c == '_' || c.is_digit(radix));
    }

    let (mantissa, exponent) = s.split_once('e').unwrap_or((s, "0"));
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |part: &str, extra: &str| {
        part.chars()
            .all(|c| c.is_ascii_digit() || extra.contains(c))
    };
    mantissa.chars().any(|c| c.is_ascii_digit())
        && !whole.starts_with([':', '_'])
        && digits(whole, "_:")
        && digits(fraction, "_")
        && !exponent.is_empty()
        && digits(exponent, "")
}

/// Whether `s` begins as a YAML 1.1 timestamp does: `2024-05-01`.
fn is_date(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    let (Some(year), Some(month), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let day_len = rest.chars().take_while(char::is_ascii_digit).count();
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    year.len() == 4
        && digits(year)
        && (1..=2).contains(&month.len())
        && digits(month)
        && (1..=2).contains(&day_len)
}

/// Characters a plain or single-quoted scalar cannot hold as themselves.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::fleetfile::from_str;
    use crate::model::{Cat, Fleet};

    const SAMPLE: &str = include_str!("../../fleet.yaml");

    /// The start every other layout shares; sections indented by 2.
    const HEAD: &str = "\
stack: backyard-cats
ttn:
  application: backyard-cats
groups:
  - name: indoor
  - name: night-owls
";

    /// `-` indented by 4 under `cats`, attributes by 4 more, entries not
    /// parted, and a commented key after the list.
    const FOUR_SPACES: &str = "\
stack: backyard-cats
ttn:
    application: backyard-cats
groups:
    - name: indoor
    - name: night-owls
cats:
    - name: Snowy
      device: snowy-lgt92
      dev_eui: 70B3D57ED005A1B2
      attributes:
          colour: white
    - name: Tiger
      device: tiger-lgt92
      dev_eui: 70B3D57ED005A1C7

# How many shard stacks the things are spread over.
shards: 16
";

    /// `-` at the column of `cats`, entries parted, no final line break.
    const INDENTLESS: &str = "\
stack: backyard-cats
ttn:
  application: backyard-cats
groups:
- name: indoor
- name: night-owls
cats:
- name: Snowy
  device: snowy-lgt92
  dev_eui: 70B3D57ED005A1B2
  groups: [indoor]

- name: Tiger
  device: tiger-lgt92
  dev_eui: 70B3D57ED005A1C7
  attributes:
    colour: ginger-tabby";

    /// `-` at the column of `cats` with its keys 4 further, one entry, and
    /// a comment directly above the next key.
    const INDENTLESS_WIDE: &str = "\
stack: backyard-cats
ttn:
    application: backyard-cats
groups:
-   name: indoor
cats:
-   name: Snowy
    device: snowy-lgt92
    dev_eui: 70B3D57ED005A1B2
    attributes:
        colour: white
# How many shard stacks.
shards: 16
";

    /// Comments above, inside and after the entries, in several scripts.
    const COMMENTED: &str = "\
# Fleet with notes — café 🐈 猫
stack: backyard-cats
ttn:
  application: backyard-cats
groups:
  - name: indoor
  - name: night-owls

# Every cat. Ünïcode here too: 🐾
cats:
  # Snowy: the first cat, née Blanche.
  - name: Snowy   # white — très blanc
    device: snowy-lgt92
    dev_eui: 70B3D57ED005A1B2
    attributes:
      colour: white
      # owner: ana (moved out)

  # Tiger: ginger 🐯
  # second line about Tiger
  - name: Tiger
    device: tiger-lgt92
    dev_eui: 70B3D57ED005A1C7
    groups: [night-owls]

  # Misty, the grey one.
  - name: Misty
    device: misty-lgt92
    dev_eui: 70B3D57ED005A2F0

  # Ghost moved away in 2024 — kept for reference:
  # - name: Ghost

# End of the fleet. ✓
";

    /// Entries written in less common ways: `-` alone on its line, a
    /// block scalar, a flow mapping over two lines.
    const UNUSUAL: &str = "\
stack: backyard-cats
ttn:
  application: backyard-cats
cats:
  -
    name: Snowy
    device: snowy-lgt92
    dev_eui: 70B3D57ED005A1B2
    attributes:
      notes: >-
        sleeps-on-the-boiler

  - {name: Tiger, device: tiger-lgt92,
     dev_eui: 70B3D57ED005A1C7}
";

    fn layouts() -> Vec<(&'static str, String)> {
        vec![
            ("sample", SAMPLE.to_string()),
            ("sample with CRLF", SAMPLE.replace('\n', "\r\n")),
            (
                "sample without final line break",
                SAMPLE.trim_end().to_string(),
            ),
            ("four spaces", FOUR_SPACES.to_string()),
            (
                "four spaces, next key right after",
                FOUR_SPACES.replace(
                    "\n# How many shard stacks the things are spread over.\n",
                    "",
                ),
            ),
            ("indentless", INDENTLESS.to_string()),
            ("indentless with CRLF", INDENTLESS.replace('\n', "\r\n")),
            ("indentless wide", INDENTLESS_WIDE.to_string()),
            ("commented", COMMENTED.to_string()),
            ("unusual", UNUSUAL.to_string()),
        ]
    }

    fn load(text: &str) -> Fleet {
        from_str(text, Path::new("fleet.yaml")).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
    }

    fn luna() -> NewCat {
        NewCat {
            name: "Luna".into(),
            device: "luna-lgt92".into(),
            dev_eui: "70B3D57ED005A3C1".into(),
            groups: vec!["indoor".into()],
            attributes: vec![
                ("colour".into(), "black".into()),
                ("owner".into(), "ben".into()),
            ],
        }
    }

    /// What the loader makes of `cat`.
    fn model(cat: &NewCat) -> Cat {
        Cat {
            name: cat.name.clone(),
            device: cat.device.clone(),
            dev_eui: cat.dev_eui.to_ascii_uppercase(),
            groups: cat.groups.clone(),
            attributes: cat.attributes.iter().cloned().collect::<BTreeMap<_, _>>(),
        }
    }

    /// Adds `cat`, checking that the result loads as the old fleet plus
    /// the cat, and that removing it again gives back the very text.
    fn added(text: &str, cat: &NewCat) -> String {
        let out = add_cat(text, cat).unwrap();
        let mut expected = load(text);
        expected.cats.push(model(cat));
        assert_eq!(load(&out), expected, "\n{out}");
        assert_eq!(remove_cat(&out, &cat.name).unwrap(), text);
        out
    }

    /// Removes the cat `name`, checking that the result loads as the old
    /// fleet without it.
    fn removed(text: &str, name: &str) -> String {
        let out = remove_cat(text, name).unwrap();
        let mut expected = load(text);
        expected.cats.retain(|c| !c.name.eq_ignore_ascii_case(name));
        assert_eq!(load(&out), expected, "\n{out}");
        out
    }

    /// `text` without the lines in `lines`, whole lines matched exactly.
    fn without(text: &str, lines: &[&str]) -> String {
        let mut out = text.to_string();
        for line in lines {
            assert!(out.contains(line), "{line:?} is not in the text");
            out = out.replacen(line, "", 1);
        }
        out
    }

    const LUNA: &str = "  - name: Luna
    device: luna-lgt92
    dev_eui: 70B3D57ED005A3C1
    groups: [indoor]
    attributes:
      colour: black
      owner: ben
";

    #[test]
    fn adding_to_the_sample_appends_in_its_style() {
        let out = added(SAMPLE, &luna());
        assert_eq!(out, format!("{SAMPLE}\n{LUNA}"));
    }

    #[test]
    fn removing_from_the_sample_takes_one_separating_blank_line() {
        let snowy = "  - name: Snowy
    device: snowy-lgt92
    dev_eui: 70B3D57ED005A1B2
    groups: [indoor]
    attributes:
      colour: white
      owner: ana
      notes: sleeps-on-the-boiler

";
        let tiger = "  - name: Tiger
    device: tiger-lgt92
    dev_eui: 70B3D57ED005A1C7
    groups: [night-owls]
    attributes:
      colour: ginger-tabby
      owner: ben

";
        let misty = "
  - name: Misty
    device: misty-lgt92
    dev_eui: 70B3D57ED005A2F0
    groups: [indoor, night-owls]
    attributes:
      colour: grey
      owner: ana
";
        assert_eq!(removed(SAMPLE, "Snowy"), without(SAMPLE, &[snowy]));
        assert_eq!(removed(SAMPLE, "Tiger"), without(SAMPLE, &[tiger]));
        assert_eq!(removed(SAMPLE, "Misty"), without(SAMPLE, &[misty]));
    }

    #[test]
    fn every_layout_takes_every_edit() {
        for (layout, text) in layouts() {
            let fleet = load(&text);
            let mut cat = luna();
            if fleet.groups.is_empty() {
                cat.groups.clear();
            }
            added(&text, &cat);

            if let [only] = fleet.cats.as_slice() {
                let err = remove_cat(&text, &only.name).unwrap_err();
                assert!(matches!(err, EditError::LastCat { .. }), "{layout}");
                continue;
            }
            for name in fleet.cats.iter().map(|c| &c.name) {
                let out = removed(&text, name);
                assert!(
                    !out.contains(&format!("name: {name}")),
                    "{layout}: {name}\n{out}"
                );
            }
        }
    }

    #[test]
    fn edits_keep_the_files_line_breaks() {
        for (layout, text) in layouts() {
            let crlf = text.contains("\r\n");
            let last = load(&text).cats.pop().unwrap();
            let mut edits = vec![add_cat(&text, &luna()).unwrap()];
            edits.extend(remove_cat(&text, &last.name).ok());
            for out in edits {
                let lone = out.replace("\r\n", "").contains('\n');
                assert_eq!(lone, !crlf, "{layout}: {out:?}");
                assert_eq!(
                    out.ends_with('\n'),
                    text.ends_with('\n'),
                    "{layout}: {out:?}"
                );
            }
        }
    }

    #[test]
    fn crlf_sample_gets_the_same_entry_in_crlf() {
        let crlf = SAMPLE.replace('\n', "\r\n");
        let out = added(&crlf, &luna());
        assert_eq!(out, format!("{SAMPLE}\n{LUNA}").replace('\n', "\r\n"));
    }

    #[test]
    fn four_space_layout_is_followed_and_the_next_key_kept_apart() {
        let out = added(FOUR_SPACES, &luna());
        let luna = "      dev_eui: 70B3D57ED005A1C7
    - name: Luna
      device: luna-lgt92
      dev_eui: 70B3D57ED005A3C1
      groups: [indoor]
      attributes:
          colour: black
          owner: ben

# How many shard stacks the things are spread over.
shards: 16
";
        assert!(out.ends_with(luna), "{out}");
    }

    #[test]
    fn indentless_layout_without_final_line_break_stays_without() {
        let out = added(INDENTLESS, &luna());
        let expected = format!(
            "{INDENTLESS}\n\n{}",
            "- name: Luna
  device: luna-lgt92
  dev_eui: 70B3D57ED005A3C1
  groups: [indoor]
  attributes:
    colour: black
    owner: ben"
        );
        assert_eq!(out, expected);

        let tiger = "

- name: Tiger
  device: tiger-lgt92
  dev_eui: 70B3D57ED005A1C7
  attributes:
    colour: ginger-tabby";
        assert_eq!(removed(INDENTLESS, "tiger"), without(INDENTLESS, &[tiger]));
    }

    #[test]
    fn comment_above_the_next_key_stays_with_it() {
        let out = added(INDENTLESS_WIDE, &luna());
        let expected = "    attributes:
        colour: white
-   name: Luna
    device: luna-lgt92
    dev_eui: 70B3D57ED005A3C1
    groups: [indoor]
    attributes:
        colour: black
        owner: ben
# How many shard stacks.
shards: 16
";
        assert!(out.ends_with(expected), "{out}");
    }

    #[test]
    fn one_cat_in_a_file_of_spaced_sections_gets_a_blank_line() {
        let one = removed(&removed(SAMPLE, "Snowy"), "Tiger");
        let out = added(&one, &luna());
        assert_eq!(out, format!("{one}\n{LUNA}"));
    }

    #[test]
    fn new_cat_goes_after_list_comments_and_before_top_level_ones() {
        let out = added(COMMENTED, &luna());
        let expected = format!("  # - name: Ghost\n\n{LUNA}\n# End of the fleet. ✓\n");
        assert!(out.ends_with(&expected), "{out}");
    }

    #[test]
    fn removing_takes_the_comments_that_describe_the_cat() {
        let tiger = "  # Tiger: ginger 🐯
  # second line about Tiger
  - name: Tiger
    device: tiger-lgt92
    dev_eui: 70B3D57ED005A1C7
    groups: [night-owls]

";
        assert_eq!(removed(COMMENTED, "Tiger"), without(COMMENTED, &[tiger]));

        let snowy = "  # Snowy: the first cat, née Blanche.
  - name: Snowy   # white — très blanc
    device: snowy-lgt92
    dev_eui: 70B3D57ED005A1B2
    attributes:
      colour: white
      # owner: ana (moved out)

";
        assert_eq!(removed(COMMENTED, "Snowy"), without(COMMENTED, &[snowy]));

        let misty = "
  # Misty, the grey one.
  - name: Misty
    device: misty-lgt92
    dev_eui: 70B3D57ED005A2F0
";
        assert_eq!(removed(COMMENTED, "MISTY"), without(COMMENTED, &[misty]));
    }

    #[test]
    fn unusual_entries_are_measured_by_their_contents() {
        let snowy = "  -
    name: Snowy
    device: snowy-lgt92
    dev_eui: 70B3D57ED005A1B2
    attributes:
      notes: >-
        sleeps-on-the-boiler

";
        assert_eq!(removed(UNUSUAL, "Snowy"), without(UNUSUAL, &[snowy]));

        let tiger = "
  - {name: Tiger, device: tiger-lgt92,
     dev_eui: 70B3D57ED005A1C7}
";
        assert_eq!(removed(UNUSUAL, "Tiger"), without(UNUSUAL, &[tiger]));
    }

    #[test]
    fn first_cat_goes_into_an_empty_list() {
        let text = format!("{HEAD}cats:\n  # Add cats with `fleet cat add`.\n\nshards: 16\n");
        let out = add_cat(&text, &luna()).unwrap();
        let expected =
            format!("{HEAD}cats:\n  # Add cats with `fleet cat add`.\n{LUNA}\nshards: 16\n");
        assert_eq!(out, expected);
        assert_eq!(load(&out).cats, vec![model(&luna())]);
    }

    #[test]
    fn values_are_quoted_where_yaml_would_misread_them() {
        let cat = NewCat {
            name: "Yes".into(),
            device: "null-lgt92".into(),
            dev_eui: "0000000000000001".into(),
            groups: vec!["indoor".into()],
            attributes: vec![
                ("since".into(), "12:30".into()),
                ("tag".into(), "#1".into()),
                ("box".into(), "[x]".into()),
                ("url".into(), "a:b/c#d".into()),
                ("label".into(), "ends:".into()),
                ("nothing".into(), "null".into()),
                ("a:b".into(), "on".into()),
            ],
        };
        let out = added(SAMPLE, &cat);
        let expected = r##"  - name: "Yes"
    device: null-lgt92
    dev_eui: "0000000000000001"
    groups: [indoor]
    attributes:
      since: "12:30"
      tag: "#1"
      box: "[x]"
      url: a:b/c#d
      label: "ends:"
      nothing: "null"
      "a:b": "on"
"##;
        assert!(out.ends_with(expected), "{out}");
    }

    #[test]
    fn names_match_ignoring_case() {
        let out = removed(SAMPLE, "sNoWy");
        assert!(!out.contains("Snowy"));

        let mut cat = luna();
        cat.name = "TIGER".into();
        let err = add_cat(SAMPLE, &cat).unwrap_err();
        assert!(matches!(&err, EditError::Duplicate { name, line: 79 } if name == "Tiger"));
        assert_eq!(
            err.to_string(),
            "the fleet already has a cat `Tiger` (line 79; names are compared ignoring case); \
             choose another name, or first remove that cat with `fleet cat remove Tiger`"
        );
    }

    #[test]
    fn two_cats_differing_only_in_case_are_not_guessed_between() {
        let text = SAMPLE.replace("name: Misty", "name: snowy");
        let err = remove_cat(&text, "SNOWY").unwrap_err();
        assert!(matches!(
            err,
            EditError::Ambiguous {
                first: 70,
                second: 87,
                ..
            }
        ));
    }

    #[test]
    fn unknown_cat_suggests_the_nearest() {
        let err = remove_cat(SAMPLE, "Tigger").unwrap_err();
        assert_eq!(
            err.to_string(),
            "there is no cat `Tigger` in the fleet file; did you mean `Tiger`?"
        );
        let err = remove_cat(SAMPLE, "Garfield").unwrap_err();
        assert_eq!(
            err.to_string(),
            "there is no cat `Garfield` in the fleet file; its cats are `Snowy`, `Tiger`, `Misty`"
        );
    }

    #[test]
    fn the_last_cat_is_not_removed() {
        let once = removed(SAMPLE, "Snowy");
        let twice = removed(&once, "Tiger");
        let err = remove_cat(&twice, "misty").unwrap_err();
        assert!(matches!(&err, EditError::LastCat { name } if name == "Misty"));
        assert!(err.to_string().contains("a fleet needs at least one"));
    }

    #[test]
    fn flow_list_of_cats_is_refused() {
        let text = format!(
            "{HEAD}cats: [{{name: Snowy, device: snowy-lgt92, dev_eui: 70B3D57ED005A1B2}}]\n"
        );
        load(&text);
        let err = add_cat(&text, &luna()).unwrap_err();
        assert!(matches!(err, EditError::FlowCats { line: 7 }));
        assert!(err.to_string().contains("write it as a block list"));
        let err = remove_cat(&text, "Snowy").unwrap_err();
        assert!(matches!(err, EditError::FlowCats { line: 7 }));
    }

    #[test]
    fn files_without_a_list_of_cats_are_refused() {
        let cases = [
            (HEAD.to_string(), "has no `cats` list"),
            (format!("{HEAD}cats: ~\n"), "is nothing, not a list of cats"),
            (
                format!("{HEAD}cats:\n  Snowy: {{}}\n"),
                "is a mapping, not a list",
            ),
            (
                format!("{HEAD}cats:\n  - Snowy\n"),
                "is `Snowy`, not a mapping",
            ),
            ("- stack\n".to_string(), "is not a mapping of keys"),
            (
                format!("{HEAD}cats:\n  - name: [Snowy\n"),
                "cannot edit the fleet file: line",
            ),
        ];
        for (text, message) in cases {
            let err = add_cat(&text, &luna()).unwrap_err().to_string();
            assert!(err.contains(message), "{err}\n---\n{text}");
        }
    }

    #[test]
    fn scalars_are_written_plain_only_where_that_reads_back() {
        use Place::{Flow, Key, Value};
        let cases = [
            ("Snowy", Value, "Snowy"),
            ("café", Value, "café"),
            ("70B3D57ED005A1B2", Value, "70B3D57ED005A1B2"),
            ("0000000000000001", Value, r#""0000000000000001""#),
            ("1E10000000000000", Value, r#""1E10000000000000""#),
            ("0x1F", Value, r#""0x1F""#),
            (".5", Value, r#"".5""#),
            ("1_000", Value, r#""1_000""#),
            ("1-2", Value, "1-2"),
            ("2024-05-01", Value, r#""2024-05-01""#),
            ("yes", Value, r#""yes""#),
            ("No", Value, r#""No""#),
            ("TRUE", Value, r#""TRUE""#),
            ("null", Value, r#""null""#),
            ("~", Value, r#""~""#),
            ("", Value, r#""""#),
            (" padded", Value, r#"" padded""#),
            ("padded ", Value, r#""padded ""#),
            ("two words", Value, "two words"),
            ("a: b", Value, r#""a: b""#),
            ("a:b", Value, "a:b"),
            ("a:b", Key, r#""a:b""#),
            ("a:b", Flow, r#""a:b""#),
            ("ends:", Value, r#""ends:""#),
            ("#1", Value, r##""#1""##),
            ("a#b", Value, "a#b"),
            ("a #b", Value, r##""a #b""##),
            ("[x]", Value, r#""[x]""#),
            ("x[1]", Value, "x[1]"),
            ("x[1]", Flow, r#""x[1]""#),
            ("a,b", Value, "a,b"),
            ("a,b", Flow, r#""a,b""#),
            ("night-owls", Flow, "night-owls"),
            ("-", Value, r#""-""#),
            ("-x", Value, r#""-x""#),
            ("*x", Value, r#""*x""#),
            ("say \"hi\"\n\\", Value, r#""say \"hi\"\n\\""#),
            ("bell\u{7}", Value, r#""bell\u0007""#),
        ];
        for (value, place, expected) in cases {
            assert_eq!(written(value, place), expected, "{value:?} at {place:?}");
        }
    }

    /// Whatever a value holds, writing it at any place reads back as the
    /// same string, both as fleet reads scalars and as YAML 1.2 resolves
    /// them.
    #[test]
    fn written_scalars_read_back() {
        let values = [
            "Snowy",
            "yes",
            "null",
            "~",
            "",
            " x",
            "x ",
            "a: b",
            "a:b",
            "a:",
            ":a",
            "#a",
            "a #b",
            "a#b",
            "[a]",
            "{a}",
            "a,b",
            "a]b",
            "-",
            "- a",
            "-a",
            "?",
            "? a",
            "!a",
            "&a",
            "*a",
            "|",
            ">",
            "'a'",
            "\"a\"",
            "%a",
            "@a",
            "`a",
            "12",
            "1.5",
            "1e3",
            ".inf",
            "-.INF",
            ".NaN",
            "0o17",
            "0x1f",
            "1:30",
            "2024-05-01",
            "a\"b",
            "a'b",
            "a\\b",
            "a\nb",
            "a\tb",
            "é 猫 🐈",
            "\u{feff}a",
            "line\u{2028}sep",
            "=",
            "<<",
        ];
        for value in values {
            for place in [Place::Value, Place::Key, Place::Flow] {
                let scalar = written(value, place);
                let doc = match place {
                    Place::Value => format!("k: {scalar}\n"),
                    Place::Key => format!("{scalar}: v\n"),
                    Place::Flow => format!("k: [{scalar}, z]\n"),
                };
                let root = yaml::parse(&doc).unwrap_or_else(|p| panic!("{doc:?}: {p:?}"));
                let YamlData::Mapping(map) = &root.data else {
                    panic!("{doc:?}");
                };
                let (key, val) = map.iter().next().unwrap();
                let node = match (place, &val.data) {
                    (Place::Key, _) => key,
                    (Place::Flow, YamlData::Sequence(items)) => &items[0],
                    _ => val,
                };
                assert_eq!(scalar_text(node), Some(value), "{doc:?}");

                let json = yaml::to_json(&doc).unwrap();
                let resolved = match place {
                    Place::Key => json.as_object().unwrap().keys().next().cloned().into(),
                    Place::Value => json["k"].clone(),
                    Place::Flow => json["k"][0].clone(),
                };
                assert_eq!(resolved, serde_json::Value::from(value), "{doc:?}");
            }
        }
    }
}
