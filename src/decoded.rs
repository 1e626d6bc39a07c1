//! What a success body would take in memory once decoded, estimated before decoding it.
//!
//! The body cap bounds bytes, not what they decode to: a value of two bytes (`0,`) takes 16
//! times that as a `serde_json::Value`, and a contact of nine (`{"id":1},`) 29 times as a
//! [`Contact`]. Pages of 15 contacts within the cap but dense with such values grew memory
//! by 20 to 60 times the cap; a page of honest contacts decodes to about its size.

use std::mem::size_of;

use crate::Contact;

/// A success body may decode to this many times its cap at most, as estimated. An honest page
/// is estimated at a few times its bytes (the sandbox's at 4.2; more where it holds many small
/// objects, which the estimate counts as contacts: an inbox entry alone at about 8.5), far
/// under the limit for pages of tens of kilobytes at any cap of a megabyte or more; one of
/// `0,0,…` at 16 times, refused from a quarter of the cap.
pub(crate) const DECODED_PER_CAP: usize = 4;

/// Whether `body` is estimated to take more than `limit` bytes decoded ([`decoded_size`]).
/// Not read where no body of its length could (the first value, then each byte an object):
/// at the default cap, a body under 226 KB costs nothing.
pub(crate) fn exceeds(body: &[u8], limit: usize) -> bool {
    let value = size_of::<serde_json::Value>();
    let most = body
        .len()
        .saturating_mul(value + size_of::<Contact>())
        .saturating_add(value);
    most > limit && decoded_size(body, limit) > limit
}

/// The estimate of `body` decoded, counted until it passes `limit`: each JSON value as a
/// `serde_json::Value` and each object as a [`Contact`] besides (the largest the crate
/// decodes; an attribute map takes less). A body that is no JSON object or array fails to
/// decode at its first byte: 0.
fn decoded_size(body: &[u8], limit: usize) -> usize {
    let first = body.iter().find(|byte| !byte.is_ascii_whitespace());
    if !matches!(first, Some(b'{' | b'[')) {
        return 0;
    }
    let (value, object) = (size_of::<serde_json::Value>(), size_of::<Contact>());
    // The first value, then each object or array and each value after a comma.
    let (mut size, mut in_string, mut escaped) = (value, false, false);
    for &byte in body {
        if in_string {
            (escaped, in_string) = match byte {
                _ if escaped => (false, true),
                b'\\' => (true, true),
                b'"' => (false, false),
                _ => (false, true),
            };
            continue;
        }
        size += match byte {
            b'{' => value + object,
            b'[' | b',' => value,
            b'"' => {
                in_string = true;
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
        for (body, values, objects) in [
            ("[1,2,3]", 4, 0),
            (r#" {"a":1,"b":[true,null]}"#, 5, 1),
            // Commas, brackets and escaped quotes inside strings are no values.
            (r#"{"a":"x,[{y\",z"}"#, 2, 1),
        ] {
            let expected = values * value + objects * object;
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
        // The bound holds for a body of objects alone.
        assert!(exceeds(b"{", value + object));
        assert!(exceeds(b"[{},{}]", 3 * value + 2 * object - 1));
    }
}
