//! Tests of the sink pipeline: a worker sleeps while the node is quiet and wakes for a
//! span, a metric change, its heartbeat and the close, without missing a change.

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
}

struct TestSink {
    seen: Arc<Mutex<Seen>>,
    interval: Duration,
    heartbeat: Option<Duration>,
    /// Answer later, and every answer is a failure (a collector answering 503).
    fail_late: bool,
    due: Vec<Late>,
}

impl TestSink {
    fn answer(&mut self, items: u64, metrics: bool) {
        if self.fail_late {
            self.due.push(Late {
                items,
                metrics,
                result: Err("503".into()),
            });
        }
    }
}

impl Sink for TestSink {
    fn name(&self) -> &'static str {
        "file"
    }
    fn start(&mut self, _id: &Identity) -> Result<(), String> {
        Ok(())
    }
    fn spans(&mut self, batch: std::vec::Drain<'_, Finished>) -> Result<(), String> {
        let n = batch.len() as u64;
        self.seen
            .lock()
            .unwrap()
            .spans
            .extend(batch.map(|s| s.span_id));
        self.answer(n, false);
        Ok(())
    }
    fn metrics(&mut self, _f: &[MetricFamily], text: &str) -> Result<(), String> {
        self.seen.lock().unwrap().snapshots.push(text.to_string());
        self.answer(1, true);
        Ok(())
    }
    fn answers_later(&self) -> bool {
        self.fail_late
    }
    fn late(&mut self, _wait: bool) -> Vec<Late> {
        std::mem::take(&mut self.due)
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
    workers: Workers,
    counter: IntCounter,
    dropped: IntCounterVec,
}

fn rig(heartbeat: Option<Duration>) -> Rig {
    rig_with(heartbeat, false)
}

fn rig_with(heartbeat: Option<Duration>, fail_late: bool) -> Rig {
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
        seen: seen.clone(),
        interval: TICK,
        heartbeat,
        fail_late,
        due: Vec::new(),
    };
    let drops = DropCounter {
        counter: dropped.clone(),
        node: Arc::new(OnceLock::new()),
    };
    let (queues, workers) = Queues::start_with(vec![Box::new(sink)], registry, drops, TICK);
    workers.start(Identity {
        node_id: "n0".into(),
        node_ids: vec!["n0".into()],
        binary: "test".into(),
        service_name: "test".into(),
        pid: 1,
        start_unix_ms: 0,
        resource: Resource::default(),
    });
    Rig {
        seen,
        queues,
        workers,
        counter,
        dropped,
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

#[test]
fn a_quiet_worker_sleeps_and_wakes_for_a_metric_change() {
    let rig = rig(None);
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

#[test]
fn a_change_made_as_the_worker_decides_to_sleep_is_delivered() {
    // The change lands after the worker's last snapshot and before it is asleep, so
    // `metrics_changed` finds no sleeper to wake: the worker's own second look must
    // catch it.
    let rig = rig(None);
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

#[test]
fn a_span_wakes_a_sleeping_worker() {
    let rig = rig(None);
    wait_asleep(&rig);
    rig.queues.push(span(7));
    until(&rig, "the span", |s| s.spans == [7]);
    wait_asleep(&rig);
    rig.queues.push(span(8));
    until(&rig, "the second span", |s| s.spans == [7, 8]);
}

#[test]
fn a_sleeping_worker_still_beats_its_heartbeat() {
    let rig = rig(Some(TICK * 3));
    until(&rig, "three unchanged snapshots", |s| {
        s.snapshots.len() >= 3
    });
    let seen = rig.seen.lock().unwrap();
    assert!(seen.snapshots.iter().all(|t| t == &seen.snapshots[0]));
}

#[test]
fn no_change_is_missed_while_the_worker_falls_asleep() {
    // Changes land at every moment of the worker's cycle, including the instant it
    // decides to sleep; the last one must always be delivered.
    let rig = rig(None);
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

#[test]
fn closing_wakes_a_sleeping_worker() {
    let rig = rig(None);
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

#[test]
fn closing_flushes_waiting_spans() {
    let rig = rig(None);
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

#[test]
fn timer_slack_is_a_twentieth_of_the_interval_at_most_50_ms() {
    assert_eq!(
        timer_slack(Duration::from_secs(1)),
        Duration::from_millis(50)
    );
    assert_eq!(
        timer_slack(Duration::from_secs(60)),
        Duration::from_millis(50)
    );
    assert_eq!(timer_slack(TICK), Duration::from_micros(1250));
}

#[cfg(target_os = "linux")]
#[test]
fn workers_sleep_with_their_timer_slack() {
    let rig = rig(None);
    until(&rig, "a first snapshot", |s| !s.snapshots.is_empty());
    // The rig's worker (and those of other tests running now) flush every TICK.
    let want = timer_slack(TICK).as_nanos().to_string();
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() == "telemetry-file" {
            // Linux lists `timerslack_ns` under /proc/<tid>, not under /proc/self/task/<tid>.
            let tid = task.file_name();
            let path = std::path::Path::new("/proc")
                .join(tid)
                .join("timerslack_ns");
            let slack = std::fs::read_to_string(&path).unwrap();
            found.push(slack.trim().to_string());
        }
    }
    assert!(
        !found.is_empty(),
        "no telemetry-file thread in /proc/self/task"
    );
    assert!(found.iter().all(|s| *s == want), "{found:?} != {want}");
    drop(rig);
}

#[test]
fn failures_answered_later_are_counted_and_the_snapshot_is_sent_again() {
    let rig = rig_with(None, true);
    rig.queues.push(span(1));
    rig.queues.push(span(2));
    rig.queues.push(span(3));
    until(&rig, "the spans", |s| s.spans.len() == 3);
    // Nothing changes, yet the snapshot that failed is sent again, interval after interval.
    until(&rig, "a snapshot sent again", |s| s.snapshots.len() >= 3);
    let seen = rig.seen.lock().unwrap().snapshots.clone();
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // Three spans, and one per failed snapshot (at least the two already resent).
        let dropped = rig.dropped.with_label_values(&["", "file"]).get();
        if dropped >= 3 + 2 {
            break;
        }
        assert!(Instant::now() < deadline, "dropped: {dropped}");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Never asleep while the last snapshot is not known to have arrived.
    assert!(!asleep(&rig));
}
