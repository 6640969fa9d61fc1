//! fleet's integration tests, as one binary: the malformed fleet file
//! suite, the rendered templates (snapshots and cfn-lint), the command
//! line, and deployments to the local emulator over HTTP.

mod cat;
mod cli;
mod corpus;
mod deploy;
mod emulator;
mod harness;
mod lifecycle;
mod local;
mod locations;
mod malformed;
mod map;
mod outings;
mod places;
mod render;
mod rule;
mod simulate;
mod verify;
