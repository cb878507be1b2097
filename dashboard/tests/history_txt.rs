//! A run whose history.edn is missing but which has history.txt (a real kafka fixture run):
//! its op counts by `:f` come from history.txt, and the page says there are no times.

mod common;

use common::*;

#[tokio::test]
async fn history_txt_stands_in_for_a_missing_history_edn() {
    let run = fixture_runs(&fixtures())
        .into_iter()
        .find(|r| r.path.join("history.txt").is_file() && !r.path.join("history.edn").exists())
        .expect("a fixture run with history.txt only");
    let text = std::fs::read_to_string(run.path.join("history.txt")).unwrap();
    // What the page must show: ok completions of :send counted from the file.
    let ok_sends = text
        .lines()
        .filter(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            c.len() > 2 && c[1] == ":ok" && c[2] == ":send"
        })
        .count();
    assert!(ok_sends > 0);
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    copy_tree(&run.path, &store.join(&run.id));
    let app = app(&store, &tmp.path().join("db.sqlite"));
    let page = get(&app, &format!("/run/{}", enc_path(&run.id))).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("id=\"history-txt\""),
        "no history.txt note"
    );
    assert!(!page.body.contains("id=\"op-latency\""));
    let api = get_json(&app, &format!("/api/runs/{}", enc_path(&run.id))).await;
    let h = &api["history"];
    let send = h["by_f"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["f"] == "send"))
        .unwrap_or_else(|| panic!("no :send in {api}"));
    assert_eq!(send["ok"].as_u64(), Some(ok_sends as u64));
    assert_eq!(h["has_times"], false);
}
