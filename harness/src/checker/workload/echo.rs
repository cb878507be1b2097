//! echo workload checker (MAELSTROM.md §6.1).
//!
//! Pairs each invoke with its completion and reports an error for every pair whose completion
//! `:value` has an `:echo` different from the invoked string: `{:valid? (no errors), :errors
//! (["Expected a message with :echo" <sent> "But received" <completion value>] ...)}`.
//!
//! Only `:ok`/`:fail` completions pair up (Maelstrom pairs ops the way Knossos does, where an
//! `:info` completion stands alone). So a failed echo (definite error reply; its value is the
//! raw string) counts as an error, while a timed-out echo (`:info`) does not. MAELSTROM.md
//! says timeouts count too, but the real run
//! `echo/pankajads__maelstrom_test__20240106T144812.144+0530` (18 timeouts) reports
//! `{:valid? true, :errors ()}`, and the real output wins.

use glomers_model::{Op, OpType, Value};

use crate::checker::util::{is_client, CheckResult, Pairs};
use crate::checker::RunFacts;

/// The `:workload` map for echo.
pub fn check(history: &[Op], _facts: &RunFacts) -> CheckResult {
    let pairs = Pairs::new(history);
    let mut errors = Vec::new();
    for (i, inv) in history.iter().enumerate() {
        if inv.typ != OpType::Invoke || !is_client(inv) {
            continue;
        }
        let Some(c) = pairs.partner(i) else { continue };
        let comp = &history[c];
        if !matches!(comp.typ, OpType::Ok | OpType::Fail) {
            continue;
        }
        let echoed = comp.value.get("echo").unwrap_or(&Value::Nil);
        if *echoed != inv.value {
            errors.push(Value::Vector(vec![
                Value::Str("Expected a message with :echo".into()),
                inv.value.clone(),
                Value::Str("But received".into()),
                comp.value.clone(),
            ]));
        }
    }
    Ok(glomers_model::edn_map! {
        "valid?" => Value::Bool(errors.is_empty()),
        "errors" => Value::List(errors),
    })
}
