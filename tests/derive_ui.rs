//! Misuse of `#[derive(Message)]` fails to compile with an error at the offending span.
//!
//! The expected compiler output lives in `tests/ui/*.stderr`; regenerate it with
//! `TRYBUILD=overwrite cargo test --test derive_ui` after checking the new text by eye.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
