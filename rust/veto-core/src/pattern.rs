//! Package-name patterns: `*` matches any run of characters, dots included.
//!
//! `com.ss.android.ugc.*` matches `com.ss.android.ugc.aweme` but not `com.ss.android.ugc`
//! itself: the dot before the `*` is literal.

/// A validated package-name pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern(String);

impl Pattern {
    /// Parses a pattern: letters, digits, `_`, `.` and at least one `*`.
    pub fn parse(s: &str) -> Result<Pattern, String> {
        let s = s.trim();
        if s.is_empty() || s.len() > 255 {
            return Err(format!(
                "expected a pattern such as \"com.ss.android.ugc.*\", found {s:?}"
            ));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '*')))
        {
            return Err(format!(
                "{s:?} contains {c:?}; patterns use letters, digits, '_', '.' and '*' only"
            ));
        }
        if !s.contains('*') {
            return Err(format!("{s:?} has no '*'; write it as a package instead"));
        }
        if s.contains("..") || s.starts_with('.') || s.ends_with('.') {
            return Err(format!("{s:?} has an empty segment between dots"));
        }
        Ok(Pattern(s.to_string()))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The literal text before the first `*`.
    pub fn literal_prefix(&self) -> &str {
        &self.0[..self.0.find('*').unwrap_or(self.0.len())]
    }

    /// Whether the only `*` is the last character (a plain prefix match).
    pub fn is_prefix_only(&self) -> bool {
        self.0.find('*') == Some(self.0.len() - 1)
    }

    /// Whether `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        if self.is_prefix_only() {
            return name.starts_with(self.literal_prefix());
        }
        glob_match(self.0.as_bytes(), name.as_bytes())
    }

    /// A pattern that catches (almost) every app: `*`, `com.*`, `c*`.
    pub fn is_too_broad(&self) -> bool {
        let literal: usize = self.0.bytes().filter(|c| !matches!(c, b'*' | b'.')).count();
        let single_top_level =
            self.is_prefix_only() && !self.literal_prefix().trim_end_matches('.').contains('.');
        literal < 4 || single_top_level
    }
}

/// Wildcard match where `*` matches any run of bytes; linear-time with backtracking to
/// the last star only.
fn glob_match(pat: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() && pat[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pat.len() && pat[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pat(s: &str) -> Pattern {
        Pattern::parse(s).unwrap()
    }

    #[test]
    fn prefix_patterns() {
        let p = pat("com.ss.android.ugc.*");
        assert!(p.is_prefix_only());
        assert!(p.matches("com.ss.android.ugc.aweme"));
        assert!(p.matches("com.ss.android.ugc.aweme.lite"));
        assert!(!p.matches("com.ss.android.ugc"));
        assert!(!p.matches("com.ss.android.ugcx"));
        assert!(!p.matches("org.ss.android.ugc.aweme"));
    }

    #[test]
    fn inner_wildcards() {
        let p = pat("com.*.tiktok");
        assert!(p.matches("com.foo.tiktok"));
        assert!(p.matches("com.a.b.tiktok"));
        assert!(!p.matches("com.foo.tiktok.lite"));
        assert!(pat("*tiktok*").matches("com.ss.android.tiktok.lite"));
        assert!(pat("*.lite").matches("com.ss.android.ugc.aweme.lite"));
    }

    #[test]
    fn refuses_bad_patterns() {
        assert!(Pattern::parse("com.x").unwrap_err().contains("no '*'"));
        assert!(Pattern::parse("com.(x)*")
            .unwrap_err()
            .contains("contains '('"));
        assert!(Pattern::parse("com..x*")
            .unwrap_err()
            .contains("empty segment"));
    }

    #[test]
    fn broadness() {
        for broad in ["*", "com.*", "c*", "*.*", "org.*"] {
            assert!(pat(broad).is_too_broad(), "{broad}");
        }
        for narrow in [
            "com.ss.*",
            "com.ss.android.ugc.*",
            "*tiktok*",
            "com.*.tiktok",
        ] {
            assert!(!pat(narrow).is_too_broad(), "{narrow}");
        }
    }

    proptest! {
        // The fast prefix path agrees with the general matcher.
        #[test]
        fn prefix_fast_path_agrees(prefix in "[a-c]{1,3}(\\.[a-c]{1,3}){0,2}\\.", name in "[a-c.]{0,12}") {
            let p = pat(&format!("{prefix}*"));
            prop_assert_eq!(p.matches(&name), glob_match(p.as_str().as_bytes(), name.as_bytes()));
        }

        // A pattern made from a name by replacing one segment with '*' matches that name.
        #[test]
        fn star_for_a_segment_matches(segs in proptest::collection::vec("[a-z]{1,5}", 2..5), i in 0usize..5) {
            let i = i % segs.len();
            let name = segs.join(".");
            let mut p = segs.clone();
            p[i] = "*".to_string();
            prop_assert!(pat(&p.join(".")).matches(&name));
        }
    }
}
