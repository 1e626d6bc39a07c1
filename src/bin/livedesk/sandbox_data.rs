//! Reading a data set of your own contacts for the sandbox (`--data`, `--sandbox-data`).

use std::path::Path;

use livedesk::{SandboxBuilder, SandboxData};

/// The builder serving the contacts in `path` (a JSON array of contacts in the API's wire
/// shape), or the usage error that names the flag, the file and what is wrong: nothing is
/// served from a file that does not load whole.
pub(crate) fn with_data(
    builder: SandboxBuilder,
    flag: &str,
    path: Option<&Path>,
) -> Result<SandboxBuilder, String> {
    let Some(path) = path else {
        return Ok(builder);
    };
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{flag} {shown}: cannot read it: {e}"))?;
    let data = SandboxData::from_json(&text).map_err(|e| format!("{flag} {shown}: {e}"))?;
    Ok(builder.data(data))
}
