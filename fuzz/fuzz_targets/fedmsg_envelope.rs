//! fedmsg envelope parsing: any frames give an envelope or a typed error (never a panic), and
//! whatever parses, written back in canonical form, parses again as the same envelope and
//! re-encodes to the same bytes.
#![no_main]

use fedmsg::Envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the frame count (0 to 3) and the next ones each frame's length, so the
    // fuzzer reaches every frame-count error as well as the JSON parser.
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    let count = usize::from(first % 4);
    let mut frames: Vec<&[u8]> = Vec::new();
    for n in 0..count {
        if n + 1 == count {
            frames.push(rest);
            break;
        }
        let Some((&len, tail)) = rest.split_first() else {
            break;
        };
        let len = usize::from(len).min(tail.len());
        frames.push(&tail[..len]);
        rest = &tail[len..];
    }
    let Ok(env) = Envelope::from_frames(&frames) else {
        return;
    };
    let canonical = env.to_canonical_json();
    let again = Envelope::from_json(canonical.as_bytes()).expect("canonical JSON parses");
    assert_eq!(again, env, "{canonical}");
    assert_eq!(again.to_canonical_json(), canonical);
    let [topic, json] = env.to_frames();
    assert_eq!(topic, env.topic.as_bytes());
    assert_eq!(json, canonical.as_bytes());
});
