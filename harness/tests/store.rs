//! Store layout: Joda basic timestamps, run folders and the latest/current symlinks.

use chrono::{FixedOffset, TimeZone};
use glomers_harness::store::{timestamp, RunDir};

#[test]
fn joda_basic_timestamps() {
    let ist = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
    let t = ist.with_ymd_and_hms(2024, 9, 19, 14, 23, 14).unwrap()
        + chrono::Duration::milliseconds(276);
    assert_eq!(timestamp(&t), "20240919T142314.276+0530");
    let edt = FixedOffset::west_opt(4 * 3600).unwrap();
    let t =
        edt.with_ymd_and_hms(2023, 5, 11, 1, 48, 17).unwrap() + chrono::Duration::milliseconds(269);
    assert_eq!(timestamp(&t), "20230511T014817.269-0400");
    let t = chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 3, 44, 19)
        .unwrap()
        + chrono::Duration::milliseconds(627);
    assert_eq!(timestamp(&t), "20261122T034419.627Z");
}

#[test]
fn run_dirs_and_symlinks() {
    let root = std::env::temp_dir().join(format!("glomers-store-test-{}", std::process::id()));
    let now = chrono::Local::now();
    let a = RunDir::create(&root, "echo", now).unwrap();
    let b = RunDir::create(&root, "echo", now).unwrap();
    assert_ne!(
        a.path, b.path,
        "a second run in the same millisecond gets its own folder"
    );
    assert!(a.path.join("node-logs").is_dir());
    for link in ["latest", "current", "echo/latest"] {
        let p = root.join(link);
        assert!(p.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(
            std::fs::canonicalize(&p).unwrap(),
            std::fs::canonicalize(&b.path).unwrap()
        );
    }
    assert_eq!(
        std::fs::read_link(root.join("latest")).unwrap(),
        std::path::Path::new("echo").join(&b.name)
    );
    assert_eq!(
        std::fs::read_link(root.join("echo/latest")).unwrap(),
        std::path::Path::new(&b.name)
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn runs_started_together_on_one_store_never_collide() {
    let root = std::env::temp_dir().join(format!(
        "glomers-store-race-{}-{}",
        std::process::id(),
        chrono::Local::now()
            .timestamp_nanos_opt()
            .unwrap_or_default()
    ));
    let now = chrono::Local::now();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (root, barrier) = (root.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                RunDir::create(&root, "kafka", now).expect("run folder")
            })
        })
        .collect();
    let mut names: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().unwrap().name)
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 8, "every run got its own folder: {names:?}");
    // The links point at one of them, and no temporary link is left behind.
    let latest = std::fs::read_link(root.join("kafka/latest")).unwrap();
    assert!(names.iter().any(|n| latest == std::path::Path::new(n)));
    let leftovers: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .chain(std::fs::read_dir(root.join("kafka")).unwrap())
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&root);
}
