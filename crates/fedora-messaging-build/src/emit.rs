//! The model → Rust tokens. Schema text only ever appears inside string literals (names, docs,
//! the embedded schema), and identifiers come from [`crate::naming`], so no schema can inject
//! code into the output.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::naming;
use crate::repo::{Accessors, App, MessageSpec, Repo, Severity, Topic};
use crate::types::{Def, DefKind, Model, Ty};

fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

/// `#[doc]` attributes for `text`, a line each.
fn docs(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| {
        let l = format!(" {}", l.trim_end());
        quote!(#[doc = #l])
    });
    quote!(#(#lines)*)
}

fn ty_tokens(ty: &Ty, model: &Model) -> TokenStream {
    match ty {
        Ty::Value => quote!(Value),
        Ty::String => quote!(String),
        Ty::Integer => quote!(::fedora_messaging::Integer),
        Ty::Number => quote!(Number),
        Ty::Bool => quote!(bool),
        Ty::Unit => quote!(()),
        Ty::Vec(t) => {
            let t = ty_tokens(t, model);
            quote!(Vec<#t>)
        }
        Ty::Map(t) if **t == Ty::Value => quote!(Map<String, Value>),
        Ty::Map(t) => {
            let t = ty_tokens(t, model);
            quote!(BTreeMap<String, #t>)
        }
        Ty::Option(t) => {
            let t = ty_tokens(t, model);
            quote!(Option<#t>)
        }
        Ty::Boxed(t) => {
            let t = ty_tokens(t, model);
            quote!(Box<#t>)
        }
        Ty::Named(i) => {
            let name = ident(&model.defs[*i].name);
            quote!(#name)
        }
    }
}

const SERDE: &str = "::fedora_messaging::serde";

fn def_tokens(def: &Def, model: &Model, extra_doc: &str) -> TokenStream {
    let name = ident(&def.name);
    let mut doc = def.doc.clone();
    if !extra_doc.is_empty() {
        doc.push_str("\n\n");
        doc.push_str(extra_doc);
    }
    let doc = docs(&doc);
    let derive = quote! {
        #[derive(Debug, Clone, PartialEq, ::fedora_messaging::serde::Serialize, ::fedora_messaging::serde::Deserialize)]
        #[serde(crate = #SERDE)]
    };
    match &def.kind {
        DefKind::Struct { fields, extra } => {
            let fields = fields.iter().map(|f| {
                let fname = ident(&f.ident);
                let fdoc = docs(&f.doc);
                let rename = (f.ident != f.json).then(|| {
                    let json = &f.json;
                    quote!(#[serde(rename = #json)])
                });
                let ty = ty_tokens(&f.ty, model);
                if f.required {
                    quote! { #fdoc #rename pub #fname: #ty, }
                } else {
                    quote! {
                        #fdoc
                        #rename
                        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "::fedora_messaging::__private::generated::present")]
                        pub #fname: Option<#ty>,
                    }
                }
            });
            let extra = ident(extra);
            quote! {
                #doc
                #derive
                pub struct #name {
                    #(#fields)*
                    /// Keys the schema does not list, kept so that nothing is lost on re-publishing.
                    #[serde(flatten)]
                    pub #extra: Map<String, Value>,
                }
            }
        }
        DefKind::Enum(variants) => {
            let vs = variants.iter().map(|(v, json)| {
                let v = ident(v);
                let d = format!(" `{json:?}`");
                quote! { #[doc = #d] #[serde(rename = #json)] #v, }
            });
            quote! {
                #doc
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::fedora_messaging::serde::Serialize, ::fedora_messaging::serde::Deserialize)]
                #[serde(crate = #SERDE)]
                pub enum #name { #(#vs)* }
            }
        }
        DefKind::Union(variants) => {
            let vs = variants.iter().map(|(v, ty)| {
                let v = ident(v);
                let ty = ty_tokens(ty, model);
                quote! { #[doc = " One of the accepted shapes."] #v(#ty), }
            });
            quote! {
                #doc
                #derive
                #[serde(untagged)]
                pub enum #name { #(#vs)* }
            }
        }
        DefKind::Alias { ty, newtype: true } => {
            let ty = ty_tokens(ty, model);
            quote! {
                #doc
                #derive
                #[serde(transparent)]
                pub struct #name(pub #ty);
            }
        }
        DefKind::Alias { ty, newtype: false } => {
            let ty = ty_tokens(ty, model);
            quote! { #doc pub type #name = #ty; }
        }
        DefKind::Pending => quote!(),
    }
}

fn severity_tokens(s: Severity) -> TokenStream {
    match s {
        Severity::Debug => quote!(::fedora_messaging::Severity::Debug),
        Severity::Info => quote!(::fedora_messaging::Severity::Info),
        Severity::Warning => quote!(::fedora_messaging::Severity::Warning),
        Severity::Error => quote!(::fedora_messaging::Severity::Error),
    }
}

fn accessor_tokens(a: &Accessors, app: &App) -> TokenStream {
    let mut out = TokenStream::new();
    if let Some(t) = &a.summary {
        out.extend(quote! {
            fn summary(&self) -> String {
                ::fedora_messaging::__private::generated::render(&::fedora_messaging::__private::generated::body(self), #t)
                    .unwrap_or_else(|| self.topic().into_owned())
            }
        });
    }
    if let Some(t) = &a.url {
        out.extend(quote! {
            fn url(&self) -> Option<String> {
                ::fedora_messaging::__private::generated::render(&::fedora_messaging::__private::generated::body(self), #t)
            }
        });
    }
    if let Some(n) = &app.app_name {
        out.extend(quote! { fn app_name(&self) -> Option<String> { Some(#n.to_owned()) } });
    }
    if let Some(n) = &app.app_icon {
        out.extend(quote! { fn app_icon(&self) -> Option<String> { Some(#n.to_owned()) } });
    }
    if let Some(p) = &a.agent {
        out.extend(quote! {
            fn agent_name(&self) -> Option<String> {
                ::fedora_messaging::__private::generated::first(&::fedora_messaging::__private::generated::body(self), #p)
            }
        });
    }
    for (method, list) in a.lists() {
        if list.is_empty() {
            continue;
        }
        let m = ident(method);
        out.extend(quote! {
            fn #m(&self) -> Vec<String> {
                ::fedora_messaging::__private::generated::collect(&::fedora_messaging::__private::generated::body(self), &[#(#list),*])
            }
        });
    }
    // The envelope builder asks for all six lists with the body it has just serialized: reading
    // them from it spares serializing the message again for each list that has accessors.
    if a.lists().iter().any(|(_, list)| !list.is_empty()) {
        let lists = a.lists().map(|(_, list)| quote!(&[#(#list),*]));
        out.extend(quote! {
            fn filter_lists(&self, body: &::fedora_messaging::Body) -> [Vec<String>; 6] {
                ::fedora_messaging::__private::generated::filter_lists(body, [#(#lists),*])
            }
        });
    }
    out
}

/// One message's module: its types, the `Message` impl and the embedded schema.
pub(crate) fn message_module(app: &App, m: &MessageSpec, model: &Model) -> TokenStream {
    let module = ident(&naming::snake(&m.type_name));
    let root = &model.defs[model.root];
    let root_name = ident(&root.name);
    let about = format!(
        "Schema `{}`, topic {}, from `{}`.",
        m.schema_name,
        m.topic,
        m.file
            .file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default()
    );
    let defs = model
        .defs
        .iter()
        .enumerate()
        .map(|(i, d)| def_tokens(d, model, if i == model.root { &about } else { "" }));
    let schema_name = &m.schema_name;
    let (topic_const, topic_fn) = match &m.topic {
        Topic::Fixed(t) => (quote!(Some(#t)), quote!()),
        Topic::Template(t) => (
            quote!(None),
            quote! {
                fn topic(&self) -> ::std::borrow::Cow<'_, str> {
                    ::std::borrow::Cow::Owned(
                        ::fedora_messaging::__private::generated::render(&::fedora_messaging::__private::generated::body(self), #t)
                            .unwrap_or_default(),
                    )
                }
            },
        ),
        // Published as `WithTopic<Self>`, which carries the topic.
        _ => (quote!(None), quote!()),
    };
    // The header carries the normalized name, as Python's registry reports it.
    let package = match app.package.as_deref().map(naming::schema_package) {
        Some(p) => quote!(Some(#p)),
        None => quote!(None),
    };
    let severity = severity_tokens(m.severity);
    let deprecated = m.deprecated;
    // Compact, key order kept: the schema as written, minus whitespace.
    let schema_json = m.schema.to_string();
    let accessors = accessor_tokens(&m.accessors, app);
    let module_doc = docs(&format!("Types of the `{}` message.", m.schema_name));
    quote! {
        #module_doc
        pub mod #module {
            #[allow(unused_imports)]
            use ::fedora_messaging::serde_json::{Map, Number, Value};
            #[allow(unused_imports)]
            use ::std::collections::BTreeMap;

            #(#defs)*

            impl #root_name {
                /// The body schema, as written in the schema repo (compacted).
                pub const SCHEMA_JSON: &'static str = #schema_json;
            }

            impl ::fedora_messaging::Message for #root_name {
                const SCHEMA_NAME: &'static str = #schema_name;
                const SCHEMA_PACKAGE: Option<&'static str> = #package;
                const TOPIC: Option<&'static str> = #topic_const;
                const SEVERITY: ::fedora_messaging::Severity = #severity;
                const DEPRECATED: bool = #deprecated;

                fn body_schema() -> Value {
                    ::fedora_messaging::__private::generated::schema(Self::SCHEMA_JSON)
                }

                fn to_body(&self) -> Result<Value, ::fedora_messaging::serde_json::Error> {
                    ::fedora_messaging::serde_json::to_value(self)
                }

                fn serialize_body(&self) -> Result<::fedora_messaging::Body, ::fedora_messaging::serde_json::Error> {
                    ::fedora_messaging::__private::generated::serialize_body(self)
                }

                fn from_body(
                    body: Value,
                    _topic: &str,
                    _severity: ::fedora_messaging::Severity,
                ) -> Result<Self, ::fedora_messaging::serde_json::Error> {
                    ::fedora_messaging::__private::generated::from_body(body)
                }

                fn from_body_ref(
                    body: &Value,
                    _topic: &str,
                    _severity: ::fedora_messaging::Severity,
                ) -> Result<Self, ::fedora_messaging::serde_json::Error> {
                    ::fedora_messaging::__private::generated::from_body_ref(body)
                }

                #topic_fn
                #accessors
            }
        }
        pub use #module::#root_name;
    }
}

/// The enum over every message of the repo.
pub(crate) fn any_message(repo: &Repo, roots: &[(String, String)]) -> TokenStream {
    let mut variants: Vec<String> = Vec::new();
    let mut arms = Vec::new();
    for ((app, m), (module, root)) in repo.messages().zip(roots) {
        let v = naming::unique(
            &format!("{}{}", naming::pascal(&app.module), m.type_name),
            |c| variants.contains(&c.to_owned()),
        );
        variants.push(v.clone());
        let (module, root) = (ident(module), ident(root));
        // A message without a fixed topic travels with the one it was sent on.
        let ty = match m.topic {
            Topic::PerMessage => quote!(::fedora_messaging::WithTopic<#module::#root>),
            _ => quote!(#module::#root),
        };
        arms.push((ident(&v), ty, m.schema_name.clone()));
    }
    let decls = arms.iter().map(|(v, ty, name)| {
        let d = format!(" `{name}`");
        quote! { #[doc = #d] #v(#ty), }
    });
    let decode = arms.iter().map(|(v, ty, name)| {
        quote! { Some(#name) => envelope.decode::<#ty>().map(|m| Some(Self::#v(m))), }
    });
    let names = arms.iter().map(|(_, _, name)| quote!(#name));
    let registers = arms.iter().map(|(_, ty, _)| {
        quote! { registry.register::<#ty>()?; }
    });
    let as_dyn = arms.iter().map(|(v, ..)| quote! { Self::#v(m) => m, });
    let bodies = arms
        .iter()
        .map(|(v, ..)| quote! { Self::#v(m) => ::fedora_messaging::Message::to_body(m), });
    let envelopes = arms
        .iter()
        .map(|(v, ..)| quote! { Self::#v(m) => ::fedora_messaging::Envelope::from_message(m), });
    let froms = arms.iter().map(|(v, ty, _)| {
        quote! {
            impl From<#ty> for AnyMessage {
                fn from(m: #ty) -> Self { Self::#v(m) }
            }
        }
    });
    quote! {
        /// Every message of this schema repo, to `match` on whatever arrives.
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum AnyMessage { #(#decls)* }

        impl AnyMessage {
            /// The schema names of every message, in repo order.
            pub const SCHEMA_NAMES: &'static [&'static str] = &[#(#names),*];

            /// Registers every message type of the repo in `registry`.
            pub fn register_all(
                registry: &mut ::fedora_messaging::Registry,
            ) -> Result<(), ::fedora_messaging::RegistryError> {
                #(#registers)*
                Ok(())
            }

            /// Validates and decodes `envelope` by its `fedora_messaging_schema` header; `Ok(None)`
            /// when the schema is not one of this repo's.
            pub fn decode(
                envelope: &::fedora_messaging::Envelope,
            ) -> Result<Option<Self>, ::fedora_messaging::DecodeError> {
                match envelope.schema_name() {
                    #(#decode)*
                    _ => Ok(None),
                }
            }

            /// The message, as a trait object with every accessor.
            pub fn as_dyn(&self) -> &dyn ::fedora_messaging::DynMessage {
                match self { #(#as_dyn)* }
            }

            /// The body as JSON.
            pub fn to_body(&self) -> Result<::fedora_messaging::serde_json::Value, ::fedora_messaging::serde_json::Error> {
                match self { #(#bodies)* }
            }

            /// An envelope ready to publish.
            pub fn to_envelope(
                &self,
            ) -> Result<::fedora_messaging::Envelope, ::fedora_messaging::BuildError> {
                match self { #(#envelopes)* }
            }
        }

        #(#froms)*
    }
}
