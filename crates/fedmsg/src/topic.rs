//! fedmsg topics: `<topic_prefix>.<environment>.<modname>.<topic>`.

/// The full topic `fedmsg.publish` sends on: `modname.topic`, then `topic_prefix.environment.`
/// in front unless that string already starts with `topic_prefix`. The modname is always given:
/// fedmsg guesses it from the call stack, which Rust cannot and should not.
///
/// ```
/// use fedmsg::topic::full_topic;
///
/// assert_eq!(
///     full_topic("org.fedoraproject", "prod", "bodhi", "update.comment"),
///     "org.fedoraproject.prod.bodhi.update.comment"
/// );
/// // Already prefixed (what a bridge or relay re-publishes): left alone.
/// assert_eq!(
///     full_topic("org.fedoraproject", "prod", "org.fedoraproject.stg", "x.y"),
///     "org.fedoraproject.stg.x.y"
/// );
/// ```
pub fn full_topic(topic_prefix: &str, environment: &str, modname: &str, topic: &str) -> String {
    let joined = format!("{modname}.{topic}");
    // Python's str.startswith: a plain string prefix, no dot boundary.
    if joined.starts_with(topic_prefix) {
        joined
    } else {
        format!("{topic_prefix}.{environment}.{joined}")
    }
}

/// The topic without `topic_prefix.<environment>.`, where the environment is one word of letters
/// (fedmsg's `topic_prefix_re`: the escaped prefix, then `\.[^\W\d_]+`); `None` when `full` does
/// not start so.
///
/// ```
/// use fedmsg::topic::strip_prefix;
///
/// assert_eq!(strip_prefix("org.fedoraproject.prod.bodhi.update.comment", "org.fedoraproject"),
///            Some("bodhi.update.comment"));
/// assert_eq!(strip_prefix("org.centos.prod.ci.x", "org.fedoraproject"), None);
/// ```
pub fn strip_prefix<'a>(full: &'a str, topic_prefix: &str) -> Option<&'a str> {
    let rest = full.strip_prefix(topic_prefix)?.strip_prefix('.')?;
    let (environment, topic) = rest.split_once('.')?;
    let is_word = !environment.is_empty()
        && environment
            .chars()
            .all(|c| c.is_alphabetic() && c != '_' && !c.is_numeric());
    is_word.then_some(topic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_a_plain_string_prefix_like_python() {
        // "org.fedoraprojectx..." starts with "org.fedoraproject": Python does not add the prefix.
        assert_eq!(
            full_topic("org.fedoraproject", "dev", "org.fedoraprojectx", "a"),
            "org.fedoraprojectx.a"
        );
        assert_eq!(
            full_topic("com.example", "dev", "logger", "log"),
            "com.example.dev.logger.log"
        );
    }

    #[test]
    fn environment_is_one_word_of_letters() {
        assert_eq!(strip_prefix("p.stg.a.b", "p"), Some("a.b"));
        assert_eq!(strip_prefix("p.stg2.a.b", "p"), None);
        assert_eq!(strip_prefix("p.st_g.a.b", "p"), None);
        assert_eq!(strip_prefix("p.stg", "p"), None);
        assert_eq!(strip_prefix("px.stg.a", "p"), None);
    }
}
