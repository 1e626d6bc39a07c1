//! What a success body would take in memory once decoded, estimated before decoding it.
//!
//! The body cap bounds bytes, not what they decode to: a value of two bytes (`0,`) takes 16
//! times that as a `serde_json::Value`, a contact of nine (`{"id":1},`) 29 times as a
//! [`Contact`], and an attribute of nine (`"abcd":0,`) about 18 times in its map (the key's
//! `String` and heap block, the value, the map's node). Pages of 15 contacts within the cap
//! but dense with such values grew memory by 16 to 60 times the cap; a page of honest
//! contacts decodes to about its size.

use std::mem::size_of;

use crate::Contact;

/// A success body may decode to this many times its cap at most, as estimated. An honest page
/// is estimated at about 12 times its bytes (the sandbox's 11.8 to 12.2; an inbox entry alone
/// 13.7: the estimate counts a contact's keys as a map's, and its small objects as contacts),
/// far under the limit for pages of tens of kilobytes at any cap of a megabyte or more; one of
/// `0,0,…` at 16 times, refused from a quarter of the cap.
pub(crate) const DECODED_PER_CAP: usize = 4;

/// The smallest heap block a string takes (glibc's for up to 24 bytes, its header included).
const MIN_ALLOC: usize = 32;

/// Whether `body` is estimated to take more than `limit` bytes decoded ([`decoded_size`]).
/// Not read where no body of its length could (the first value, then each byte an object,
/// more than a key's or a string's byte costs): at the default cap, a body under 226 KB
/// costs nothing.
pub(crate) fn exceeds(body: &[u8], limit: usize) -> bool {
    let value = size_of::<serde_json::Value>();
    let most = body
        .len()
        .saturating_mul(value + size_of::<Contact>())
        .saturating_add(value);
    most > limit && decoded_size(body, limit) > limit
}

/// The estimate of `body` decoded, counted until it passes `limit`: each JSON value as a
/// `serde_json::Value`, each object as a [`Contact`] besides (the largest the crate decodes;
/// an attribute map takes less), each string's heap block (at least [`MIN_ALLOC`]), and each
/// key as a map's entry (a contact's own keys take nothing, but telling them apart is not
/// worth the scan). A body that is no
/// JSON object or array fails to decode at its first byte: 0.
fn decoded_size(body: &[u8], limit: usize) -> usize {
    let first = body.iter().find(|byte| !byte.is_ascii_whitespace());
    if !matches!(first, Some(b'{' | b'[')) {
        return 0;
    }
    let (value, object) = (size_of::<serde_json::Value>(), size_of::<Contact>());
    // A map entry: its key's `String` and its value's slot in the map's node, twice (keys
    // that come in order leave the nodes half full).
    let key = 2 * (size_of::<String>() + value);
    // The first value, then each object or array and each value after a comma.
    let (mut size, mut in_string, mut escaped, mut length) = (value, false, false, 0);
    for &byte in body {
        if in_string {
            (escaped, in_string) = match byte {
                _ if escaped => (false, true),
                b'\\' => (true, true),
                b'"' => (false, false),
                _ => (false, true),
            };
            length += 1;
            if !in_string {
                size += length.max(MIN_ALLOC);
            }
            continue;
        }
        size += match byte {
            b'{' => value + object,
            b'[' | b',' => value,
            b':' => key,
            b'"' => {
                (in_string, length) = (true, 0);
                0
            }
            _ => 0,
        };
        if size > limit {
            break;
        }
    }
    size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_objects_are_counted_outside_strings_until_the_limit() {
        let (value, object) = (size_of::<serde_json::Value>(), size_of::<Contact>());
        let key = 2 * (size_of::<String>() + value);
        for (body, values, objects, strings, keys) in [
            ("[1,2,3]", 4, 0, 0, 0),
            (r#" {"a":1,"b":[true,null]}"#, 5, 1, 2, 2),
            // Commas, brackets, colons and escaped quotes inside strings are no values.
            (r#"{"a":"x,[{y\":z"}"#, 2, 1, 2, 1),
        ] {
            let expected = values * value + objects * object + strings * MIN_ALLOC + keys * key;
            assert_eq!(
                decoded_size(body.as_bytes(), usize::MAX),
                expected,
                "{body}"
            );
            // Counting stops once the estimate passes the limit, not before.
            assert_eq!(decoded_size(body.as_bytes(), expected), expected, "{body}");
            assert!(
                decoded_size(body.as_bytes(), expected - 1) > expected - 1,
                "{body}"
            );
        }
        // Not JSON (an HTML page, a string, nothing): it fails to decode at once.
        for body in [
            "<!DOCTYPE html><script>a=[1,2,{}]</script>",
            r#""[1,2]""#,
            "",
            "  ",
        ] {
            assert_eq!(decoded_size(body.as_bytes(), 0), 0, "{body}");
        }
        let endless = format!("[{}", "0,".repeat(1_000_000));
        assert!(decoded_size(endless.as_bytes(), 100) <= 100 + value);
        // Read only where the body's length allows more than the limit.
        assert!(exceeds(endless.as_bytes(), 100));
        assert!(!exceeds(b"[0,0]", 4 * value));
        assert!(!exceeds(b"[0,0]", 5 * (value + object) + value));
        // A string's heap block counts its length past the smallest.
        let long = format!(r#"["{}"]"#, "x".repeat(100));
        assert_eq!(decoded_size(long.as_bytes(), usize::MAX), 2 * value + 101);
        // An attribute map of short keys (review 90's page: 18 times its bytes decoded) is
        // estimated at more than that.
        let map: String = (0..1000).map(|n| format!(r#""{n:04}":0,"#)).collect();
        let map = format!("{{{}}}", map.trim_end_matches(','));
        assert!(decoded_size(map.as_bytes(), usize::MAX) > 18 * map.len());
        // The bound holds for a body of objects alone.
        assert!(exceeds(b"{", value + object));
        assert!(exceeds(b"[{},{}]", 3 * value + 2 * object - 1));
    }
}
