//! The AWS clients, built once per process: from the environment in Lambda,
//! or against a local endpoint (moto's server) for the local stack and tests.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::{Credentials, SharedInterceptor};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The three clients every function uses.
#[derive(Debug, Clone)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    /// Clients configured as Lambda configures them: region and credentials
    /// from the environment (`AWS_ENDPOINT_URL` is honoured too).
    pub async fn from_env() -> Self {
        let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Self::from_config(&config, &[])
    }

    /// Clients for an emulator at `endpoint` (e.g. `http://127.0.0.1:5000`),
    /// with fixed test credentials and path-style S3 addressing. Every
    /// request passes through `interceptors`, which tests use to inject faults.
    pub fn local(endpoint: &str, interceptors: &[SharedInterceptor]) -> Self {
        Self::local_through(endpoint, interceptors, None)
    }

    /// [`Self::local`], sending every call through `http` when given (the
    /// local stack's model of AWS's latency).
    pub fn local_through(
        endpoint: &str,
        interceptors: &[SharedInterceptor],
        http: Option<SharedHttpClient>,
    ) -> Self {
        let mut config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
                Credentials::new("test", "test", None, None, "local-stack"),
            ));
        if let Some(http) = http {
            config = config.http_client(http);
        }
        Self::from_config(&config.build(), interceptors)
    }

    fn from_config(config: &SdkConfig, interceptors: &[SharedInterceptor]) -> Self {
        // Path-style addressing works against any endpoint; virtual-hosted
        // style needs DNS for `bucket.host`, which an emulator lacks.
        let path_style = config.endpoint_url().is_some();
        let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(config);
        let mut s3 = aws_sdk_s3::config::Builder::from(config).force_path_style(path_style);
        let mut sqs = aws_sdk_sqs::config::Builder::from(config);
        for interceptor in interceptors {
            dynamodb.push_interceptor(interceptor.clone());
            s3.push_interceptor(interceptor.clone());
            sqs.push_interceptor(interceptor.clone());
        }
        Self {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            sqs: aws_sdk_sqs::Client::from_conf(sqs.build()),
        }
    }
}
