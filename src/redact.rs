//! Personal data kept out of errors: contacts' values out of a body's excerpt and out of a
//! decoder's message, and the query out of whatever a server said.
//!
//! A search for an email finds the contact holding it, so any value of a page may be the
//! query; keys, types and structure say where a body went wrong without them.

/// Shown in place of what was left out.
const LEFT_OUT: &str = "…";

/// Shown in place of the query.
const QUERY: &str = "<query>";

/// Shown in place of the API secret.
const SECRET: &str = "<secret>";

/// `body[start..end]`, for a body that is JSON (an object or an array), with its values left
/// out: the contents of every string that is no object's key, and every number, one
/// [`LEFT_OUT`] each (`true`, `false` and `null` stay). The whole body before the window is
/// read to know where strings begin. A stray quote (the syntax error the window may show)
/// swaps strings and bare text after it, and both are left out. Other bodies (an HTML page, a
/// gateway's text) are shown as they are: they hold no contact.
pub(crate) fn values_left_out(body: &[u8], start: usize, end: usize) -> Vec<u8> {
    let end = end.min(body.len());
    let start = start.min(end);
    let json = matches!(
        body.iter().find(|byte| !byte.is_ascii_whitespace()),
        Some(b'{' | b'[')
    );
    if !json {
        return body[start..end].to_vec();
    }
    let mut shown = Vec::with_capacity(end - start);
    // Shows `body[from..to]` (clipped to the window), or one `LEFT_OUT` for it.
    let mut show = |from: usize, to: usize, whole: bool| {
        let (from, to) = (from.max(start), to.min(end));
        if from < to {
            if whole {
                shown.extend_from_slice(&body[from..to]);
            } else {
                shown.extend_from_slice(LEFT_OUT.as_bytes());
            }
        }
    };
    let mut i = 0;
    while i < end {
        if body[i] == b'"' {
            // A string from `i` to its closing quote (or the body's end): a key if a colon
            // follows it.
            let mut close = i + 1;
            while close < body.len() && body[close] != b'"' {
                close += if body[close] == b'\\' { 2 } else { 1 };
            }
            let close = close.min(body.len());
            let is_key = body
                .get(close + 1..)
                .and_then(|rest| rest.iter().find(|b| !b.is_ascii_whitespace()))
                == Some(&b':');
            show(i, i + 1, true);
            show(i + 1, close, is_key);
            show(close, (close + 1).min(body.len()), true);
            i = close + 1;
        } else if is_delimiter(body[i]) {
            show(i, i + 1, true);
            i += 1;
        } else {
            let to = (i..body.len())
                .find(|&j| is_delimiter(body[j]))
                .unwrap_or(body.len());
            let literal = matches!(&body[i..to], b"true" | b"false" | b"null");
            show(i, to, literal);
            i = to;
        }
    }
    shown
}

/// JSON's punctuation and whitespace, which end a bare token (a number, a literal).
fn is_delimiter(byte: u8) -> bool {
    matches!(byte, b'{' | b'}' | b'[' | b']' | b':' | b',' | b'"') || byte.is_ascii_whitespace()
}

/// A decoder's message without the value it quotes (`invalid type: string "ada@…"`,
/// `` integer `8613800000000` ``, `` unknown variant `…` ``); field names and types stay.
pub(crate) fn quoted_values_left_out(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    loop {
        let next = [
            ("string \"", '"'),
            ("integer `", '`'),
            ("floating point `", '`'),
            ("character `", '`'),
            ("variant `", '`'),
        ]
        .iter()
        .filter_map(|&(opening, closing)| rest.find(opening).map(|at| (at, opening, closing)))
        .min_by_key(|&(at, ..)| at);
        let Some((at, opening, closing)) = next else {
            out.push_str(rest);
            return out;
        };
        let value = at + opening.len();
        out.push_str(&rest[..value]);
        // The closing quote: a string's is the first not escaped (serde quotes it as `{:?}`).
        let mut escaped = false;
        let end = rest[value..].char_indices().find_map(|(i, c)| {
            let found = c == closing && !escaped;
            escaped = closing == '"' && c == '\\' && !escaped;
            found.then_some(value + i)
        });
        out.push_str(LEFT_OUT);
        match end {
            Some(end) => rest = &rest[end..],
            None => return out,
        }
    }
}

/// `text` with the query `q` taken out wherever it appears as a word of its own (not inside a
/// longer one), ignoring case, as typed, URL-encoded, written in JSON or in HTML, and a
/// phone number's digits alone: a server that echoes what it was asked. Where `text` was cut
/// (it begins or ends with [`LEFT_OUT`]), the part of the query left at the cut is taken out
/// too. A query of one or two characters holds nothing personal, and would take letters out
/// of words: it stays.
pub(crate) fn query_left_out(text: &str, q: &str) -> String {
    let q = crate::lookup::stripped(q);
    if q.chars().count() < 3 {
        return text.to_owned();
    }
    let form: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let mut needles = vec![q.to_owned(), form.replace('+', "%20"), form];
    // As a JSON string holds it, in a body of a shape not read as a message: escaped (`\\`,
    // `\"`), with every non-ASCII character as `\u` escapes (Python's default), and with `&`,
    // `<` and `>` so (Rails').
    let json = serde_json::to_string(q).unwrap_or_default();
    let json = json
        .get(1..json.len().saturating_sub(1))
        .unwrap_or_default();
    needles.push(json.to_owned());
    needles.push(ascii_escaped(json));
    needles.push(
        json.replace('&', "\\u0026")
            .replace('<', "\\u003c")
            .replace('>', "\\u003e"),
    );
    // As an HTML page shows it (a gateway's or a framework's error page), any character
    // may be an entity: [`found_at`] reads them (review 117: `&#64;`, `&#x40;`, `&commat;`,
    // PHP's `&#039;`, Go's `&#34;`, `&eacute;` were left in).
    // As a server's message shows it: on one line, its control and direction characters
    // escaped (a number copied from WhatsApp comes between direction marks).
    let shown = crate::response::one_line(q);
    // A phone number echoed as its digits alone, whatever marks surround them.
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 7
        && q.chars()
            .all(|c| c.is_ascii_digit() || "+-() .".contains(c) || crate::response::escaped(c))
    {
        needles.push(digits);
    }
    needles.push(shown);
    needles.sort_by_key(|needle| std::cmp::Reverse(needle.len()));
    needles.dedup();
    let word = |at: usize| !text[at..].starts_with(|c: char| c.is_alphanumeric());
    // After a letter or digit, but for one that ends a JSON escape (`\n`, `\u00e9`).
    let before = |at: usize| {
        let prior = &text[..at];
        !prior.ends_with(|c: char| c.is_alphanumeric()) || ends_with_escape(prior)
    };
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let found = needles.iter().find_map(|needle| {
            found_at(text, at, needle).filter(|&len| before(at) && word(at + len))
        });
        match found {
            Some(len) => {
                out.push_str(QUERY);
                at += len;
            }
            None => {
                let c = text[at..].chars().next().unwrap_or_default();
                out.push(c);
                at += c.len_utf8();
            }
        }
    }
    cut_query_left_out(&out, &needles)
}

/// The length in `text`'s bytes of `needle` found at `at`, ignoring case (each character's
/// lower case, as Unicode gives it: `JOSÉ` is `josé`, and a final `ς` is `σ`; a case that
/// changes the number of characters, `ß` as `SS`, is not matched), any of its characters
/// written as an HTML entity too ([`entity_at`]).
fn found_at(text: &str, at: usize, needle: &str) -> Option<usize> {
    matched(&text[at..], needle.chars()).and_then(|(len, rest)| rest.is_none().then_some(len))
}

/// How far `text` matches the start of `needle` ([`found_at`]'s way): the bytes matched, and
/// `None` where all of `needle` was, else what of it is left once `text` ran out.
fn matched(text: &str, mut needle: std::str::Chars<'_>) -> Option<(usize, Option<String>)> {
    let folded = |c: char| {
        c.to_lowercase()
            .map(|lower| if lower == 'ς' { 'σ' } else { lower })
    };
    let mut len = 0;
    while let Some(wanted) = needle.clone().next() {
        let rest = &text[len..];
        let entity = entity_at(rest).filter(|&(c, _)| folded(c).eq(folded(wanted)));
        let taken = match (entity, rest.chars().next()) {
            (Some((_, taken)), _) => taken,
            (None, Some(c)) if folded(c).eq(folded(wanted)) => c.len_utf8(),
            (None, Some(_)) => return None,
            (None, None) => return Some((len, Some(needle.collect()))),
        };
        needle.next();
        len += taken;
    }
    Some((len, None))
}

/// The bytes after an entity's `&` within which its `;` comes: the longest read is
/// `&#x10FFFF;` (9 and the `;`).
const ENTITY_SPAN: usize = 10;

/// The character an HTML character reference at the start of `text` stands for, and its
/// length: a numeric one (`&#64;`, `&#x40;`, zeros ahead or not) or a named one of those
/// written for characters a query holds (ASCII punctuation, the Latin-1 letters).
fn entity_at(text: &str) -> Option<(char, usize)> {
    let rest = text.strip_prefix('&')?;
    let end = rest.bytes().take(ENTITY_SPAN).position(|b| b == b';')?;
    let name = &rest[..end];
    let c = match name.strip_prefix('#') {
        Some(number) => {
            let (digits, radix) = match number.strip_prefix(['x', 'X']) {
                Some(hex) => (hex, 16),
                None => (number, 10),
            };
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return None;
            }
            char::from_u32(u32::from_str_radix(digits, radix).ok()?)?
        }
        None => named_entity(name)?,
    };
    Some((c, end + 2))
}

/// A named entity's character, for those an HTML page writes for a query's characters.
fn named_entity(name: &str) -> Option<char> {
    const PUNCTUATION: [(&str, char); 20] = [
        ("amp", '&'),
        ("lt", '<'),
        ("gt", '>'),
        ("quot", '"'),
        ("apos", '\''),
        ("commat", '@'),
        ("period", '.'),
        ("plus", '+'),
        ("lpar", '('),
        ("rpar", ')'),
        ("lowbar", '_'),
        ("percnt", '%'),
        ("num", '#'),
        ("sol", '/'),
        ("colon", ':'),
        ("comma", ','),
        ("excl", '!'),
        ("quest", '?'),
        ("equals", '='),
        ("nbsp", '\u{a0}'),
    ];
    // HTML 4's names of U+00C0 to U+00DF, in order; those of U+00E0 to U+00FF are the same
    // in lower case, but for `times` and `szlig`, whose partners are `divide` (not read)
    // and `yuml`.
    const LATIN: [&str; 32] = [
        "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave",
        "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve",
        "Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc",
        "Uuml", "Yacute", "THORN", "szlig",
    ];
    if let Some(&(_, c)) = PUNCTUATION.iter().find(|(n, _)| *n == name) {
        return Some(c);
    }
    if name == "yuml" {
        return Some('ÿ');
    }
    let (index, lower) = LATIN.iter().enumerate().find_map(|(i, n)| {
        if *n == name {
            Some((i, false))
        } else if !matches!(*n, "times" | "szlig") && n.to_lowercase() == name {
            Some((i, true))
        } else {
            None
        }
    })?;
    let code = 0xc0 + u32::try_from(index).ok()? + if lower { 0x20 } else { 0 };
    char::from_u32(code)
}

/// Whether `text` ends with a JSON escape whose last character is a letter or digit.
fn ends_with_escape(text: &str) -> bool {
    let bytes = text.as_bytes();
    let short = bytes.len() >= 2
        && bytes[bytes.len() - 2] == b'\\'
        && b"nrtbf".contains(&bytes[bytes.len() - 1]);
    let unicode = bytes.len() >= 6
        && bytes[bytes.len() - 6..bytes.len() - 4] == *b"\\u"
        && bytes[bytes.len() - 4..].iter().all(u8::is_ascii_hexdigit);
    short || unicode
}

/// `text` without any of `secrets` (the API secret, the header's token), wherever they are,
/// nor the part of one that a cut left at its start or end (three characters or more, next
/// to a [`LEFT_OUT`]): each shown as `<secret>`.
pub(crate) fn secrets_left_out(text: &str, secrets: &[&str]) -> String {
    let secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    let mut text = secrets
        .iter()
        .fold(text.to_owned(), |text, secret| text.replace(secret, SECRET));
    // A secret's start where the text was cut after it, or its end where cut before it.
    if let Some(kept) = text.strip_suffix(LEFT_OUT) {
        let cut = secrets
            .iter()
            .filter_map(|s| {
                (3..s.len())
                    .rev()
                    .find(|&n| s.is_char_boundary(n) && kept.ends_with(&s[..n]))
            })
            .max();
        if let Some(n) = cut {
            text = format!("{}{SECRET}{LEFT_OUT}", &kept[..kept.len() - n]);
        }
    }
    if let Some(kept) = text.strip_prefix(LEFT_OUT) {
        let cut = secrets
            .iter()
            .filter_map(|s| {
                (3..s.len()).rev().find(|&n| {
                    s.is_char_boundary(s.len() - n) && kept.starts_with(&s[s.len() - n..])
                })
            })
            .max();
        if let Some(n) = cut {
            text = format!("{LEFT_OUT}{SECRET}{}", &kept[n..]);
        }
    }
    text
}

/// `json` with every non-ASCII character written as `\u` escapes (UTF-16 units).
fn ascii_escaped(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// The part of a needle that a cut left at either end of `text`: its start before a final
/// [`LEFT_OUT`], its end after a first one (three bytes or more, a word of its own on
/// the side not cut).
fn cut_query_left_out(text: &str, needles: &[String]) -> String {
    let mut text = text.to_owned();
    // A needle's ends of three characters or more, short of the whole (the cut came before
    // them).
    let ends = |needle: &str| -> Vec<String> {
        let chars: Vec<char> = needle.chars().collect();
        (3..chars.len())
            .rev()
            .map(|n| chars[chars.len() - n..].iter().collect())
            .collect()
    };
    if let Some(kept) = text.strip_suffix(LEFT_OUT) {
        // Where the query's start may end: the cut, or an entity it went through (`&`,
        // `&#6`, `&comm`: review 117).
        let partial = kept
            .rfind('&')
            .filter(|&at| {
                let name = &kept[at + 1..];
                name.len() < ENTITY_SPAN
                    && name.bytes().all(|b| b == b'#' || b.is_ascii_alphanumeric())
            })
            .unwrap_or(kept.len());
        // The earliest start, a word's, from which the rest is a needle's start of three
        // characters or more (entities read), short of the whole.
        let longest = needles.iter().map(String::len).max().unwrap_or(0);
        // (Each of its characters an entity at most: `&` and `ENTITY_SPAN`.)
        let earliest = kept
            .len()
            .saturating_sub(longest.saturating_mul(ENTITY_SPAN + 1));
        let cut = kept
            .char_indices()
            .map(|(from, _)| from)
            .filter(|&from| from >= earliest)
            .filter(|&from| !kept[..from].ends_with(|c: char| c.is_alphanumeric()))
            .find(|&from| {
                needles.iter().any(|needle| {
                    let count = needle.chars().count();
                    [kept.len(), partial].into_iter().any(|to| {
                        from <= to
                            && matches!(
                                matched(&kept[from..to], needle.chars()),
                                Some((_, Some(left))) if count - left.chars().count() >= 3
                            )
                    })
                })
            });
        if let Some(from) = cut {
            text = format!("{}{QUERY}{LEFT_OUT}", &kept[..from]);
        }
    }
    if let Some(kept) = text.strip_prefix(LEFT_OUT) {
        // The rest of an entity the cut went through (`64;`) is part of the query's end.
        let skipped = kept
            .bytes()
            .take(ENTITY_SPAN)
            .position(|b| b == b';')
            .filter(|&at| {
                kept.as_bytes()[..at]
                    .iter()
                    .all(|b| *b == b'#' || b.is_ascii_alphanumeric())
            })
            .map_or(0, |at| at + 1);
        let cut = [0, skipped].into_iter().find_map(|skip| {
            needles.iter().find_map(|needle| {
                ends(needle).into_iter().find_map(|part| {
                    found_at(kept, skip, &part)
                        .map(|len| skip + len)
                        .filter(|&len| !kept[len..].starts_with(|c: char| c.is_alphanumeric()))
                })
            })
        });
        if let Some(len) = cut {
            text = format!("{LEFT_OUT}{QUERY}{}", &kept[len..]);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt(body: &str, start: usize, end: usize) -> String {
        String::from_utf8(values_left_out(body.as_bytes(), start, end)).unwrap()
    }

    #[test]
    fn a_body_keeps_its_keys_and_structure_not_its_values() {
        let body = r#"{"email":"ada@example.com","id":7,"tags":["vip","a\"b"],"ok":true,"x":null}"#;
        assert_eq!(
            excerpt(body, 0, body.len()),
            r#"{"email":"…","id":…,"tags":["…","…"],"ok":true,"x":null}"#
        );
        // A window cut inside a value or a key.
        let at = body.find("example").unwrap();
        assert_eq!(excerpt(body, at, at + 22), r#"…","id":…,"t"#);
        let at = body.find("mail").unwrap();
        assert_eq!(excerpt(body, at, at + 8), r#"mail":"…"#);
        // An empty string, an unterminated one, a number cut by the window.
        assert_eq!(excerpt(r#"{"a":""}"#, 0, 8), r#"{"a":""}"#);
        assert_eq!(excerpt(r#"{"a":"ada@exa"#, 0, 13), r#"{"a":"…"#);
        assert_eq!(excerpt(r#"{"phone":8613800000000}"#, 12, 23), "…}");
        // A stray quote swaps strings and bare text: both are left out.
        let stray = r#"{"name":"Ada "Lovelace","email":"ada.lovelace@example.com"}"#;
        let shown = excerpt(stray, 0, stray.len());
        assert!(
            !shown.contains("Lovelace") && !shown.contains("ada."),
            "{shown}"
        );
        // Not JSON: shown as it is.
        assert_eq!(excerpt("<html>oops</html>", 0, 17), "<html>oops</html>");
        // Bounds past the body, or crossed: no panic.
        assert_eq!(excerpt(r#"{"a":1}"#, 3, 99), r#"":…}"#);
        assert_eq!(excerpt(r#"{"a":1}"#, 9, 4), "");
        // A window cut inside a multi-byte character is left to the lossy decoding.
        let cjk = r#"{"名前":"張"}"#;
        assert!(String::from_utf8_lossy(&values_left_out(cjk.as_bytes(), 3, 12)).contains('…'));
    }

    #[test]
    fn a_decoder_message_keeps_types_and_fields_not_values() {
        for (message, shown) in [
            (
                r#"invalid type: string "ada@example.com", expected a boolean"#,
                r#"invalid type: string "…", expected a boolean"#,
            ),
            (
                r#"invalid value: string "a \"q\" b", expected x"#,
                r#"invalid value: string "…", expected x"#,
            ),
            (
                "invalid type: integer `8613800000000`, expected a string",
                "invalid type: integer `…`, expected a string",
            ),
            (
                "unknown variant `ada`, expected `online` or `offline`",
                "unknown variant `…`, expected `online` or `offline`",
            ),
            ("missing field `id`", "missing field `id`"),
            (
                "invalid type: boolean `true`, expected a string",
                "invalid type: boolean `true`, expected a string",
            ),
        ] {
            assert_eq!(quoted_values_left_out(message), shown);
        }
    }

    #[test]
    fn the_query_is_taken_out_as_typed_and_as_encoded() {
        let said = "no match for 'Ada.Lovelace@Example.com' (q=ada.lovelace%40example.com)";
        assert_eq!(
            query_left_out(said, " ada.lovelace@example.com\0"),
            "no match for '<query>' (q=<query>)"
        );
        assert_eq!(
            query_left_out("q=ada+lovelace or ada%20lovelace", "ada lovelace"),
            "q=<query> or <query>"
        );
        // Only as a word of its own: not inside another, and never inside its own marker.
        assert_eq!(
            query_left_out("Internal Server Error: err", "err"),
            "Internal Server Error: <query>"
        );
        assert_eq!(
            query_left_out("no query matches", "query"),
            "no <query> matches"
        );
        assert_eq!(query_left_out("rate limited", "a"), "rate limited");
        assert_eq!(query_left_out("张三 not found", "张三丰"), "张三 not found");
        assert_eq!(
            query_left_out("张三丰 not found", "张三丰"),
            "<query> not found"
        );
        // Cut at either end of an excerpt.
        let q = "ada.lovelace@example.com";
        assert_eq!(
            query_left_out("No results for: ada.love…", q),
            "No results for: <query>…"
        );
        assert_eq!(
            query_left_out("…mple.com was not found", q),
            "…<query> was not found"
        );
        assert_eq!(
            query_left_out("No results for ad…", q),
            "No results for ad…"
        );
    }

    /// Review 92 and 93's echoes: another case beyond ASCII, after a JSON escape, `&` as
    /// Rails writes it in JSON, a phone number's digits alone.
    #[test]
    fn the_query_is_taken_out_in_other_cases_and_escapes() {
        assert_eq!(
            query_left_out("no match for JOSÉ NÚÑEZ", "José Núñez"),
            "no match for <query>"
        );
        assert_eq!(
            query_left_out(r#"{"detail":"none named:\nada.lovelace@example.com"}"#, q()),
            r#"{"detail":"none named:\n<query>"}"#
        );
        assert_eq!(
            query_left_out(
                r#"{"detail":"none named \u00e9ada.lovelace@example.com"}"#,
                q()
            ),
            r#"{"detail":"none named \u00e9<query>"}"#
        );
        assert_eq!(
            query_left_out(
                r#"{"detail":"no contact named \"AT\u0026T Labs\""}"#,
                "AT&T Labs"
            ),
            r#"{"detail":"no contact named \"<query>\""}"#
        );
        // As an HTML page echoes it.
        assert_eq!(
            query_left_out(
                "<p>No contact named &quot;O&#39;Brien &amp; Sons&quot;</p>",
                "\"O'Brien & Sons\""
            ),
            "<p>No contact named <query></p>"
        );
        assert_eq!(
            query_left_out("<p>none for o&#x27;brien</p>", "O'Brien"),
            "<p>none for <query></p>"
        );
        assert_eq!(
            query_left_out("no contact with phone 4961805947", "+49 618 059-47"),
            "no contact with phone <query>"
        );
        // A word ending in `n` before the query is still a word: `an` + query is no match.
        assert_eq!(query_left_out("anada", "ada"), "anada");
        // Review 94: as a message shows a query with a tab or direction marks (escaped, on
        // one line); a final sigma; a cut through letters beyond ASCII.
        let shown = |q: &str| crate::response::one_line(&format!("No contact matches {q}"));
        for q in [
            "Ada\tLovelace",
            "\u{202a}+49 618 059 47\u{202c}",
            "\u{200f}שרה כהן",
        ] {
            assert_eq!(
                query_left_out(&shown(q), q),
                "No contact matches <query>",
                "{q:?}"
            );
        }
        assert_eq!(
            query_left_out("ΟΔΟΣ not found", "οδος"),
            "<query> not found"
        );
        assert_eq!(
            query_left_out("no match for JOSÉ NÚ…", "José Núñez"),
            "no match for <query>…"
        );
        assert_eq!(
            query_left_out("…ÚÑEZ not found", "José Núñez"),
            "…<query> not found"
        );
    }

    fn q() -> &'static str {
        "ada.lovelace@example.com"
    }

    /// Review 117: an HTML page writes characters as entities other than the five Rails
    /// writes: numeric ones (`&#64;`, `&#x40;`, PHP's `&#039;`, Go's `&#34;`, ASP.NET's
    /// `&#233;`, ASP.NET Core's `&#xE9;`) and named ones (`&commat;`, `&eacute;`).
    #[test]
    fn the_query_is_taken_out_of_html_in_any_entity() {
        for (page, q) in [
            ("<p>none for ada.lovelace&#64;example.com</p>", q()),
            ("<p>none for ada.lovelace&#x40;example.com</p>", q()),
            ("<p>none for ada.lovelace&#X40;example&#46;com</p>", q()),
            ("<p>none for ada.lovelace&commat;example.com</p>", q()),
            ("<p>none for O&#039;Brien</p>", "O'Brien"),
            ("<p>none for &#34;Ada&#34;</p>", "\"Ada\""),
            (
                "<p>none for Jos&eacute; N&uacute;&ntilde;ez</p>",
                "José Núñez",
            ),
            ("<p>none for Jos&#233; N&#250;&#241;ez</p>", "José Núñez"),
            ("<p>none for Jos&#xE9; N&#xFA;&#xF1;ez</p>", "José Núñez"),
            ("<p>none for &#x2B;49 618 059 47</p>", "+49 618 059 47"),
        ] {
            assert_eq!(query_left_out(page, q), "<p>none for <query></p>", "{page}");
        }
        // Cut at the excerpt's edge, inside or after an entity.
        assert_eq!(
            query_left_out("none for ada.lovelace&#64;exa…", q()),
            "none for <query>…"
        );
        assert_eq!(
            query_left_out("none for ada.lovelace&#6…", q()),
            "none for <query>…"
        );
        assert_eq!(
            query_left_out("…64;example.com not found", q()),
            "…<query> not found"
        );
        assert_eq!(
            query_left_out("…amp; Sons not found", q()),
            "…amp; Sons not found"
        );
        // Nothing else changes: entities elsewhere, and a query only near one.
        for text in [
            "<p>AT&amp;T &lt;b&gt; &#64; &commat; &bogus; &#xZZ; &#; &</p>",
            "<p>ada.lovelace&#64;example.comx</p>",
            "<p>xada.lovelace&#64;example.com</p>",
            "<p>ada.lovelace&#65;example.com</p>",
        ] {
            assert_eq!(query_left_out(text, q()), text);
        }
    }

    #[test]
    fn secrets_are_taken_out_whole_and_where_a_cut_left_part_of_one() {
        let secrets = ["QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "open sesame"];
        assert_eq!(
            secrets_left_out(
                "refused Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ== (open sesame)",
                &secrets
            ),
            "refused Basic <secret> (<secret>)"
        );
        // Review 92: the excerpt's cut left the start of the token, or of the secret.
        assert_eq!(
            secrets_left_out("xxxx Basic QWxhZGRpbjpvcGVuI…", &secrets),
            "xxxx Basic <secret>…"
        );
        assert_eq!(
            secrets_left_out("xxxx Aladdin:open se…", &secrets),
            "xxxx Aladdin:<secret>…"
        );
        assert_eq!(
            secrets_left_out("…ame) refused", &secrets),
            "…<secret>) refused"
        );
        // Fewer than three characters of one at a cut are left: they could be any word's.
        assert_eq!(secrets_left_out("a word op…", &secrets), "a word op…");
        assert_eq!(secrets_left_out("nothing here", &["", "x"]), "nothing here");
    }
}
