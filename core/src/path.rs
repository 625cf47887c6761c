//! The path language of docs/design.md §3: `data`, `company.name`, `items[0].sku`, `traits["first.name"]`,
//! an optional leading `$` or `$.`, empty = root.

use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Path {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path {input:?} at character {position}: {message}")]
pub struct PathError {
    pub input: String,
    /// 0-based character offset where the problem was found.
    pub position: usize,
    pub message: String,
}

impl Path {
    pub fn root() -> Self {
        Path::default()
    }

    pub fn new(segments: Vec<Segment>) -> Self {
        Path { segments }
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    pub fn child_key(&self, key: &str) -> Path {
        let mut p = self.clone();
        p.segments.push(Segment::Key(key.to_string()));
        p
    }

    pub fn child_index(&self, i: usize) -> Path {
        let mut p = self.clone();
        p.segments.push(Segment::Index(i));
        p
    }

    pub fn parse(input: &str) -> Result<Path, PathError> {
        Parser {
            input,
            chars: input.chars().collect(),
            pos: 0,
        }
        .parse()
    }

    /// The value this path points at, if every step exists.
    pub fn get<'v>(&self, mut value: &'v Value) -> Option<&'v Value> {
        for seg in &self.segments {
            value = match (seg, value) {
                (Segment::Key(k), Value::Object(map)) => map.get(k)?,
                (Segment::Index(i), Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(value)
    }

    /// The value at this path inside a row object; the root path names no field (`None`).
    pub fn get_in<'v>(&self, row: &'v serde_json::Map<String, Value>) -> Option<&'v Value> {
        let (Segment::Key(first), rest) = self.segments.split_first()? else {
            return None;
        };
        let mut value = small_get(row, first)?;
        for seg in rest {
            value = match (seg, value) {
                (Segment::Key(k), Value::Object(map)) => small_get(map, k)?,
                (Segment::Index(i), Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(value)
    }

    /// The first key, if the path is a single plain key (used for `include`/`exclude`).
    pub fn single_key(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [Segment::Key(k)] => Some(k),
            _ => None,
        }
    }
}

/// `map.get(key)`, by comparing keys in order when the map is small: a row has a handful of
/// fields, and a few length-and-bytes comparisons cost less than hashing the key (SipHash, the
/// hasher of `serde_json`'s maps). Keys are unique, so the answer is the same.
fn small_get<'v>(map: &'v serde_json::Map<String, Value>, key: &str) -> Option<&'v Value> {
    if map.len() <= 16 {
        map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '@')
        && !k.starts_with('$')
}

impl fmt::Display for Path {
    /// Canonical form: plain keys joined with dots, `[n]` for indexes, `["…"]` for awkward keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => {
                    f.write_str("[\"")?;
                    for c in k.chars() {
                        match c {
                            '"' => f.write_str("\\\"")?,
                            '\\' => f.write_str("\\\\")?,
                            c => write!(f, "{c}")?,
                        }
                    }
                    f.write_str("\"]")?;
                }
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

struct Parser<'a> {
    input: &'a str,
    chars: Vec<char>,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, message: impl Into<String>) -> PathError {
        PathError {
            input: self.input.to_string(),
            position: self.pos,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn parse(mut self) -> Result<Path, PathError> {
        let mut segments = Vec::new();
        // Leading/trailing whitespace is almost always a copy-paste accident.
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
        let end = {
            let mut e = self.chars.len();
            while e > self.pos && self.chars[e - 1].is_whitespace() {
                e -= 1;
            }
            e
        };
        self.chars.truncate(end);
        if self.peek() == Some('$') {
            self.pos += 1;
            if self.peek() == Some('.') {
                self.pos += 1;
                if self.peek().is_none() {
                    return Err(self.err("expected a key after `$.`"));
                }
            }
        }
        let mut first = true;
        while let Some(c) = self.peek() {
            match c {
                '[' => segments.push(self.bracket()?),
                '.' if !first => {
                    self.pos += 1;
                    match self.peek() {
                        None => return Err(self.err("path ends with `.`")),
                        Some('.') => return Err(self.err("empty key between dots")),
                        Some('[') => {
                            return Err(self.err("`.` followed by `[`: write `a[0]`, not `a.[0]`"))
                        }
                        _ => segments.push(self.plain_key()?),
                    }
                }
                '.' => return Err(self.err("path starts with `.`")),
                _ if first => segments.push(self.plain_key()?),
                _ => return Err(self.err(format!("unexpected `{c}`"))),
            }
            first = false;
        }
        Ok(Path { segments })
    }

    fn plain_key(&mut self) -> Result<Segment, PathError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == '.' || c == '[' {
                break;
            }
            if c == ']' || c == '"' {
                return Err(self.err(format!(
                    "unexpected `{c}` in a key; quote awkward keys as [\"…\"]"
                )));
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.err("empty key"));
        }
        Ok(Segment::Key(self.chars[start..self.pos].iter().collect()))
    }

    fn bracket(&mut self) -> Result<Segment, PathError> {
        self.pos += 1; // '['
        match self.peek() {
            Some('"') | Some('\'') => {
                let quote = self.peek().unwrap_or('"');
                self.pos += 1;
                let mut key = String::new();
                loop {
                    match self.peek() {
                        None => return Err(self.err("unterminated quoted key")),
                        Some('\\') => {
                            self.pos += 1;
                            match self.peek() {
                                Some(c) => key.push(c),
                                None => return Err(self.err("unterminated escape")),
                            }
                            self.pos += 1;
                        }
                        Some(c) if c == quote => {
                            self.pos += 1;
                            break;
                        }
                        Some(c) => {
                            key.push(c);
                            self.pos += 1;
                        }
                    }
                }
                if self.peek() != Some(']') {
                    return Err(self.err("expected `]` after the quoted key"));
                }
                self.pos += 1;
                Ok(Segment::Key(key))
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                let digits: String = self.chars[start..self.pos].iter().collect();
                let n = digits
                    .parse::<usize>()
                    .map_err(|_| self.err("index too large"))?;
                if self.peek() != Some(']') {
                    return Err(self.err("expected `]` after the index"));
                }
                self.pos += 1;
                Ok(Segment::Index(n))
            }
            Some(']') => {
                Err(self.err("empty brackets: use [0] for an index or [\"key\"] for a key"))
            }
            None => Err(self.err("unterminated `[`")),
            Some(c) => Err(self.err(format!("unexpected `{c}` after `[`: use [0] or [\"key\"]"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_examples_of_the_spec() {
        let v = json!({"data": 1, "company": {"name": "Acme"}, "items": [{"sku": "A1"}], "traits": {"first.name": "Ada"}});
        assert_eq!(Path::parse("data").unwrap().get(&v), Some(&json!(1)));
        assert_eq!(
            Path::parse("company.name").unwrap().get(&v),
            Some(&json!("Acme"))
        );
        assert_eq!(
            Path::parse("items[0].sku").unwrap().get(&v),
            Some(&json!("A1"))
        );
        assert_eq!(
            Path::parse("traits[\"first.name\"]").unwrap().get(&v),
            Some(&json!("Ada"))
        );
        assert_eq!(
            Path::parse("$.company.name").unwrap().get(&v),
            Some(&json!("Acme"))
        );
        assert_eq!(Path::parse("$").unwrap().get(&v), Some(&v));
        assert_eq!(Path::parse("").unwrap().get(&v), Some(&v));
    }

    #[test]
    fn a_bad_path_says_where() {
        let e = Path::parse("a..b").unwrap_err();
        assert_eq!(e.position, 2);
        let e = Path::parse("items[x]").unwrap_err();
        assert_eq!(e.position, 6);
        assert!(Path::parse("a[\"b")
            .unwrap_err()
            .message
            .contains("unterminated"));
        assert!(Path::parse("a.").is_err());
        assert!(Path::parse(".a").is_err());
        assert!(Path::parse("a[]").is_err());
    }

    #[test]
    fn awkward_keys_print_quoted() {
        let p = Path::new(vec![
            Segment::Key("first name".into()),
            Segment::Index(2),
            Segment::Key("a\"b".into()),
        ]);
        assert_eq!(p.to_string(), "[\"first name\"][2][\"a\\\"b\"]");
        assert_eq!(Path::parse(&p.to_string()).unwrap(), p);
    }
}
