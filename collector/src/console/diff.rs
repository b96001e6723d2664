//! What changed between two configs, as a list of changes at JSON pointers.
//!
//! Objects are compared key by key. Arrays whose items are all objects with distinct string
//! `id`s (experiences, questions, steps, variants) are compared by id, so inserting an
//! experience reads as one addition rather than a change to every one after it; other
//! arrays are compared by position. A change's pointer is into the newer config, except a
//! removal's, which is into the older.

use serde::Serialize;
use serde_json::{Map, Value};

/// One difference.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// Only the newer config has it.
    Added {
        /// Where, in the newer config.
        pointer: String,
        /// Its value.
        after: Value,
    },
    /// Only the older config has it.
    Removed {
        /// Where, in the older config.
        pointer: String,
        /// Its value.
        before: Value,
    },
    /// Both have it, with different values (of which neither is an object or an id-keyed
    /// array, whose parts are compared instead).
    Changed {
        /// Where, in the newer config.
        pointer: String,
        /// The older value.
        before: Value,
        /// The newer value.
        after: Value,
    },
}

/// The changes that make `before` into `after`, in document order.
#[must_use]
pub fn diff(before: &Value, after: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    compare(before, after, "", "", &mut changes);
    changes
}

/// Escapes a key for a JSON pointer (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn ids(items: &[Value]) -> Option<Vec<&str>> {
    let ids: Vec<&str> = items
        .iter()
        .map(|item| item.get("id").and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    (sorted.len() == ids.len()).then_some(ids)
}

fn compare(before: &Value, after: &Value, from: &str, to: &str, out: &mut Vec<Change>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => objects(b, a, from, to, out),
        (Value::Array(b), Value::Array(a)) => match (ids(b), ids(a)) {
            (Some(before_ids), Some(after_ids)) if !b.is_empty() && !a.is_empty() => {
                for (i, id) in before_ids.iter().enumerate() {
                    if !after_ids.contains(id) {
                        out.push(Change::Removed {
                            pointer: format!("{from}/{i}"),
                            before: b[i].clone(),
                        });
                    }
                }
                for (j, id) in after_ids.iter().enumerate() {
                    match before_ids.iter().position(|other| other == id) {
                        Some(i) => compare(
                            &b[i],
                            &a[j],
                            &format!("{from}/{i}"),
                            &format!("{to}/{j}"),
                            out,
                        ),
                        None => out.push(Change::Added {
                            pointer: format!("{to}/{j}"),
                            after: a[j].clone(),
                        }),
                    }
                }
            }
            _ => {
                for i in 0..b.len().max(a.len()) {
                    match (b.get(i), a.get(i)) {
                        (Some(x), Some(y)) => {
                            compare(x, y, &format!("{from}/{i}"), &format!("{to}/{i}"), out)
                        }
                        (Some(x), None) => out.push(Change::Removed {
                            pointer: format!("{from}/{i}"),
                            before: x.clone(),
                        }),
                        (None, Some(y)) => out.push(Change::Added {
                            pointer: format!("{to}/{i}"),
                            after: y.clone(),
                        }),
                        (None, None) => {}
                    }
                }
            }
        },
        _ if before == after => {}
        _ => out.push(Change::Changed {
            pointer: to.to_owned(),
            before: before.clone(),
            after: after.clone(),
        }),
    }
}

fn objects(
    b: &Map<String, Value>,
    a: &Map<String, Value>,
    from: &str,
    to: &str,
    out: &mut Vec<Change>,
) {
    for (key, value) in b {
        if !a.contains_key(key) {
            out.push(Change::Removed {
                pointer: format!("{from}/{}", escape(key)),
                before: value.clone(),
            });
        }
    }
    for (key, value) in a {
        let key_part = escape(key);
        match b.get(key) {
            Some(old) => compare(
                old,
                value,
                &format!("{from}/{key_part}"),
                &format!("{to}/{key_part}"),
                out,
            ),
            None => out.push(Change::Added {
                pointer: format!("{to}/{key_part}"),
                after: value.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(before: Value, after: Value, expected: Value) {
        assert_eq!(
            serde_json::to_value(diff(&before, &after)).unwrap(),
            expected
        );
    }

    #[test]
    fn equal_configs_have_no_changes() {
        let config = json!({"experiences": [{"id": "a", "priority": 1}], "features": {}});
        check(config.clone(), config, json!([]));
    }

    #[test]
    fn objects_are_compared_key_by_key_with_escaped_pointers() {
        check(
            json!({"features": {"a/b": {"defaultValue": 1}, "gone": true}}),
            json!({"features": {"a/b": {"defaultValue": 2}, "new~": false}}),
            json!([
                {"op": "removed", "pointer": "/features/gone", "before": true},
                {"op": "changed", "pointer": "/features/a~1b/defaultValue", "before": 1, "after": 2},
                {"op": "added", "pointer": "/features/new~0", "after": false},
            ]),
        );
    }

    #[test]
    fn an_inserted_experience_is_one_addition_not_a_change_to_every_later_one() {
        check(
            json!({"experiences": [{"id": "tour"}, {"id": "nps", "priority": 1}]}),
            json!({"experiences": [{"id": "csat"}, {"id": "tour"}, {"id": "nps", "priority": 2}]}),
            json!([
                {"op": "added", "pointer": "/experiences/0", "after": {"id": "csat"}},
                {"op": "changed", "pointer": "/experiences/2/priority", "before": 1, "after": 2},
            ]),
        );
    }

    #[test]
    fn arrays_without_ids_are_compared_by_position() {
        check(
            json!({"trigger": {"page_view": ["/a", "/b", "/c"]}}),
            json!({"trigger": {"page_view": ["/a", "/x"]}}),
            json!([
                {"op": "changed", "pointer": "/trigger/page_view/1", "before": "/b", "after": "/x"},
                {"op": "removed", "pointer": "/trigger/page_view/2", "before": "/c"},
            ]),
        );
    }

    #[test]
    fn a_removal_points_into_the_older_config() {
        check(
            json!({"experiences": [{"id": "a"}, {"id": "b"}]}),
            json!({"experiences": [{"id": "b"}]}),
            json!([{"op": "removed", "pointer": "/experiences/0", "before": {"id": "a"}}]),
        );
    }
}
