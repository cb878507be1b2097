//! Echo round-trip throughput through a real `echo` process over stdin/stdout.
//!
//! `cargo bench -p glomers-node --bench echo_throughput` prints messages per second for
//! several runs and their median, with up to `WINDOW` requests in flight.

#[allow(dead_code)] // `pid` serves the telemetry bench only
mod echo_driver;

use std::process::Command;

use echo_driver::Echo;

const MESSAGES: u64 = 200_000;
const WINDOW: u64 = 1_000;
const RUNS: usize = 5;

fn one_run() -> f64 {
    let mut echo = Echo::start(Command::new(env!("CARGO_BIN_EXE_echo")));
    MESSAGES as f64 / echo.pipeline(MESSAGES, WINDOW)
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
