//! `contacts demo`: the product's main job, end to end on the local stack —
//! start it, import a file through the HTTP API and the presigned URL, show
//! the review, confirm, follow the progress, download the result, stop.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use contact_service::operations::Role;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::client::ApiClient;
use crate::stack::local::{Stack, StackOptions};

pub async fn demo(
    file: &Path,
    default_country: &str,
    out_dir: &Path,
    remote: Option<(&str, &str)>,
    out: &mut dyn Write,
) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("contacts.csv");
    let say = |out: &mut dyn Write, line: String| {
        let _ = writeln!(out, "{line}");
    };
    // A deployed API: the same journey, with the caller's token.
    if let Some((api_url, token)) = remote {
        let api = ApiClient::new(api_url.trim_end_matches('/'), Some(token.to_string()));
        return run(&api, api_url, name, &bytes, default_country, out_dir, out).await;
    }
    say(
        out,
        "Starting the local stack (moto's server, the template's resources, the API, the pollers)…"
            .into(),
    );
    let stack = Stack::start(StackOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let api = ApiClient::new(&stack.api_url, Some(stack.token("demo", Role::Owner)));
    let result = run(
        &api,
        &stack.api_url,
        name,
        &bytes,
        default_country,
        out_dir,
        out,
    )
    .await;
    say(out, "Stopping the local stack.".into());
    stack.stop().await;
    result
}

async fn run(
    api: &ApiClient,
    api_url: &str,
    name: &str,
    bytes: &[u8],
    default_country: &str,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<(), String> {
    let err = |e: crate::client::ClientError| e.to_string();
    let _ = writeln!(out, "API at {api_url}\n");

    let created = api
        .start_import(
            name,
            bytes,
            Some(json!({"default_country": default_country})),
        )
        .await
        .map_err(err)?;
    let created = created.expect(201, "POST /v1/imports").map_err(err)?;
    let id = created["id"].as_str().unwrap_or_default().to_string();
    let _ = writeln!(
        out,
        "1. POST /v1/imports → {id}; {name} ({} bytes) PUT to the presigned S3 URL",
        bytes.len()
    );

    let review = api.wait_for_review(&id).await.map_err(err)?;
    if review["status"] != "review" {
        return Err(format!(
            "validation ended as {}: {}",
            review["status"], review["error"]
        ));
    }
    let _ = writeln!(out, "2. Validated on the S3 event. Review:");
    let _ = writeln!(out, "   dialect  {}", review["dialect"]);
    let _ = writeln!(out, "   headers  {}", review["headers"]);
    let mapped: Vec<String> = review["mapping"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            format!(
                "{} → {}",
                m["column"].as_str().unwrap_or(""),
                m["field"].as_str().unwrap_or("(skipped)")
            )
        })
        .collect();
    let _ = writeln!(out, "   mapping  {}", mapped.join(", "));
    let counts = &review["review"];
    let _ = writeln!(
        out,
        "   rows {}: {} to add, {} to update, {} to skip, {} errors (expires {})",
        counts["rows"],
        counts["to_add"],
        counts["to_update"],
        counts["to_skip"],
        counts["errors"],
        review["expires_at"]
    );
    let (status, error_file) = api
        .download(&format!("/v1/imports/{id}/errors"))
        .await
        .map_err(err)?;
    if status == 200 {
        let path = out_dir.join(format!("{}-errors.csv", stem(name)));
        write_file(&path, &error_file)?;
        let _ = writeln!(out, "   error file: {}", path.display());
    }

    let confirmed = api.confirm(&id).await.map_err(err)?;
    let _ = writeln!(
        out,
        "3. Confirmed: rows fanned out to the workers through SQS."
    );
    let total = confirmed["progress"]["rows_total"].as_u64().unwrap_or(0);
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("   {bar:40} {pos}/{len} rows {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let done = api
        .wait_for(&id, Duration::from_secs(600), |import: &Value| {
            bar.set_position(import["progress"]["rows_done"].as_u64().unwrap_or(0));
            import["status"] != "importing"
        })
        .await
        .map_err(err)?;
    bar.finish_with_message(done["status"].as_str().unwrap_or("").to_string());
    if bar.is_hidden() {
        // Not a terminal: the bar draws nothing, so say where it ended.
        let _ = writeln!(
            out,
            "   {}/{} rows done",
            done["progress"]["rows_done"], done["progress"]["rows_total"]
        );
    }
    if done["status"] != "completed" {
        return Err(format!("the import ended as {}", done["status"]));
    }
    let result = &done["result"];
    let _ = writeln!(
        out,
        "4. Completed: {} imported, {} updated, {} skipped, {} errors; result available until {}",
        result["imported"],
        result["updated"],
        result["skipped"],
        result["errors"],
        result["available_until"]
    );
    let (status, result_file) = api
        .download(&format!("/v1/imports/{id}/result"))
        .await
        .map_err(err)?;
    if status != 200 {
        return Err(format!("the result file answered {status}"));
    }
    let path = out_dir.join(format!("{}-result.csv", stem(name)));
    write_file(&path, &result_file)?;
    let _ = writeln!(out, "   result file: {}", path.display());
    Ok(())
}

fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}
