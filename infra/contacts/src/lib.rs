//! The `contacts` command. `contacts validate FILE` is the offline dry run of
//! an import: it reads and classifies a file against an empty workspace, as
//! the service's validation would, and prints the review. `contacts run`
//! starts the local stack, `contacts demo` runs an import end to end on it,
//! `contacts token` prints a token the local stack accepts, and `contacts
//! publish-pages` puts the built pages where a deployment serves them.

pub mod client;
pub mod demo;
pub mod pages;

pub mod stack;

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use contact_engine::dialect::{Delimiter, DialectOptions, Enclosure, Encoding};
use contact_engine::lookup::EmptyWorkspace;
use contact_engine::options::{Identifier, ImportOptions, MappingEntry, Purpose, Workspace};
use contact_engine::reader::{FileSource, SheetSource, Source};
use contact_engine::spreadsheet;
use contact_engine::{ValidateError, validate};
use contact_service::http::auth::Keys;
use contact_service::operations::Role;

#[derive(Parser)]
#[command(name = "contacts", about = "Contact imports, from the command line")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Dry-runs an import of FILE against an empty workspace and prints the
    /// review as JSON (dialect, headers, mapping, review).
    Validate(ValidateArgs),
    /// Starts the local stack in the foreground (moto's server, the
    /// template's resources, the API on 127.0.0.1:$PORT, the pollers);
    /// Ctrl-C stops it all. PORT (default 3000), REVIEW_TTL_SECONDS
    /// (default 3600), JWT_SECRET and CORS_ALLOWED_ORIGINS (comma-separated
    /// browser origins; the template's AllowedOrigins default otherwise) are
    /// read from the environment.
    Run,
    /// Prints a token the local stack accepts (signed with JWT_SECRET, or the
    /// local stack's default key).
    Token(TokenArgs),
    /// Runs the month-end reset now on the local stack `contacts run` started
    /// (PORT, default 3000): every workspace whose monthly reset is on.
    Reset,
    /// Starts the local stack, imports FILE through the HTTP API and the
    /// presigned URL, confirms, follows the progress, downloads the result,
    /// and stops the stack.
    Demo(DemoArgs),
    /// Puts the built pages (make pages) in a deployment's pages bucket with
    /// the config.json that names its API and sign-in page; AWS credentials
    /// and region from the environment, as the AWS CLI reads them.
    PublishPages(PublishArgs),
}

#[derive(clap::Args)]
struct PublishArgs {
    /// The stack's PagesBucketName output.
    #[arg(long)]
    bucket: String,
    /// The stack's ApiUrl output.
    #[arg(long)]
    api_url: String,
    /// The stack's SignInDomain output.
    #[arg(long, requires = "client_id")]
    sign_in_domain: Option<String>,
    /// The stack's UserPoolClientId output.
    #[arg(long, requires = "sign_in_domain")]
    client_id: Option<String>,
    /// The built pages.
    #[arg(long, default_value = "web/dist")]
    dir: PathBuf,
}

#[derive(clap::Args)]
struct TokenArgs {
    #[arg(long, default_value = "demo")]
    workspace: String,
    /// owner, manager or agent.
    #[arg(long, value_parser = json_word::<Role>, default_value = "owner")]
    role: Role,
    /// The person the token is for, shown as who started an import.
    #[arg(long)]
    email: Option<String>,
}

#[derive(clap::Args)]
struct DemoArgs {
    #[arg(default_value = "examples/clientes.csv")]
    file: PathBuf,
    #[arg(long, default_value = "EC")]
    default_country: String,
    /// Where the error and result files are written.
    #[arg(long, default_value = "target/demo")]
    out: PathBuf,
    /// A deployed API's base URL to run the journey against instead of the
    /// local stack; the token is read from CONTACTS_TOKEN.
    #[arg(long)]
    api_url: Option<String>,
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// The file: delimited text (.csv, .tsv, .txt) or a spreadsheet (.xlsx, .xls, .ods).
    file: PathBuf,
    /// The sheet of a spreadsheet to read (the first when not given).
    #[arg(long)]
    sheet: Option<String>,
    /// add_new, update_existing, add_and_update or add_all.
    #[arg(long, value_parser = json_word::<Purpose>, default_value = "add_and_update")]
    purpose: Purpose,
    /// phone, email or contact_id.
    #[arg(long, value_parser = json_word::<Identifier>, default_value = "phone")]
    identifier: Identifier,
    /// ISO 3166-1 alpha-2 country for numbers written without +country.
    #[arg(long)]
    default_country: Option<String>,
    /// , ; | or tab (detected when not given).
    #[arg(long, value_parser = |s: &str| Delimiter::from_text(s).ok_or("use , ; | or tab"))]
    delimiter: Option<Delimiter>,
    /// " or ' or none (detected when not given).
    #[arg(long, value_parser = |s: &str| Enclosure::from_text(s).ok_or("use \" ' or none"))]
    enclosure: Option<Enclosure>,
    /// utf-8, utf-16le, utf-16be, windows-1252, macintosh (Mac Roman) or another label of these (detected when not given).
    #[arg(long, value_parser = |s: &str| Encoding::from_label(s).ok_or("use utf-8, utf-16, windows-1252 or macintosh"))]
    encoding: Option<Encoding>,
    /// The column mapping as JSON: [{"column": "Celular", "field": "phone"}, …]; columns left out are skipped.
    #[arg(long, value_parser = |s: &str| serde_json::from_str(s).map(MappingArg).map_err(|e| e.to_string()))]
    mapping: Option<MappingArg>,
    /// A tag added to every imported or updated contact (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// The workspace's settings as a JSON file: default_country, remaining_quota, custom_fields, users.
    #[arg(long)]
    workspace: Option<PathBuf>,
    /// Writes the rows in error here, with an `Error` column.
    #[arg(long, value_name = "OUT.csv")]
    errors: Option<PathBuf>,
    /// Writes every row here with its `Predicted Status` and `Errors`.
    #[arg(long, value_name = "OUT.csv")]
    preview: Option<PathBuf>,
}

/// A whole mapping in one argument (clap would take a `Vec` as repeats).
#[derive(Clone)]
struct MappingArg(Vec<MappingEntry>);

fn json_word<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|e| e.to_string())
}

/// Runs the command with `args` (the program name first); answers the exit code.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = if e.use_stderr() {
                write!(err, "{}", e.render())
            } else {
                write!(out, "{}", e.render())
            };
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Validate(args) => run_validate(args, out),
        Command::Run => run_stack(out),
        Command::Reset => runtime().and_then(|rt| rt.block_on(run_reset(out))),
        Command::Token(args) => {
            let token = Keys::new(jwt_secret().as_bytes()).sign_for(
                &args.workspace,
                args.role,
                args.email.as_deref(),
                24 * 3600,
            );
            writeln!(out, "{token}").map_err(|e| failure(e.to_string()))
        }
        Command::PublishPages(args) => {
            runtime().and_then(|rt| rt.block_on(run_publish_pages(args, out)))
        }
        Command::Demo(args) => runtime().and_then(|rt| {
            let token = std::env::var("CONTACTS_TOKEN").ok();
            let remote = match (&args.api_url, &token) {
                (Some(url), Some(token)) => Some((url.as_str(), token.as_str())),
                (Some(_), None) => {
                    return Err(failure(
                        "--api-url needs the caller's token in CONTACTS_TOKEN".to_string(),
                    ));
                }
                (None, _) => None,
            };
            rt.block_on(demo::demo(
                &args.file,
                &args.default_country,
                &args.out,
                remote,
                out,
            ))
            .map_err(failure)
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { message, code }) => {
            let _ = writeln!(err, "contacts: {message}");
            ExitCode::from(code)
        }
    }
}

struct Failure {
    message: String,
    code: u8,
}

impl From<ValidateError> for Failure {
    fn from(e: ValidateError) -> Self {
        let code = match e {
            // The file or the options are refused: the user must change them.
            ValidateError::Refused(_) | ValidateError::Options(_) | ValidateError::Mapping(_) => 2,
            ValidateError::Lookup(_) | ValidateError::Io(_) => 1,
        };
        Self {
            message: e.to_string(),
            code,
        }
    }
}

fn failure(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 1,
    }
}

fn jwt_secret() -> String {
    std::env::var("JWT_SECRET").unwrap_or_else(|_| stack::local::DEFAULT_SECRET.to_string())
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| failure(e.to_string()))
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, Failure> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v.parse().map_err(|_| Failure {
            message: format!("{name}={v} is not a number"),
            code: 2,
        }),
        _ => Ok(default),
    }
}

/// Where the built pages are: `web/dist` (or `PAGES_DIR`), when built.
fn built_pages() -> Option<std::path::PathBuf> {
    let folder = std::env::var("PAGES_DIR").unwrap_or_else(|_| "web/dist".to_string());
    let folder = std::path::PathBuf::from(folder);
    folder.join("index.html").is_file().then_some(folder)
}

/// `contacts run`: the stack in the foreground until Ctrl-C.
fn run_stack(out: &mut dyn Write) -> Result<(), Failure> {
    let options = stack::local::StackOptions {
        port: env_number("PORT", 3000)?,
        review_ttl: std::time::Duration::from_secs(env_number("REVIEW_TTL_SECONDS", 3600)?),
        jwt_secret: jwt_secret(),
        allowed_origins: std::env::var("CORS_ALLOWED_ORIGINS")
            .ok()
            .filter(|o| !o.trim().is_empty())
            .map(|o| o.split(',').map(|s| s.trim().to_string()).collect()),
        pages: built_pages(),
        ..Default::default()
    };
    runtime()?.block_on(async {
        let stack = stack::local::Stack::start(options)
            .await
            .map_err(|e| failure(e.to_string()))?;
        let token = stack.token("demo", Role::Owner);
        let pages = match stack.serves_pages() {
            true => format!("Pages: {}/#token={token}\n       (open it to import through the browser; workspace demo, owner)\n", stack.api_url),
            false => "Pages: not built: run `make pages` (Node.js and npm), then `make run` again\n".to_string(),
        };
        let _ = writeln!(
            out,
            "{pages}API:   {}  (routes under /v1, e.g. /v1/health; moto at {})\ntoken: {token}\n       (workspace demo, owner; others: make token WORKSPACE=w ROLE=r)\nCtrl-C stops everything.",
            stack.api_url,
            stack.moto_endpoint()
        );
        let _ = out.flush();
        // Ctrl-C, or a polite kill: either way stop what was started.
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| failure(e.to_string()))?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        let _ = writeln!(out, "stopping…");
        stack.stop().await;
        Ok(())
    })
}

/// `contacts publish-pages`: the built pages to the deployment's bucket.
async fn run_publish_pages(args: PublishArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let config = pages::PagesConfig {
        api_base: args.api_url.trim_end_matches('/').to_string(),
        sign_in: args
            .sign_in_domain
            .zip(args.client_id)
            .map(|(domain, client_id)| pages::SignIn { domain, client_id }),
    };
    let clients = contact_service::store::Clients::from_env().await;
    let published = pages::publish(&clients.s3, &args.bucket, &args.dir, &config)
        .await
        .map_err(|e| failure(e.to_string()))?;
    for file in &published {
        let _ = writeln!(
            out,
            "s3://{}/{}  {}",
            args.bucket, file.key, file.cache_control
        );
    }
    let _ = writeln!(out, "{} files published", published.len());
    Ok(())
}

/// `contacts reset`: asks the running local stack for the month-end reset.
async fn run_reset(out: &mut dyn Write) -> Result<(), Failure> {
    let port: u16 = env_number("PORT", 3000)?;
    let url = format!("http://127.0.0.1:{port}{}", stack::local::MONTH_END_PATH);
    let answer = reqwest::Client::new()
        .post(&url)
        .send()
        .await
        .map_err(|e| failure(format!("{url}: {e} (is `make run` running?)")))?;
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(failure(format!("{url}: {status} {body}")));
    }
    let report: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| failure(format!("{url}: {e}: {body}")))?;
    writeln!(out, "{}", reset_words(&report)).map_err(|e| failure(e.to_string()))
}

/// What a month-end run did, in words true to it: the resets it started,
/// those that had already run this month (and so did nothing again), or
/// that no workspace has its reset on.
fn reset_words(report: &serde_json::Value) -> String {
    let month = report["month"].as_str().unwrap_or("this month");
    let names = |key: &str, field: Option<&str>| -> Vec<String> {
        report[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| match field {
                Some(f) => format!(
                    "{} ({})",
                    v["workspace"].as_str().unwrap_or("?"),
                    v[f].as_str().unwrap_or("?")
                ),
                None => v.as_str().unwrap_or("?").to_string(),
            })
            .collect()
    };
    let started = names("started", None);
    let already = names("already_this_month", Some("status"));
    let mut lines = Vec::new();
    if started.is_empty() && already.is_empty() {
        lines.push(
            "no workspace has its monthly reset on: nothing was reset (turn it on with PATCH /v1/settings {\"monthly_reset\": {\"mode\": \"all\"}})".to_string(),
        );
    }
    if !started.is_empty() {
        lines.push(format!(
            "month-end reset for {month} started: {}; each workspace's backup and counts come as a notification (GET /v1/notifications)",
            started.join(", ")
        ));
    }
    if !already.is_empty() {
        lines.push(format!(
            "already reset in {month}, nothing done again (a workspace resets once a month): {}",
            already.join(", ")
        ));
    }
    lines.join("\n")
}

fn run_validate(args: ValidateArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let workspace: Workspace = match &args.workspace {
        Some(path) => {
            let text = fs::read_to_string(path)
                .map_err(|e| failure(format!("{}: {e}", path.display())))?;
            serde_json::from_str(&text).map_err(|e| Failure {
                message: format!("{}: {e}", path.display()),
                code: 2,
            })?
        }
        None => Workspace::default(),
    };
    let options = ImportOptions {
        purpose: args.purpose,
        identifier: args.identifier,
        default_country: args.default_country,
        dialect: Some(DialectOptions {
            delimiter: args.delimiter,
            enclosure: args.enclosure,
            encoding: args.encoding,
        }),
        mapping: args.mapping.map(|m| m.0),
        tags: args.tags,
        sheet: args.sheet,
        ..ImportOptions::default()
    };
    // Opened here so a missing file is told as such, not as a read failure.
    File::open(&args.file).map_err(|e| failure(format!("{}: {e}", args.file.display())))?;
    // A spreadsheet is read as the CSV of its sheet, written to a folder of
    // its own.
    let folder = tempfile::tempdir().map_err(|e| failure(e.to_string()))?;
    let converted = folder.path().join("sheet.csv");
    let sheets = spreadsheet::convert_file(&args.file, options.sheet.as_deref(), &converted)
        .map_err(|e| match e {
            spreadsheet::ConvertError::Refused(r) => Failure::from(ValidateError::Refused(r)),
            spreadsheet::ConvertError::Io(e) => failure(e.to_string()),
        })?;
    let source: Box<dyn Source> = match sheets {
        Some(_) => Box::new(SheetSource(converted)),
        None => Box::new(FileSource(args.file.clone())),
    };
    let validation = validate(&*source, &options, &workspace, &EmptyWorkspace)?;
    if args.errors.is_some() || args.preview.is_some() {
        let mut errors = args.errors.as_deref().map(Staged::create).transpose()?;
        let mut preview = args.preview.as_deref().map(Staged::create).transpose()?;
        validation.write_files(
            &*source,
            errors.as_mut().map(Staged::out),
            preview.as_mut().map(Staged::out),
        )?;
        for staged in [errors, preview].into_iter().flatten() {
            staged.commit()?;
        }
    }
    let json =
        serde_json::to_string_pretty(&validation.summary()).map_err(|e| failure(e.to_string()))?;
    writeln!(out, "{json}").map_err(|e| failure(e.to_string()))?;
    Ok(())
}

/// A file written beside its final path and renamed into place when whole,
/// so a failed run leaves no half-written file.
struct Staged {
    /// `None` once committed.
    writer: Option<BufWriter<File>>,
    temporary: PathBuf,
    path: PathBuf,
}

impl Staged {
    fn create(path: &Path) -> Result<Self, Failure> {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let temporary = path.with_file_name(name);
        let file =
            File::create(&temporary).map_err(|e| failure(format!("{}: {e}", path.display())))?;
        Ok(Self {
            writer: Some(BufWriter::new(file)),
            temporary,
            path: path.to_path_buf(),
        })
    }

    fn out(&mut self) -> &mut dyn Write {
        self.writer.as_mut().expect("written before commit")
    }

    fn commit(mut self) -> Result<(), Failure> {
        let fail = |e: std::io::Error| failure(format!("{}: {e}", self.path.display()));
        let writer = self.writer.take().expect("committed once");
        writer
            .into_inner()
            .map_err(|e| fail(e.into_error()))?
            .sync_all()
            .map_err(fail)?;
        fs::rename(&self.temporary, &self.path).map_err(fail)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Not committed: leave nothing half-written behind.
        if self.writer.is_some() {
            let _ = fs::remove_file(&self.temporary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reset_words;
    use serde_json::json;

    #[test]
    fn make_reset_says_what_it_did_and_what_it_did_not() {
        let first = reset_words(
            &json!({"month": "2026-12", "started": ["demo"], "already_this_month": []}),
        );
        assert!(
            first.starts_with("month-end reset for 2026-12 started: demo"),
            "{first}"
        );
        let again = reset_words(&json!({"month": "2026-12", "started": [],
            "already_this_month": [{"workspace": "demo", "status": "completed"}]}));
        assert_eq!(
            again,
            "already reset in 2026-12, nothing done again (a workspace resets once a month): demo (completed)"
        );
        let none =
            reset_words(&json!({"month": "2026-12", "started": [], "already_this_month": []}));
        assert!(
            none.starts_with("no workspace has its monthly reset on"),
            "{none}"
        );
    }
}
