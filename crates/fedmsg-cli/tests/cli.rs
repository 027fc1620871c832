//! The `fedmsg` command line without a Python peer: configuration reading and its errors, and
//! what the commands refuse and why.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use assert_cmd::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fedmsg-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fedmsg(dir: &PathBuf) -> Command {
    let mut cmd = Command::cargo_bin("fedmsg").unwrap();
    cmd.current_dir(dir)
        .env("HOME", dir)
        .env_remove("FEDMSG_CONFIG");
    cmd
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn python_files_merge_in_fedmsg_order_and_print_as_toml() {
    let dir = scratch("merge");
    let d = dir.join("fedmsg.d");
    std::fs::create_dir_all(&d).unwrap();
    // Later files win, tables merge key by key; Python expressions are evaluated.
    std::fs::write(
        d.join("base.py"),
        "import socket\nhost = 'app01'\nconfig = dict(environment='stg', endpoints={'bodhi.' + host: ['tcp://127.0.0.1:3000']},\n    certnames={'a': 'b'}, stomp_uri='h:61613')\n",
    )
    .unwrap();
    std::fs::write(
        d.join("ssl.py"),
        "config = dict(endpoints={'relay_outbound': 'tcp://127.0.0.1:4001'}, high_water_mark=10)\n",
    )
    .unwrap();
    std::fs::write(d.join("z.toml"), "environment = \"prod\"\n").unwrap();
    // Found by the search (./fedmsg.d), without --config.
    let out = fedmsg(&dir).arg("config").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let toml = String::from_utf8(out.stdout).unwrap();
    assert!(toml.contains("environment = \"prod\""), "{toml}");
    assert!(toml.contains("high_water_mark = 10"), "{toml}");
    assert!(toml.contains("stomp_uri = \"h:61613\""), "{toml}");
    assert!(
        toml.contains("\"bodhi.app01\" = [\"tcp://127.0.0.1:3000\"]"),
        "{toml}"
    );
    assert!(
        toml.contains("relay_outbound = [\"tcp://127.0.0.1:4001\"]"),
        "{toml}"
    );
    // What it printed is a configuration the tools read as it is: the Python-free form.
    let free = dir.join("free.toml");
    std::fs::write(&free, &toml).unwrap();
    let again = fedmsg(&dir)
        .arg("--config")
        .arg(&free)
        .arg("config")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), toml);
}

#[test]
fn a_wrong_key_names_the_file_and_the_key() {
    let dir = scratch("wrong");
    let file = dir.join("endpoints.py");
    std::fs::write(
        &file,
        "config = dict(endpoints={'svc': ['tcp://127.0.0.1:1', 2]})\n",
    )
    .unwrap();
    let out = fedmsg(&dir)
        .arg("--config")
        .arg(&file)
        .arg("config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}: key `endpoints.svc.1`: expected a string, found 2",
            file.display()
        )),
        "{err}"
    );

    let toml = dir.join("bad.toml");
    std::fs::write(&toml, "post_init_sleep = \"soon\"\n").unwrap();
    let err = stderr(
        &fedmsg(&dir)
            .arg("--config")
            .arg(&toml)
            .arg("config")
            .output()
            .unwrap(),
    );
    assert!(
        err.contains("bad.toml: key `post_init_sleep`: expected a number of seconds"),
        "{err}"
    );

    let broken = dir.join("broken.py");
    std::fs::write(&broken, "config = dict(\n").unwrap();
    let err = stderr(
        &fedmsg(&dir)
            .arg("--config")
            .arg(&broken)
            .arg("config")
            .output()
            .unwrap(),
    );
    assert!(
        err.contains("broken.py: ") && err.contains("SyntaxError"),
        "{err}"
    );

    let none = dir.join("none.py");
    std::fs::write(&none, "settings = {}\n").unwrap();
    let err = stderr(
        &fedmsg(&dir)
            .arg("--config")
            .arg(&none)
            .arg("config")
            .output()
            .unwrap(),
    );
    assert!(err.contains("none.py: defines no `config` dict"), "{err}");

    let err = stderr(
        &fedmsg(&dir)
            .args(["--config", "missing.d", "config"])
            .output()
            .unwrap(),
    );
    assert!(err.contains("missing.d: no such file or folder"), "{err}");
}

#[test]
fn python_files_without_python_say_how_to_go_on() {
    let dir = scratch("nopython");
    let file = dir.join("a.py");
    std::fs::write(&file, "config = {}\n").unwrap();
    let out = fedmsg(&dir)
        .env("FEDMSG_PYTHON", "no-such-python3")
        .arg("--config")
        .arg(&file)
        .arg("config")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.contains("no-such-python3 could not run"), "{err}");
    assert!(
        err.contains("write the same keys as TOML (`fedmsg config`"),
        "{err}"
    );
}

#[test]
fn logger_without_a_relay_fails_instead_of_losing_the_message() {
    let dir = scratch("norelay");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let file = dir.join("fedmsg.toml");
    std::fs::write(
        &file,
        format!("relay_inbound = \"tcp://127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let out = fedmsg(&dir)
        .arg("--config")
        .arg(&file)
        .args(["logger", "--message", "hi", "--wait-timeout", "0.3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("is a relay listening on relay_inbound?"),
        "{err}"
    );
    assert!(err.contains("0 of 1 subscribers after"), "{err}");
}

#[test]
fn signing_and_validation_problems_are_named_before_anything_is_sent() {
    let dir = scratch("signing");
    let file = dir.join("fedmsg.toml");
    std::fs::write(
        &file,
        format!(
            "sign_messages = true\nvalidate_signatures = true\nca_cert_location = \"{0}/no-ca.crt\"\nssldir = \"{0}\"\n",
            dir.display()
        ),
    )
    .unwrap();
    let err = stderr(
        &fedmsg(&dir)
            .arg("--config")
            .arg(&file)
            .args(["tail"])
            .output()
            .unwrap(),
    );
    assert!(
        err.contains("loading the CA and CRL to validate signatures"),
        "{err}"
    );
    assert!(err.contains("no-ca.crt"), "{err}");
    let err = stderr(
        &fedmsg(&dir)
            .arg("--config")
            .arg(&file)
            .args(["logger", "--message", "x"])
            .output()
            .unwrap(),
    );
    assert!(err.contains("no certificate for \"shell."), "{err}");
    assert!(err.contains("`certnames` has no such key"), "{err}");
}
