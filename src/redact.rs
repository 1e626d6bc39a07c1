//! Personal data kept out of errors: contacts' values out of a body's excerpt and out of a
//! decoder's message, and the query out of whatever a server said.
//!
//! A search for an email finds the contact holding it, so any value of a page may be the
//! query; keys, types and structure say where a body went wrong without them.

/// Shown in place of what was left out.
const LEFT_OUT: &str = "…";

/// `body[start..end]` with the contents of every JSON string that is not an object's key
/// left out, one [`LEFT_OUT`] for each (the whole body is read to know where strings begin).
pub(crate) fn values_left_out(body: &[u8], start: usize, end: usize) -> Vec<u8> {
    let mut shown = Vec::with_capacity(end - start);
    let mut i = 0;
    while i < end {
        if body[i] != b'"' {
            if i >= start {
                shown.push(body[i]);
            }
            i += 1;
            continue;
        }
        // A string from `i` to its closing quote (or the body's end).
        let mut close = i + 1;
        while close < body.len() && body[close] != b'"' {
            close += if body[close] == b'\\' { 2 } else { 1 };
        }
        let close = close.min(body.len());
        let after = body[(close + 1).min(body.len())..]
            .iter()
            .find(|b| !b.is_ascii_whitespace());
        let is_key = close < body.len() && after == Some(&b':');
        // Its contents' part within the window.
        let (from, to) = ((i + 1).max(start), close.min(end));
        if i >= start {
            shown.push(b'"');
        }
        if from < to {
            if is_key {
                shown.extend_from_slice(&body[from..to]);
            } else {
                shown.extend_from_slice(LEFT_OUT.as_bytes());
            }
        }
        if (start..end).contains(&close) {
            shown.push(b'"');
        }
        i = close + 1;
    }
    shown
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

/// `text` with the query `q` taken out wherever it appears, ignoring ASCII case, as typed or
/// URL-encoded (a server that echoes what it was asked). A query of one or two characters
/// holds nothing personal, and would take letters out of every word: it stays.
pub(crate) fn query_left_out(text: &str, q: &str) -> String {
    let q = q.trim();
    if q.chars().count() < 3 {
        return text.to_owned();
    }
    let form: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let mut text = text.to_owned();
    for needle in [q, &form, &percent] {
        text = left_out_ignoring_ascii_case(&text, needle);
    }
    text
}

fn left_out_ignoring_ascii_case(text: &str, needle: &str) -> String {
    let (lower, needle) = (text.to_ascii_lowercase(), needle.to_ascii_lowercase());
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    // ASCII lowering keeps every byte where it was: the offsets are `text`'s.
    while let Some(at) = lower[from..].find(&needle) {
        out.push_str(&text[from..from + at]);
        out.push_str("<query>");
        from += at + needle.len();
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt(body: &str, start: usize, end: usize) -> String {
        String::from_utf8(values_left_out(body.as_bytes(), start, end)).unwrap()
    }

    #[test]
    fn a_body_keeps_its_keys_and_structure_not_its_values() {
        let body = r#"{"email":"ada@example.com","id":7,"tags":["vip","a\"b"],"blocked":"no"}"#;
        assert_eq!(
            excerpt(body, 0, body.len()),
            r#"{"email":"…","id":7,"tags":["…","…"],"blocked":"…"}"#
        );
        // A window cut inside a value or a key.
        let at = body.find("example").unwrap();
        assert_eq!(excerpt(body, at, at + 22), r#"…","id":7,"t"#);
        let at = body.find("mail").unwrap();
        assert_eq!(excerpt(body, at, at + 8), r#"mail":"…"#);
        // An empty string, an unterminated one.
        assert_eq!(excerpt(r#"{"a":""}"#, 0, 8), r#"{"a":""}"#);
        assert_eq!(excerpt(r#"{"a":"ada@exa"#, 0, 13), r#"{"a":"…"#);
        // Not JSON: shown as it is.
        assert_eq!(excerpt("<html>oops</html>", 0, 17), "<html>oops</html>");
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
            query_left_out(said, " ada.lovelace@example.com "),
            "no match for '<query>' (q=<query>)"
        );
        assert_eq!(
            query_left_out("q=ada+lovelace or ada%20lovelace", "ada lovelace"),
            "q=<query> or <query>"
        );
        assert_eq!(query_left_out("rate limited", "a"), "rate limited");
        assert_eq!(query_left_out("张三 not found", "张三丰"), "张三 not found");
        assert_eq!(
            query_left_out("张三丰 not found", "张三丰"),
            "<query> not found"
        );
    }
}
