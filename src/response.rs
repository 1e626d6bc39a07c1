//! What the server says in a response: its message, from any body shape, and `Retry-After`.

use std::time::{Duration, SystemTime};

use reqwest::{StatusCode, header::HeaderMap};

use crate::generated::types::ErrorBody;

/// Longest excerpt of a body kept in an error, in characters.
const EXCERPT_CHARS: usize = 300;

/// The server's message from any body it sends: JSON in one of the documented shapes, plain
/// text, or an HTML page; on one line ([`one_line`]).
pub(crate) fn server_message(status: StatusCode, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let message = if text.starts_with('{') {
        serde_json::from_str::<ErrorBody>(text)
            .ok()
            .and_then(json_message)
    } else if looks_like_html(text) {
        html_message(text)
    } else {
        None
    };
    // Cut again where the escapes lengthened it past the excerpt.
    let message = excerpt(&one_line(&message.unwrap_or_else(|| excerpt(text))));
    if message.is_empty() {
        status.canonical_reason().unwrap_or("no message").to_owned()
    } else {
        message
    }
}

/// `text` as one line that a terminal shows as it is: line breaks and tabs as spaces, other
/// control characters (an escape sequence's, a bell) and Unicode's line separators and
/// direction overrides escaped (`\u{1b}`). A server's text could add lines to a log, or
/// rewrite what a terminal shows (review 93: a fake `all done` line, a window title).
pub(crate) fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => line.push(' '),
            c if escaped(c) => line.extend(c.escape_unicode()),
            c => line.push(c),
        }
    }
    line
}

/// Whether [`one_line`] escapes `c`: a control character, or one of Unicode's line
/// separators and direction marks, embeddings, overrides and isolates.
pub(crate) fn escaped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

fn json_message(body: ErrorBody) -> Option<String> {
    let mut parts: Vec<String> = body.error.into_iter().chain(body.errors).collect();
    if let Some(message) = body.message {
        if body.attributes.is_empty() {
            parts.push(message);
        } else {
            parts.push(format!("{message} ({})", body.attributes.join(", ")));
        }
    }
    (!parts.is_empty()).then(|| excerpt(&parts.join("; ")))
}

fn looks_like_html(text: &str) -> bool {
    let start = text
        .get(..text.len().min(64))
        .unwrap_or(text)
        .to_ascii_lowercase();
    start.starts_with("<!doctype html") || start.starts_with("<html") || start.starts_with("<head")
}

/// An HTML page's `<title>`, or its text with the tags taken out.
fn html_message(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    if let Some(start) = lower.find("<title>").map(|i| i + "<title>".len())
        && let Some(len) = lower[start..].find("</title>")
    {
        let title = collapse_whitespace(&html[start..start + len]);
        if !title.is_empty() {
            return Some(excerpt(&title));
        }
    }
    let mut text = String::with_capacity(html.len().min(4096));
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    Some(excerpt(&collapse_whitespace(&text)))
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most [`EXCERPT_CHARS`] characters, cut on a character boundary.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// `Retry-After` as seconds or as an HTTP date; a date in the past means no wait.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More seconds than a `u64` holds is a wait longer than any deadline, not none.
        return Some(
            value
                .parse::<u64>()
                .map_or(Duration::MAX, Duration::from_secs),
        );
    }
    let at = httpdate::parse_http_date(value).ok()?;
    // Read against the server's own clock where it sends it (`Date`): a client's clock
    // behind the server's read "in 2 s" as an hour and 2 s, and gave up; one ahead read
    // every date as now.
    let now = headers
        .get(reqwest::header::DATE)
        .and_then(|date| httpdate::parse_http_date(date.to_str().ok()?.trim()).ok())
        .unwrap_or_else(SystemTime::now);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> String {
        server_message(StatusCode::BAD_GATEWAY, body.as_bytes())
    }

    #[test]
    fn reads_every_documented_body_shape() {
        assert_eq!(
            message(r#"{"error":"Invalid Access Token"}"#),
            "Invalid Access Token"
        );
        assert_eq!(message(r#"{"errors":["a","b"]}"#), "a; b");
        assert_eq!(
            message(r#"{"message":"bad","attributes":["sort"]}"#),
            "bad (sort)"
        );
        assert_eq!(message("Retry later\n"), "Retry later");
        assert_eq!(
            message("<html><head><title>502 Bad Gateway</title></head></html>"),
            "502 Bad Gateway"
        );
        assert_eq!(
            message("<html><body><h1>Down</h1> for now</body></html>"),
            "Down for now"
        );
        assert_eq!(message(""), "Bad Gateway");
        assert_eq!(message(r#"{"unexpected":1}"#), r#"{"unexpected":1}"#);
    }

    /// Review 93: a message that would have written a fake line and a window title.
    #[test]
    fn a_message_is_one_line_a_terminal_shows_as_it_is() {
        assert_eq!(
            message("{\"error\":\"boom\\n\\u001b[2K\\rlivedesk: all done\\u001b]0;owned\\u0007\"}"),
            "boom \\u{1b}[2K livedesk: all done\\u{1b}]0;owned\\u{7}"
        );
        assert_eq!(
            message("line one\nline\ttwo\u{202e}"),
            "line one line two\\u{202e}"
        );
        assert_eq!(
            message("<html><title>a\u{1b}[31mred</title></html>"),
            "a\\u{1b}[31mred"
        );
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary() {
        let cut = message(&"語".repeat(1000));
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        headers.insert("retry-after", soon.parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        headers.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
        // A date is read against the server's `Date` (review 99): its clock an hour ahead
        // of this one, "in 2 s" is 2 s; without a `Date`, against this clock.
        let server_now = SystemTime::now() + Duration::from_secs(3600);
        headers.insert("date", httpdate::fmt_http_date(server_now).parse().unwrap());
        let in_2_s = httpdate::fmt_http_date(server_now + Duration::from_secs(2));
        headers.insert("retry-after", in_2_s.parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("date", "not a date".parse().unwrap());
        assert!(retry_after(&headers).unwrap() > Duration::from_secs(3600));
    }
}
