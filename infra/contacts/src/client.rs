//! A small client of the HTTP API, as a browser or a partner's script would
//! use it: create an import, `PUT` the file to the presigned URL, read the
//! review, confirm, follow progress, download files. The demo and the
//! end-to-end tests both drive the service through it.

use std::time::{Duration, Instant};

use serde_json::Value;

/// An answer: the status and the JSON body (or `Value::Null`).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The body of an answer with the `expected` status; any other answer
    /// is an error that says what `call` answered.
    pub fn expect(self, expected: u16, call: &str) -> Result<Value, ClientError> {
        if self.status == expected {
            Ok(self.body)
        } else {
            Err(ClientError::Unexpected(format!(
                "{call} answered {}: {}",
                self.status, self.body
            )))
        }
    }

    /// The error code of an error answer.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{0}")]
    Unexpected(String),
}

#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl ApiClient {
    pub fn new(base: &str, token: Option<String>) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            token,
            // Redirects are followed by hand, so the 302 itself can be checked.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a plain HTTP client builds"),
        }
    }

    pub fn with_token(&self, token: Option<String>) -> Self {
        Self {
            token,
            ..self.clone()
        }
    }

    /// Any call: `method` `path` with an optional JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, ClientError> {
        Ok(self.call_with_headers(method, path, body, &[]).await?.0)
    }

    /// A call with extra request headers (`If-Match`); answers the response's
    /// headers too (`ETag`).
    pub async fn call_with_headers(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<(Answer, reqwest::header::HeaderMap), ClientError> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| ClientError::Unexpected(e.to_string()))?;
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let answered = response.headers().clone();
        let bytes = response.bytes().await?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((Answer { status, body }, answered))
    }

    /// Creates an import for `file_name` of `bytes`, then uploads the bytes
    /// through the presigned request the answer carries.
    pub async fn start_import(
        &self,
        file_name: &str,
        bytes: &[u8],
        options: Option<Value>,
    ) -> Result<Answer, ClientError> {
        let mut body = serde_json::json!({"file_name": file_name, "size_bytes": bytes.len()});
        if let Some(options) = options {
            body["options"] = options;
        }
        let created = self.call("POST", "/v1/imports", Some(&body)).await?;
        if created.status != 201 {
            return Ok(created);
        }
        let status = self.upload(&created.body["upload"], bytes.to_vec()).await?;
        if !(200..300).contains(&status) {
            return Err(ClientError::Unexpected(format!(
                "the upload answered {status}"
            )));
        }
        Ok(created)
    }

    /// Sends `bytes` as the presigned `upload` says; answers S3's status.
    pub async fn upload(&self, upload: &Value, bytes: Vec<u8>) -> Result<u16, ClientError> {
        let url = upload["url"]
            .as_str()
            .ok_or_else(|| ClientError::Unexpected("no upload URL".into()))?;
        let mut request = self.http.put(url).body(bytes);
        if let Some(headers) = upload["headers"].as_object() {
            for (name, value) in headers {
                // The HTTP client sets the length from the body itself.
                if name.eq_ignore_ascii_case("content-length") {
                    continue;
                }
                if let Some(value) = value.as_str() {
                    request = request.header(name, value);
                }
            }
        }
        Ok(request.send().await?.status().as_u16())
    }

    /// Confirms a reviewed import; answers the import, now importing.
    pub async fn confirm(&self, id: &str) -> Result<Value, ClientError> {
        self.call("POST", &format!("/v1/imports/{id}/confirm"), None)
            .await?
            .expect(200, "confirm")
    }

    pub async fn import(&self, id: &str) -> Result<Answer, ClientError> {
        self.call("GET", &format!("/v1/imports/{id}"), None).await
    }

    /// Reads the import until `done` says so (or `timeout` passes).
    pub async fn wait_for(
        &self,
        id: &str,
        timeout: Duration,
        done: impl FnMut(&Value) -> bool,
    ) -> Result<Value, ClientError> {
        self.wait_for_paced(id, timeout, Duration::from_secs(1), done)
            .await
    }

    /// Reads the import until `done` says so (or `timeout` passes), quick
    /// at first, then once every `slowest`: a long import is not read more
    /// often than a person would look.
    pub async fn wait_for_paced(
        &self,
        id: &str,
        timeout: Duration,
        slowest: Duration,
        mut done: impl FnMut(&Value) -> bool,
    ) -> Result<Value, ClientError> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            let answer = self.import(id).await?;
            if done(&answer.body) {
                return Ok(answer.body);
            }
            if start.elapsed() > timeout {
                return Err(ClientError::Unexpected(format!(
                    "waited {timeout:?}; the import is {}",
                    answer.body
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(slowest);
        }
    }

    /// Waits until validation has ended (review, failed, …).
    pub async fn wait_for_review(&self, id: &str) -> Result<Value, ClientError> {
        self.wait_for(id, Duration::from_secs(120), |i| {
            !matches!(i["status"].as_str(), Some("awaiting_upload" | "validating"))
        })
        .await
    }

    /// Follows a 302 to a presigned URL and answers the file's bytes.
    pub async fn download(&self, path: &str) -> Result<(u16, Vec<u8>), ClientError> {
        let answer = self.call("GET", path, None).await?;
        if answer.status != 302 {
            return Ok((answer.status, Vec::new()));
        }
        let url = answer.body["url"]
            .as_str()
            .ok_or_else(|| ClientError::Unexpected("a 302 without a URL".into()))?;
        let response = self.http.get(url).send().await?;
        let status = response.status().as_u16();
        Ok((status, response.bytes().await?.to_vec()))
    }
}
