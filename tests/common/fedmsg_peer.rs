//! The real Python fedmsg 1.1.7 (from PyPI, in its own virtualenv) and a scratch "site" for each
//! test: a folder whose `fedmsg.d/` both the Python peer (run with that folder as working
//! directory and home) and the Rust tools (`--config`) read.
//!
//! Self-contained: the root crate's tests and `crates/fedmsg-cli/tests` both include it.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The workspace's root: the first folder up from this crate that holds `Cargo.lock`.
pub(crate) fn root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("Cargo.lock").exists() {
        assert!(
            dir.pop(),
            "no Cargo.lock above {}",
            env!("CARGO_MANIFEST_DIR")
        );
    }
    dir
}

/// Runs `cmd`, panicking with its output when it fails; returns its stdout.
pub(crate) fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the virtualenv holds; signing needs pyOpenSSL 24.2.1 (25 dropped `load_crl`).
const WANTED: &[&str] = &[
    "fedmsg[commands,crypto_ng]==1.1.7",
    "pyOpenSSL==24.2.1",
    "moksha.hub==1.5.17",
    "stomper==0.4.3",
];

/// The virtualenv's folder, made once per machine (a marker file lists what it holds) and once
/// per test binary checked.
pub(crate) fn venv() -> PathBuf {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(make_venv).clone()
}

fn make_venv() -> PathBuf {
    let dir = root().join("target/python/fedmsg-venv");
    let marker = dir.join("installed");
    let text = WANTED.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(text.as_str()) {
        return dir;
    }
    if !dir.join("bin/python").exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&dir));
    }
    run(Command::new(dir.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(WANTED));
    std::fs::write(&marker, text).unwrap();
    dir
}

/// Blocks until something accepts TCP connections on 127.0.0.1:`port` (a bound ZeroMQ socket
/// does), or panics after 30 s.
pub(crate) fn wait_for_port(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "nothing listens on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A free TCP port on 127.0.0.1 (the OS picks it; the socket is closed again at once).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One test's fedmsg deployment: its ports and its `fedmsg.d/`.
pub(crate) struct Site {
    pub(crate) dir: PathBuf,
    pub(crate) publisher: u16,
    pub(crate) relay_in: u16,
    pub(crate) relay_out: u16,
}

impl Site {
    /// A site with one publishing service `bodhi.host`, a relay and `extra` Python config keys.
    pub(crate) fn new(name: &str, extra: &str) -> Self {
        let dir = root().join("target/fedmsg-sites").join(format!(
            "{name}-{}",
            std::process::id() as u128 * 1_000_000 + u128::from(free_port())
        ));
        std::fs::create_dir_all(dir.join("fedmsg.d")).unwrap();
        let site = Self {
            dir,
            publisher: free_port(),
            relay_in: free_port(),
            relay_out: free_port(),
        };
        // Unsigned unless `extra` says otherwise (a key may appear only once in dict(...)).
        let unsigned = if extra.contains("sign_messages") {
            ""
        } else {
            "sign_messages=False, validate_signatures=False, "
        };
        let config = format!(
            "config = dict(\n    topic_prefix='org.fedoraproject', environment='prod',\n    \
             endpoints={{'bodhi.host': ['tcp://127.0.0.1:{}'], 'relay_outbound': ['tcp://127.0.0.1:{}']}},\n    \
             relay_inbound=['tcp://127.0.0.1:{}'],\n    \
             {unsigned}zmq_enabled=True,\n{extra}\n)\n",
            site.publisher, site.relay_out, site.relay_in
        );
        std::fs::write(site.dir.join("fedmsg.d/base.py"), config).unwrap();
        site
    }

    /// The site's `fedmsg.d/`, for `--config`.
    pub(crate) fn config_dir(&self) -> PathBuf {
        self.dir.join("fedmsg.d")
    }

    /// The site's configuration, read by the Rust loader (which runs python3 on it).
    pub(crate) fn config(&self) -> fedmsg::Config {
        fedmsg::Config::load(&fedmsg::ConfigSource::Path(self.config_dir())).unwrap()
    }

    /// A command of the Python peer's virtualenv (`python`, `fedmsg-relay`, …) run in the site.
    pub(crate) fn python(&self, program: &str) -> Command {
        let mut cmd = Command::new(venv().join("bin").join(program));
        cmd.current_dir(&self.dir)
            .env("HOME", &self.dir)
            .env_remove("FEDMSG_CONFIG")
            .env_remove("VIRTUAL_ENV");
        cmd
    }

    /// `tests/fedmsg/peer.py ARGS` in the site.
    pub(crate) fn peer(&self, args: &[&str]) -> Command {
        let mut cmd = self.python("python");
        cmd.arg(root().join("tests/fedmsg/peer.py")).args(args);
        cmd
    }

    /// A file in the site.
    pub(crate) fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A process that is killed when the test ends, whatever happens. Its stderr is read all along
/// (a child whose stderr pipe fills up stops), and kept for [`Running::wait_for_stderr`] and the
/// end.
pub(crate) struct Running {
    child: Option<Child>,
    what: String,
    stderr: std::sync::Arc<(std::sync::Mutex<(String, bool)>, std::sync::Condvar)>,
}

impl Running {
    /// Starts `cmd` with stdout piped and stderr collected.
    pub(crate) fn spawn(cmd: &mut Command) -> Self {
        let what = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let stderr = std::sync::Arc::new((
            std::sync::Mutex::new((String::new(), false)),
            std::sync::Condvar::new(),
        ));
        let pipe = child.stderr.take().unwrap();
        let shared = stderr.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut g = shared.0.lock().unwrap();
                g.0.push_str(&l);
                g.0.push('\n');
                shared.1.notify_all();
            }
            shared.0.lock().unwrap().1 = true;
            shared.1.notify_all();
        });
        Self {
            child: Some(child),
            what,
            stderr,
        }
    }

    /// Waits until the process has written a line containing `line` on stderr (or panics after
    /// `timeout`, or when it ended without).
    pub(crate) fn wait_for_stderr(&mut self, line: &str, timeout: Duration) {
        let start = Instant::now();
        let mut g = self.stderr.0.lock().unwrap();
        loop {
            if g.0.contains(line) {
                return;
            }
            if g.1 {
                panic!("{} ended before {line:?}:\n{}", self.what, g.0);
            }
            let left = timeout.saturating_sub(start.elapsed());
            assert!(
                !left.is_zero(),
                "{} did not print {line:?} within {timeout:?}:\n{}",
                self.what,
                g.0
            );
            g = self.stderr.1.wait_timeout(g, left).unwrap().0;
        }
    }

    /// Its stdout, line by line, as the lines come (read by a background thread).
    pub(crate) fn stdout_lines(&mut self) -> std::sync::mpsc::Receiver<String> {
        let stdout = self.child.as_mut().unwrap().stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        rx
    }

    /// What the process wrote on stderr, once it has ended (or so far).
    fn stderr_text(&self) -> String {
        let g = self.stderr.0.lock().unwrap();
        if g.1 {
            return g.0.clone();
        }
        // The reader gets the last lines a moment after the process ends.
        let (g, _) = self
            .stderr
            .1
            .wait_timeout_while(g, Duration::from_secs(5), |s| !s.1)
            .unwrap();
        g.0.clone()
    }

    /// Waits for the process to end and returns its stdout lines (panics if it failed).
    pub(crate) fn finish(mut self) -> Vec<String> {
        let out = self.child.take().unwrap().wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{} failed: {}\n{}",
            self.what,
            String::from_utf8_lossy(&out.stdout),
            self.stderr_text()
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Stops the process (SIGTERM, so it can report), and returns its stdout and stderr.
    pub(crate) fn terminate(mut self) -> (String, String) {
        let child = self.child.take().unwrap();
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let out = child.wait_with_output().unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            self.stderr_text(),
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Parses JSON lines.
pub(crate) fn json_lines(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// A test PKI made with the `openssl` command line: a CA, service certificates signed by it, one
/// of them revoked in a CRL, and a self-signed impostor. Files `<name>.key`/`<name>.crt` in `dir`
/// (fedmsg's `ssldir` layout), `ca.crt`, `crl.pem`.
pub(crate) struct Pki {
    pub(crate) dir: PathBuf,
}

impl Pki {
    /// The names of the certificates signed by the CA; `revoked` is revoked in the CRL
    /// (`revoked-later` is there for tests that revoke it themselves, in a copy).
    pub(crate) const SERVICES: &'static [&'static str] = &[
        "bodhi-app01",
        "shell-app01",
        "signing-relay",
        "revoked",
        "revoked-later",
    ];

    /// Makes the PKI in `dir` (created).
    pub(crate) fn new(dir: PathBuf) -> Self {
        std::fs::create_dir_all(&dir).unwrap();
        let openssl = |args: &[&str]| {
            run(Command::new("openssl").current_dir(&dir).args(args));
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "30",
            "-subj",
            "/CN=fedmsg-test-ca",
        ]);
        for name in Self::SERVICES {
            let (key, csr, crt) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.crt"),
            );
            openssl(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &csr,
                "-subj",
                &format!("/CN={name}"),
            ]);
            openssl(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "30",
            ]);
        }
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "rogue.key",
            "-out",
            "rogue.crt",
            "-days",
            "30",
            "-subj",
            "/CN=bodhi-app01",
        ]);
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("crlnumber"), "01\n").unwrap();
        std::fs::write(
            dir.join("ca.cnf"),
            "[ca]\ndefault_ca=test\n[test]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n",
        )
        .unwrap();
        openssl(&[
            "ca",
            "-config",
            "ca.cnf",
            "-keyfile",
            "ca.key",
            "-cert",
            "ca.crt",
            "-revoke",
            "revoked.crt",
        ]);
        openssl(&[
            "ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.crt", "-gencrl", "-out",
            "crl.pem",
        ]);
        Self { dir }
    }

    /// The fedmsg keys that sign and validate with this PKI, as Python source (for a site's
    /// `fedmsg.d/`), `bodhi.host` and `shell.<short host>` mapped to certificates.
    pub(crate) fn python_keys(&self, short_host: &str) -> String {
        let d = self.dir.display();
        format!(
            "    sign_messages=True, validate_signatures=True, crypto_backend='x509',\n    \
             crypto_validate_backends=['x509'], ssldir='{d}', ca_cert_location='{d}/ca.crt',\n    \
             crl_location='{d}/crl.pem', certnames={{'bodhi.host': 'bodhi-app01', 'shell.{short_host}': 'shell-app01',\n    \
             'signing_relay': 'signing-relay'}},"
        )
    }
}
