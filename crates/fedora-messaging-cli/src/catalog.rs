//! `fedora-messaging catalog` and `fedora-messaging asyncapi`.

use anyhow::{Context, Result};
use fedora_messaging_build::Repo;
use fedora_messaging_catalog::{AsyncApiOptions, CatalogOptions};

use crate::args::{AsyncapiArgs, CatalogArgs, DocFormat};

pub(crate) fn catalog(args: &CatalogArgs) -> i32 {
    report(|| {
        let repo = Repo::load(&args.schemas)?;
        let options = CatalogOptions {
            title: args.title.clone(),
            history: !args.no_history,
        };
        let site = fedora_messaging_catalog::catalog(&repo, &options);
        site.write_to(&args.output)
            .with_context(|| format!("cannot write the catalog into {}", args.output.display()))?;
        eprintln!(
            "catalog: {} messages, {} files in {}",
            site.files.len() - 3,
            site.files.len(),
            args.output.display()
        );
        Ok(())
    })
}

pub(crate) fn asyncapi(args: &AsyncapiArgs) -> i32 {
    report(|| {
        let repo = Repo::load(&args.schemas)?;
        let mut options = AsyncApiOptions::default();
        options.title.clone_from(&args.title);
        options.version.clone_from(&args.doc_version);
        let doc = fedora_messaging_catalog::asyncapi(&repo, &options);
        let json_file = args
            .output
            .as_ref()
            .is_some_and(|p| p.extension().is_some_and(|e| e == "json"));
        let text = match args.format.unwrap_or(if json_file {
            DocFormat::Json
        } else {
            DocFormat::Yaml
        }) {
            DocFormat::Json => format!("{}\n", serde_json::to_string_pretty(&doc)?),
            DocFormat::Yaml => fedora_messaging_catalog::to_yaml(&doc),
        };
        match &args.output {
            Some(path) => std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?,
            None => print!("{text}"),
        }
        Ok(())
    })
}

fn report(run: impl FnOnce() -> Result<()>) -> i32 {
    match run() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("Error: {e:#}");
            2
        }
    }
}
