//! `public-api-list RUSTDOC_JSON`: prints the public API, one sorted item a line, as
//! `cargo public-api --simplified` does: blanket impls (`impl<T> From<T> for T`, and the
//! dependencies' extension traits) are left out, auto-trait impls (`Send`, `Sync`, ...) kept.
//! Impls of the compiler's unstable marker traits are left out too (below).

use std::process::ExitCode;

/// Traits no stable code can name, so no user can depend on them: `Freeze` and `UnsafeUnpin`
/// (auto traits that come and go between toolchains) and `StructuralPartialEq` (implied by
/// `derive(PartialEq)`). Listing them would tie the snapshot to one compiler version.
const UNSTABLE_MARKERS: [&str; 3] = [
    "core::marker::Freeze",
    "core::marker::UnsafeUnpin",
    "core::marker::StructuralPartialEq",
];

/// Whether the listed `item` is an impl of one of the unstable marker traits.
fn is_unstable_marker_impl(item: &str) -> bool {
    // `impl X for T`, `impl !X for T`, `impl<T> X for U<T>`.
    item.starts_with("impl")
        && UNSTABLE_MARKERS.iter().any(|marker| {
            item.contains(&format!(" {marker} for ")) || item.contains(&format!("!{marker} for "))
        })
}

fn main() -> ExitCode {
    let Some(json) = std::env::args_os().nth(1) else {
        eprintln!("usage: public-api-list RUSTDOC_JSON");
        return ExitCode::from(2);
    };
    match public_api::Builder::from_rustdoc_json(&json)
        .omit_blanket_impls(true)
        .build()
    {
        Ok(api) => {
            for item in api.items().map(ToString::to_string) {
                if !is_unstable_marker_impl(&item) {
                    println!("{item}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{}: {error}", json.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}
