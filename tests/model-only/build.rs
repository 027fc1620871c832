//! Generates the bindings of the project's schema repo, as an application crate would.

fn main() {
    let schemas = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    if let Err(e) = fedora_messaging_build::Builder::new(schemas).compile() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
