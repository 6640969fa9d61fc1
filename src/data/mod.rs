//! The data side: reading a cat's locations back out of the table.
//!
//! Every read is a DynamoDB `Query` on the table's key (the device, then a
//! time range), following pagination and projecting only the attributes a
//! fix needs; never a `Scan`, which would read every cat's history to
//! answer a question about one.

pub mod formats;
pub mod store;
pub mod window;
