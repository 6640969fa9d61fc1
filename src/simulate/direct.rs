//! Writing simulated uplinks straight into the table: each uplink goes
//! through the fleet's own rule here ([`crate::rule::judge`], the engine
//! `fleet local` and `fleet rule test` run), and the items it produces are
//! batch-written. The items are exactly those the rule would put; only the
//! IoT round trip is skipped, which makes large data sets (benchmarks,
//! months of a fleet) a matter of seconds rather than hours.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue as DdbValue, PutRequest, WriteRequest};
use futures_util::StreamExt;
use tokio::sync::watch;

use super::{Plan, Progress, Sent, Uplink};
use crate::deploy::{Ctx, DeployError, sdk_message};
use crate::iotsql::{Context, Item, Statement};
use crate::rule::{self, Verdict};

/// BatchWriteItem's limit of items per call.
pub const BATCH: usize = 25;

/// Batches written at once: enough to hide the round trips, few enough to
/// stay below an on-demand table's initial write throughput.
const IN_FLIGHT: usize = 4;

/// Tries of a batch whose items DynamoDB left unprocessed (throttled)
/// before giving up, with the wait between tries doubling from 50 ms to
/// at most 5 s (AWS's advice for unprocessed items: back off
/// exponentially).
const MAX_TRIES: u32 = 10;
const FIRST_WAIT: Duration = Duration::from_millis(50);
const LONGEST_WAIT: Duration = Duration::from_secs(5);

/// What the rule made of the uplinks.
#[derive(Debug, Default, PartialEq)]
pub struct Judged {
    pub items: Vec<Item>,
    /// Why the rule wrote nothing for some uplinks, with how many.
    pub skipped: BTreeMap<String, usize>,
}

/// Runs the rule on every uplink, as if it arrived on its topic when TTN
/// received it.
pub fn judge(plan: &Plan<'_>, statement: &Statement, uplinks: &[Uplink]) -> Judged {
    let mut judged = Judged::default();
    for uplink in uplinks {
        let ctx = Context::new(&plan.topic(uplink), uplink.reading.received_ms);
        let why = match rule::judge(statement, &plan.json(uplink), &ctx) {
            Ok(Verdict::Written(item)) => {
                judged.items.push(item);
                continue;
            }
            Ok(verdict) => verdict.reason().unwrap_or_default(),
            Err(e) => format!("the rule cannot evaluate it: {e}"),
        };
        *judged.skipped.entry(why).or_default() += 1;
    }
    judged
}

/// Writes the items into `table`, 25 to a call, until done, a batch fails,
/// or `interrupted` turns true.
pub async fn write_all(
    ctx: &Ctx,
    table: &str,
    items: &[Item],
    progress: &dyn Progress,
    mut interrupted: watch::Receiver<bool>,
) -> Result<Sent, DeployError> {
    let mut writes = futures_util::stream::iter(items.chunks(BATCH))
        .map(|batch| async move {
            let requests = batch.iter().map(put_request).collect();
            write_batch(ctx, table, requests)
                .await
                .map(|()| batch.len())
        })
        .buffered(IN_FLIGHT);

    let mut count = 0;
    loop {
        tokio::select! {
            next = writes.next() => match next {
                None => break,
                Some(Ok(n)) => {
                    count += n;
                    progress.advanced(count);
                }
                Some(Err(message)) => {
                    let message = format!("{message} ({count} of {} items were written)", items.len());
                    return Err(ctx.call_error(table, "BatchWriteItem", message));
                }
            },
            Ok(()) = interrupted.changed() => return Ok(Sent { count, interrupted: true }),
        }
    }
    Ok(Sent {
        count,
        interrupted: false,
    })
}

/// One BatchWriteItem, retrying the items DynamoDB leaves unprocessed.
async fn write_batch(
    ctx: &Ctx,
    table: &str,
    mut requests: Vec<WriteRequest>,
) -> Result<(), String> {
    let mut wait = FIRST_WAIT;
    for _ in 0..MAX_TRIES {
        let out = ctx
            .dynamodb
            .batch_write_item()
            .request_items(table, requests)
            .send()
            .await
            .map_err(sdk_message)?;
        match out.unprocessed_items().and_then(|u| u.get(table)) {
            Some(left) if !left.is_empty() => requests = left.clone(),
            _ => return Ok(()),
        }
        tracing::debug!(
            left = requests.len(),
            ?wait,
            "unprocessed items; backing off"
        );
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(LONGEST_WAIT);
    }
    Err(format!(
        "{} items were still unprocessed after {MAX_TRIES} tries; the table's write capacity \
         is exhausted",
        requests.len()
    ))
}

fn put_request(item: &Item) -> WriteRequest {
    let item: HashMap<String, DdbValue> = item
        .iter()
        .map(|(k, v)| (k.clone(), rule::sdk_value(v)))
        .collect();
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .expect("a put request with its item");
    WriteRequest::builder().put_request(put).build()
}
