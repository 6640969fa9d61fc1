//! fleet: declare a fleet of LoRaWAN cat trackers in one file, render it as
//! CloudFormation, and run it on AWS IoT and DynamoDB.
//!
//! The stages, each with its own module and types between them:
//! fleet file text ([`fleetfile`]) -> validated [`model::Fleet`] ->
//! rendered templates ([`render`]) -> AWS calls. Only the last needs a
//! network; everything before it is testable offline.

pub mod app;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod data;
pub mod deploy;
pub mod error;
pub mod fleetfile;
pub mod iotsql;
pub mod local;
pub mod map;
pub mod model;
pub mod names;
pub mod printer;
pub mod progress;
pub mod render;
pub mod rule;
pub mod rule_sql;
pub mod simulate;
pub mod track;
pub mod verify;
