//! The harness's own CPU time (user + system, from `/proc/self/stat`; Linux only), reported at
//! the end of a run so its overhead can be checked against the node processes'.

/// Seconds of CPU this process has used so far, if the platform tells.
pub fn self_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux ABI.
    Some((utime + stime) / 100.0)
}

/// "1.23 s CPU over 32.1 s (3.8% of one core)".
pub fn describe(cpu: f64, wall: f64) -> String {
    let pct = if wall > 0.0 { 100.0 * cpu / wall } else { 0.0 };
    format!("{cpu:.2} s CPU over {wall:.1} s ({pct:.1}% of one core)")
}
