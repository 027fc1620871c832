//! Misuse of `#[derive(Message)]` fails to compile with an error at the offending span.
//!
//! The expected compiler output lives in `tests/ui/*.stderr`; regenerate it with
//! `TRYBUILD=overwrite cargo test -p fedora-messaging-model-only --test derive_ui` after checking
//! the new text by eye. It lives in this crate because trybuild builds the cases against the
//! crate's own dependencies: here the message model and the derive, not every transport.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
