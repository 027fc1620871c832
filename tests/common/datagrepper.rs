//! The real datagrepper 1.1.0 over datanommer.models 1.5.0, from PyPI, on the machine's
//! PostgreSQL: a database of its own per server, seeded through datanommer's own `add()`.
//!
//! TimescaleDB, which datanommer's `init(create=True)` wants, is not available from Debian or
//! PyPI; `datagrepper/schema.py` creates the same tables on plain PostgreSQL (see there).
//! It sits beside `python.rs` (`mod python` in the including test), whose helpers it uses.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::python::{root, run};

/// The PostgreSQL the tests use (trust authentication).
const PG_HOST: &str = "127.0.0.1";

/// A running datagrepper with its own database, both removed on drop.
pub(crate) struct Datagrepper {
    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub(crate) url: String,
    port: u16,
    db: String,
    dir: PathBuf,
    python: PathBuf,
    child: Option<Child>,
}

impl Datagrepper {
    /// A new, empty archive, served.
    pub(crate) fn start() -> Self {
        let python = venv();
        drop_abandoned_databases();
        // The owner's pid in the name: a later run drops it if this process was killed.
        let db = format!(
            "dg_{}_{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        psql(&format!("CREATE DATABASE {db}"));
        let dir = std::env::temp_dir().join(&db);
        std::fs::create_dir_all(&dir).unwrap();
        let schema = dir.join("schema.py");
        std::fs::write(&schema, include_str!("datagrepper/schema.py")).unwrap();
        std::fs::write(dir.join("seed.py"), include_str!("datagrepper/seed.py")).unwrap();
        let port = free_port();
        std::fs::write(
            dir.join("datagrepper.cfg"),
            format!(
                "DATANOMMER_SQLALCHEMY_URL = {:?}\nDATAGREPPER_APPROXIMATE_COUNT = False\n",
                db_url(&db)
            ),
        )
        .unwrap();
        let mut me = Self {
            url: format!("http://127.0.0.1:{port}"),
            port,
            db,
            dir,
            python,
            child: None,
        };
        run(Command::new(&me.python).arg(&schema).arg(db_url(&me.db)));
        me.serve();
        me
    }

    /// The virtualenv's python (it has fedora-messaging 3.9.1 and its command line too).
    pub(crate) fn python(&self) -> &Path {
        &self.python
    }

    /// The virtualenv's `bin` folder.
    pub(crate) fn bin(&self) -> PathBuf {
        self.python.parent().unwrap().to_path_buf()
    }

    /// Archives the messages of `lines` (the `record` line format) through datanommer's `add()`;
    /// a body's `usernames` and `packages` lists are the message's users and packages.
    pub(crate) fn seed(&self, lines: &str) {
        let file = self.dir.join("seed.jsonl");
        std::fs::write(&file, lines).unwrap();
        let out = run(Command::new(&self.python)
            .arg(self.dir.join("seed.py"))
            .arg(db_url(&self.db))
            .arg(&file));
        assert_eq!(out.trim(), lines.lines().count().to_string(), "seeded");
    }

    /// Starts serving (again, on the same port) and waits until it is ready.
    pub(crate) fn serve(&mut self) {
        assert!(self.child.is_none(), "already serving");
        let log = std::fs::File::create(self.dir.join("server.log")).unwrap();
        // A watchdog beside the server stops it when the test process is gone (even killed);
        // both are one process group, which `stop` kills.
        let child = Command::new("sh")
            .arg("-c")
            .arg(
                r#"owner=$1; shift; "$@" & server=$!
                while kill -0 "$owner" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
                kill "$server" 2>/dev/null; wait "$server""#,
            )
            .arg("sh")
            .arg(std::process::id().to_string())
            .arg(&self.python)
            .args(["-m", "flask", "--app", "datagrepper.app", "run", "--host", "127.0.0.1"])
            .arg("--port")
            .arg(self.port.to_string())
            .process_group(0)
            .env("DATAGREPPER_CONFIG", self.dir.join("datagrepper.cfg"))
            // datagrepper turns start and end into naive local times; the archive's are UTC.
            .env("TZ", "UTC")
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while get_status(self.port, "/healthz/ready") != Some(200) {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("datagrepper exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "datagrepper not ready:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Stops serving; the archive stays.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--"])
                .arg(format!("-{}", child.id()))
                .status();
            let _ = child.wait();
        }
    }

    /// What the server wrote.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Datagrepper {
    fn drop(&mut self) {
        self.stop();
        let _ = Command::new("psql")
            .args([
                "-h", PG_HOST, "-U", "postgres", "-d", "postgres", "-q", "-c",
            ])
            .arg(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db))
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Drops the databases of test processes that are gone (killed before their `Drop` ran).
fn drop_abandoned_databases() {
    let names = run(Command::new("psql")
        .args([
            "-h", PG_HOST, "-U", "postgres", "-d", "postgres", "-At", "-c",
        ])
        .arg("SELECT datname FROM pg_database WHERE datname LIKE 'dg\\_%'"));
    for name in names.lines() {
        let owner = name.split('_').nth(1).and_then(|p| p.parse::<u32>().ok());
        if owner.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = Command::new("psql")
                .args([
                    "-h", PG_HOST, "-U", "postgres", "-d", "postgres", "-q", "-c",
                ])
                .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .output();
        }
    }
}

fn db_url(db: &str) -> String {
    format!("postgresql://postgres@{PG_HOST}:5432/{db}")
}

fn psql(sql: &str) {
    run(Command::new("psql").args([
        "-h", PG_HOST, "-U", "postgres", "-d", "postgres", "-q", "-c", sql,
    ]));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The status of `GET path`, or `None` while nothing answers.
fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    raw.split(' ').nth(1)?.parse().ok()
}

/// The virtualenv (`target/python/datagrepper-venv`), made on first use and kept between runs.
fn venv() -> PathBuf {
    static VENV: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    VENV.get_or_init(make_venv).clone()
}

fn make_venv() -> PathBuf {
    let dir = root().join("target/python/datagrepper-venv");
    let python = dir.join("bin/python");
    let wanted = [
        "datagrepper==1.1.0",
        "datanommer.models==1.5.0",
        "fedora-messaging==3.9.1",
        // datagrepper imports pkg_resources, which setuptools 81 removed.
        "setuptools<81",
    ];
    let marker = dir.join("installed");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.join("\n").as_str()) {
        return python;
    }
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&dir));
    }
    // psycopg2 (datanommer's driver) builds from source: gcc and libpq-dev, which
    // scripts/system-packages installs.
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(wanted));
    std::fs::write(&marker, wanted.join("\n")).unwrap();
    python
}

/// `n` messages for the archive: on `topics` in turn, one second apart from `start`, each with
/// a fresh id and its index in the body (`"n"`); every 10th is about user `alice`, every 7th about
/// package `kernel` (as datanommer reads them, see [`Datagrepper::seed`]).
pub(crate) fn archive(
    n: usize,
    topics: &[&str],
    start: chrono::DateTime<chrono::Utc>,
) -> Vec<fedora_messaging::Envelope> {
    use fedora_messaging::{BaseMessage, Envelope};
    (0..n)
        .map(|i| {
            let mut body = serde_json::json!({"n": i, "text": format!("message {i} ü")});
            if i % 10 == 0 {
                body["usernames"] = serde_json::json!(["alice"]);
            }
            if i % 7 == 0 {
                body["packages"] = serde_json::json!(["kernel"]);
            }
            let at = start + chrono::Duration::seconds(i64::try_from(i).unwrap());
            Envelope::builder(&BaseMessage::new(topics[i % topics.len()], body))
                .sent_at_text(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, false))
                .header("x-archive-test", i)
                .build()
                .unwrap()
        })
        .collect()
}
