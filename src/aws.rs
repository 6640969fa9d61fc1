//! Where fleet's AWS calls go: region, profile and endpoint, decided once,
//! logged, and checked before the first call.
//!
//! The AWS SDK reads the usual settings itself (`AWS_PROFILE`,
//! `AWS_REGION`, `AWS_ENDPOINT_URL` and per-service variants, the shared
//! config files). fleet adds two things: the fleet file's region, which the
//! environment and `--region` override, and its own check of the endpoint
//! URL, because the SDK drops a malformed `AWS_ENDPOINT_URL` with only a
//! trace-level warning and would then talk to real AWS.

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// How the user asked to reach AWS on the command line.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
}

/// The resolved AWS settings every client is built from.
#[derive(Debug, Clone)]
pub struct Aws {
    pub config: SdkConfig,
    /// The endpoint every call goes to, when not AWS's own.
    pub endpoint: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error(
        "no AWS region: set `region:` in the fleet file, AWS_REGION in the environment, \
         or pass --region"
    )]
    NoRegion,
    #[error("{name} is `{value}`, which is not an http:// or https:// URL with a host")]
    BadEndpoint { name: &'static str, value: String },
}

/// Resolves region, profile and endpoint. `fleet_region` is the fleet
/// file's region, used when neither `--region` nor the environment sets one.
pub async fn connect(target: &Target, fleet_region: Option<&str>) -> Result<Aws, AwsError> {
    let endpoint = endpoint(target)?;

    // Adaptive retry backs off client-side when AWS throttles, which a
    // fleet of thousands of registry calls will meet.
    let retry = aws_config::retry::RetryConfig::adaptive().with_max_attempts(6);
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry);
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region_override(target, fleet_region) {
        loader = loader.region(Region::new(region));
    }
    if let Some(url) = &target.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;

    let region = config.region().ok_or(AwsError::NoRegion)?;
    tracing::debug!(
        region = %region,
        profile = target.profile.as_deref().unwrap_or("(default chain)"),
        endpoint = endpoint.as_deref().unwrap_or("(AWS)"),
        "AWS target"
    );
    Ok(Aws { config, endpoint })
}

/// `--region`, else the fleet file's region unless the environment names
/// one (the SDK then reads it), else nothing and the profile decides.
fn region_override(target: &Target, fleet_region: Option<&str>) -> Option<String> {
    if let Some(region) = &target.region {
        return Some(region.clone());
    }
    let from_env = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|r| !r.is_empty()));
    if from_env {
        None
    } else {
        fleet_region.map(str::to_string)
    }
}

/// The endpoint calls go to, checked: `--endpoint-url`, else the
/// environment's `AWS_ENDPOINT_URL`.
fn endpoint(target: &Target) -> Result<Option<String>, AwsError> {
    if let Some(url) = &target.endpoint_url {
        check_url("--endpoint-url", url)?;
        return Ok(Some(url.clone()));
    }
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => {
            check_url("AWS_ENDPOINT_URL", &url)?;
            Ok(Some(url))
        }
        _ => Ok(None),
    }
}

fn check_url(name: &'static str, value: &str) -> Result<(), AwsError> {
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"));
    let host = rest.map(|r| r.split(['/', ':']).next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() => Ok(()),
        _ => Err(AwsError::BadEndpoint {
            name,
            value: value.to_string(),
        }),
    }
}

impl Aws {
    pub fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.config)
    }

    pub fn iot(&self) -> aws_sdk_iot::Client {
        aws_sdk_iot::Client::new(&self.config)
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.config)
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.config)
    }

    /// Where calls go, for messages: the endpoint, or AWS in the region.
    pub fn describe(&self) -> String {
        match &self.endpoint {
            Some(url) => url.clone(),
            None => format!(
                "AWS ({})",
                self.config.region().map_or("no region", |r| r.as_ref())
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_are_checked() {
        assert!(check_url("x", "http://127.0.0.1:5000").is_ok());
        assert!(check_url("x", "https://example.com/").is_ok());
        for bad in ["127.0.0.1:5000", "http://", "ftp://host", "http://:5000"] {
            assert!(check_url("x", bad).is_err(), "{bad}");
        }
    }
}
