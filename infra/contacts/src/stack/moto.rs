//! moto's server on a free loopback port, for as long as a `Moto` lives.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::StackError;

/// moto's server with DynamoDB transactions that scale (see the script).
const LAUNCHER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../local/moto_server.py");

/// How long moto's server may take to answer its first request.
const STARTUP: Duration = Duration::from_secs(30);
/// Attempts at a free port: another process may take it between our probe
/// and moto's bind.
const ATTEMPTS: usize = 3;

/// A running moto server; dropping it stops the server.
#[derive(Debug)]
pub struct Moto {
    /// e.g. `http://127.0.0.1:41234`.
    pub endpoint: String,
    child: Option<Child>,
    log: PathBuf,
    /// Kept when something went wrong, for the reader of the error.
    keep_log: bool,
}

impl Moto {
    /// Starts `python3 -m moto.server` on a free loopback port and waits
    /// until it answers.
    pub async fn start() -> Result<Moto, StackError> {
        ensure_installed().await?;
        let mut last_error = None;
        for _ in 0..ATTEMPTS {
            match Self::start_once().await {
                Ok(moto) => return Ok(moto),
                // Exited early: most likely the port was taken meanwhile.
                Err(Early(e)) => last_error = Some(e),
                Err(Fatal(e)) => return Err(e),
            }
        }
        Err(last_error.expect("at least one attempt"))
    }

    /// The server's log (its stdout and stderr), removed on drop unless the
    /// thread is panicking or the start failed.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Stops the server (and anything it spawned); idempotent.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let Ok(group) = libc::pid_t::try_from(child.id()) else {
            let _ = child.kill();
            let _ = child.wait();
            return;
        };
        // The child leads its own process group: signal the whole group.
        // SAFETY: kill(2) has no memory-safety preconditions.
        unsafe { libc::kill(-group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: as above.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = child.wait();
    }

    async fn start_once() -> Result<Moto, Attempt> {
        let port = free_port().map_err(|e| Fatal(e.into()))?;
        let log = std::env::temp_dir().join(format!("contacts-moto-{port}.log"));
        let out = File::create(&log).map_err(|e| Fatal(e.into()))?;
        let err = out.try_clone().map_err(|e| Fatal(e.into()))?;
        let mut command = Command::new("python3");
        // moto dies with this process, even one killed without a chance to
        // clean up (no orphaned servers after a Ctrl-\ or a CI timeout).
        // SAFETY: prctl is async-signal-safe and touches no shared state.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command
            // moto's server otherwise answers every request, from any
            // origin, with CORS headers; without them S3 answers by the
            // bucket's own CORS rules, as on AWS.
            .env("MOTO_DISABLE_GLOBAL_CORS", "true")
            .arg(LAUNCHER)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| Fatal(StackError::Moto(format!("cannot run python3: {e}"))))?;
        let mut moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            child: Some(child),
            log,
            keep_log: false,
        };
        let deadline = Instant::now() + STARTUP;
        loop {
            if answers(port).await {
                return Ok(moto);
            }
            let exited = moto
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                moto.child = None;
                return Err(Early(moto.failure(&format!("exited with {status}"))));
            }
            if Instant::now() >= deadline {
                moto.stop();
                return Err(Fatal(moto.failure(&format!(
                    "did not answer within {} s",
                    STARTUP.as_secs()
                ))));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn failure(&mut self, what: &str) -> StackError {
        self.keep_log = true;
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        StackError::Moto(format!(
            "moto's server on {} {what}; log {}:\n{}",
            self.endpoint,
            self.log.display(),
            tail.join("\n")
        ))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
        if !self.keep_log && !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

enum Attempt {
    Early(StackError),
    Fatal(StackError),
}
use Attempt::{Early, Fatal};

/// Fails clearly when moto (with its server's extras) is missing.
async fn ensure_installed() -> Result<(), StackError> {
    let checked = tokio::process::Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
    match checked {
        Ok(status) if status.success() => Ok(()),
        Ok(_) => Err(StackError::Moto(
            "moto is not installed: pip install 'moto[server]'".into(),
        )),
        Err(e) => Err(StackError::Moto(format!(
            "cannot run python3 ({e}); moto needs it: pip install 'moto[server]'"
        ))),
    }
}

/// A port nobody listens on now (the OS picks it).
fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Whether `GET /moto-api/` gets an HTTP answer.
async fn answers(port: u16) -> bool {
    let attempt = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        // HTTP/1.0: the server closes the connection after answering.
        let request = format!("GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        Ok::<_, std::io::Error>(head)
    };
    match tokio::time::timeout(Duration::from_secs(2), attempt).await {
        // "HTTP/1.1 200": any status below 500 means the server is serving.
        Ok(Ok(head)) => head.starts_with(b"HTTP/") && matches!(head.get(9), Some(b'1'..=b'4')),
        _ => false,
    }
}
