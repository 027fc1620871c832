//! Parsing of `#[message(...)]`: every error is collected, each pointing at its own span.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr, Path};

/// Accessors a field can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Agent,
    Usernames,
    Groups,
    Packages,
    Containers,
    Modules,
    Flatpaks,
}

impl Role {
    const NAMES: &'static str = "agent, usernames, groups, packages, containers, modules, flatpaks";

    fn parse(ident: &Ident) -> Option<Self> {
        Some(match ident.to_string().as_str() {
            "agent" | "agent_name" => Self::Agent,
            "usernames" => Self::Usernames,
            "groups" => Self::Groups,
            "packages" => Self::Packages,
            "containers" => Self::Containers,
            "modules" => Self::Modules,
            "flatpaks" => Self::Flatpaks,
            _ => return None,
        })
    }
}

/// A field with the accessors it feeds.
pub(crate) struct FieldRoles {
    pub(crate) access: proc_macro2::TokenStream,
    pub(crate) span: Span,
    pub(crate) roles: Vec<Role>,
}

/// Everything `#[message(...)]` said about a type.
pub(crate) struct MessageAttrs {
    pub(crate) schema: String,
    pub(crate) topic: String,
    pub(crate) package: Option<String>,
    pub(crate) severity: Option<(Ident, Span)>,
    pub(crate) deprecated: bool,
    pub(crate) summary: Option<LitStr>,
    pub(crate) url: Option<LitStr>,
    pub(crate) app_name: Option<LitStr>,
    pub(crate) app_icon: Option<LitStr>,
    pub(crate) krate: Option<Path>,
    pub(crate) fields: Vec<FieldRoles>,
    pub(crate) named_fields: Vec<Ident>,
}

/// Collects errors so the user sees all of them at once (serde's `Ctxt`).
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
    fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, span: Span, key: &str, errs: &mut Errors) {
    if slot.is_some() {
        errs.at(span, format!("duplicate `{key}` in #[message(...)]"));
    } else {
        *slot = Some(value);
    }
}

pub(crate) fn parse(input: &DeriveInput) -> syn::Result<MessageAttrs> {
    let mut errs = Errors::default();
    let mut schema: Option<LitStr> = None;
    let mut topic: Option<LitStr> = None;
    let mut package: Option<LitStr> = None;
    let mut severity: Option<LitStr> = None;
    let mut deprecated: Option<bool> = None;
    let mut summary = None;
    let mut url = None;
    let mut app_name = None;
    let mut app_icon = None;
    let mut krate: Option<Path> = None;

    for attr in message_attrs(&input.attrs) {
        let res = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            let span = meta.path.span();
            match key.as_str() {
                "schema" => set_once(&mut schema, meta.value()?.parse()?, span, &key, &mut errs),
                "topic" => set_once(&mut topic, meta.value()?.parse()?, span, &key, &mut errs),
                "package" => set_once(&mut package, meta.value()?.parse()?, span, &key, &mut errs),
                "severity" => set_once(&mut severity, meta.value()?.parse()?, span, &key, &mut errs),
                "summary" => set_once(&mut summary, meta.value()?.parse()?, span, &key, &mut errs),
                "url" => set_once(&mut url, meta.value()?.parse()?, span, &key, &mut errs),
                "app_name" => set_once(&mut app_name, meta.value()?.parse()?, span, &key, &mut errs),
                "app_icon" => set_once(&mut app_icon, meta.value()?.parse()?, span, &key, &mut errs),
                "deprecated" => {
                    let v = if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<syn::LitBool>()?.value
                    } else {
                        true
                    };
                    set_once(&mut deprecated, v, span, &key, &mut errs);
                }
                "crate" => {
                    let lit: LitStr = meta.value()?.parse()?;
                    match lit.parse::<Path>() {
                        Ok(p) => set_once(&mut krate, p, span, &key, &mut errs),
                        Err(_) => errs.at(lit.span(), "`crate` must be a path, e.g. \"my_reexport::fedora_messaging\""),
                    }
                }
                _ => {
                    errs.at(
                        span,
                        format!(
                            "unknown key `{}` in #[message(...)]; expected one of: schema, topic, package, severity, deprecated, summary, url, app_name, app_icon, crate",
                            meta.path.get_ident().map(ToString::to_string).unwrap_or_else(|| "?".into())
                        ),
                    );
                    // Skip the value, if any, so parsing goes on to the next key.
                    if meta.input.peek(syn::Token![=]) {
                        let _: syn::Expr = meta.value()?.parse()?;
                    }
                }
            }
            Ok(())
        });
        if let Err(e) = res {
            errs.push(e);
        }
    }

    if !input.generics.params.is_empty() {
        errs.at(
            input.generics.span(),
            "#[derive(Message)] does not support generic types: a schema name belongs to one concrete type",
        );
    }

    let schema = match schema {
        Some(s) => {
            check_schema_name(&s, &mut errs);
            s.value()
        }
        None => {
            errs.at(input.ident.span(), "missing #[message(schema = \"...\")]: the fedora_messaging_schema name, e.g. \"myapp.thing.createdV1\"");
            String::new()
        }
    };
    let topic = match topic {
        Some(t) => {
            check_topic(&t, &mut errs);
            t.value()
        }
        None => {
            errs.at(input.ident.span(), "missing #[message(topic = \"...\")]: the topic messages are published on, e.g. \"myapp.thing.created.v1\"");
            String::new()
        }
    };
    let severity = severity.and_then(|lit| match severity_variant(&lit.value()) {
        Some(v) => Some((Ident::new(v, lit.span()), lit.span())),
        None => {
            errs.at(lit.span(), format!("unknown severity {:?}: expected debug, info, warning, error, or 10, 20, 30, 40", lit.value()));
            None
        }
    });
    let package = package.map(|p| {
        if p.value().trim().is_empty() {
            errs.at(p.span(), "`package` is empty");
        }
        normalize_package(&p.value())
    });
    for tmpl in [&summary, &url].into_iter().flatten() {
        check_template(tmpl, &mut errs);
    }

    let (fields, named_fields) = field_roles(input, &mut errs);
    if let Some(e) = errs.0 {
        return Err(e);
    }
    Ok(MessageAttrs {
        schema,
        topic,
        package,
        severity,
        deprecated: deprecated.unwrap_or(false),
        summary,
        url,
        app_name,
        app_icon,
        krate,
        fields,
        named_fields,
    })
}

fn message_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("message"))
}

fn field_roles(input: &DeriveInput, errs: &mut Errors) -> (Vec<FieldRoles>, Vec<Ident>) {
    let mut out = Vec::new();
    let mut named = Vec::new();
    let fields: Vec<&syn::Field> = match &input.data {
        Data::Struct(s) => s.fields.iter().collect(),
        Data::Enum(e) => {
            for v in &e.variants {
                for f in v.fields.iter() {
                    if let Some(a) = message_attrs(&f.attrs).next() {
                        errs.at(
                            a.span(),
                            "accessor attributes are supported on struct fields only",
                        );
                    }
                }
            }
            Vec::new()
        }
        Data::Union(u) => {
            errs.at(
                u.union_token.span,
                "#[derive(Message)] does not support unions",
            );
            Vec::new()
        }
    };
    if let Data::Struct(s) = &input.data {
        if let Fields::Named(n) = &s.fields {
            named = n.named.iter().filter_map(|f| f.ident.clone()).collect();
        }
    }
    for (i, f) in fields.into_iter().enumerate() {
        let mut roles = Vec::new();
        for attr in message_attrs(&f.attrs) {
            let res = attr.parse_nested_meta(|meta| {
                match meta.path.get_ident().and_then(Role::parse) {
                    Some(r) if roles.contains(&r) => {
                        errs.at(meta.path.span(), "accessor named twice on this field")
                    }
                    Some(r) => roles.push(r),
                    None => errs.at(
                        meta.path.span(),
                        format!("unknown field accessor; expected one of: {}", Role::NAMES),
                    ),
                }
                Ok(())
            });
            if let Err(e) = res {
                errs.push(e);
            }
        }
        if roles.is_empty() {
            continue;
        }
        let access = match &f.ident {
            Some(id) => quote::quote!(#id),
            None => {
                let idx = syn::Index::from(i);
                quote::quote!(#idx)
            }
        };
        out.push(FieldRoles {
            access,
            span: f.ty.span(),
            roles,
        });
    }
    (out, named)
}

fn check_schema_name(lit: &LitStr, errs: &mut Errors) {
    let v = lit.value();
    if v.is_empty() {
        errs.at(lit.span(), "the schema name is empty");
    } else if let Some(c) = v.chars().find(|c| c.is_whitespace() || c.is_control()) {
        errs.at(
            lit.span(),
            format!("the schema name contains {c:?}; use no whitespace"),
        );
    }
}

// The same rules as fedora_messaging::topic::validate, checked at compile time.
fn check_topic(lit: &LitStr, errs: &mut Errors) {
    let v = lit.value();
    if v.is_empty() {
        errs.at(lit.span(), "the topic is empty");
    } else if v.split('.').any(str::is_empty) {
        errs.at(
            lit.span(),
            "the topic has an empty word: words are separated by single dots",
        );
    } else if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errs.at(
            lit.span(),
            "the topic contains whitespace or a control character",
        );
    } else if v.len() > 255 {
        errs.at(
            lit.span(),
            format!(
                "the topic is {} bytes long; AMQP allows at most 255",
                v.len()
            ),
        );
    }
}

fn check_template(lit: &LitStr, errs: &mut Errors) {
    // Only `{ident}` placeholders are allowed: each becomes the field of that name.
    let v = lit.value();
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    errs.at(
                        lit.span(),
                        format!("placeholder {{{name}}} must name a field, e.g. {{owner}}"),
                    );
                }
            }
            '}' => errs.at(
                lit.span(),
                "unmatched `}` in template; write `}}` for a literal brace",
            ),
            _ => {}
        }
    }
}

fn severity_variant(v: &str) -> Option<&'static str> {
    Some(match v.trim().to_ascii_lowercase().as_str() {
        "debug" | "10" => "Debug",
        "info" | "20" => "Info",
        "warning" | "30" => "Warning",
        "error" | "40" => "Error",
        _ => return None,
    })
}

/// PEP 503 normalization with dashes made underscores, as fedora-messaging reports packages.
fn normalize_package(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('_');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}
