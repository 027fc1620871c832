//! The `loads` line parser: any text gives messages or a typed error, and whatever loads, written
//! back with `dumps`, loads again as the same message.
#![no_main]

use fedora_messaging::lines;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(messages) = lines::loads(text) else {
        return;
    };
    for env in &messages {
        let line = lines::dumps(env);
        let again = lines::loads(&line).expect("a dumped line loads");
        assert_eq!(again.len(), 1, "{line}");
        assert!(again[0].same_message(env), "round trip changed {line}");
        assert_eq!(again[0].id, env.id);
    }
});
