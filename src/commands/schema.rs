//! `fleet schema`: print the fleet file's JSON Schema.

use std::io::Write;

use crate::error::Error;

pub fn run(out: &mut dyn Write) -> Result<(), Error> {
    let schema = crate::fleetfile::schema::schema();
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&schema).expect("schema serializes")
    )?;
    Ok(())
}
