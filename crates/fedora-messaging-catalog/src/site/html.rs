//! The pages, as HTML: an index with a filter box, one page per message.

use std::fmt::Write;

use fedora_messaging_build::repo::Topic;

use super::{severity_text, Entry};
use crate::example::Source;

/// Text made safe for HTML content and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn head(title: &str, css: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"{css}\">\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">Skip to content</a>\n",
        esc(title)
    )
}

fn topic_text(e: &Entry<'_>) -> String {
    match &e.spec.topic {
        Topic::Fixed(t) => t.clone(),
        Topic::Template(t) => format!("{t} (from the body)"),
        _ => "given per message".into(),
    }
}

/// The index: every message, with a filter box.
pub(crate) fn index(title: &str, entries: &[Entry<'_>]) -> String {
    let mut out = head(title, "catalog.css");
    let apps: std::collections::BTreeSet<&str> =
        entries.iter().map(|e| e.app.module.as_str()).collect();
    let _ = write!(
        out,
        "<header><h1>{}</h1><p>{} messages of {} applications.</p></header>\n<main id=\"main\">\n\
         <div class=\"filter\"><label for=\"filter\">Filter messages</label>\
         <input id=\"filter\" type=\"search\" placeholder=\"topic, schema, application, words\" \
         aria-describedby=\"shown\"><p id=\"shown\" aria-live=\"polite\">{} messages shown</p></div>\n\
         <table id=\"messages\">\n<caption>Messages, by application</caption>\n\
         <thead><tr><th scope=\"col\">Schema</th><th scope=\"col\">Topic</th>\
         <th scope=\"col\">Application</th><th scope=\"col\">Severity</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Summary</th></tr></thead>\n<tbody>\n",
        esc(title),
        entries.len(),
        apps.len(),
        entries.len()
    );
    for e in entries {
        let summary = e.summary.clone().unwrap_or_default();
        let status = if e.spec.deprecated {
            "deprecated"
        } else {
            "current"
        };
        let search = format!(
            "{} {} {} {} {}",
            e.spec.schema_name, e.topic, e.app.module, status, summary
        )
        .to_lowercase();
        let _ = writeln!(
            out,
            "<tr data-search=\"{}\"><th scope=\"row\"><a href=\"messages/{}.html\">{}</a></th>\
             <td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"{status}\">{status}</td><td>{}</td></tr>",
            esc(&search),
            esc(&e.id),
            esc(&e.spec.schema_name),
            // Long topics may break after a dot, nowhere else.
            esc(&topic_text(e)).replace('.', ".<wbr>"),
            esc(&e.app.module),
            esc(&severity_text(e)),
            esc(&summary)
        );
    }
    out.push_str(
        "</tbody>\n</table>\n</main>\n<script src=\"catalog.js\"></script>\n</body>\n</html>\n",
    );
    out
}

/// One message's page.
pub(crate) fn message(title: &str, e: &Entry<'_>, all: &[Entry<'_>]) -> String {
    let name = &e.spec.schema_name;
    let mut out = head(&format!("{name} · {title}"), "../catalog.css");
    let _ = write!(
        out,
        "<nav aria-label=\"Breadcrumb\"><a href=\"../index.html\">{}</a> › {}</nav>\n\
         <main id=\"main\">\n<h1>{}</h1>\n",
        esc(title),
        esc(name),
        esc(name)
    );
    if let Some(s) = &e.summary {
        let _ = writeln!(out, "<p class=\"summary\">{}</p>", esc(s));
    }
    if e.spec.deprecated {
        out.push_str(
            "<p class=\"deprecated\"><strong>Deprecated.</strong> Still sent or archived; do not build on it.</p>\n",
        );
    }
    let package = e.app.schema_package();
    let _ = write!(
        out,
        "<dl class=\"facts\">\n<dt>Topic</dt><dd><code>{}</code></dd>\n\
         <dt>Schema name</dt><dd><code>{}</code></dd>\n<dt>Application</dt><dd>{}</dd>\n\
         <dt>Severity</dt><dd>{}</dd>\n<dt>Rust type</dt><dd><code>{}::{}</code> \
         (in the module the generated bindings are included in)</dd>\n",
        esc(&topic_text(e)),
        esc(name),
        esc(e.app.app_name.as_deref().unwrap_or(&e.app.module)),
        esc(&severity_text(e)),
        esc(&e.app.module),
        esc(&e.spec.type_name)
    );
    if let Some(p) = &package {
        let _ = writeln!(
            out,
            "<dt>Schema package</dt><dd><code>{}</code></dd>",
            esc(p)
        );
    }
    out.push_str("</dl>\n");
    let siblings: Vec<&Entry<'_>> = all
        .iter()
        .filter(|o| o.id != e.id && !e.topic.is_empty() && o.topic == e.topic)
        .collect();
    if !siblings.is_empty() {
        out.push_str("<p>Also on this topic: ");
        let links: Vec<String> = siblings
            .iter()
            .map(|o| {
                format!(
                    "<a href=\"{}.html\">{}</a>",
                    esc(&o.id),
                    esc(&o.spec.schema_name)
                )
            })
            .collect();
        out.push_str(&links.join(", "));
        out.push_str("</p>\n");
    }
    body_table(&mut out, e);
    headers_table(&mut out, e, package.as_deref());
    example_section(&mut out, e);
    history_section(&mut out, e);
    let _ = write!(
        out,
        "<section aria-labelledby=\"raw\"><h2 id=\"raw\">JSON Schema</h2>\
         <p>The file <code>{}</code>, as written.</p>\
         <pre class=\"schema\" tabindex=\"0\"><code>{}</code></pre></section>\n\
         </main>\n</body>\n</html>\n",
        esc(&format!(
            "{}/{}",
            e.app.module,
            e.spec
                .file
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or("")
        )),
        esc(e.spec.schema_text.trim_end())
    );
    out
}

fn field_anchor(path: &str) -> String {
    let id: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("field-{id}")
}

fn body_table(out: &mut String, e: &Entry<'_>) {
    out.push_str("<section aria-labelledby=\"body\"><h2 id=\"body\">Body</h2>\n");
    if e.fields.is_empty() {
        out.push_str("<p>The schema names no fields.</p></section>\n");
        return;
    }
    out.push_str(
        "<table class=\"fields\"><caption>Fields of the body; nested fields are listed under \
         their parent with dotted names</caption>\n<thead><tr><th scope=\"col\">Field</th>\
         <th scope=\"col\">Type</th><th scope=\"col\">Required</th><th scope=\"col\">Null allowed</th>\
         <th scope=\"col\">Description</th></tr></thead>\n<tbody>\n",
    );
    for f in &e.fields {
        let depth = f.path.matches('.').count() + f.path.matches("[]").count();
        let mut type_cell = esc(&f.type_name);
        if f.has_children {
            let first_child = e
                .fields
                .iter()
                .find(|c| c.path.starts_with(&f.path) && c.path.len() > f.path.len())
                .map(|c| field_anchor(&c.path));
            if let Some(anchor) = first_child {
                let _ = write!(type_cell, " (<a href=\"#{anchor}\">fields below</a>)");
            }
        }
        if let Some(r) = &f.reference {
            let _ = write!(type_cell, "<br><small>from <code>{}</code></small>", esc(r));
        }
        let mut description = esc(f.description.as_deref().unwrap_or(""));
        if !f.allowed.is_empty() {
            let values: Vec<String> = f
                .allowed
                .iter()
                .map(|v| format!("<code>{}</code>", esc(v)))
                .collect();
            let _ = write!(description, "<br>One of: {}", values.join(", "));
        }
        let _ = writeln!(
            out,
            "<tr id=\"{}\"><th scope=\"row\" class=\"depth-{}\"><code>{}</code></th><td>{type_cell}</td>\
             <td>{}</td><td>{}</td><td>{description}</td></tr>",
            field_anchor(&f.path),
            depth.min(6),
            esc(&f.path),
            if f.required { "yes" } else { "no" },
            if f.nullable { "yes" } else { "no" },
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn headers_table(out: &mut String, e: &Entry<'_>, package: Option<&str>) {
    out.push_str(
        "<section aria-labelledby=\"headers\"><h2 id=\"headers\">Headers</h2>\n<table class=\"headers\">\
         <caption>AMQP headers every message of this schema carries</caption>\n<thead><tr>\
         <th scope=\"col\">Header</th><th scope=\"col\">Value</th></tr></thead>\n<tbody>\n",
    );
    let mut row = |name: &str, value: &str| {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><code>{}</code></th><td>{value}</td></tr>",
            esc(name)
        );
    };
    row(
        "fedora_messaging_schema",
        &format!("<code>{}</code>", esc(&e.spec.schema_name)),
    );
    if let Some(p) = package {
        row(
            "fedora_messaging_schema_package",
            &format!("<code>{}</code>", esc(p)),
        );
    }
    row("fedora_messaging_severity", &esc(&severity_text(e)));
    row("sent-at", "when it was sent, ISO 8601 with offset");
    row("priority", "the AMQP priority, 0 unless set");
    for ((kind, pointers), header) in e.spec.accessors.lists().into_iter().zip([
        "user",
        "group",
        "rpm",
        "container",
        "module",
        "flatpak",
    ]) {
        if !pointers.is_empty() {
            let from: Vec<String> = pointers
                .iter()
                .map(|p| format!("<code>{}</code>", esc(p)))
                .collect();
            row(
                &format!("fedora_messaging_{header}_NAME"),
                &format!(
                    "<code>true</code>, one per name in {} ({kind})",
                    from.join(", ")
                ),
            );
        }
    }
    out.push_str("</tbody></table></section>\n");
}

fn example_section(out: &mut String, e: &Entry<'_>) {
    out.push_str("<section aria-labelledby=\"example\"><h2 id=\"example\">Example body</h2>\n");
    match &e.example {
        Some((body, source)) => {
            let _ = writeln!(
                out,
                "<p>{}, valid against the schema.</p>\
                 <pre class=\"example\" tabindex=\"0\"><code>{}</code></pre>",
                match source {
                    Source::Schema => "From the schema's examples",
                    _ => "Made from the schema",
                },
                esc(&serde_json::to_string_pretty(body).unwrap_or_default())
            );
        }
        None => out.push_str(
            "<p>No example: the schema has none that validates, and none could be made from it \
             (e.g. a pattern to match).</p>\n",
        ),
    }
    out.push_str("</section>\n");
}

fn history_section(out: &mut String, e: &Entry<'_>) {
    if e.history.is_empty() {
        return;
    }
    out.push_str(
        "<section aria-labelledby=\"history\"><h2 id=\"history\">History</h2>\n<table class=\"history\">\
         <caption>Versions of the schema file in git, oldest first, each checked against the one before \
         (full compatibility: old and new consumers)</caption>\n<thead><tr><th scope=\"col\">Commit</th>\
         <th scope=\"col\">Date</th><th scope=\"col\">Subject</th><th scope=\"col\">Verdict</th>\
         <th scope=\"col\">Changes</th></tr></thead>\n<tbody>\n",
    );
    for (i, v) in e.history.iter().enumerate() {
        let verdict = match (i, v.breaking, v.findings.is_empty()) {
            (0, _, _) => "first version",
            (_, true, _) => "breaking",
            (_, false, true) => "no contract change",
            (_, false, false) => "compatible",
        };
        let changes: Vec<String> = v
            .findings
            .iter()
            .map(|f| {
                format!(
                    "<code>{}</code> <code>{}</code>: {}",
                    esc(f.rule),
                    esc(if f.pointer.is_empty() {
                        "/"
                    } else {
                        &f.pointer
                    }),
                    esc(&f.explanation)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"{}\">{verdict}</td><td>{}</td></tr>",
            esc(&v.commit),
            esc(&v.date),
            esc(&v.subject),
            if v.breaking { "breaking" } else { "ok" },
            changes.join("<br>")
        );
    }
    out.push_str("</tbody></table></section>\n");
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn text_is_escaped_for_content_and_attributes() {
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
