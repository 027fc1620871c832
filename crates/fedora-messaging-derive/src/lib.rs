//! `#[derive(Message)]` for [fedora-messaging](https://docs.rs/fedora-messaging).
//!
//! Use it through the `fedora-messaging` crate (its default `derive` feature re-exports it); the
//! attributes are documented there.

mod attrs;
mod expand;

use proc_macro::TokenStream;

/// Implements `fedora_messaging::Message` for a struct or enum that is serde-serializable and has a
/// `schemars::JsonSchema` implementation. See the `fedora-messaging` crate docs for the attributes.
#[proc_macro_derive(Message, attributes(message))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
