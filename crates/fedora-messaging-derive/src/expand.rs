//! The generated `impl Message`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::DeriveInput;

use crate::attrs::{self, FieldRoles, MessageAttrs, Role};

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let a = attrs::parse(input)?;
    let ident = &input.ident;
    let krate = a
        .krate
        .clone()
        .map_or_else(|| quote!(::fedora_messaging), |p| quote!(#p));
    let fm = quote!(_fedora_messaging);

    let schema = &a.schema;
    let topic = &a.topic;
    let package = match &a.package {
        Some(p) => quote!(::core::option::Option::Some(#p)),
        None => quote!(::core::option::Option::None),
    };
    let severity = a
        .severity
        .as_ref()
        .map(|(v, _)| quote!(const SEVERITY: #fm::Severity = #fm::Severity::#v;));
    let deprecated = a.deprecated.then(|| {
        quote!(
            const DEPRECATED: bool = true;
        )
    });

    let templated = |name: TokenStream, lit: &Option<syn::LitStr>, wrap_some: bool| {
        lit.as_ref().map(|lit| {
            let bind = bind_fields(&a);
            let value = quote!(::std::format!(#lit));
            let value = if wrap_some {
                quote!(::core::option::Option::Some(#value))
            } else {
                value
            };
            let ret = if wrap_some {
                quote!(::core::option::Option<::std::string::String>)
            } else {
                quote!(::std::string::String)
            };
            quote! {
                fn #name(&self) -> #ret {
                    #bind
                    #value
                }
            }
        })
    };
    let summary = templated(quote!(summary), &a.summary, false);
    let url = templated(quote!(url), &a.url, true);
    let fixed = |name: TokenStream, lit: &Option<syn::LitStr>| {
        lit.as_ref().map(|lit| {
            quote! {
                fn #name(&self) -> ::core::option::Option<::std::string::String> {
                    ::core::option::Option::Some(::std::string::String::from(#lit))
                }
            }
        })
    };
    let app_name = fixed(quote!(app_name), &a.app_name);
    let app_icon = fixed(quote!(app_icon), &a.app_icon);

    let agent = fields_for(&a, Role::Agent).first().map(|f| {
        let value = f.value(&fm);
        quote! {
            fn agent_name(&self) -> ::core::option::Option<::std::string::String> {
                #fm::AccessorValues::first_value(#value)
            }
        }
    });
    let lists = [
        (Role::Usernames, quote!(usernames)),
        (Role::Groups, quote!(groups)),
        (Role::Packages, quote!(packages)),
        (Role::Containers, quote!(containers)),
        (Role::Modules, quote!(modules)),
        (Role::Flatpaks, quote!(flatpaks)),
    ]
    .into_iter()
    .filter_map(|(role, name)| {
        let fields: Vec<TokenStream> = fields_for(&a, role).iter().map(|f| f.value(&fm)).collect();
        (!fields.is_empty()).then(|| {
            quote! {
                fn #name(&self) -> ::std::vec::Vec<::std::string::String> {
                    #fm::__private::collect(&[#(#fields),*])
                }
            }
        })
    });

    Ok(quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_attributes, unused_qualifications)]
        const _: () = {
            use #krate as #fm;
            #[automatically_derived]
            impl #fm::Message for #ident {
                const SCHEMA_NAME: &'static str = #schema;
                const SCHEMA_PACKAGE: ::core::option::Option<&'static str> = #package;
                const TOPIC: ::core::option::Option<&'static str> = ::core::option::Option::Some(#topic);
                #severity
                #deprecated

                fn body_schema() -> #fm::__private::serde_json::Value {
                    #fm::__private::body_schema_for::<Self>()
                }

                fn to_body(&self) -> ::core::result::Result<#fm::__private::serde_json::Value, #fm::__private::serde_json::Error> {
                    #fm::__private::serde_json::to_value(self)
                }

                fn serialize_body(&self) -> ::core::result::Result<#fm::Body, #fm::__private::serde_json::Error> {
                    #fm::Body::serialize(self)
                }

                fn from_body(
                    body: #fm::__private::serde_json::Value,
                    _topic: &str,
                    _severity: #fm::Severity,
                ) -> ::core::result::Result<Self, #fm::__private::serde_json::Error> {
                    #fm::__private::serde_json::from_value(body)
                }

                fn from_body_ref(
                    body: &#fm::__private::serde_json::Value,
                    _topic: &str,
                    _severity: #fm::Severity,
                ) -> ::core::result::Result<Self, #fm::__private::serde_json::Error> {
                    <Self as #fm::__private::serde::Deserialize>::deserialize(body)
                }

                #summary
                #url
                #app_name
                #app_icon
                #agent
                #(#lists)*
            }
        };
    })
}

fn fields_for(a: &MessageAttrs, role: Role) -> Vec<&FieldRoles> {
    a.fields
        .iter()
        .filter(|f| f.roles.contains(&role))
        .collect()
}

impl FieldRoles {
    /// `&self.field as &dyn AccessorValues`, spanned on the field's type so that a type without
    /// `AccessorValues` is reported there.
    fn value(&self, fm: &TokenStream) -> TokenStream {
        let access = &self.access;
        quote_spanned!(self.span=> &self.#access as &dyn #fm::AccessorValues)
    }
}

/// `let Self { a, b, .. } = self;` so that `format!("{a}")` captures the fields by name.
fn bind_fields(a: &MessageAttrs) -> TokenStream {
    if a.named_fields.is_empty() {
        return TokenStream::new();
    }
    let names = &a.named_fields;
    quote! {
        #[allow(unused_variables)]
        let Self { #(#names,)* .. } = self;
    }
}
