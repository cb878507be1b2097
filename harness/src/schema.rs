//! Closed response schemas for workload RPCs (MAELSTROM.md §2.3): the declared body fields,
//! plus optional integer `msg_id` and required integer `in_reply_to`; any other key, a wrong
//! `type` string or a wrong value type makes a response malformed.

use serde_json::Value as Json;

/// The type of one body field.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// Any JSON value, null included.
    Any,
    /// A JSON integer (`5.0` is not one).
    Int,
    Str,
    /// An array whose elements all have this type, or `null` (Schema's sequence schemas
    /// accept `nil`).
    Seq(&'static Ty),
    /// An object whose values all have this type.
    MapOf(&'static Ty),
    /// An array of exactly these element types.
    Tuple(&'static [Ty]),
    /// Exactly this string (Schema's `(s/eq "r")`).
    Lit(&'static str),
    /// JSON `null`.
    Null,
    /// Any one of these types (Schema's `s/either`).
    Either(&'static [Ty]),
}

/// One declared field.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
}

/// A required field.
pub const fn req(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: true,
    }
}

/// An optional field.
pub const fn opt(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
    }
}

/// A response body schema: `type` must equal `typ`.
#[derive(Debug, Clone, Copy)]
pub struct BodySchema {
    pub typ: &'static str,
    pub fields: &'static [Field],
}

pub fn is_int(v: &Json) -> bool {
    v.is_i64() || v.is_u64()
}

impl Ty {
    fn check(&self, v: &Json) -> bool {
        match self {
            Ty::Any => true,
            Ty::Int => is_int(v),
            Ty::Str => v.is_string(),
            Ty::Seq(t) => v.is_null() || v.as_array().is_some_and(|a| a.iter().all(|x| t.check(x))),
            Ty::MapOf(t) => v
                .as_object()
                .is_some_and(|m| m.values().all(|x| t.check(x))),
            Ty::Tuple(ts) => v.as_array().is_some_and(|a| {
                a.len() == ts.len() && a.iter().zip(ts.iter()).all(|(x, t)| t.check(x))
            }),
            Ty::Lit(s) => v.as_str() == Some(*s),
            Ty::Null => v.is_null(),
            Ty::Either(ts) => ts.iter().any(|t| t.check(v)),
        }
    }

    fn describe(&self) -> String {
        match self {
            Ty::Any => "Any".into(),
            Ty::Int => "Int".into(),
            Ty::Str => "Str".into(),
            Ty::Seq(t) => format!("[{}]", t.describe()),
            Ty::MapOf(t) => format!("{{Any {}}}", t.describe()),
            Ty::Tuple(ts) => format!(
                "[{}]",
                ts.iter().map(Ty::describe).collect::<Vec<_>>().join(" ")
            ),
            Ty::Lit(s) => format!("(eq {s:?})"),
            Ty::Null => "nil".into(),
            Ty::Either(ts) => format!(
                "(either {})",
                ts.iter().map(Ty::describe).collect::<Vec<_>>().join(" ")
            ),
        }
    }
}

impl BodySchema {
    /// Check a response body; `Err` lists every problem, one per line.
    pub fn check(&self, body: &Json) -> Result<(), String> {
        let Some(m) = body.as_object() else {
            return Err(format!("(not (map? {body}))"));
        };
        let mut problems = Vec::new();
        match m.get("type") {
            Some(Json::String(t)) if t == self.typ => {}
            Some(other) => problems.push(format!(":type (not (= {:?} {other}))", self.typ)),
            None => problems.push(":type missing-required-key".into()),
        }
        match m.get("in_reply_to") {
            Some(v) if is_int(v) => {}
            Some(v) => problems.push(format!(":in_reply_to (not (integer? {v}))")),
            None => problems.push(":in_reply_to missing-required-key".into()),
        }
        if let Some(v) = m.get("msg_id") {
            if !is_int(v) {
                problems.push(format!(":msg_id (not (integer? {v}))"));
            }
        }
        for f in self.fields {
            match m.get(f.name) {
                Some(v) if f.ty.check(v) => {}
                Some(v) => problems.push(format!(":{} (not ({} {v}))", f.name, f.ty.describe())),
                None if f.required => problems.push(format!(":{} missing-required-key", f.name)),
                None => {}
            }
        }
        for k in m.keys() {
            let known = matches!(k.as_str(), "type" | "in_reply_to" | "msg_id")
                || self.fields.iter().any(|f| f.name == k);
            if !known {
                problems.push(format!(":{k} disallowed-key"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("{{{}}}", problems.join(",\n ")))
        }
    }

    /// The accepted form, for error messages.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!(":type (eq {:?})", self.typ)];
        for f in self.fields {
            if f.required {
                parts.push(format!(":{} {}", f.name, f.ty.describe()));
            } else {
                parts.push(format!("(optional-key :{}) {}", f.name, f.ty.describe()));
            }
        }
        parts.push("(optional-key :msg_id) Int".into());
        parts.push(":in_reply_to Int".into());
        format!("{{{}}}", parts.join(",\n "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sequences_take_null_tuples_and_maps_do_not() {
        assert!(Ty::Seq(&Ty::Int).check(&Json::Null));
        assert!(!Ty::Seq(&Ty::Int).check(&json!([1, "a"])));
        assert!(!Ty::Tuple(&[Ty::Int, Ty::Any]).check(&Json::Null));
        assert!(!Ty::MapOf(&Ty::Int).check(&Json::Null));
        assert!(Ty::Either(&[Ty::Lit("r"), Ty::Null]).check(&json!("r")));
        assert!(!Ty::Either(&[Ty::Lit("r"), Ty::Null]).check(&json!("w")));
    }
}
