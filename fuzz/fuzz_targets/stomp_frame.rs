//! STOMP frame reading: any bytes from a broker give frames, "need more", or a typed error, never
//! a panic; and every frame read, written again, reads back the same.
#![no_main]

use fedmsg::stomp::frame::Frame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((n, frame))) = Frame::decode(rest) {
        assert!(n > 0 && n <= rest.len());
        rest = &rest[n..];
        let Some(frame) = frame else { continue };
        // Commands and headers with characters a writer cannot carry are not round-tripped.
        if frame.command.contains(['\n', '\r', ':']) || frame.command.is_empty() || frame.command == "CONNECTED" {
            continue;
        }
        let bytes = frame.encode();
        let (_, again) = Frame::decode(&bytes).expect("a written frame reads").expect("complete");
        let again = again.expect("a frame, not a heart-beat");
        assert_eq!(again.command, frame.command);
        assert_eq!(again.body, frame.body);
    }
});
