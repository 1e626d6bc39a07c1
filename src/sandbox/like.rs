//! SQL `LIKE` as PostgreSQL reads the upstream server's unescaped `'%' || q || '%'`: `%` any
//! run of characters, `_` any one character, `\` (the default escape) makes the next
//! character literal.

/// One element of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    Char(char),
    /// `_`
    One,
    /// `%`
    Any,
}

/// A `q` compiled for substring matching.
#[derive(Debug)]
pub(crate) enum Like {
    /// No wildcard: a plain substring search, the common case, kept fast.
    Literal(String),
    Pattern(Vec<Token>),
}

impl Like {
    pub(crate) fn new(q: &str) -> Like {
        if !q.contains(['%', '_', '\\']) {
            return Like::Literal(q.to_owned());
        }
        // The pattern upstream sends is `'%' + q + '%'`, so a `q` ending in `\` escapes the
        // appended `%` (text ending in it), as PostgreSQL reads it.
        let pattern = format!("%{q}%");
        let mut tokens = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '%' => Token::Any,
                '_' => Token::One,
                '\\' => Token::Char(chars.next().unwrap_or('\\')),
                c => Token::Char(c),
            });
        }
        Like::Pattern(tokens)
    }

    /// Whether `text` matches: contains `q`, as upstream's `'%' + q + '%'` reads.
    pub(crate) fn finds(&self, text: &str) -> bool {
        match self {
            Like::Literal(literal) => text.contains(literal.as_str()),
            Like::Pattern(tokens) => matches(tokens, &text.chars().collect::<Vec<_>>()),
        }
    }
}

/// Wildcard matching with one backtracking point (the last `%`), linear in practice and at
/// worst `tokens × text`.
fn matches(tokens: &[Token], text: &[char]) -> bool {
    let (mut t, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < text.len() {
        match tokens.get(t) {
            Some(Token::Any) => {
                star = Some((t, s));
                t += 1;
            }
            Some(Token::One) => {
                t += 1;
                s += 1;
            }
            Some(Token::Char(c)) if *c == text[s] => {
                t += 1;
                s += 1;
            }
            _ => match star {
                Some((star_t, star_s)) => {
                    t = star_t + 1;
                    s = star_s + 1;
                    star = Some((star_t, star_s + 1));
                }
                None => return false,
            },
        }
    }
    tokens[t..].iter().all(|token| *token == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::Like;

    #[test]
    fn wildcards_match_as_postgres_like_does() {
        let cases = [
            ("user_42", "userx42@example.com", true),
            ("user_42", "user42", false),
            (r"user\_42", "userx42", false),
            (r"user\_42", "a.user_42", true),
            ("50%off", "50 percent off", true),
            (r"50\%off", "50 percent off", false),
            (r"50\%off", "get 50%off now", true),
            (r"a\\b", r"xa\by", true),
            ("%", "", true),
            ("_", "", false),
            ("张_", "王张三", true),
            ("ada", "adaeze", true),
            ("ada", "lovelace", false),
            ("a%e%z", "adaeze", true),
            ("a%e%q", "adaeze", false),
            ("\\", "a\\b", false),
            // `a\` makes `%a\%`: text that ends in `a%`.
            ("a\\", "xa%", true),
            ("a\\", "xa%y", false),
            ("a\\", "a\\b", false),
            (r"\\", r"a\b", true),
        ];
        for (q, text, expected) in cases {
            assert_eq!(Like::new(q).finds(text), expected, "{q:?} in {text:?}");
        }
    }
}
