//! The config parser: any text gives a configuration or a `ConfigError`, never a panic, and the
//! password never reaches the error text.
#![no_main]

use fedora_messaging::amqp::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::from_toml(text) {
        Ok(c) => {
            let _ = format!("{c:?}");
            let _ = fedora_messaging::amqp::connection::parse_url(c.amqp_url.expose());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
