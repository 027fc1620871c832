//! fedmsg signature validation: any envelope (any `crypto`, `signature`, `certificate`, of any
//! type and content) gives a verdict, never a panic. The trust store is a fixed test CA (valid
//! for ten years from 2026-12); the seed corpus holds a message signed under it, so the fuzzer
//! starts from a valid signature.
#![no_main]

use std::sync::OnceLock;

use fedmsg::crypto::x509::Validator;
use fedmsg::{Config, Envelope};
use libfuzzer_sys::fuzz_target;

fn validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| {
        let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/fedmsg-ca.crt");
        let config = Config::from_toml(&format!("ca_cert_location = \"{ca}\"")).expect("config");
        Validator::from_config(&config).expect("the fixture CA loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(env) = Envelope::from_json(data) else {
        return;
    };
    if let Ok(signer) = validator().validate(&env) {
        // Whatever validates is signed by a certificate of the test CA.
        assert!(!signer.is_empty() || env.extra.contains_key("certificate"));
    }
});
