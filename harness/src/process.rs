//! Node processes (MAELSTROM.md §1, §2.1, §2.6, §2.7): spawn the binary with its inbox
//! registered first, feed its stdin from the node's delivery queue, read and validate its
//! stdout (a bad line logs `Error!` and the node goes mute for the rest of the run), copy its
//! stderr to `node-logs/<node>.log` line by line, and watch for it exiting.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::net::{run_queue, Message, Net, Target};

/// How many stdout/stderr lines to keep for a crash report.
const TAIL: usize = 32;

/// How to start the nodes of a run.
#[derive(Debug, Clone)]
pub struct SpawnConfig {
    /// Canonical path of the binary.
    pub bin: PathBuf,
    pub args: Vec<String>,
    /// Working directory (the temp dir, as Maelstrom's JVM uses).
    pub cwd: PathBuf,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// `node-logs/` of the run.
    pub log_dir: PathBuf,
    /// `--log-stderr`.
    pub log_stderr: bool,
}

type Tail = Arc<Mutex<VecDeque<String>>>;

fn push_tail(tail: &Tail, line: &str) {
    let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
    if t.len() == TAIL {
        t.pop_front();
    }
    t.push_back(line.to_string());
}

/// A running (or exited) node process.
pub struct NodeProcess {
    pub id: String,
    exit: Arc<Mutex<Option<ExitStatus>>>,
    exit_rx: watch::Receiver<Option<ExitStatus>>,
    kill: Option<oneshot::Sender<()>>,
    watcher: Option<JoinHandle<()>>,
    stdout_tail: Tail,
    stderr_tail: Tail,
    tasks: Vec<JoinHandle<()>>,
    stderr_task: Option<JoinHandle<()>>,
    pub log_path: PathBuf,
}

/// The node's stdin as a delivery target.
struct StdinTarget {
    w: BufWriter<ChildStdin>,
    broken: bool,
}

impl Target for StdinTarget {
    async fn deliver(&mut self, msg: Message) {
        if !self.broken && self.w.write_all(msg.to_line().as_bytes()).await.is_err() {
            self.broken = true;
        }
    }
    async fn idle(&mut self) {
        if !self.broken && self.w.flush().await.is_err() {
            self.broken = true;
        }
    }
}

/// The envelope a node may print: `{src, dest, body, optional integer id}` and nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    src: String,
    dest: String,
    body: Box<RawValue>,
    #[serde(default, deserialize_with = "present")]
    id: Option<serde_json::Value>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// Validate one stdout line and send it on the network.
fn handle_line(net: &Net, line: &str) -> Result<(), String> {
    let env: Envelope =
        serde_json::from_str(line).map_err(|e| format!("Malformed message {line:?}: {e}"))?;
    if let Some(id) = &env.id {
        if !crate::schema::is_int(id) {
            return Err(format!(
                "Malformed message {line:?}: id {id} is not an integer"
            ));
        }
    }
    net.send(&env.src, &env.dest, env.body)
        .map_err(|e| format!("{e} in message {line}"))
}

/// Start a node: register its inbox, spawn the process and its I/O tasks.
pub fn spawn(net: &Arc<Net>, id: &str, cfg: &SpawnConfig) -> Result<NodeProcess, String> {
    let inbox = net.register_queue(id);
    let log_path = cfg.log_dir.join(format!("{id}.log"));
    let mut cmd = Command::new(&cfg.bin);
    cmd.args(&cfg.args)
        .current_dir(&cfg.cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in &cfg.env {
        cmd.env(k, v);
    }
    let mut child: Child = cmd.spawn().map_err(|e| {
        format!(
            "Cannot run program {:?} (in directory {:?}): {e}",
            cfg.bin.display().to_string(),
            cfg.cwd.display().to_string()
        )
    })?;
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let stdout_tail: Tail = Arc::default();
    let stderr_tail: Tail = Arc::default();
    let mut tasks = Vec::new();

    // stdin: the node's delivery queue.
    tasks.push(tokio::spawn(run_queue(
        net.clone(),
        inbox,
        StdinTarget {
            w: BufWriter::new(stdin),
            broken: false,
        },
    )));

    // stdout: validate and route; the first bad line mutes the node for good.
    {
        let net = net.clone();
        let tail = stdout_tail.clone();
        let thread = format!("{id} stdout");
        tasks.push(tokio::spawn(async move {
            let mut r = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(b'\n', &mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let line = String::from_utf8_lossy(&buf);
                let line = line.strip_suffix('\n').unwrap_or(&line);
                let line = line.strip_suffix('\r').unwrap_or(line);
                push_tail(&tail, line);
                if let Err(why) = handle_line(&net, line) {
                    net.log
                        .warn(&thread, "maelstrom.process", &format!("Error!\n{why}"));
                    // Keep the pipe open but never read it again, as Maelstrom does.
                    std::future::pending::<()>().await;
                }
            }
            // EOF: hold the reader until teardown.
            std::future::pending::<()>().await;
            drop(r);
        }));
    }

    // stderr: node-logs/<id>.log, one write per line.
    let stderr_task = {
        let net = net.clone();
        let tail = stderr_tail.clone();
        let path = log_path.clone();
        let echo = cfg.log_stderr;
        let thread = format!("{id} stderr");
        tokio::spawn(async move {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .ok();
            let mut r = BufReader::new(stderr);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(b'\n', &mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                if let Some(f) = file.as_mut() {
                    let _ = f.write_all(&buf);
                }
                let line = String::from_utf8_lossy(&buf);
                let line = line.trim_end_matches(['\n', '\r']);
                push_tail(&tail, line);
                if echo {
                    net.log.info(&thread, "maelstrom.process", line);
                    crate::console::stderr_line(&thread, line);
                }
            }
        })
    };

    // Exit watcher: records the status, or kills on request.
    let exit: Arc<Mutex<Option<ExitStatus>>> = Arc::default();
    let (kill_tx, kill_rx) = oneshot::channel::<()>();
    let (exit_tx, exit_rx) = watch::channel(None);
    let watcher = {
        let exit = exit.clone();
        tokio::spawn(async move {
            tokio::select! {
                st = child.wait() => {
                    if let Ok(st) = st {
                        *exit.lock().unwrap_or_else(|p| p.into_inner()) = Some(st);
                        let _ = exit_tx.send(Some(st));
                    }
                }
                _ = kill_rx => {
                    let _ = child.start_kill();
                    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
                }
            }
        })
    };

    Ok(NodeProcess {
        id: id.to_string(),
        exit,
        exit_rx,
        kill: Some(kill_tx),
        watcher: Some(watcher),
        stdout_tail,
        stderr_tail,
        tasks,
        stderr_task: Some(stderr_task),
        log_path,
    })
}

impl NodeProcess {
    /// The exit status if the process has exited.
    pub fn exited(&self) -> Option<ExitStatus> {
        *self.exit.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Resolves when the process exits by itself (never, if it is killed at teardown).
    pub async fn wait_exit(&self) -> ExitStatus {
        let mut rx = self.exit_rx.clone();
        loop {
            if let Some(st) = *rx.borrow_and_update() {
                return st;
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Maelstrom's crash report for a node that exited before teardown.
    pub fn crash_report(&self, status: ExitStatus) -> String {
        let code = status
            .code()
            .map_or_else(|| format!("{status}"), |c| c.to_string());
        let out = self
            .stdout_tail
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect::<Vec<_>>();
        let err = self
            .stderr_tail
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect::<Vec<_>>();
        format!(
            "Node {} crashed with exit status {code}. Before crashing, it wrote to STDOUT:\n\n{}\n\nAnd to STDERR:\n\n{}\n\nFull STDERR logs are available in {}",
            self.id,
            out.join("\n"),
            err.join("\n"),
            self.log_path.display()
        )
    }

    /// SIGKILL the process (if alive) and stop its I/O tasks.
    pub async fn kill(&mut self) {
        if let Some(k) = self.kill.take() {
            let _ = k.send(());
        }
        if let Some(w) = self.watcher.take() {
            let _ = w.await;
        }
        for t in self.tasks.drain(..) {
            t.abort();
        }
        // Let stderr drain briefly so the log file has the last lines.
        if let Some(t) = self.stderr_task.take() {
            let abort = t.abort_handle();
            if tokio::time::timeout(Duration::from_secs(1), t)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}
