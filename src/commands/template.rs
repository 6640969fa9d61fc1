//! `fleet template`: write the rendered CloudFormation templates to a
//! directory, one file per stack, indented for reading. The sizes it
//! reports are those of the compact bodies fleet deploys.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::cli::Format;
use crate::error::Error;
use crate::render::Rendered;

pub fn run(file: &Path, dir: &Path, format: Format, out: &mut dyn Write) -> Result<(), Error> {
    let (_, rendered) = super::load_and_render(file)?;

    let write_error = |source| Error::Write {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(write_error)?;
    remove_stale_shards(dir, &rendered)?;

    let mut written = Vec::new();
    for stack in rendered.stacks() {
        let path = dir.join(&stack.file_name);
        write_file(&path, &stack.pretty())?;
        written.push((path, stack));
    }

    for (path, stack) in &written {
        let bytes = stack.body.len();
        match format {
            Format::Json => {
                let line = json!({
                    "stack": stack.stack_name,
                    "path": path.display().to_string(),
                    "bytes": bytes,
                });
                writeln!(out, "{line}")?;
            }
            Format::Text => writeln!(
                out,
                "{}  {}  ({bytes} bytes)",
                path.display(),
                stack.stack_name
            )?,
        }
    }
    Ok(())
}

/// Writes through a temporary file and a rename, so a reader never sees a
/// half-written template.
fn write_file(path: &Path, body: &str) -> Result<(), Error> {
    let error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, body).map_err(error)?;
    std::fs::rename(&tmp, path).map_err(error)
}

/// Removes shard templates of an earlier render that this one no longer
/// produces, so the directory holds exactly what the fleet deploys.
fn remove_stale_shards(dir: &Path, rendered: &Rendered) -> Result<(), Error> {
    let error = |source| Error::Write {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(error)? {
        let path = entry.map_err(error)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let is_shard = name.starts_with("things-") && name.ends_with(".json");
        let current = rendered.shards.iter().any(|s| s.stack.file_name == name);
        if is_shard && !current {
            tracing::debug!("removing stale shard template {}", path.display());
            std::fs::remove_file(&path).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        }
    }
    Ok(())
}
