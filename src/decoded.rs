//! What a success body would take in memory once decoded, estimated before decoding it.
//!
//! The body cap bounds bytes, not what they decode to. A page decodes into structs (the page,
//! its meta, its contacts and their inboxes, whose keys take nothing) and into the
//! `serde_json::Value`s of each contact's attribute maps, where every map, array and string
//! takes heap of its own: `0,` decodes to 21 times its bytes (a `Value` in a `Vec` that grows
//! by doubling), `[0],` to 44, `{"a":0},` to 89 (a map's node), `"abcd":0,` to 18 (a map's
//! entry and its key's block), and a contact `{"id":1},` to 59. Pages of 15 contacts within the
//! cap but dense with such values grew memory by 16 to 60 times the cap (reviews 84, 90, 92);
//! a page of honest contacts decodes to about four times its size.

use std::{borrow::Cow, mem::size_of};

use serde_json::Value;

use crate::Contact;

/// A success body may decode to this many times its cap at most, as estimated. An honest page
/// is estimated at 5 to 10 times its bytes (the sandbox's 5.4 to 6.3; they decode to 4 to 5),
/// far under the limit for pages of tens of kilobytes at any cap of a megabyte or more; one of
/// `0,0,…` at 32 times, refused from an eighth of the cap.
pub(crate) const DECODED_PER_CAP: usize = 4;

/// The smallest heap block a string takes (glibc's for up to 24 bytes, its header included).
const MIN_ALLOC: usize = 32;

/// How deep `serde_json` decodes into values: deeper, a value fails to decode, and a member
/// the structs do not know is skipped without holding anything, so the scan skips it too.
const DEPTH: usize = 128;

/// The members decoded as whole values: the contact's attribute maps (`serde_json::Value`s)
/// and the page's number (an untagged enum, which reads whatever it is given into a buffer
/// before it tries its forms). Every other object of a page is a struct.
const WHOLE_VALUES: [&[u8]; 3] = [
    b"additional_attributes",
    b"custom_attributes",
    b"current_page",
];

/// The members whose value is no string: a string there is a value serde did not expect, which
/// it quotes whole in its error (`current_page` may be one, but its untagged enum tries a
/// number first). A string at a member the structs do not know is skipped.
const NON_STRING_MEMBERS: [&[u8]; 14] = [
    b"id",
    b"blocked",
    b"created_at",
    b"last_activity_at",
    b"count",
    b"current_page",
    b"has_more",
    b"channel_id",
    b"payload",
    b"contact_inboxes",
    b"meta",
    b"inbox",
    b"additional_attributes",
    b"custom_attributes",
];

/// The members whose value is a struct: an array there (serde reads a struct from one, a
/// member a place) is no page a server sends, and is refused.
const STRUCT_MEMBERS: [&[u8]; 2] = [b"meta", b"inbox"];

/// Bytes a string serde did not expect takes for each of its own: quoted in serde's error
/// with each byte escaped (up to six, `\u{7f}`), and that message made and copied again on
/// the way to the crate's error (29.9 times measured, review 95).
const UNEXPECTED: usize = 30;

/// What a value decodes into, for the costs of what it holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A struct: its members are inline, its keys take nothing.
    Struct,
    /// A `Vec` of structs (the page's contacts, a contact's inboxes).
    Structs,
    /// A `serde_json` map.
    Map,
    /// A `serde_json` array.
    Array,
}

/// Bytes each part of a body takes decoded, at most.
struct Costs {
    /// A struct held in a `Vec` that grows by doubling ([`Contact`], the largest, twice).
    element_struct: usize,
    /// A struct held inline, or the page itself.
    inline_struct: usize,
    /// A map's first node: eleven keys and values, and its header.
    node: usize,
    /// A map's entry: its slots in nodes kept half full as keys come in order, and the inner
    /// nodes above them (128 bytes an entry measured besides its key, review 90).
    entry: usize,
    /// An array's first block (four slots).
    block: usize,
    /// An array's element, in a `Vec` that grows by doubling.
    element: usize,
}

const COSTS: Costs = Costs {
    element_struct: 2 * size_of::<Contact>(),
    inline_struct: size_of::<Contact>(),
    node: 11 * (size_of::<String>() + size_of::<Value>()) + 16,
    entry: 3 * (size_of::<String>() + size_of::<Value>()),
    block: 4 * size_of::<Value>(),
    element: 2 * size_of::<Value>(),
};

/// Whether `body` is estimated to take more than `limit` bytes decoded ([`decoded_size`]).
/// Not read where no body of its length could (no byte opens more than a contact in a `Vec`
/// or a map's first node and entry): at the default cap, a body under 50 KB costs nothing.
pub(crate) fn exceeds(body: &[u8], limit: usize) -> bool {
    let per_byte = COSTS.element_struct + COSTS.node + COSTS.entry;
    body.len().saturating_mul(per_byte) > limit && decoded_size(body, limit) > limit
}

/// The estimate of `body` decoded, counted until it passes `limit`, by what each part decodes
/// into ([`Shape`], [`Costs`]): each string not empty its heap block (at least [`MIN_ALLOC`];
/// [`UNEXPECTED`] times its length where serde expects no string), each key of a map past its
/// first node's its entry and the map its first node, each element of an array its slot and
/// the array its first block, each contact (or inbox) a [`Contact`] in a growing `Vec`, twice
/// serde's scratch buffer (the longest string with escapes, number, or run of brackets
/// skipped), and three times the longest path of keys (held by an error's path). A struct
/// written as an array counts as past the limit. A body that is no JSON object, array or
/// string fails to decode at its first byte: 0.
fn decoded_size(body: &[u8], limit: usize) -> usize {
    let first = body.iter().position(|byte| !byte.is_ascii_whitespace());
    match first.map(|at| body[at]) {
        Some(b'{' | b'[') => {}
        // A string where the page's object belongs: quoted whole in serde's error.
        Some(b'"') => return UNEXPECTED.saturating_mul(body.len()),
        _ => return 0,
    }
    let refused = limit.saturating_add(1);
    let heap = |text: &[u8]| match text.len() {
        0 => 0,
        len => len.max(MIN_ALLOC),
    };
    // The values being read, each with how many items it holds yet and the length of the key
    // it is the value of.
    let mut open: Vec<(Shape, usize, usize)> = Vec::new();
    // serde's scratch buffer holds the longest escaped string, number (with
    // `float_roundtrip`) or run of brackets skipped; an error's path holds the keys of the
    // values open, three times over (serde_path_to_error's chain, its path, its text).
    let (mut scratch, mut path, mut keys, mut key) = (0, 0, 0, 0);
    // The struct member whose value comes next, unescaped as serde reads it.
    let mut member: Cow<'_, [u8]> = Cow::Borrowed(b"");
    // Brackets open past `DEPTH`, skipped.
    let mut skipped = 0;
    let mut size = 0;
    let mut at = first.unwrap_or_default();
    while at < body.len() && size <= limit {
        let byte = body[at];
        if skipped > 0 {
            match byte {
                b'"' => at = string_end(body, at + 1),
                b'{' | b'[' => {
                    skipped += 1;
                    scratch = scratch.max(skipped);
                }
                b'}' | b']' => skipped -= 1,
                _ => {}
            }
            at += 1;
            continue;
        }
        match byte {
            b'"' => {
                let end = string_end(body, at + 1);
                let text = &body[at + 1..end];
                if text.contains(&b'\\') {
                    scratch = scratch.max(text.len());
                }
                let is_key = body[(end + 1).min(body.len())..]
                    .iter()
                    .find(|byte| !byte.is_ascii_whitespace())
                    == Some(&b':');
                if is_key {
                    key = text.len();
                    path = path.max(keys + key);
                }
                size += match (open.last_mut(), is_key) {
                    (Some((Shape::Struct, ..)), true) => {
                        member = unescaped(text);
                        0
                    }
                    (Some((Shape::Map, held, _)), true) => {
                        *held += 1;
                        // The first node holds eleven entries.
                        heap(text)
                            + match *held {
                                1 => COSTS.node,
                                2..=11 => 0,
                                _ => COSTS.entry,
                            }
                    }
                    (Some((Shape::Struct, ..)), false)
                        if !NON_STRING_MEMBERS.contains(&&*member) =>
                    {
                        heap(text)
                    }
                    (Some((Shape::Struct | Shape::Structs, ..)), false) => {
                        UNEXPECTED.saturating_mul(text.len())
                    }
                    _ => element(&mut open) + heap(text),
                };
                at = end + 1;
                continue;
            }
            b'{' | b'[' => {
                size += element(&mut open);
                let into = match (open.last().map(|(into, ..)| *into), byte) {
                    // A struct written as an array.
                    (None | Some(Shape::Structs), b'[') => return refused,
                    (Some(Shape::Struct), b'[') if STRUCT_MEMBERS.contains(&&*member) => {
                        return refused;
                    }
                    (Some(Shape::Struct), _) if WHOLE_VALUES.contains(&&*member) => {
                        if byte == b'{' {
                            Shape::Map
                        } else {
                            Shape::Array
                        }
                    }
                    (None | Some(Shape::Struct), b'{') => {
                        size += COSTS.inline_struct;
                        Shape::Struct
                    }
                    (None | Some(Shape::Struct), _) => Shape::Structs,
                    (Some(Shape::Structs), b'{') => {
                        size += COSTS.element_struct;
                        Shape::Struct
                    }
                    (_, b'{') => Shape::Map,
                    _ => Shape::Array,
                };
                if open.len() == DEPTH {
                    skipped = 1;
                } else {
                    open.push((into, 0, key));
                    keys += key;
                    key = 0;
                }
            }
            b'}' | b']' => {
                if let Some((.., opened_at)) = open.pop() {
                    keys -= opened_at;
                }
            }
            b',' | b':' => {}
            _ if byte.is_ascii_whitespace() => {}
            _ => {
                // A number, `true`, `false` or `null`: read to its end.
                size += element(&mut open);
                let start = at;
                while at + 1 < body.len() && !b",]} \t\r\n".contains(&body[at + 1]) {
                    at += 1;
                }
                scratch = scratch.max(at + 1 - start);
            }
        }
        at += 1;
    }
    size.saturating_add(2 * scratch).saturating_add(3 * path)
}

/// A key's text as serde compares it with a member's name: its escapes read
/// (`custom\u005fattributes` is `custom_attributes`).
fn unescaped(text: &[u8]) -> Cow<'_, [u8]> {
    if !text.contains(&b'\\') {
        return Cow::Borrowed(text);
    }
    let quoted = [&b"\""[..], text, b"\""].concat();
    match serde_json::from_slice::<String>(&quoted) {
        Ok(text) => Cow::Owned(text.into_bytes()),
        Err(_) => Cow::Borrowed(text),
    }
}

/// What a value costs as an element of the value being read: its slot in an array, and the
/// array's block with the first (in a struct or a map, nothing more than its own).
fn element(open: &mut [(Shape, usize, usize)]) -> usize {
    match open.last_mut() {
        Some((Shape::Array, held, _)) => {
            *held += 1;
            COSTS.element + if *held == 1 { COSTS.block } else { 0 }
        }
        _ => 0,
    }
}

/// The index of the quote that closes a string whose contents start at `from` (or the
/// body's end).
fn string_end(body: &[u8], from: usize) -> usize {
    let mut at = from;
    while at < body.len() && body[at] != b'"' {
        at += if body[at] == b'\\' { 2 } else { 1 };
    }
    at.min(body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `item` repeated to about `bytes`, joined by commas, inside a contact's attribute.
    fn dense(item: impl Fn(usize) -> String, bytes: usize) -> String {
        let mut items = String::new();
        let mut n = 0;
        while items.len() < bytes {
            items.push_str(&item(n));
            items.push(',');
            n += 1;
        }
        format!(
            r#"{{"meta":{{"current_page":1}},"payload":[{{"id":1,"custom_attributes":{{"a":[{}]}}}}]}}"#,
            items.trim_end_matches(',')
        )
    }

    fn ratio(body: &str) -> f64 {
        decoded_size(body.as_bytes(), usize::MAX) as f64 / body.len() as f64
    }

    #[test]
    fn dense_bodies_are_estimated_at_what_they_decode_to_or_more() {
        // What each decoded to, in times its bytes, measured (reviews 84, 90 and 92).
        let array = |item: &'static str| move |_| item.to_owned();
        for (what, body, measured) in [
            ("zeros", dense(array("0"), 100_000), 21.0),
            ("arrays of one", dense(array("[0]"), 100_000), 44.5),
            ("maps of one", dense(array(r#"{"a":0}"#), 100_000), 89.0),
            ("short strings", dense(array(r#""x""#), 100_000), 16.0),
        ] {
            assert!(ratio(&body) >= measured, "{what}: {}", ratio(&body));
        }
        let keys: String = (0..10_000).map(|n| format!(r#""{n:04}":0,"#)).collect();
        let keys = format!(
            r#"{{"payload":[{{"id":1,"custom_attributes":{{{}}}}}]}}"#,
            keys.trim_end_matches(',')
        );
        assert!(ratio(&keys) >= 18.0, "short keys: {}", ratio(&keys));
        // Review 94's ways past the scan: the page number (an untagged enum buffers what it
        // is given), a member's name escaped, a deep member serde skips before the rest.
        let zeros = vec!["0"; 100_000].join(",");
        for (what, body) in [
            (
                "page number",
                format!(r#"{{"meta":{{"current_page":[{zeros}]}}}}"#),
            ),
            (
                "escaped name",
                format!(r#"{{"payload":[{{"id":1,"custom\u005fattributes":{{"a":[{zeros}]}}}}]}}"#),
            ),
            (
                "deep member first",
                format!(
                    r#"{{"x":{}{},"payload":[{{"id":1,"custom_attributes":{{"a":[{zeros}]}}}}]}}"#,
                    "[".repeat(200),
                    "]".repeat(200)
                ),
            ),
        ] {
            assert!(ratio(&body) >= 21.0, "{what}: {}", ratio(&body));
        }
        // Review 95's: a string where serde expects none (quoted, escaped, in its error), at
        // a member, as the page itself, as the page number; inboxes written as arrays.
        let dels = "\u{7f}".repeat(100_000);
        for (what, body) in [
            (
                "a flag",
                format!(r#"{{"payload":[{{"id":1,"blocked":"{dels}"}}]}}"#),
            ),
            ("the page", format!(r#""{dels}""#)),
            (
                "the page number",
                format!(r#"{{"meta":{{"current_page":"{dels}"}}}}"#),
            ),
        ] {
            assert!(ratio(&body) >= 29.9, "{what}: {}", ratio(&body));
        }
        // Review 96's: a long key a struct does not know (free to read, held three times by
        // the error's path), a member nested deeper than serde decodes (its brackets in
        // serde's scratch buffer).
        let key = "a".repeat(100_000);
        let unknown = format!(r#"{{"payload":[{{"id":1,"{key}":}}]}}"#);
        assert!(ratio(&unknown) >= 3.0, "long key: {}", ratio(&unknown));
        let deep = format!(r#"{{"payload":[{{"id":1,"x":{}"#, "[".repeat(100_000));
        assert!(ratio(&deep) >= 1.5, "deep member: {}", ratio(&deep));
        let arrays = format!(
            r#"{{"payload":[{{"id":1,"contact_inboxes":[{}]}}]}}"#,
            vec!["[]"; 100_000].join(",")
        );
        assert!(decoded_size(arrays.as_bytes(), 1_000_000) > 1_000_000);
        let contacts = format!(
            r#"{{"payload":[{}]}}"#,
            vec![r#"{"id":1}"#; 10_000].join(",")
        );
        assert!(ratio(&contacts) >= 58.6, "contacts: {}", ratio(&contacts));
    }

    #[test]
    fn an_honest_page_is_estimated_at_a_few_times_its_bytes() {
        // The documentation's contact, fifteen times: its keys are a struct's, its maps small.
        let contact = r#"{"additional_attributes":{"source_id":"email:ed5c8362-425c-4589-8adb-61a033d8c5fb.support@engagelab.com"},"availability_status":"offline","email":"support@engagelab.com","id":64464046,"name":"support","phone_number":null,"blocked":false,"identifier":null,"thumbnail":"","custom_attributes":{},"last_activity_at":1778572024,"created_at":1778570103,"contact_inboxes":[{"source_id":"support@engagelab.com","inbox":{"id":985,"channel_id":107,"name":"邮箱","channel_type":"Channel::Email","provider":null}}]}"#;
        let page = format!(
            r#"{{"meta":{{"count":15,"current_page":1}},"payload":[{}]}}"#,
            vec![contact; 15].join(",")
        );
        let ratio_of = ratio;
        let ratio = ratio_of(&page);
        assert!((3.0..8.0).contains(&ratio), "{ratio}");
        // The spec's newer server's contact: small maps of a few keys each (12.25 when each key
        // was charged a map's entry, review 95).
        let newer = r#"{"additional_attributes":{"company_name":"EngageLab","city":"Shenzhen","country":"China","country_code":"CN","social_profiles":{"github":"engagelab"}},"availability_status":"online","email":"li.lei@example.com","id":4503599627370497,"name":"李雷 🚀","phone_number":"+8613800000000","blocked":true,"identifier":"user-42","thumbnail":"https://cdn.example.com/avatars/42.png","custom_attributes":{"plan":"pro","seats":12,"trial":false,"tags":["a","b"],"billing":{"vat":null}},"created_at":1700000000}"#;
        let page = format!(
            r#"{{"meta":{{"count":15,"current_page":"2","has_more":false}},"payload":[{}]}}"#,
            vec![newer; 15].join(",")
        );
        let ratio = ratio_of(&page);
        assert!((3.0..10.0).contains(&ratio), "{ratio}");
        // Strings at members the structs do not know are skipped (review 96: 16 times).
        let extra = contact.replacen(
            r#""id":64464046"#,
            &format!(
                r#""id":64464046,"contact_type":"lead","avatar":"https://example.com/{}","updated_at":"2024-01-02T03:04:05Z""#,
                "a".repeat(300)
            ),
            1,
        );
        let page = format!(r#"{{"payload":[{}]}}"#, vec![extra.as_str(); 15].join(","));
        let ratio = ratio_of(&page);
        assert!((1.0..8.0).contains(&ratio), "{ratio}");
    }

    #[test]
    fn the_scan_reads_json_only_until_the_limit() {
        // Commas, brackets, colons and escaped quotes inside strings are text (and a string
        // with escapes is read through serde's scratch buffer).
        let text = r#"{"payload":[{"name":"x,[{y\":z"}]}"#;
        assert_eq!(
            decoded_size(text.as_bytes(), usize::MAX),
            COSTS.inline_struct
                + COSTS.element_struct
                + MIN_ALLOC
                + 2 * r#"x,[{y\":z"#.len()
                + 3 * "payloadname".len()
        );
        // Not JSON (an HTML page, nothing): it fails to decode at once; a JSON string is quoted
        // in serde's error.
        for body in ["<!DOCTYPE html><script>a=[1,2,{}]</script>", "", "  "] {
            assert_eq!(decoded_size(body.as_bytes(), 0), 0, "{body}");
        }
        assert_eq!(decoded_size(br#""[1,2]""#, 0), UNEXPECTED * 7);
        // Counting stops once the estimate passes the limit.
        let endless = format!(
            r#"{{"payload":[{{"custom_attributes":{{"a":[{}"#,
            "0,".repeat(1_000_000)
        );
        assert!(
            decoded_size(endless.as_bytes(), 1000) <= 1000 + COSTS.node + COSTS.entry + MIN_ALLOC
        );
        // Nesting deeper than serde_json decodes stops the scan (and its stack) there.
        let deep = format!(
            r#"{{"payload":[{{"custom_attributes":{{"a":{}"#,
            "[".repeat(1_000_000)
        );
        // (the brackets past it counted as serde's scratch, as an unknown member's are).
        assert!(
            decoded_size(deep.as_bytes(), usize::MAX)
                < 10_000 + DEPTH * (COSTS.block + COSTS.element) + 2 * 1_000_000
        );
        // A struct written as an array (the page, a contact) is no page a server sends.
        assert_eq!(decoded_size(b"[[]]", 1000), 1001);
        assert_eq!(decoded_size(br#"{"payload":[[]]}"#, 1000), 1001);
        // Read only where the body's length allows more than the limit, and the bound holds.
        assert!(exceeds(endless.as_bytes(), 1000));
        let small = br#"{"custom_attributes":{"a":[0,0]}}"#;
        let estimate = decoded_size(small, usize::MAX);
        assert!(!exceeds(small, estimate) && exceeds(small, estimate - 1));
        assert!(exceeds(
            br#"{"payload":[{}]}"#,
            COSTS.inline_struct + COSTS.element_struct - 1
        ));
    }
}
