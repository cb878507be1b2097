//! The docker compose stack (docker-compose.yml, Dockerfile, deploy/, grafana/), checked with
//! real tools since no Docker engine runs here: the compose file through the `compose_spec`
//! types, the Prometheus config through `promtool check config`, the collector config against
//! the components its pinned image ships, and every Grafana query through a PromQL parser and
//! against the metrics that the node binaries (run under the harness) and the dashboard binary
//! really export.

mod compose_support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::Command;

use clap::Parser;
use compose_support::metrics::{self, Run};
use compose_support::*;
use glomers_dashboard::config::Args;
use serde_yaml::Value;

const SERVICES: &[&str] = &[
    "dashboard",
    "otel-collector",
    "jaeger",
    "prometheus",
    "grafana",
];

/// The compose file after interpolation with the defaults, as YAML.
fn compose() -> Value {
    let text = interpolate_defaults(&read("docker-compose.yml")).expect("interpolates");
    serde_yaml::from_str(&text).expect("docker-compose.yml is YAML")
}

/// A service's volume mounts as (source, target, read-only, create-host-path).
fn mounts(c: &Value, service: &str) -> Vec<(String, String, bool, bool)> {
    at(c, &["services", service, "volumes"])
        .as_sequence()
        .expect("volumes is a list")
        .iter()
        .map(|v| match v {
            Value::String(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                (
                    parts[0].to_string(),
                    parts[1].to_string(),
                    parts.get(2) == Some(&"ro"),
                    false,
                )
            }
            _ => (
                str_at(v, &["source"]).to_string(),
                str_at(v, &["target"]).to_string(),
                v.get("read_only").and_then(Value::as_bool) == Some(true),
                v.get("bind")
                    .and_then(|b| b.get("create_host_path"))
                    .and_then(Value::as_bool)
                    == Some(true),
            ),
        })
        .collect()
}

/// The container path a repository path is mounted at in `service`.
fn mount_target(c: &Value, service: &str, source: &str) -> String {
    mounts(c, service)
        .into_iter()
        .find(|m| m.0 == source)
        .unwrap_or_else(|| panic!("{service} does not mount {source}"))
        .1
}

/// The dashboard's arguments as its real parser reads them.
fn dashboard_args(words: &[String]) -> Args {
    Args::try_parse_from(std::iter::once("dashboard".to_string()).chain(words.iter().cloned()))
        .unwrap_or_else(|e| panic!("dashboard rejects {words:?}: {e}"))
}

fn compose_dashboard_args(c: &Value) -> Args {
    dashboard_args(&strings(c, &["services", "dashboard", "command"]))
}

/// Published ports of a service: container port -> host port.
fn published(c: &Value, service: &str) -> BTreeMap<u16, u16> {
    strings(c, &["services", service, "ports"])
        .iter()
        .map(|p| {
            let parts: Vec<&str> = p.split(':').collect();
            assert_eq!(parts.len(), 3, "{service}: {p} is not ip:host:container");
            assert_eq!(parts[0], "127.0.0.1", "{service}: {p} is not loopback-only");
            (parts[2].parse().unwrap(), parts[1].parse().unwrap())
        })
        .collect()
}

#[test]
fn compose_file_is_valid_and_its_files_exist() {
    let text = interpolate_defaults(&read("docker-compose.yml")).unwrap();
    let spec = compose_spec::Compose::options()
        .from_yaml_str(&text)
        .expect("docker-compose.yml follows the compose spec");
    spec.validate_all()
        .expect("every named volume and network a service uses is declared");
    let names: Vec<String> = spec.services.keys().map(|k| k.to_string()).collect();
    assert_eq!(names, SERVICES);

    let c = compose();
    // Every bind-mounted path is in the repository, except the store, which compose creates.
    for s in SERVICES {
        let Some(Value::Sequence(_)) = at(&c, &["services", s]).get("volumes") else {
            continue;
        };
        for (source, target, read_only, create) in mounts(&c, s) {
            if !source.starts_with("./") {
                let declared = keys(&c, &["volumes"]);
                assert!(
                    declared.contains(&source),
                    "{s}: volume {source} undeclared"
                );
                continue;
            }
            if create {
                assert_eq!(source, "./store", "{s}: only the store may be created");
                continue;
            }
            assert!(
                repo().join(&source).exists(),
                "{s}: {source} (mounted at {target}) is missing"
            );
            assert!(
                read_only,
                "{s}: configuration {source} should be mounted read-only"
            );
        }
    }

    // The dashboard: built from the repository's Dockerfile, serving on all interfaces in the
    // container, its store and index where the mounts put them.
    let build = at(&c, &["services", "dashboard", "build"]);
    assert!(repo()
        .join(str_at(build, &["context"]))
        .join(str_at(build, &["dockerfile"]))
        .is_file());
    let args = compose_dashboard_args(&c);
    assert!(args.listen.ip().is_unspecified(), "listen {}", args.listen);
    assert_eq!(
        args.store.to_str().unwrap(),
        mount_target(&c, "dashboard", "./store")
    );
    assert_eq!(
        args.db.parent().unwrap().to_str().unwrap(),
        mount_target(&c, "dashboard", "dashboard-data"),
        "the index must live on the named volume"
    );
    assert_eq!(published(&c, "dashboard")[&args.listen.port()], 8080);

    // Every published host port is unique and listed in the file's port table.
    let header: String = read("docker-compose.yml")
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let mut seen = BTreeSet::new();
    for s in SERVICES {
        if at(&c, &["services", s]).get("ports").is_none() {
            continue;
        }
        for host in published(&c, s).values() {
            assert!(seen.insert(*host), "host port {host} published twice");
            assert!(
                header.contains(&host.to_string()),
                "port {host} of {s} missing from the header table"
            );
        }
    }
}

#[test]
fn compose_parser_rejects_a_misspelled_key() {
    let text = interpolate_defaults(&read("docker-compose.yml"))
        .unwrap()
        .replacen(
            "    restart: unless-stopped",
            "    restartt: unless-stopped",
            1,
        );
    assert!(compose_spec::Compose::options()
        .from_yaml_str(&text)
        .is_err());
    assert!(interpolate_defaults("a: ${UNSET_WITHOUT_DEFAULT}").is_err());
    assert_eq!(
        interpolate_defaults("a: ${X:-./s}:/t $$1").unwrap(),
        "a: ./s:/t $1"
    );
}

#[test]
fn dockerfile_builds_and_runs_the_dashboard_binary() {
    let docker = read("Dockerfile");
    let ignored: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.trim_end_matches('/').to_string())
        .collect();
    let lines: Vec<&str> = docker
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(lines.iter().filter(|l| l.starts_with("FROM ")).count(), 2);

    // Every COPY source from the context exists and is not excluded by .dockerignore.
    let mut copied = BTreeSet::new();
    for l in lines.iter().filter(|l| l.starts_with("COPY ")) {
        let words: Vec<&str> = l.split_whitespace().skip(1).collect();
        if words[0].starts_with("--from=") {
            continue;
        }
        for src in &words[..words.len() - 1] {
            assert!(repo().join(src).exists(), "COPY source {src} is missing");
            let top = src.split('/').next().unwrap();
            assert!(!ignored.iter().any(|i| i == top), "{src} is .dockerignored");
            copied.insert(src.to_string());
        }
    }
    // Cargo loads the whole workspace: every member must be in the build context.
    let ws: toml_like::Members = toml_like::members(&read("Cargo.toml"));
    for m in &ws.0 {
        assert!(copied.contains(m), "workspace member {m} is not copied");
    }
    assert!(copied.contains("Cargo.lock") && copied.contains("Cargo.toml"));

    // The build names the dashboard's package and [[bin]], and the runtime image runs it.
    let manifest = read("dashboard/Cargo.toml");
    assert!(manifest.contains("name = \"glomers-dashboard\""));
    assert!(manifest.contains("[[bin]]\nname = \"dashboard\""));
    let build = lines
        .iter()
        .find(|l| l.starts_with("RUN cargo build"))
        .expect("a cargo build step");
    for w in [
        "--release",
        "--locked",
        "-p glomers-dashboard",
        "--bin dashboard",
    ] {
        assert!(build.contains(w), "{build} lacks {w}");
    }
    let copy_bin = lines
        .iter()
        .find(|l| l.starts_with("COPY --from="))
        .expect("the binary is copied from the build stage");
    let words: Vec<&str> = copy_bin.split_whitespace().collect();
    assert!(
        words[2].ends_with("/target/release/dashboard"),
        "{copy_bin}"
    );
    let entry = lines.iter().find(|l| l.starts_with("ENTRYPOINT ")).unwrap();
    let entry: Vec<String> = serde_json::from_str(entry.trim_start_matches("ENTRYPOINT ")).unwrap();
    assert_eq!(entry, vec![words[3].to_string()]);
    let cmd = lines.iter().find(|l| l.starts_with("CMD ")).unwrap();
    let cmd: Vec<String> = serde_json::from_str(cmd.trim_start_matches("CMD ")).unwrap();
    let args = dashboard_args(&cmd);
    assert!(args.listen.ip().is_unspecified());
    assert_eq!(args.listen.port(), 8080);
    assert!(docker.contains(&format!("EXPOSE {}", args.listen.port())));
}

/// The `members = [...]` list of the workspace manifest (no TOML crate among the
/// dashboard's dependencies; the list is one line).
mod toml_like {
    pub struct Members(pub Vec<String>);

    pub fn members(manifest: &str) -> Members {
        let line = manifest
            .lines()
            .find(|l| l.trim_start().starts_with("members"))
            .expect("workspace members");
        let list = &line[line.find('[').unwrap() + 1..line.rfind(']').unwrap()];
        Members(
            list.split(',')
                .map(|m| m.trim().trim_matches('"').to_string())
                .filter(|m| !m.is_empty())
                .collect(),
        )
    }
}

#[test]
fn prometheus_config_passes_promtool_and_scrapes_the_stack() {
    let path = repo().join("deploy/prometheus/prometheus.yml");
    let out = Command::new("promtool")
        .args(["check", "config"])
        .arg(&path)
        .output()
        .expect("promtool is installed (Debian package prometheus; .ci/run installs it)");
    assert!(
        out.status.success(),
        "promtool check config failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let c = compose();
    let prom = yaml("deploy/prometheus/prometheus.yml");
    assert_eq!(
        mount_target(&c, "prometheus", "./deploy/prometheus/prometheus.yml"),
        "/etc/prometheus/prometheus.yml"
    );
    assert!(strings(&c, &["services", "prometheus", "command"])
        .contains(&"--config.file=/etc/prometheus/prometheus.yml".to_string()));
    let collector = yaml("deploy/otelcol/config.yaml");
    let exporter_port = host_port(str_at(&collector, &["exporters", "prometheus", "endpoint"])).1;
    let dashboard_port = compose_dashboard_args(&c).listen.port();
    let mut targets = BTreeSet::new();
    for job in at(&prom, &["scrape_configs"]).as_sequence().unwrap() {
        for sc in at(job, &["static_configs"]).as_sequence().unwrap() {
            for t in strings(sc, &["targets"]) {
                let (host, port) = host_port(&t);
                assert!(SERVICES.contains(&host), "scrape target {t} is no service");
                targets.insert((host.to_string(), port));
            }
        }
    }
    assert!(targets.contains(&("dashboard".to_string(), dashboard_port)));
    assert!(targets.contains(&("otel-collector".to_string(), exporter_port)));
}

/// What the collector config may name: component type -> (kind, Go module, signals).
/// Types are the `type:` of each module's metadata.yaml at v0.159.0 (the deprecated aliases
/// `otlp` / `otlphttp` of the two OTLP exporters are left out on purpose).
const COMPONENTS: &[(&str, &str, &str, &[&str])] = &[
    (
        "receiver",
        "otlp",
        "go.opentelemetry.io/collector/receiver/otlpreceiver",
        &["traces", "metrics", "logs"],
    ),
    (
        "processor",
        "batch",
        "go.opentelemetry.io/collector/processor/batchprocessor",
        &["traces", "metrics", "logs"],
    ),
    (
        "processor",
        "memory_limiter",
        "go.opentelemetry.io/collector/processor/memorylimiterprocessor",
        &["traces", "metrics", "logs"],
    ),
    (
        "exporter",
        "otlp_grpc",
        "go.opentelemetry.io/collector/exporter/otlpexporter",
        &["traces", "metrics", "logs"],
    ),
    (
        "exporter",
        "otlp_http",
        "go.opentelemetry.io/collector/exporter/otlphttpexporter",
        &["traces", "metrics", "logs"],
    ),
    (
        "exporter",
        "debug",
        "go.opentelemetry.io/collector/exporter/debugexporter",
        &["traces", "metrics", "logs"],
    ),
    (
        "exporter",
        "prometheus",
        "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter",
        &["metrics"],
    ),
    (
        "extension",
        "health_check",
        "github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension",
        &[],
    ),
];

const COLLECTOR_VERSION: &str = "0.159.0";

#[test]
fn collector_config_names_only_components_its_image_ships() {
    let c = compose();
    assert_eq!(
        str_at(&c, &["services", "otel-collector", "image"]),
        format!("otel/opentelemetry-collector-contrib:{COLLECTOR_VERSION}")
    );
    let shipped: BTreeSet<(String, String)> = read(&format!(
        "deploy/otelcol/contrib-{COLLECTOR_VERSION}-modules.txt"
    ))
    .lines()
    .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    .map(|l| {
        let (kind, module) = l.split_once(' ').expect("kind module");
        (kind.to_string(), module.to_string())
    })
    .collect();
    assert!(shipped.len() > 200, "the module list looks truncated");

    let cfg = yaml("deploy/otelcol/config.yaml");
    let config_path = mount_target(&c, "otel-collector", "./deploy/otelcol/config.yaml");
    assert_eq!(
        strings(&c, &["services", "otel-collector", "command"]),
        vec![format!("--config={config_path}")]
    );
    let mut used = BTreeSet::new();
    let component = |kind: &str, id: &str| {
        let ty = id.split('/').next().unwrap();
        let (_, _, module, signals) = COMPONENTS
            .iter()
            .find(|(k, t, _, _)| *k == kind && *t == ty)
            .unwrap_or_else(|| panic!("{kind} {id}: type {ty} is not in COMPONENTS"));
        assert!(
            shipped.contains(&(kind.to_string(), module.to_string())),
            "{kind} {ty} ({module}) is not shipped by otelcol-contrib {COLLECTOR_VERSION}"
        );
        *signals
    };
    let mut defined = BTreeSet::new();
    for (section, kind) in [
        ("receivers", "receiver"),
        ("processors", "processor"),
        ("exporters", "exporter"),
        ("extensions", "extension"),
    ] {
        for id in keys(&cfg, &[section]) {
            component(kind, &id);
            defined.insert((section, id));
        }
    }
    for ext in strings(&cfg, &["service", "extensions"]) {
        assert!(
            defined.contains(&("extensions", ext.clone())),
            "extension {ext} undefined"
        );
        used.insert(("extensions", ext));
    }
    let pipelines = keys(&cfg, &["service", "pipelines"]);
    assert!(pipelines.contains(&"traces".into()) && pipelines.contains(&"metrics".into()));
    for p in pipelines {
        let signal = p.split('/').next().unwrap().to_string();
        for (section, kind) in [
            ("receivers", "receiver"),
            ("processors", "processor"),
            ("exporters", "exporter"),
        ] {
            for id in strings(&cfg, &["service", "pipelines", &p, section]) {
                assert!(
                    defined.contains(&(section, id.clone())),
                    "pipeline {p}: {id} undefined"
                );
                assert!(
                    component(kind, &id).contains(&signal.as_str()),
                    "pipeline {p}: {id} does not take {signal}"
                );
                used.insert((section, id));
            }
        }
    }
    assert_eq!(used, defined, "defined components that no pipeline uses");

    // Wiring: OTLP in on the published ports; out to the dashboard, Jaeger and Prometheus.
    let ports = published(&c, "otel-collector");
    for proto in ["grpc", "http"] {
        let ep = str_at(&cfg, &["receivers", "otlp", "protocols", proto, "endpoint"]);
        let addr: SocketAddr = ep.parse().unwrap();
        assert!(
            addr.ip().is_unspecified(),
            "{proto} receiver listens on {ep}"
        );
        assert_eq!(
            ports.get(&addr.port()),
            Some(&addr.port()),
            "{proto} not published"
        );
    }
    let dash = host_port(str_at(
        &cfg,
        &["exporters", "otlp_http/dashboard", "endpoint"],
    ));
    assert_eq!(
        dash,
        ("dashboard", compose_dashboard_args(&c).listen.port())
    );
    let jaeger = host_port(str_at(&cfg, &["exporters", "otlp_grpc/jaeger", "endpoint"]));
    assert_eq!(jaeger, ("jaeger", 4317));
    assert_eq!(
        at(&cfg, &["exporters", "otlp_grpc/jaeger", "tls", "insecure"]),
        &Value::Bool(true)
    );
    // Metric names pass through unchanged: no namespace, no suffixes added.
    let pe = at(&cfg, &["exporters", "prometheus"]);
    assert_eq!(
        str_at(pe, &["translation_strategy"]),
        "UnderscoreEscapingWithoutSuffixes"
    );
    assert!(pe.get("namespace").is_none());
    for p in ["traces", "metrics"] {
        assert!(strings(&cfg, &["service", "pipelines", p, "exporters"])
            .contains(&"otlp_http/dashboard".to_string()));
    }
}

#[test]
fn grafana_provisioning_matches_the_compose_mounts() {
    let c = compose();
    assert_eq!(
        mount_target(&c, "grafana", "./grafana/provisioning"),
        "/etc/grafana/provisioning"
    );
    let dash_dir = mount_target(&c, "grafana", "./grafana/dashboards");
    let providers = yaml("grafana/provisioning/dashboards/glomers.yaml");
    let provider = &at(&providers, &["providers"]).as_sequence().unwrap()[0];
    assert_eq!(str_at(provider, &["type"]), "file");
    assert_eq!(str_at(provider, &["options", "path"]), dash_dir);
    let home = str_at(
        &c,
        &[
            "services",
            "grafana",
            "environment",
            "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH",
        ],
    );
    let home_file = home
        .strip_prefix(&format!("{dash_dir}/"))
        .expect("home dashboard inside the mounted folder");
    assert!(repo().join("grafana/dashboards").join(home_file).is_file());

    let ds = yaml("grafana/provisioning/datasources/glomers.yaml");
    let mut uids = BTreeMap::new();
    for d in at(&ds, &["datasources"]).as_sequence().unwrap() {
        let (host, port) = host_port(str_at(d, &["url"]));
        assert!(SERVICES.contains(&host), "data source at {host}");
        uids.insert(
            str_at(d, &["uid"]).to_string(),
            (str_at(d, &["type"]).to_string(), port),
        );
    }
    assert_eq!(uids["prometheus"], ("prometheus".to_string(), 9090));
    assert_eq!(uids["jaeger"], ("jaeger".to_string(), 16686));
}

/// Every dashboard JSON of grafana/dashboards: file name -> JSON.
fn dashboards() -> BTreeMap<String, serde_json::Value> {
    let dir = repo().join("grafana/dashboards");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(name.ends_with(".json"), "{name} in grafana/dashboards");
        let text = std::fs::read_to_string(e.path()).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|err| panic!("{name}: {err}"));
        out.insert(name, json);
    }
    out
}

/// Every Prometheus query of a dashboard (panel targets and variable queries) with where it is.
fn queries(name: &str, d: &serde_json::Value) -> Vec<(String, promql::Selector)> {
    let mut out = Vec::new();
    for v in d["templating"]["list"].as_array().unwrap() {
        let q = v["query"]["query"]
            .as_str()
            .or(v["query"].as_str())
            .unwrap();
        let sel = promql::label_values(q).unwrap_or_else(|e| panic!("{name}: {e}"));
        out.push((format!("{name} variable {}", v["name"]), sel));
    }
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().into_iter().flatten() {
            if t["datasource"]["uid"] != "prometheus" {
                continue;
            }
            let expr = t["expr"].as_str().expect("a prometheus target has an expr");
            let where_ = format!("{name} panel {:?} {}", p["title"], t["refId"]);
            let sels = promql::selectors(expr).unwrap_or_else(|e| panic!("{where_}: {e}"));
            assert!(!sels.is_empty(), "{where_}: no selector");
            out.extend(sels.into_iter().map(|s| (where_.clone(), s)));
        }
    }
    out
}

#[test]
fn grafana_dashboards_load_and_use_provisioned_data_sources() {
    let ds = yaml("grafana/provisioning/datasources/glomers.yaml");
    let uids: BTreeSet<String> = at(&ds, &["datasources"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|d| str_at(d, &["uid"]).to_string())
        .collect();
    let all = dashboards();
    let mut seen_uids = BTreeSet::new();
    for (name, d) in &all {
        let uid = d["uid"].as_str().expect("uid");
        assert!(seen_uids.insert(uid.to_string()), "uid {uid} twice");
        assert!(d["title"].as_str().is_some_and(|t| !t.is_empty()));
        let panels = d["panels"].as_array().expect("panels");
        assert!(!panels.is_empty(), "{name}: no panels");
        let mut ids = BTreeSet::new();
        for p in panels {
            assert!(
                ids.insert(p["id"].as_u64().expect("panel id")),
                "{name}: id twice"
            );
            let pos = &p["gridPos"];
            assert!(pos["x"].as_u64().unwrap() + pos["w"].as_u64().unwrap() <= 24);
            if p["type"] == "text" {
                continue;
            }
            let targets = p["targets"].as_array().expect("targets");
            assert!(
                !targets.is_empty(),
                "{name}: panel {} has no query",
                p["title"]
            );
            for t in targets.iter().chain([p]) {
                let ds_uid = t["datasource"]["uid"].as_str().expect("datasource uid");
                assert!(
                    uids.contains(ds_uid),
                    "{name}: unknown data source {ds_uid}"
                );
            }
        }
    }
    for uid in [
        "glomers-broadcast",
        "glomers-kv",
        "glomers-txn",
        "glomers-runs",
    ] {
        assert!(seen_uids.contains(uid), "dashboard {uid} missing");
    }
}

/// Labels that the collector's Prometheus exporter or the scrape add (from service.name and
/// service.instance.id, or the scrape target).
const ADDED_LABELS: &[&str] = &["job", "instance"];

/// The node runs behind the snapshot: two nodes each, a few seconds, fly.io's workloads.
const RUNS: &[Run] = &[
    Run {
        workload: "broadcast",
        bin: "broadcast",
        args: &["--node-count", "2", "--time-limit", "3", "--rate", "20"],
    },
    Run {
        workload: "g-counter",
        bin: "g-counter",
        args: &["--node-count", "2", "--time-limit", "3", "--rate", "20"],
    },
    Run {
        workload: "kafka",
        bin: "kafka",
        args: &[
            "--node-count",
            "2",
            "--concurrency",
            "2n",
            "--time-limit",
            "3",
            "--rate",
            "50",
        ],
    },
    Run {
        workload: "txn-rw-register",
        bin: "txn-rw-register",
        args: &[
            "--node-count",
            "2",
            "--concurrency",
            "2n",
            "--time-limit",
            "3",
            "--rate",
            "50",
        ],
    },
];

#[test]
fn grafana_queries_name_metrics_the_nodes_and_dashboard_export() {
    let tmp = tempfile::tempdir().unwrap();
    let (nodes, per_job) = metrics::node_snapshot(RUNS, &tmp.path().join("store"));
    let dashboard = metrics::dashboard_metrics(&fixtures(), &tmp.path().join("index.sqlite"));
    assert!(nodes.contains_key("glomers_messages_sent_total"));
    assert!(dashboard.contains_key("glomers_run_stable_latency_seconds"));

    let mut checked = 0;
    for (name, d) in dashboards() {
        for (where_, sel) in queries(&name, &d) {
            let labels: &BTreeSet<String> = nodes
                .get(&sel.metric)
                .or_else(|| dashboard.get(&sel.metric))
                .unwrap_or_else(|| {
                    panic!(
                        "{where_}: {} is exported by neither the nodes nor the dashboard",
                        sel.metric
                    )
                });
            for l in &sel.labels {
                assert!(
                    labels.contains(l) || ADDED_LABELS.contains(&l.as_str()),
                    "{where_}: {} has no label {l} (it has {labels:?})",
                    sel.metric
                );
            }
            // A query for one binary (job="<binary>") names a metric that binary exports.
            if let Some((_, job)) = sel.equals.iter().find(|(k, _)| k == "job") {
                let mine = per_job
                    .get(job)
                    .unwrap_or_else(|| panic!("{where_}: no snapshot of job {job}"));
                assert!(
                    mine.contains_key(&sel.metric),
                    "{where_}: {job} does not export {}",
                    sel.metric
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} selectors checked");
}

/// The shared fixture store (read-only).
fn fixtures() -> std::path::PathBuf {
    repo().join("../shared/fixtures/maelstrom-store")
}
