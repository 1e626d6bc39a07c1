//! Generates the typed client from `openapi/livedesk.yaml` into `OUT_DIR` with progenitor.
//!
//! Editing the spec and running `cargo build` is the whole regeneration workflow. The
//! generated client is a private engine under the hand-written surface in `src/`; this script
//! only adapts what generation needs:
//!
//! - Error responses are dropped from the copy of the spec that progenitor sees. progenitor's
//!   typed error responses fail on the plain-text and HTML bodies this API really sends, so
//!   every non-2xx answer reaches `src/error.rs` untouched, which reads any body.
//! - The spec's data types (`types`) are marked `#[non_exhaustive]`, so that adding an
//!   optional property or an enum value to the spec is not a breaking change for users.
//!
//! It also writes `parameters.rs`: each query parameter's name and what it accepts, in words,
//! for the error a refused argument gets and for the check that the hand-written search
//! builder forwards every parameter.

use std::{env, fs, path::PathBuf, process::ExitCode};

use quote::quote;

const SPEC: &str = "openapi/livedesk.yaml";

/// Schemas whose values are open sets: they are replaced by hand-written enums in
/// `src/enums.rs` that keep unknown values instead of failing the whole page.
const REPLACEMENTS: &[(&str, &str)] = &[
    ("AvailabilityStatus", "crate::enums::AvailabilityStatus"),
    ("ChannelType", "crate::enums::ChannelType"),
    ("Provider", "crate::enums::Provider"),
];

/// The sort parameters' closed sets, hand-written in `src/enums.rs` so that a value refused is
/// the crate's error, which names what the parameter accepts (the generated ones' error is a
/// private type).
const CLOSED: &[(&str, &str)] = &[
    ("SortField", "crate::enums::SortField"),
    ("SortDirection", "crate::enums::SortDirection"),
];

/// The spec's `sort` parameter (`SortKey`) is a `SortField` or upstream's `-field` form; this
/// crate sends the field with `direction`, and `src/order.rs` writes the `-` form for a server
/// that reads only that, so its setter takes the `SortField`.
const SORT_KEY: (&str, &str) = ("SortKey", "crate::enums::SortField");

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed={SPEC}");
    match generate() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {SPEC}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn generate() -> Result<(), String> {
    let text = fs::read_to_string(SPEC).map_err(|e| format!("cannot read: {e}"))?;
    let mut spec: openapiv3::OpenAPI = yaml_serde::from_str(&text)
        .map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;
    keep_only_success_responses(&mut spec);
    default_to_empty(&mut spec)?;

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_inner_type(quote!(crate::transport::Transport))
        .with_hooks(progenitor::HooksMode::Expected)
        .with_derive("PartialEq")
        .with_derive("schemars::JsonSchema");
    for (schema, rust_type) in REPLACEMENTS.iter().chain(CLOSED).chain([&SORT_KEY]) {
        settings.with_replacement(schema, rust_type, std::iter::empty());
    }
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor cannot generate a client from it: {e}"))?;

    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    let marked = mark_types_non_exhaustive(&mut file);
    if marked == 0 {
        return Err(
            "the generated code has no `types` module: update build.rs for this \
                    progenitor"
                .into(),
        );
    }

    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let write = |name: &str, code: String| {
        let path = out_dir.join(name);
        fs::write(&path, code).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("livedesk.rs", prettyplease::unparse(&file))?;
    write("parameters.rs", parameter_rules(&spec))?;
    Ok(())
}

/// What each query parameter accepts, in words, from its schema: `src/error.rs` puts it in
/// the message when a setter's value is refused (the generated message only names the type).
fn parameter_rules(spec: &openapiv3::OpenAPI) -> String {
    use openapiv3::{ParameterSchemaOrContent, ReferenceOr, SchemaKind, Type};
    let resolve = |schema: &ReferenceOr<openapiv3::Schema>| -> Option<openapiv3::Schema> {
        match schema {
            ReferenceOr::Item(schema) => Some(schema.clone()),
            ReferenceOr::Reference { reference } => {
                let name = reference.rsplit('/').next()?;
                // The setter takes what the replacement's schema accepts.
                let name = match name == SORT_KEY.0 {
                    true => SORT_KEY.1.rsplit("::").next()?,
                    false => name,
                };
                spec.components
                    .as_ref()?
                    .schemas
                    .get(name)?
                    .as_item()
                    .cloned()
            }
        }
    };
    let mut rules = Vec::new();
    for (_, item) in spec.paths.iter() {
        let Some(item) = item.as_item() else { continue };
        for (_, op) in item.iter() {
            for param in op.parameters.iter().filter_map(ReferenceOr::as_item) {
                let data = param.parameter_data_ref();
                let ParameterSchemaOrContent::Schema(schema) = &data.format else {
                    continue;
                };
                let Some(schema) = resolve(schema) else {
                    continue;
                };
                let rule = match &schema.schema_kind {
                    SchemaKind::Type(Type::String(s)) if !s.enumeration.is_empty() => {
                        let values: Vec<String> = s
                            .enumeration
                            .iter()
                            .flatten()
                            .map(|v| format!("`{v}`"))
                            .collect();
                        format!("one of {}", values.join(", "))
                    }
                    SchemaKind::Type(Type::String(s))
                        if s.pattern.as_deref() == Some(r"\S") && s.max_length.is_none() =>
                    {
                        "text that is not blank".to_owned()
                    }
                    SchemaKind::Type(Type::String(s)) => {
                        let mut rule = match (s.min_length, s.max_length) {
                            (Some(min), Some(max)) => format!("{min} to {max} characters"),
                            (Some(min), None) => format!("at least {min} characters"),
                            (None, Some(max)) => format!("at most {max} characters"),
                            (None, None) => "a string".to_owned(),
                        };
                        match s.pattern.as_deref() {
                            Some(r"\S") => rule.push_str(", not only whitespace"),
                            Some(pattern) => rule.push_str(&format!(" matching `{pattern}`")),
                            None => {}
                        }
                        rule
                    }
                    SchemaKind::Type(Type::Integer(i)) => match (i.minimum, i.maximum) {
                        (Some(min), Some(max)) => format!("an integer from {min} to {max}"),
                        (Some(min), None) => format!("an integer of at least {min}"),
                        (None, Some(max)) => format!("an integer of at most {max}"),
                        (None, None) => "an integer".to_owned(),
                    },
                    SchemaKind::Type(Type::Boolean(_)) => "`true` or `false`".to_owned(),
                    SchemaKind::Type(Type::Array(_)) => "a list of strings".to_owned(),
                    _ => continue,
                };
                // The builder's setter is the parameter's name without `[]` and the like.
                let setter: String = data
                    .name
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let required = data.required;
                // typify types an integer parameter by its minimum only (`NonZeroU32` for
                // `minimum: 1`); the maximum is checked by the hand-written builder.
                let maximum = match &schema.schema_kind {
                    SchemaKind::Type(Type::Integer(i)) => i.maximum,
                    _ => None,
                };
                let maximum = match maximum {
                    Some(max) => quote!(Some(#max)),
                    None => quote!(None),
                };
                rules.push(quote!((#setter, #rule, #required, #maximum)));
            }
        }
    }
    quote!(
        /// Each query parameter's setter, what it accepts, whether it is required, and its
        /// maximum if it is an integer that has one.
        const PARAMETER_RULES: &[(&str, &str, bool, Option<i64>)] = &[#(#rules),*];
    )
    .to_string()
}

/// Object members the spec describes as "absent counts as empty": the Rust types take an
/// empty value for them instead of an `Option`. The spec cannot say so itself: OpenAPI 3.0
/// has no default for an object property that every generator accepts (openapi-python-client
/// refuses one), so the default is added to the copy progenitor sees.
const EMPTY_WHEN_ABSENT: &[(&str, &str)] = &[("ContactList", "meta"), ("ContactInbox", "inbox")];

fn default_to_empty(spec: &mut openapiv3::OpenAPI) -> Result<(), String> {
    for (schema, member) in EMPTY_WHEN_ABSENT {
        use openapiv3::{ReferenceOr, SchemaKind, Type};
        let property = spec
            .components
            .as_mut()
            .and_then(|components| components.schemas.get_mut(*schema))
            .and_then(|schema| match schema {
                ReferenceOr::Item(schema) => Some(schema),
                ReferenceOr::Reference { .. } => None,
            })
            .and_then(|schema| match &mut schema.schema_kind {
                SchemaKind::Type(Type::Object(object)) => object.properties.get_mut(*member),
                _ => None,
            })
            .and_then(|property| match property {
                ReferenceOr::Item(property) => Some(property),
                ReferenceOr::Reference { .. } => None,
            })
            .ok_or_else(|| {
                format!("{schema}.{member} is not an inline property: update EMPTY_WHEN_ABSENT")
            })?;
        property.schema_data.default = Some(serde_json::json!({}));
    }
    Ok(())
}

fn keep_only_success_responses(spec: &mut openapiv3::OpenAPI) {
    for (_, item) in spec.paths.paths.iter_mut() {
        if let openapiv3::ReferenceOr::Item(item) = item {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for op in ops.into_iter().flatten() {
                op.responses.default = None;
                op.responses.responses.retain(|code, _| match *code {
                    openapiv3::StatusCode::Code(n) => (200..300).contains(&n),
                    openapiv3::StatusCode::Range(r) => r == 2,
                });
            }
        }
    }
}

/// Adds `#[non_exhaustive]` to every struct and enum of the generated `types` module, and
/// returns how many it marked.
fn mark_types_non_exhaustive(file: &mut syn::File) -> usize {
    let mut marked = 0;
    for item in &mut file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "types" {
            continue;
        }
        for item in module.content.iter_mut().flat_map(|(_, items)| items) {
            // typify's builders, default functions and conversion error are how the
            // generator works, not a promise: crate-private, so that they can change with it.
            match item {
                syn::Item::Mod(inner) => {
                    inner.vis = syn::parse_quote!(pub(crate));
                    continue;
                }
                syn::Item::Impl(block) => {
                    for member in &mut block.items {
                        if let syn::ImplItem::Fn(f) = member
                            && f.sig.ident == "builder"
                        {
                            f.vis = syn::parse_quote!(pub(crate));
                        }
                    }
                    continue;
                }
                _ => {}
            }
            let attrs = match item {
                syn::Item::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => &mut s.attrs,
                syn::Item::Enum(e) => &mut e.attrs,
                _ => continue,
            };
            attrs.push(syn::parse_quote!(#[non_exhaustive]));
            marked += 1;
        }
    }
    marked
}
