//! The receive path: AMQP properties + body → typed message or a typed error, never a panic.
//!
//! Input layout: byte 0 picks the content encoding; bytes up to the first 0xFF are the headers
//! (used when they parse as a JSON object); the rest is the body.
#![no_main]

use fedora_messaging::amqp::delivery::{self, Properties};
use fedora_messaging::{Message, Registry};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema, Message)]
#[message(schema = "fuzz.buildV1", topic = "fuzz.build.v1")]
struct Build {
    #[message(usernames)]
    owner: String,
    #[message(packages)]
    packages: Vec<String>,
    size: Option<u64>,
}

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| Registry::new().with::<Build>().expect("registers"))
}

const ENCODINGS: [Option<&str>; 5] = [
    None,
    Some("utf-8"),
    Some("latin-1"),
    Some("ascii"),
    Some("bogus"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (headers, body) = match rest.iter().position(|&b| b == 0xFF) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&[][..], rest),
    };
    let headers = serde_json::from_slice::<serde_json::Value>(headers)
        .ok()
        .and_then(|v| v.as_object().cloned());
    let props = Properties {
        headers,
        content_encoding: ENCODINGS[usize::from(pick) % ENCODINGS.len()].map(str::to_owned),
        ..Properties::default()
    };
    if let Ok(decoded) = delivery::receive(registry(), "fuzz.build.v1", props, body) {
        // Whatever was accepted can be written back out.
        let env = decoded.envelope();
        let _ = env.body_bytes();
        let _ = fedora_messaging::lines::dumps(env);
        let _ = env.long_form();
    }
});
