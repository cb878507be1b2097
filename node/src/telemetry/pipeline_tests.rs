//! Tests of the sink pipeline: a worker sleeps while the node is quiet and wakes for a
//! span, a metric change, its heartbeat and the close, without missing a change. Every
//! scenario runs twice: with the worker on a thread of its own, and as a task on a node's
//! runtime (fed from another thread, which is harder than a real node, where the hooks run
//! on the runtime's own thread).

use super::*;
use prometheus::IntCounter;
use std::sync::atomic::AtomicU64;
use std::time::SystemTime;

/// What a test sink was handed.
#[derive(Default)]
struct Seen {
    spans: Vec<u64>,
    /// Each delivered snapshot's text.
    snapshots: Vec<String>,
    /// The name of the thread of each delivery.
    threads: Vec<String>,
}

impl Seen {
    fn delivered_on(&mut self) {
        let name = std::thread::current().name().unwrap_or("").to_string();
        self.threads.push(name);
    }
}

/// Where the worker under test runs.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    /// On a thread of its own.
    Thread,
    /// As a task on a current-thread runtime (the thread [`RUNTIME_THREAD`]).
    Runtime,
}

const RUNTIME_THREAD: &str = "node-runtime";

struct TestSink {
    name: &'static str,
    seen: Arc<Mutex<Seen>>,
    interval: Duration,
    heartbeat: Option<Duration>,
    on_runtime: bool,
}

impl Sink for TestSink {
    fn name(&self) -> &'static str {
        self.name
    }
    fn on_node_runtime(&self) -> bool {
        self.on_runtime
    }
    fn start(&mut self, _id: &Identity) -> Result<(), String> {
        Ok(())
    }
    fn spans(&mut self, batch: std::vec::Drain<'_, Finished>) -> Result<(), String> {
        let mut seen = self.seen.lock().unwrap();
        seen.spans.extend(batch.map(|s| s.span_id));
        seen.delivered_on();
        Ok(())
    }
    fn metrics(&mut self, _f: &[MetricFamily], text: &str) -> Result<(), String> {
        let mut seen = self.seen.lock().unwrap();
        seen.snapshots.push(text.to_string());
        seen.delivered_on();
        Ok(())
    }
    fn metrics_interval(&self) -> Duration {
        self.interval
    }
    fn resend_unchanged_after(&self) -> Option<Duration> {
        self.heartbeat
    }
}

const TICK: Duration = Duration::from_millis(25);

struct Rig {
    seen: Arc<Mutex<Seen>>,
    queues: Queues,
    workers: Arc<Workers>,
    counter: IntCounter,
}

fn identity() -> Identity {
    Identity {
        node_id: "n0".into(),
        node_ids: vec!["n0".into()],
        binary: "test".into(),
        service_name: "test".into(),
        pid: 1,
        start_unix_ms: 0,
        resource: Resource::default(),
    }
}

/// A worker for one test sink, started in `mode`.
fn rig(mode: Mode, heartbeat: Option<Duration>) -> Rig {
    let rig = match mode {
        Mode::Thread => unstarted("file", false, heartbeat),
        Mode::Runtime => unstarted("rt", true, heartbeat),
    };
    match mode {
        Mode::Thread => rig.workers.start(identity()),
        Mode::Runtime => {
            // A node's runtime: the worker task lives on it; the runtime outlives the test.
            let workers = rig.workers.clone();
            std::thread::Builder::new()
                .name(RUNTIME_THREAD.into())
                .spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async move {
                        workers.start(identity());
                        std::future::pending::<()>().await
                    })
                })
                .unwrap();
        }
    }
    rig
}

/// A worker for a test sink named `name` (its thread, if any: `telemetry-<name>`).
fn unstarted(name: &'static str, on_runtime: bool, heartbeat: Option<Duration>) -> Rig {
    let registry = Registry::new();
    let counter = IntCounter::new("test_events_total", "events").unwrap();
    registry.register(Box::new(counter.clone())).unwrap();
    let dropped = IntCounterVec::new(
        prometheus::Opts::new("test_dropped_total", "dropped"),
        &["node", "sink"],
    )
    .unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let sink = TestSink {
        name,
        seen: seen.clone(),
        interval: TICK,
        heartbeat,
        on_runtime,
    };
    let drops = DropCounter {
        counter: dropped,
        node: Arc::new(OnceLock::new()),
    };
    let (queues, workers) = Queues::start_with(vec![Box::new(sink)], registry, drops, TICK);
    Rig {
        seen,
        queues,
        workers: Arc::new(workers),
        counter,
    }
}

fn span(id: u64) -> Finished {
    let now = super::super::record::unix_nanos(SystemTime::now());
    Finished {
        trace_id: 1,
        span_id: id,
        parent_span_id: 0,
        parent_remote: false,
        name: "handle",
        start_unix_nano: now,
        end_unix_nano: now,
        attrs: Default::default(),
        error: false,
        links: Vec::new(),
    }
}

/// Wait (at most 5 s) until `cond` holds of what the sink saw.
fn until(rig: &Rig, what: &str, cond: impl Fn(&Seen) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond(&rig.seen.lock().unwrap()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn asleep(rig: &Rig) -> bool {
    rig.workers.sleeping.load(Ordering::SeqCst) == 1
}

fn wait_asleep(rig: &Rig) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !asleep(rig) {
        assert!(Instant::now() < deadline, "the worker never went to sleep");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn a_quiet_worker_sleeps_and_wakes_for_a_metric_change(mode: Mode) {
    let rig = rig(mode, None);
    until(&rig, "the first snapshot", |s| s.snapshots.len() == 1);
    wait_asleep(&rig);
    // Asleep: many intervals pass without a delivery.
    std::thread::sleep(TICK * 8);
    assert_eq!(rig.seen.lock().unwrap().snapshots.len(), 1);
    assert!(asleep(&rig));

    rig.counter.inc();
    rig.workers.metrics_changed();
    until(&rig, "the changed snapshot", |s| {
        s.snapshots
            .last()
            .is_some_and(|t| t.contains("test_events_total 1"))
    });
    // ...and back to sleep once nothing more happens.
    wait_asleep(&rig);
}

fn a_change_made_as_the_worker_decides_to_sleep_is_delivered(mode: Mode) {
    // The change lands after the worker's last snapshot and before it is asleep, so
    // `metrics_changed` finds no sleeper to wake: the worker's own second look must
    // catch it.
    let rig = rig(mode, None);
    wait_asleep(&rig);
    let counter = rig.counter.clone();
    let sleeping = rig.workers.sleeping.clone();
    *rig.workers.boxes[0].before_doze.lock().unwrap() = Some(Box::new(move || {
        counter.inc();
        assert_eq!(sleeping.load(Ordering::SeqCst), 0);
    }));
    rig.queues.push(span(1));
    until(&rig, "the change made just before the sleep", |s| {
        s.snapshots
            .last()
            .is_some_and(|t| t.contains("test_events_total 2"))
    });
}

fn a_span_wakes_a_sleeping_worker(mode: Mode) {
    let rig = rig(mode, None);
    wait_asleep(&rig);
    rig.queues.push(span(7));
    until(&rig, "the span", |s| s.spans == [7]);
    wait_asleep(&rig);
    rig.queues.push(span(8));
    until(&rig, "the second span", |s| s.spans == [7, 8]);
}

fn a_sleeping_worker_still_beats_its_heartbeat(mode: Mode) {
    let rig = rig(mode, Some(TICK * 3));
    until(&rig, "three unchanged snapshots", |s| {
        s.snapshots.len() >= 3
    });
    let seen = rig.seen.lock().unwrap();
    assert!(seen.snapshots.iter().all(|t| t == &seen.snapshots[0]));
}

fn no_change_is_missed_while_the_worker_falls_asleep(mode: Mode) {
    // Changes land at every moment of the worker's cycle, including the instant it
    // decides to sleep; the last one must always be delivered.
    let rig = rig(mode, None);
    let n = AtomicU64::new(0);
    for round in 0..60u64 {
        if round % 3 == 0 {
            wait_asleep(&rig);
        }
        // Spread the change over the worker's cycle.
        std::thread::sleep(Duration::from_micros((round * 733) % 50_000));
        rig.counter.inc();
        n.fetch_add(1, Ordering::SeqCst);
        rig.workers.metrics_changed();
        let want = format!("test_events_total {}", n.load(Ordering::SeqCst));
        until(&rig, &want, |s| {
            s.snapshots.last().is_some_and(|t| t.contains(&want))
        });
    }
}

fn closing_wakes_a_sleeping_worker(mode: Mode) {
    let rig = rig(mode, None);
    wait_asleep(&rig);
    let Rig {
        queues, workers, ..
    } = rig;
    drop(queues);
    let deadline = Instant::now() + Duration::from_secs(5);
    while workers.sleeping.load(Ordering::SeqCst) != 0 {
        assert!(
            Instant::now() < deadline,
            "the worker slept through the close"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn closing_flushes_waiting_spans(mode: Mode) {
    let rig = rig(mode, None);
    wait_asleep(&rig);
    rig.queues.push(span(1));
    rig.queues.push(span(2));
    let Rig { seen, queues, .. } = rig;
    drop(queues);
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.lock().unwrap().spans != [1, 2] {
        assert!(
            Instant::now() < deadline,
            "spans waiting at the close were lost"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Each scenario as two tests: `on_thread::<name>` and `on_runtime::<name>`.
macro_rules! in_both_modes {
    ($($name:ident),* $(,)?) => {
        mod on_thread {
            $(#[test] fn $name() { super::$name(super::Mode::Thread) })*
        }
        mod on_runtime {
            $(#[test] fn $name() { super::$name(super::Mode::Runtime) })*
        }
    };
}

in_both_modes!(
    a_quiet_worker_sleeps_and_wakes_for_a_metric_change,
    a_change_made_as_the_worker_decides_to_sleep_is_delivered,
    a_span_wakes_a_sleeping_worker,
    a_sleeping_worker_still_beats_its_heartbeat,
    no_change_is_missed_while_the_worker_falls_asleep,
    closing_wakes_a_sleeping_worker,
    closing_flushes_waiting_spans
);

/// The threads of this process named `name` (Linux; elsewhere always 0).
fn threads_named(name: &str) -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .count()
}

#[test]
fn a_runtime_worker_works_on_the_runtime_thread_and_has_no_thread_of_its_own() {
    let rig = rig(Mode::Runtime, None);
    rig.queues.push(span(3));
    until(&rig, "the span and a snapshot", |s| {
        s.spans == [3] && !s.snapshots.is_empty()
    });
    let seen = rig.seen.lock().unwrap();
    assert!(
        seen.threads.iter().all(|t| t == RUNTIME_THREAD),
        "deliveries on {:?}",
        seen.threads
    );
    if cfg!(target_os = "linux") {
        assert_eq!(threads_named("telemetry-rt"), 0);
    }
}

#[test]
fn a_runtime_worker_started_outside_any_runtime_gets_a_thread() {
    let rig = unstarted("fallback", true, None);
    rig.workers.start(identity());
    rig.queues.push(span(4));
    until(&rig, "the span", |s| s.spans == [4]);
    let seen = rig.seen.lock().unwrap();
    assert!(
        seen.threads.iter().all(|t| t == "telemetry-fallback"),
        "deliveries on {:?}",
        seen.threads
    );
}
