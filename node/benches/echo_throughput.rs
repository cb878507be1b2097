//! Echo round-trip throughput through a real `echo` process over stdin/stdout.
//!
//! `cargo bench -p glomers-node --bench echo_throughput` prints messages per second for
//! several runs and their median. A writer thread keeps up to `WINDOW` requests in
//! flight (as Maelstrom's many clients would); a reader counts the replies.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

const MESSAGES: u64 = 200_000;
const WINDOW: u64 = 1_000;
const RUNS: usize = 5;

fn one_run() -> f64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_echo"))
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

    let (ack_tx, ack_rx) = std::sync::mpsc::sync_channel::<u64>(WINDOW as usize * 2);
    let start = Instant::now();
    let writer = std::thread::spawn(move || {
        let mut acked = 0;
        for i in 1..=MESSAGES {
            while i > acked + WINDOW {
                acked = ack_rx.recv().unwrap();
            }
            writeln!(
                stdin,
                r#"{{"id":{i},"src":"c1","dest":"n0","body":{{"type":"echo","msg_id":{i},"echo":"Please echo {i}"}}}}"#
            )
            .unwrap();
            if i % 64 == 0 {
                stdin.flush().unwrap();
            }
        }
        stdin.flush().unwrap();
        stdin
    });
    let mut received = 0u64;
    while received < MESSAGES {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("echo closed stdout");
        }
        received += 1;
        if received.is_multiple_of(64) {
            let _ = ack_tx.try_send(received);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    drop(writer.join());
    let _ = child.kill();
    let _ = child.wait();
    MESSAGES as f64 / elapsed
}

fn main() {
    let mut rates: Vec<f64> = (0..RUNS).map(|_| one_run()).collect();
    for (i, r) in rates.iter().enumerate() {
        println!("run {}: {:.0} round trips/s", i + 1, r);
    }
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "echo round trips: median {:.0}/s over {RUNS} runs of {MESSAGES} messages",
        rates[RUNS / 2]
    );
}
