//! STOMP 1.1/1.2 frames: writing them and reading them from a byte stream.

/// One STOMP frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// `CONNECT`, `SEND`, `MESSAGE`, …
    pub command: String,
    /// Headers in order; on a repeated header the first counts (STOMP 1.2).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// A frame the reader cannot make sense of.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The command or a header line is not UTF-8.
    #[error("a STOMP frame's header is not UTF-8")]
    NotUtf8,
    /// A header line without a colon.
    #[error("a STOMP header line has no colon: {0:?}")]
    BadHeader(String),
    /// An escape sequence STOMP does not define.
    #[error("a STOMP header has an undefined escape: {0:?}")]
    BadEscape(String),
    /// `content-length` is not a number.
    #[error("a STOMP content-length is not a number: {0:?}")]
    BadLength(String),
    /// The frame is larger than the reader accepts.
    #[error("a STOMP frame is larger than {0} bytes")]
    TooLarge(usize),
}

/// The largest frame read (a fedmsg envelope is a few KiB; a runaway peer is not a reason to
/// exhaust memory).
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

fn escape(s: &str, out: &mut Vec<u8>) {
    for c in s.chars() {
        match c {
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            ':' => out.extend_from_slice(b"\\c"),
            c => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

fn unescape(s: &str) -> Result<String, FrameError> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('c') => out.push(':'),
            _ => return Err(FrameError::BadEscape(s.to_owned())),
        }
    }
    Ok(out)
}

impl Frame {
    /// A frame with no headers and no body.
    pub fn new(command: &str) -> Self {
        Self {
            command: command.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first header called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The frame on the wire: headers escaped (except in `CONNECT`, as STOMP 1.2 says), a
    /// `content-length` when there is a body, then NUL and a newline (what stomper-based peers
    /// need to see a frame end).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.body.len());
        out.extend_from_slice(self.command.as_bytes());
        out.push(b'\n');
        let raw = self.command == "CONNECT" || self.command == "CONNECTED";
        for (k, v) in &self.headers {
            if raw {
                out.extend_from_slice(k.as_bytes());
                out.push(b':');
                out.extend_from_slice(v.as_bytes());
            } else {
                escape(k, &mut out);
                out.push(b':');
                escape(v, &mut out);
            }
            out.push(b'\n');
        }
        if !self.body.is_empty() && self.get("content-length").is_none() {
            out.extend_from_slice(format!("content-length:{}\n", self.body.len()).as_bytes());
        }
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        out.extend_from_slice(b"\0\n");
        out
    }

    /// Reads one frame from the start of `buf`. `Ok(None)`: more bytes are needed. `Ok(Some((n,
    /// None)))`: `n` bytes of heart-beat newlines. `Ok(Some((n, Some(frame))))`: a frame of `n`
    /// bytes.
    pub fn decode(buf: &[u8]) -> Result<Option<(usize, Option<Frame>)>, FrameError> {
        // Heart-beats (and the newline after a frame's NUL) are bare EOLs between frames.
        let eols = buf
            .iter()
            .take_while(|b| **b == b'\n' || **b == b'\r')
            .count();
        if eols > 0 {
            return Ok(Some((eols, None)));
        }
        let Some(head_end) = find(buf, b"\n\n")
            .map(|i| (i, 2))
            .or_else(|| find(buf, b"\r\n\r\n").map(|i| (i, 4)))
        else {
            if buf.len() > MAX_FRAME {
                return Err(FrameError::TooLarge(MAX_FRAME));
            }
            return Ok(None);
        };
        let head = std::str::from_utf8(&buf[..head_end.0]).map_err(|_| FrameError::NotUtf8)?;
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let command = lines.next().unwrap_or_default().to_owned();
        let raw = command == "CONNECTED";
        let mut headers = Vec::new();
        for line in lines {
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| FrameError::BadHeader(line.to_owned()))?;
            if raw {
                headers.push((k.to_owned(), v.to_owned()));
            } else {
                headers.push((unescape(k)?, unescape(v)?));
            }
        }
        let body_start = head_end.0 + head_end.1;
        let length = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map(|(_, v)| {
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| FrameError::BadLength(v.clone()))
            })
            .transpose()?;
        let (body, end) = match length {
            Some(n) if n > MAX_FRAME => return Err(FrameError::TooLarge(MAX_FRAME)),
            Some(n) => {
                if buf.len() < body_start + n + 1 {
                    return Ok(None);
                }
                (buf[body_start..body_start + n].to_vec(), body_start + n + 1)
            }
            None => match buf[body_start..].iter().position(|b| *b == 0) {
                Some(i) => (buf[body_start..body_start + i].to_vec(), body_start + i + 1),
                None if buf.len() > MAX_FRAME => return Err(FrameError::TooLarge(MAX_FRAME)),
                None => return Ok(None),
            },
        };
        Ok(Some((
            end,
            Some(Frame {
                command,
                headers,
                body,
            }),
        )))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_frames_as_moksha_writes_them_plus_a_length() {
        let f = Frame::new("SEND")
            .header("destination", "/topic/org.fedoraproject.prod.a")
            .header("content-type", "text/plain")
            .body(b"{\"a\":1}".to_vec());
        assert_eq!(
            f.encode(),
            b"SEND\ndestination:/topic/org.fedoraproject.prod.a\ncontent-type:text/plain\ncontent-length:7\n\n{\"a\":1}\0\n"
        );
    }

    #[test]
    fn frames_round_trip_with_escapes_and_nul_in_the_body() {
        let f = Frame::new("MESSAGE")
            .header("x:y", "a\nb\\c\rd")
            .header("destination", "/topic/t")
            .body(b"bin\0ary".to_vec());
        let bytes = f.encode();
        let (n, back) = Frame::decode(&bytes).unwrap().unwrap();
        assert_eq!(
            n,
            bytes.len() - 1,
            "the trailing newline is a heart-beat EOL"
        );
        assert_eq!(
            back.unwrap().headers,
            f.headers
                .iter()
                .cloned()
                .chain([("content-length".into(), "7".into())])
                .collect::<Vec<_>>()
        );
        assert_eq!(Frame::decode(&bytes[n..]).unwrap(), Some((1, None)));
    }

    #[test]
    fn partial_frames_wait_for_more_and_bad_ones_say_why() {
        let bytes = Frame::new("MESSAGE")
            .header("destination", "d")
            .body(b"12345".to_vec())
            .encode();
        for cut in 1..bytes.len() - 1 {
            assert_eq!(Frame::decode(&bytes[..cut]).unwrap(), None, "cut at {cut}");
        }
        // Without content-length the body ends at the first NUL (as stomper sends).
        let (_, f) = Frame::decode(b"MESSAGE\ndestination:d\n\nhello\0")
            .unwrap()
            .unwrap();
        assert_eq!(f.unwrap().body, b"hello");
        assert!(matches!(
            Frame::decode(b"MESSAGE\nnocolon\n\n\0"),
            Err(FrameError::BadHeader(_))
        ));
        assert!(matches!(
            Frame::decode(b"MESSAGE\na:\\t\n\n\0"),
            Err(FrameError::BadEscape(_))
        ));
        assert!(matches!(
            Frame::decode(b"MESSAGE\ncontent-length:x\n\n\0"),
            Err(FrameError::BadLength(_))
        ));
        // CONNECTED headers are not unescaped (STOMP 1.2).
        let (_, f) = Frame::decode(b"CONNECTED\nserver:RabbitMQ/3\\c\n\n\0")
            .unwrap()
            .unwrap();
        assert_eq!(f.unwrap().get("server"), Some("RabbitMQ/3\\c"));
    }
}
