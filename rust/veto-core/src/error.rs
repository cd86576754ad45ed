//! One error type for every way Veto's input can be wrong.
//!
//! Each error has a kind (which maps one-to-one onto the `kind` of the Java
//! `VetoException`) and a message that already names where the problem is: the JSON
//! path, the managed-configuration key, or the file.

use std::fmt;

/// What went wrong, coarsely: enough for a caller to decide what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The inventory document is malformed.
    BadInventory,
    /// The policy document is malformed or inconsistent.
    BadPolicy,
    /// A managed-configuration value is malformed.
    BadManagedConfig,
    /// The capabilities document or list is malformed.
    BadCapabilities,
    /// The outcomes the shell reported are malformed.
    BadOutcomes,
    /// The state file is corrupt or of an unknown version.
    BadState,
    /// A file could not be read or written.
    Io,
    /// The policy feed or report endpoint failed or sent something unacceptable.
    Feed,
    /// A bug in Veto (a caught panic).
    Internal,
}

impl ErrorKind {
    /// Every kind, in declaration order: the one list of error codes (with
    /// [`ErrorKind::meaning`]), which `docs/contract.md` must list (a test checks). A new kind
    /// goes here too; the exhaustive `match` in [`ErrorKind::code`] and
    /// [`ErrorKind::meaning`] makes sure it gets a code and a meaning.
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::BadInventory,
        ErrorKind::BadPolicy,
        ErrorKind::BadManagedConfig,
        ErrorKind::BadCapabilities,
        ErrorKind::BadOutcomes,
        ErrorKind::BadState,
        ErrorKind::Io,
        ErrorKind::Feed,
        ErrorKind::Internal,
    ];

    /// The kind whose [`code`](ErrorKind::code) is `code`, if any.
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// What the kind means, in one line (docs/contract.md, "Codes").
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorKind::BadInventory => "The inventory document is malformed; nothing is written.",
            ErrorKind::BadPolicy => "A policy document is malformed or inconsistent.",
            ErrorKind::BadManagedConfig => {
                "A managed-configuration value, or the proxy, is malformed."
            }
            ErrorKind::BadCapabilities => "The capabilities document or list is malformed.",
            ErrorKind::BadOutcomes => "The outcomes the shell reported are malformed.",
            ErrorKind::BadState => "A state file is corrupt or of an unknown version.",
            ErrorKind::Io => "A file or the state directory could not be read or written.",
            ErrorKind::Feed => {
                "The policy feed or the report endpoint failed or sent something unacceptable."
            }
            ErrorKind::Internal => "A bug in Veto: a caught panic or a failed JNI call.",
        }
    }

    /// The stable code used in JSON and in `VetoException.kind`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::BadInventory => "bad_inventory",
            ErrorKind::BadPolicy => "bad_policy",
            ErrorKind::BadManagedConfig => "bad_managed_config",
            ErrorKind::BadCapabilities => "bad_capabilities",
            ErrorKind::BadOutcomes => "bad_outcomes",
            ErrorKind::BadState => "bad_state",
            ErrorKind::Io => "io",
            ErrorKind::Feed => "feed",
            ErrorKind::Internal => "internal",
        }
    }
}

/// An error with its kind and a message that names the problem and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// An error of `kind`; `message` should say what is wrong and where.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context` put in front, e.g. a file name.
    pub fn context(self, context: impl fmt::Display) -> Self {
        Error {
            kind: self.kind,
            message: format!("{context}: {}", self.message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result with Veto's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Parses JSON into `T`, naming the JSON path of the first bad value.
///
/// `what` names the document ("inventory", "policy", ...) and starts the message.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    json: &str,
    kind: ErrorKind,
    what: &str,
) -> Result<T> {
    // Every Veto document is an object; serde would also read a struct from a list,
    // with a baffling message.
    match json.trim_start().chars().next() {
        Some('{') => {}
        None => return Err(Error::new(kind, format!("{what}: the document is empty"))),
        Some(_) => {
            return Err(Error::new(
                kind,
                format!("{what}: expected a JSON object ({{ ... }}) at the top level"),
            ))
        }
    }
    let de = &mut serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = path_of(e.path());
        let inner = e.into_inner();
        let detail = strip_position(&inner.to_string());
        let at = if inner.is_data() {
            String::new()
        } else {
            // Syntax errors: the line and column help more than the path.
            format!(" (line {}, column {})", inner.line(), inner.column())
        };
        let message = if path.is_empty() {
            format!("{what}: {detail}{at}")
        } else {
            format!("{what}: {path}: {detail}{at}")
        };
        Error::new(kind, message)
    })?;
    // One document per file or body: what follows it (a second document, the tail of an
    // interrupted write, junk) is refused, not silently ignored. Found by the server_ingest
    // fuzz target (docs/reliability.md).
    de.end().map_err(|e| {
        Error::new(
            kind,
            format!(
                "{what}: unexpected characters after the document (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    Ok(value)
}

/// The JSON path of a problem (`packages[3].first_seen`), written from the path's segments.
/// Where the parser could not tell the field (a syntax error) a segment is unknown: it says
/// nothing, so it is left out and the line and column say where. (Rewriting the rendered
/// path instead would also cut a real key written `?`; found by the state_file fuzz target.)
fn path_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// serde_json appends " at line L column C" to its messages; the path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        n: u32,
    }

    #[test]
    fn parse_errors_name_the_json_path() {
        let err = parse_json::<Doc>(
            r#"{"items":[{"n":1},{"n":"x"}]}"#,
            ErrorKind::BadPolicy,
            "policy",
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadPolicy);
        assert!(
            err.message()
                .starts_with("policy: items[1].n: invalid type"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let err = parse_json::<Doc>("{\n  \"items\": [,]}", ErrorKind::BadInventory, "inventory")
            .unwrap_err();
        assert!(err.message().contains("line 2"), "{err}");
    }

    #[test]
    fn anything_after_the_document_is_refused_with_where_it_starts() {
        let err = parse_json::<Doc>(
            "{\"items\":[]}\n{\"items\":[]}",
            ErrorKind::BadInventory,
            "inventory",
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadInventory);
        assert_eq!(
            err.message(),
            "inventory: unexpected characters after the document (line 2, column 1)"
        );
        // Whitespace after the document is not "characters after it".
        assert!(
            parse_json::<Doc>("{\"items\":[]}\n \t\r\n", ErrorKind::BadPolicy, "policy").is_ok()
        );
    }

    #[test]
    fn a_key_written_as_a_question_mark_stays_in_the_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Doc {
            packages: std::collections::BTreeMap<String, Item>,
        }
        let err = parse_json::<Doc>(
            r#"{"packages": {"? ": {"n": {}}}}"#,
            ErrorKind::BadState,
            "state",
        )
        .unwrap_err();
        assert_eq!(
            err.message(),
            "state: packages.? .n: invalid type: map, expected u32"
        );
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(ErrorKind::BadManagedConfig.code(), "bad_managed_config");
        assert_eq!(ErrorKind::Internal.code(), "internal");
    }
}
