//! Who is sending: the OS user (fedmsg's `username`) and the short host name (fedmsg's
//! certificate index and default publisher name).

/// The OS user, as Python's `getpass.getuser()` finds it: the environment first, then the
/// account database.
pub fn os_username() -> String {
    for var in ["LOGNAME", "USER", "LNAME", "USERNAME"] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() {
                return v;
            }
        }
    }
    whoami::username().unwrap_or_default()
}

/// The host name up to its first dot, as fedmsg uses it (`socket.gethostname().split('.')[0]`).
pub fn short_hostname() -> String {
    let host = whoami::hostname().unwrap_or_default();
    host.split('.').next().unwrap_or_default().to_owned()
}
