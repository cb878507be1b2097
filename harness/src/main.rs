//! `harness`: a Maelstrom-compatible test runner. `harness test -w <workload> --bin <node>`
//! takes `maelstrom test`'s flags; exit status 0 valid, 1 invalid, 2 unknown or aborted,
//! 254 bad arguments.

use glomers_harness::cli::{self, Command, EXIT_BAD_ARGS};
use glomers_harness::{report as summary, run, workload};

/// `harness report`: print the summary table (or JSON lines); exit 0 when every run is
/// valid, 1 when any is invalid, 2 otherwise.
fn report(runs: &[(String, std::path::PathBuf)], json: bool) -> i32 {
    let rows: Vec<(String, summary::Summary)> = runs
        .iter()
        .map(|(label, dir)| (label.clone(), summary::summarize(dir)))
        .collect();
    if json {
        for (label, s) in &rows {
            println!("{}", summary::to_json(label, s));
        }
    } else {
        print!("{}", summary::render_table(&rows));
    }
    rows.iter()
        .map(|(_, s)| match s.verdict {
            summary::Verdict::Valid => 0,
            summary::Verdict::Invalid => 1,
            _ => 2,
        })
        .max()
        .unwrap_or(0)
}

fn main() {
    let cmd = match cli::parse(std::env::args()) {
        Ok(c) => c,
        Err(e) => {
            if e.to_stdout {
                print!("{}", e.message);
            } else {
                eprintln!("{}", e.message.trim_end());
            }
            std::process::exit(e.exit_code);
        }
    };
    let opts = match cmd {
        Command::Test(opts) => opts,
        Command::Report { runs, json } => std::process::exit(report(&runs, json)),
    };
    if workload::lookup(&opts.workload).is_none() {
        eprintln!(
            "Workload {} is not implemented by this harness yet (available: {})",
            opts.workload,
            workload::IMPLEMENTED.join(", ")
        );
        std::process::exit(EXIT_BAD_ARGS);
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Could not start the async runtime: {e}");
            std::process::exit(run::EXIT_UNKNOWN);
        }
    };
    let mut code = run::EXIT_VALID;
    for _ in 0..opts.test_count {
        let outcome = rt.block_on(run::run_test((*opts).clone()));
        code = code.max(outcome.exit_code);
    }
    std::process::exit(code);
}
