//! Generates the typed client from `openapi/livedesk.yaml` into `OUT_DIR` with progenitor.
//!
//! Editing the spec and running `cargo build` is the whole regeneration workflow. Besides
//! running progenitor, this script adapts its output to the hand-written layer in `src/`:
//!
//! - Error responses are dropped from the copy of the spec that progenitor sees. progenitor's
//!   typed error responses fail on the plain-text and HTML bodies this API really sends, so
//!   every non-2xx answer reaches `src/error.rs` untouched, which reads any body.
//! - Each builder's generated `send` is renamed `send_generated` and made private, and a
//!   public `send` that returns this crate's `Error` is put in its place: one error type, and
//!   no second way to send a request that skips it.
//! - The `api-version` header progenitor sends with every request is taken out: the server
//!   has no use for it, and removing it at build time costs nothing per request.
//! - Builder fields become `pub(crate)` so `src/` can read them (pagination needs the page).
//! - The generated `Client::new` is removed and `Client::new_with_client` becomes `pub(crate)`:
//!   a client is only built through `ClientBuilder`, which checks the credentials and the base
//!   URL (and `new` would panic if the TLS backend failed to start).
//!
//! It also writes `parameters.rs`: what each query parameter accepts, in words, for the
//! error a refused argument gets.

use std::{env, fs, path::PathBuf, process::ExitCode};

use quote::quote;
use syn::visit_mut::VisitMut;

const SPEC: &str = "openapi/livedesk.yaml";

/// Schemas whose values are open sets: they are replaced by hand-written enums in
/// `src/enums.rs` that keep unknown values instead of failing the whole page.
const REPLACEMENTS: &[(&str, &str)] = &[
    ("AvailabilityStatus", "crate::enums::AvailabilityStatus"),
    ("ChannelType", "crate::enums::ChannelType"),
    ("Provider", "crate::enums::Provider"),
];

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

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_inner_type(quote!(crate::transport::Transport))
        .with_hooks(progenitor::HooksMode::Expected)
        .with_derive("PartialEq")
        .with_derive("schemars::JsonSchema");
    for (schema, rust_type) in REPLACEMENTS {
        settings.with_replacement(schema, rust_type, std::iter::empty());
    }
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor cannot generate a client from it: {e}"))?;

    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    // `src/lib.rs` re-exports what users need; the generated prelude would only repeat it.
    file.items
        .retain(|item| !matches!(item, syn::Item::Mod(m) if m.ident == "prelude"));
    let mut adapt = Adapt::default();
    adapt.visit_file_mut(&mut file);
    if adapt.sends == 0 || adapt.constructors != 2 || adapt.api_version_headers != adapt.sends {
        return Err(format!(
            "the generated code no longer has the shape build.rs adapts (found {} `send` \
             methods, {} `Client` constructors, {} `api-version` headers); update build.rs for \
             this progenitor",
            adapt.sends, adapt.constructors, adapt.api_version_headers
        ));
    }

    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let write = |name: &str, code: String| {
        let path = out_dir.join(name);
        fs::write(&path, code).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("livedesk.rs", prettyplease::unparse(&file))?;
    write("parameters.rs", parameter_rules(&spec))
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
                rules.push(quote!((#setter, #rule, #required)));
            }
        }
    }
    quote!(
        /// Each query parameter's setter, what it accepts, and whether it is required.
        const PARAMETER_RULES: &[(&str, &str, bool)] = &[#(#rules),*];
    )
    .to_string()
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

#[derive(Default)]
struct Adapt {
    sends: usize,
    constructors: usize,
    api_version_headers: usize,
}

impl VisitMut for Adapt {
    fn visit_item_mod_mut(&mut self, module: &mut syn::ItemMod) {
        if module.ident == "builder" {
            for item in module.content.iter_mut().flat_map(|(_, items)| items) {
                match item {
                    syn::Item::Struct(s) => {
                        for field in s.fields.iter_mut() {
                            field.vis = syn::parse_quote!(pub(crate));
                        }
                    }
                    syn::Item::Impl(imp) => self.wrap_send(imp),
                    _ => {}
                }
            }
        }
        // Only the top-level `builder` module holds operation builders; `types::builder`
        // holds struct builders, which stay as they are.
    }

    fn visit_item_impl_mut(&mut self, imp: &mut syn::ItemImpl) {
        let is_client = matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"));
        if is_client && imp.trait_.is_none() {
            let before = imp.items.len();
            imp.items
                .retain(|item| !matches!(item, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
            self.constructors += before - imp.items.len();
            for item in &mut imp.items {
                if let syn::ImplItem::Fn(f) = item
                    && f.sig.ident == "new_with_client"
                {
                    f.vis = syn::parse_quote!(pub(crate));
                    self.constructors += 1;
                }
            }
        }
    }
}

impl Adapt {
    fn wrap_send(&mut self, imp: &mut syn::ItemImpl) {
        let mut wrapper = None;
        for item in &mut imp.items {
            let syn::ImplItem::Fn(f) = item else { continue };
            if f.sig.ident != "send" {
                continue;
            }
            let Some(ok) = ok_type(&f.sig.output) else {
                continue;
            };
            self.api_version_headers += drop_api_version_header(&mut f.block);
            f.sig.ident = syn::parse_quote!(send_generated);
            f.vis = syn::Visibility::Inherited;
            let docs = f.attrs.iter().filter(|a| a.path().is_ident("doc"));
            wrapper = Some(syn::parse_quote! {
                #(#docs)*
                ///
                /// Arguments are checked first: an invalid one is refused with
                /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) before any request.
                /// Any other failure is a [`crate::Error`] that keeps the status and the
                /// server's message.
                pub async fn send(self) -> ::std::result::Result<#ok, crate::Error> {
                    crate::error::from_generated(self.send_generated().await).await
                }
            });
        }
        if let Some(wrapper) = wrapper {
            imp.items.push(wrapper);
            self.sends += 1;
        }
    }
}

/// Removes the `api-version` header progenitor adds to every request (the server has no use
/// for it), and the header map built for it when nothing else goes in. Returns 1 if found.
fn drop_api_version_header(block: &mut syn::Block) -> usize {
    let text = |stmt: &syn::Stmt| quote!(#stmt).to_string();
    let before = block.stmts.len();
    block
        .stmts
        .retain(|stmt| !text(stmt).contains("\"api-version\""));
    let found = before - block.stmts.len();
    if !block
        .stmts
        .iter()
        .any(|stmt| text(stmt).contains("header_map . append"))
    {
        block
            .stmts
            .retain(|stmt| !text(stmt).starts_with("let mut header_map"));
        StripHeaders.visit_block_mut(block);
    }
    found
}

/// Turns `request_builder.headers(header_map)` into `request_builder`.
struct StripHeaders;

impl VisitMut for StripHeaders {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let syn::Expr::MethodCall(call) = expr
            && call.method == "headers"
            && call.args.len() == 1
            && matches!(&call.args[0], syn::Expr::Path(p) if p.path.is_ident("header_map"))
        {
            *expr = (*call.receiver).clone();
        }
    }
}

/// The `T` of a generated `Result<T, Error<E>>` return type.
fn ok_type(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let syn::Type::Path(path) = &**ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}
