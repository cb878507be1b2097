//! Drives a real `echo` process over stdin/stdout for the benchmarks: start and initialise
//! it, then pipeline echo round trips with a bounded number in flight (as Maelstrom's many
//! clients would): a writer thread sends, the caller's thread counts the replies.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

/// A running, initialised echo process; killed on drop.
pub struct Echo {
    child: Child,
    stdin: Option<BufWriter<ChildStdin>>,
    stdout: BufReader<ChildStdout>,
}

impl Echo {
    /// Spawn `cmd` (the echo binary, with any environment set) and answer its init.
    pub fn start(mut cmd: Command) -> Echo {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn echo");
        let mut stdin = BufWriter::new(child.stdin.take().unwrap());
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        writeln!(
            stdin,
            r#"{{"id":0,"src":"c0","dest":"n0","body":{{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}}}"#
        )
        .unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert!(line.contains("init_ok"));
        Echo {
            child,
            stdin: Some(stdin),
            stdout,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send `messages` echo requests, at most `window` unanswered, and wait for every
    /// reply. Returns the elapsed seconds.
    pub fn pipeline(&mut self, messages: u64, window: u64) -> f64 {
        let mut stdin = self.stdin.take().expect("one pipeline at a time");
        let (ack_tx, ack_rx) = std::sync::mpsc::sync_channel::<u64>(window as usize * 2);
        let start = Instant::now();
        let writer = std::thread::spawn(move || {
            let mut acked = 0;
            for i in 1..=messages {
                while i > acked + window {
                    acked = ack_rx.recv().unwrap();
                }
                writeln!(
                    stdin,
                    r#"{{"id":{i},"src":"c1","dest":"n0","body":{{"type":"echo","msg_id":{i},"echo":"Please echo {i}"}}}}"#
                )
                .unwrap();
                if i.is_multiple_of(64) {
                    stdin.flush().unwrap();
                }
            }
            stdin.flush().unwrap();
            stdin
        });
        let mut line = String::new();
        let mut received = 0u64;
        while received < messages {
            line.clear();
            if self.stdout.read_line(&mut line).unwrap() == 0 {
                panic!("echo closed stdout");
            }
            received += 1;
            if received.is_multiple_of(64) {
                let _ = ack_tx.try_send(received);
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        self.stdin = writer.join().ok();
        elapsed
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
