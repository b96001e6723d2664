//! Targeting conditions in GrowthBook's MongoDB-style language (spec 0.12), compiled once and
//! evaluated many times.
//!
//! [`Condition::compile`] turns the JSON into a tree of typed nodes: paths are split, versions
//! padded, regular expressions compiled and saved groups resolved up front, so evaluation
//! never looks at JSON again. Whatever the compiler cannot make sense of is reported as a
//! [`Diagnostic`] with the JSON pointer of the offending part.
//!
//! # Semantics
//! The language is strictly typed: `5` never equals `"5"`, `$lt` orders two numbers or two
//! strings and nothing else, and versions compare only as two strings or two numbers. A
//! missing attribute reads as `null`. Evaluation is three-valued: a part the engine cannot
//! evaluate (an unknown operator, a saved group of an unknown type) is *unknown*, and unknown
//! stays unknown through `$not` and `$nor`, so that such a condition never matches rather than
//! matching everyone by negation. A condition matches only when it is definitely true.

use crate::map::Map;

use crate::rules::js;
use crate::rules::platform::{Pattern, Platform};
use crate::rules::version::{compare_with_padded, padded_version};
use crate::rules::{msg, pointer, Diagnostic, Severity};
use crate::value::Value;

/// Saved groups: reusable audiences a condition refers to by id.
pub type SavedGroups = Map<SavedGroup>;

/// One saved group, as a project config or a GrowthBook payload carries it.
#[derive(Debug, Clone, PartialEq)]
pub enum SavedGroup {
    /// The legacy form: a bare list of values, for `$inGroup` and `$notInGroup`.
    Values(Vec<Value>),
    /// `{"type": "list", "attributeKey": …, "values": […]}`: an attribute in a list.
    List {
        /// The attribute's path.
        attribute_key: String,
        /// The values.
        values: Vec<Value>,
    },
    /// `{"type": "condition", "condition": {…}}`: a condition of its own.
    Condition(Value),
    /// A group of a known type whose fields are missing or of the wrong type: matches nobody.
    Malformed,
    /// A group of a type this version does not know: it cannot be evaluated.
    Unknown,
}

impl SavedGroup {
    /// Reads a saved group from JSON.
    #[must_use]
    pub fn from_json(value: &Value) -> SavedGroup {
        let Value::Object(map) = value else {
            return match value {
                Value::Array(values) => SavedGroup::Values(values.clone()),
                _ => SavedGroup::Malformed,
            };
        };
        match map.get("type") {
            Some(Value::String(t)) if t == "list" => {
                match (map.get("attributeKey"), map.get("values")) {
                    (Some(Value::String(key)), Some(Value::Array(values))) => SavedGroup::List {
                        attribute_key: key.clone(),
                        values: values.clone(),
                    },
                    _ => SavedGroup::Malformed,
                }
            }
            Some(Value::String(t)) if t == "condition" => match map.get("condition") {
                Some(condition @ Value::Object(_)) => SavedGroup::Condition(condition.clone()),
                _ => SavedGroup::Malformed,
            },
            _ => SavedGroup::Unknown,
        }
    }

    /// Reads every saved group of a JSON object keyed by id.
    #[must_use]
    pub fn all_from_json(value: &Value) -> SavedGroups {
        match value {
            Value::Object(map) => map
                .iter()
                .map(|(id, group)| (id.clone(), SavedGroup::from_json(group)))
                .collect(),
            _ => SavedGroups::new(),
        }
    }
}

/// Three-valued truth: `None` is "cannot be evaluated".
type Tri = Option<bool>;

fn all_of(results: impl IntoIterator<Item = Tri>) -> Tri {
    let mut result = Some(true);
    for next in results {
        match next {
            Some(false) => return Some(false),
            None => result = None,
            Some(true) => {}
        }
    }
    result
}

fn any_of(results: impl IntoIterator<Item = Tri>) -> Tri {
    let mut result = Some(false);
    for next in results {
        match next {
            Some(true) => return Some(true),
            None => result = None,
            Some(false) => {}
        }
    }
    result
}

/// A compiled condition.
pub struct Condition {
    root: Node,
    /// Lower-cases values for the case-insensitive operators.
    platform: &'static dyn Platform,
    /// The JSON pointer of each top-level part of the root, for explanations.
    parts: Vec<String>,
    /// The condition's own pointer.
    at: String,
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Condition").finish_non_exhaustive()
    }
}

/// A condition over an object (the attributes, or an array element under `$elemMatch`).
enum Node {
    All(Vec<Node>),
    /// `$or`: an empty list holds.
    Any(Vec<Node>),
    /// `$nor`: an empty list does not hold.
    Nor(Vec<Node>),
    Not(Box<Node>),
    /// The value at a path passes a test.
    Path(Vec<String>, Test),
    /// A `$savedGroup` list: the attribute at the path is in the values.
    InList(Vec<String>, Vec<Value>),
    Constant(Tri),
}

/// A test of one value.
enum Test {
    /// `===` with a string, number or boolean; an array or object attribute never passes.
    Equals(Value),
    /// `null`: the attribute is null or missing.
    IsNull,
    /// A non-operator array or object: deep equality with an attribute of the same kind.
    DeepEquals(Value),
    /// Case-insensitive string equality (inside `$alli`).
    EqualsIgnoringCase(String),
    /// An operator object: every operator holds.
    Operators(Vec<Op>),
}

#[derive(Clone, Copy)]
enum Order {
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Clone, Copy)]
enum VersionOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

enum Op {
    Not(Box<Test>),
    Equals(Value),
    NotEquals(Value),
    Order(Order, Value),
    Exists(bool),
    In {
        values: Vec<Value>,
        ignore_case: bool,
        negate: bool,
    },
    Regex {
        pattern: Option<Box<dyn Pattern>>,
        negate: bool,
    },
    Type(String),
    Size(Box<Test>),
    All(Vec<Test>),
    /// An operator object applied to each element.
    ElemMatchValue(Box<Test>),
    /// A condition applied to each element as an object.
    ElemMatchObject(Box<Node>),
    /// The padded expected version, and whether it is a string (else a number).
    Version(VersionOp, String, bool),
    /// `$inGroup`/`$notInGroup` on a resolved list.
    InGroup {
        values: Vec<Value>,
        negate: bool,
    },
    Constant(Tri),
}

/// Deeper nesting than this is refused: evaluation is recursive, and the wasm stack is small.
const MAX_DEPTH: usize = 64;
/// More nodes than this are refused (saved groups referring to each other can multiply).
const MAX_NODES: usize = 20_000;

/// Keys that make an `$elemMatch` object a condition on each element rather than an operator
/// object on each element's value.
const LOGICAL: [&str; 4] = ["$or", "$nor", "$and", "$savedGroup"];

struct Compiler<'a> {
    platform: &'static dyn Platform,
    saved_groups: &'a SavedGroups,
    diagnostics: Vec<Diagnostic>,
    nodes: usize,
    /// A `null` where a condition must be: the whole condition is malformed and never matches.
    malformed: bool,
}

fn index_pointer(base: &str, index: usize) -> String {
    pointer(base, &js::number_to_string(index as f64))
}

/// True for an object whose keys all start with `$` (the empty object included).
fn is_operator_object(map: &Map<Value>) -> bool {
    map.keys().all(|k| k.starts_with('$'))
}

fn split_path(path: &str) -> Vec<String> {
    path.split('.').map(str::to_owned).collect()
}

impl Compiler<'_> {
    fn report(&mut self, severity: Severity, code: &'static str, at: &str, message: String) {
        self.diagnostics.push(Diagnostic {
            subject: String::new(),
            severity,
            code,
            pointer: at.to_owned(),
            message,
        });
    }

    fn within_budget(&mut self, at: &str, depth: usize) -> bool {
        self.nodes += 1;
        if depth > MAX_DEPTH {
            self.report(
                Severity::Error,
                "condition_too_deep",
                at,
                msg!("the condition nests deeper than 64 levels"),
            );
            self.malformed = true;
            false
        } else if self.nodes > MAX_NODES {
            if self.nodes == MAX_NODES + 1 {
                self.report(
                    Severity::Error,
                    "condition_too_large",
                    at,
                    msg!("the condition has more than 20,000 parts"),
                );
            }
            self.malformed = true;
            false
        } else {
            true
        }
    }

    fn malformed(&mut self, at: &str, what: &str) -> Node {
        self.report(
            Severity::Error,
            "malformed_condition",
            at,
            msg!("{what} is null; the whole condition never matches"),
        );
        self.malformed = true;
        Node::Constant(Some(false))
    }

    /// A condition object: `{path: value-condition, "$or": [...], ...}`.
    fn condition(
        &mut self,
        json: &Value,
        at: &str,
        depth: usize,
        visited: &mut Vec<String>,
    ) -> Node {
        if !self.within_budget(at, depth) {
            return Node::Constant(Some(false));
        }
        let Value::Object(map) = json else {
            self.report(
                Severity::Error,
                "condition_not_object",
                at,
                msg!("a condition must be a JSON object"),
            );
            return Node::Constant(Some(false));
        };
        let mut all = Vec::with_capacity(map.len());
        for (key, value) in map {
            let here = pointer(at, key);
            let node = match key.as_str() {
                "$or" | "$nor" | "$and" => {
                    match value {
                        Value::Array(items) => {
                            let nodes = items
                                .iter()
                                .enumerate()
                                .map(|(i, item)| match item {
                                    Value::Null => self.malformed(
                                        &index_pointer(&here, i),
                                        "a condition in the list",
                                    ),
                                    item => self.condition(
                                        item,
                                        &index_pointer(&here, i),
                                        depth + 1,
                                        visited,
                                    ),
                                })
                                .collect();
                            match key.as_str() {
                                "$or" => Node::Any(nodes),
                                "$nor" => Node::Nor(nodes),
                                _ => Node::All(nodes),
                            }
                        }
                        Value::Null => self.malformed(&here, key),
                        _ => {
                            self.report(Severity::Error, "expected_array", &here, msg!("{key} takes an array of conditions; as written it never matches"));
                            Node::Constant(Some(false))
                        }
                    }
                }
                "$not" => match value {
                    Value::Object(_) => {
                        Node::Not(Box::new(self.condition(value, &here, depth + 1, visited)))
                    }
                    Value::Null => self.malformed(&here, "$not"),
                    _ => {
                        self.report(
                            Severity::Error,
                            "expected_object",
                            &here,
                            msg!("$not takes a condition object; as written it never matches"),
                        );
                        Node::Constant(Some(false))
                    }
                },
                "$savedGroup" => self.saved_group_reference(value, &here, depth, visited),
                path => {
                    if path.starts_with('$') {
                        self.report(Severity::Warning, "operator_as_attribute", &here, msg!("\"{path}\" is not a logical operator here, so it is read as an attribute name"));
                    }
                    Node::Path(
                        split_path(path),
                        self.test(value, &here, depth + 1, visited),
                    )
                }
            };
            all.push(node);
        }
        Node::All(all)
    }

    fn saved_group_reference(
        &mut self,
        json: &Value,
        at: &str,
        depth: usize,
        visited: &mut Vec<String>,
    ) -> Node {
        let Value::Object(reference) = json else {
            self.report(
                Severity::Error,
                "saved_group_reference",
                at,
                msg!("$savedGroup takes {{\"id\": …}}; as written it never matches"),
            );
            return Node::Constant(Some(false));
        };
        let Some(Value::String(id)) = reference.get("id") else {
            self.report(
                Severity::Error,
                "saved_group_reference",
                at,
                msg!("$savedGroup needs a string \"id\"; as written it never matches"),
            );
            return Node::Constant(Some(false));
        };
        let attribute_override = match reference.get("attributeKey") {
            None => None,
            Some(Value::String(key)) => Some(key),
            Some(_) => {
                self.report(
                    Severity::Error,
                    "saved_group_reference",
                    at,
                    msg!("\"attributeKey\" must be a string; as written it never matches"),
                );
                return Node::Constant(Some(false));
            }
        };
        if visited.contains(id) {
            self.report(
                Severity::Error,
                "saved_group_cycle",
                at,
                msg!("saved group \"{id}\" refers back to itself"),
            );
            return Node::Constant(Some(false));
        }
        match self.saved_groups.get(id) {
            Some(SavedGroup::List {
                attribute_key,
                values,
            }) => Node::InList(
                split_path(attribute_override.unwrap_or(attribute_key)),
                values.clone(),
            ),
            Some(SavedGroup::Condition(condition)) => {
                visited.push(id.clone());
                let node = self.condition(condition, at, depth + 1, visited);
                visited.pop();
                node
            }
            Some(SavedGroup::Unknown) => {
                self.report(Severity::Warning, "saved_group_unknown_type", at, msg!("saved group \"{id}\" is of a type this version cannot evaluate; the condition never matches"));
                Node::Constant(None)
            }
            Some(SavedGroup::Values(_) | SavedGroup::Malformed) => {
                self.report(Severity::Error, "saved_group_unusable", at, msg!("saved group \"{id}\" is not a typed list or condition; $savedGroup never matches it"));
                Node::Constant(Some(false))
            }
            None => {
                self.report(
                    Severity::Error,
                    "saved_group_missing",
                    at,
                    msg!("no saved group \"{id}\"; $savedGroup never matches it"),
                );
                Node::Constant(Some(false))
            }
        }
    }

    /// A value condition: a literal to compare with, or an operator object.
    fn test(&mut self, json: &Value, at: &str, depth: usize, visited: &mut Vec<String>) -> Test {
        if !self.within_budget(at, depth) {
            return Test::Operators(vec![Op::Constant(Some(false))]);
        }
        match json {
            Value::Null => Test::IsNull,
            Value::Object(map) if is_operator_object(map) => Test::Operators(
                map.iter()
                    .map(|(op, arg)| self.operator(op, arg, &pointer(at, op), depth, visited))
                    .collect(),
            ),
            Value::Object(_) | Value::Array(_) => Test::DeepEquals(json.clone()),
            scalar => Test::Equals(scalar.clone()),
        }
    }

    /// An element of `$all`/`$alli`, or the argument of `$size`: an operator object or a value
    /// matched by deep equality (case-insensitively for strings, under `$alli`).
    fn value_test(
        &mut self,
        json: &Value,
        at: &str,
        depth: usize,
        ignore_case: bool,
        visited: &mut Vec<String>,
    ) -> Test {
        match json {
            Value::Object(map) if is_operator_object(map) => self.test(json, at, depth, visited),
            Value::String(s) if ignore_case => Test::EqualsIgnoringCase(self.platform.lowercase(s)),
            other => Test::DeepEquals(other.clone()),
        }
    }

    fn operator(
        &mut self,
        op: &str,
        arg: &Value,
        at: &str,
        depth: usize,
        visited: &mut Vec<String>,
    ) -> Op {
        let order = |kind| Op::Order(kind, arg.clone());
        let version = |kind| match arg {
            Value::String(_) | Value::Number(_) => {
                Op::Version(kind, padded_version(arg), matches!(arg, Value::String(_)))
            }
            // Any other expected value never compares; `$vne` then holds, as a mismatch is "not equal".
            _ => Op::Constant(Some(matches!(kind, VersionOp::Ne))),
        };
        match op {
            "$not" => Op::Not(Box::new(self.test(arg, at, depth + 1, visited))),
            "$eq" => Op::Equals(arg.clone()),
            "$ne" => Op::NotEquals(arg.clone()),
            "$lt" => order(Order::Lt),
            "$lte" => order(Order::Lte),
            "$gt" => order(Order::Gt),
            "$gte" => order(Order::Gte),
            "$exists" => match arg {
                Value::Bool(b) => Op::Exists(*b),
                _ => {
                    self.report(
                        Severity::Warning,
                        "invalid_operator_argument",
                        at,
                        msg!("$exists takes true or false; as written it always holds"),
                    );
                    Op::Constant(Some(true))
                }
            },
            "$in" | "$nin" | "$ini" | "$nini" => match arg {
                Value::Array(values) => {
                    let ignore_case = matches!(op, "$ini" | "$nini");
                    let values = if ignore_case {
                        // Folded once here, so evaluation folds only the attribute.
                        values
                            .iter()
                            .map(|v| match v {
                                Value::String(s) => Value::String(self.platform.lowercase(s)),
                                other => other.clone(),
                            })
                            .collect()
                    } else {
                        values.clone()
                    };
                    Op::In {
                        values,
                        ignore_case,
                        negate: op.starts_with("$n"),
                    }
                }
                _ => self.invalid(at, op, "takes an array of values"),
            },
            "$regex" | "$regexi" | "$notRegex" | "$notRegexi" => match arg {
                Value::String(source) => {
                    let pattern = match self.platform.compile(source, op.ends_with('i')) {
                        Ok(pattern) => Some(pattern),
                        Err(reason) => {
                            self.report(
                                Severity::Error,
                                "invalid_regex",
                                at,
                                msg!("\"{source}\" is not a valid regular expression: {reason}"),
                            );
                            None
                        }
                    };
                    Op::Regex {
                        pattern,
                        negate: op.starts_with("$not"),
                    }
                }
                _ => self.invalid(at, op, "takes a regular expression as a string"),
            },
            "$type" => match arg {
                Value::String(name) => Op::Type(name.clone()),
                _ => self.invalid(at, op, "takes a type name"),
            },
            "$size" => Op::Size(Box::new(self.value_test(
                arg,
                at,
                depth + 1,
                false,
                visited,
            ))),
            "$all" | "$alli" => match arg {
                Value::Array(items) => Op::All(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            self.value_test(
                                item,
                                &index_pointer(at, i),
                                depth + 1,
                                op == "$alli",
                                visited,
                            )
                        })
                        .collect(),
                ),
                _ => self.invalid(at, op, "takes an array"),
            },
            "$elemMatch" => match arg {
                Value::Object(map)
                    if is_operator_object(map)
                        && !map.keys().any(|k| LOGICAL.contains(&k.as_str())) =>
                {
                    Op::ElemMatchValue(Box::new(self.test(arg, at, depth + 1, visited)))
                }
                Value::Object(_) => {
                    Op::ElemMatchObject(Box::new(self.condition(arg, at, depth + 1, visited)))
                }
                _ => self.invalid(at, op, "takes a condition object"),
            },
            "$veq" => version(VersionOp::Eq),
            "$vne" => version(VersionOp::Ne),
            "$vgt" => version(VersionOp::Gt),
            "$vgte" => version(VersionOp::Gte),
            "$vlt" => version(VersionOp::Lt),
            "$vlte" => version(VersionOp::Lte),
            "$inGroup" | "$notInGroup" => self.group_membership(op, arg, at),
            "$and" | "$or" | "$nor" | "$savedGroup" => {
                self.report(Severity::Error, "misplaced_operator", at, msg!("{op} belongs at the top of a condition, not on an attribute; as written it never matches"));
                Op::Constant(Some(false))
            }
            unknown => {
                self.report(
                    Severity::Error,
                    "unknown_operator",
                    at,
                    msg!("unknown operator \"{unknown}\"; the condition never matches"),
                );
                Op::Constant(None)
            }
        }
    }

    fn group_membership(&mut self, op: &str, arg: &Value, at: &str) -> Op {
        let negate = op == "$notInGroup";
        let Value::String(id) = arg else {
            return self.invalid(at, op, "takes a saved group id");
        };
        match self.saved_groups.get(id) {
            // An unknown id behaves as an empty list.
            None => {
                self.report(
                    Severity::Warning,
                    "saved_group_missing",
                    at,
                    msg!("no saved group \"{id}\"; {op} treats it as empty"),
                );
                Op::InGroup {
                    values: Vec::new(),
                    negate,
                }
            }
            Some(SavedGroup::Values(values) | SavedGroup::List { values, .. }) => Op::InGroup {
                values: values.clone(),
                negate,
            },
            Some(SavedGroup::Unknown) => {
                self.report(Severity::Warning, "saved_group_unknown_type", at, msg!("saved group \"{id}\" is of a type this version cannot evaluate; the condition never matches"));
                Op::Constant(None)
            }
            // A condition group has no values to look in. Treating it as empty would let
            // everyone through `$notInGroup`, so it fails closed.
            Some(SavedGroup::Condition(_) | SavedGroup::Malformed) => {
                self.report(
                    Severity::Error,
                    "saved_group_unusable",
                    at,
                    msg!("saved group \"{id}\" has no list of values for {op}; it never matches"),
                );
                Op::Constant(Some(false))
            }
        }
    }

    fn invalid(&mut self, at: &str, op: &str, what: &str) -> Op {
        self.report(
            Severity::Error,
            "invalid_operator_argument",
            at,
            msg!("{op} {what}; as written it never matches"),
        );
        Op::Constant(Some(false))
    }
}

static NULL: Value = Value::Null;

/// The value at a dot-separated path; `null` where the path leads nowhere. Array elements are
/// reachable by index (`tags.0`).
fn lookup<'a>(root: &'a Value, path: &[String]) -> &'a Value {
    let mut current = root;
    for part in path {
        let next = match current {
            Value::Object(map) => map.get(part),
            Value::Array(items) if part.bytes().all(|b| b.is_ascii_digit()) => {
                part.parse::<usize>().ok().and_then(|i| items.get(i))
            }
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => return &NULL,
        }
    }
    current
}

/// Whether `actual` lower-cased equals `folded` (already lower-cased). ASCII text is compared
/// in place (ASCII lower-casing is the same everywhere); other text asks the platform.
fn equals_folded(actual: &str, folded: &str, platform: &dyn Platform) -> bool {
    if actual.is_ascii() {
        actual.len() == folded.len()
            && actual
                .bytes()
                .zip(folded.bytes())
                .all(|(a, b)| a.to_ascii_lowercase() == b)
    } else {
        platform.lowercase(actual) == folded
    }
}

/// `$in`: the attribute, or any element of an array attribute, is one of the values. Arrays
/// and objects are never members. With `ignore_case`, the values are already folded.
fn is_in(actual: &Value, values: &[Value], ignore_case: bool, platform: &dyn Platform) -> bool {
    let member = |candidate: &Value| match candidate {
        Value::Array(_) | Value::Object(_) => false,
        Value::String(a) if ignore_case => values
            .iter()
            .any(|v| matches!(v, Value::String(b) if equals_folded(a, b, platform))),
        _ => values.iter().any(|v| js::strict_equals(candidate, v)),
    };
    match actual {
        Value::Array(items) => items.iter().any(member),
        other => member(other),
    }
}

/// `===`, where an array or object attribute never equals anything.
fn equals(actual: &Value, expected: &Value) -> bool {
    !matches!(actual, Value::Array(_) | Value::Object(_)) && js::strict_equals(actual, expected)
}

impl Node {
    fn eval(&self, object: &Value, platform: &dyn Platform) -> Tri {
        match self {
            Node::All(nodes) => all_of(nodes.iter().map(|n| n.eval(object, platform))),
            Node::Any(nodes) if nodes.is_empty() => Some(true),
            Node::Any(nodes) => any_of(nodes.iter().map(|n| n.eval(object, platform))),
            Node::Nor(nodes) if nodes.is_empty() => Some(false),
            Node::Nor(nodes) => any_of(nodes.iter().map(|n| n.eval(object, platform))).map(|b| !b),
            Node::Not(node) => node.eval(object, platform).map(|b| !b),
            Node::Path(path, test) => test.eval(lookup(object, path), platform),
            Node::InList(path, values) => {
                Some(is_in(lookup(object, path), values, false, platform))
            }
            Node::Constant(tri) => *tri,
        }
    }
}

impl Test {
    fn eval(&self, value: &Value, platform: &dyn Platform) -> Tri {
        match self {
            Test::Equals(expected) => Some(equals(value, expected)),
            Test::IsNull => Some(matches!(value, Value::Null)),
            Test::DeepEquals(expected) => Some(js::json_equals(value, expected)),
            Test::EqualsIgnoringCase(expected) => {
                Some(matches!(value, Value::String(s) if equals_folded(s, expected, platform)))
            }
            Test::Operators(ops) => all_of(ops.iter().map(|op| op.eval(value, platform))),
        }
    }
}

impl Op {
    fn eval(&self, actual: &Value, platform: &dyn Platform) -> Tri {
        let definite = |b: bool| Some(b);
        match self {
            Op::Not(test) => test.eval(actual, platform).map(|b| !b),
            Op::Equals(expected) => definite(equals(actual, expected)),
            Op::NotEquals(expected) => definite(!equals(actual, expected)),
            Op::Order(kind, expected) => {
                let ordering = match (actual, expected) {
                    (Value::String(a), Value::String(b)) => Some(js::compare_strings(a, b)),
                    (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
                    _ => None,
                };
                definite(ordering.is_some_and(|o| match kind {
                    Order::Lt => o.is_lt(),
                    Order::Lte => o.is_le(),
                    Order::Gt => o.is_gt(),
                    Order::Gte => o.is_ge(),
                }))
            }
            Op::Exists(should) => definite(matches!(actual, Value::Null) != *should),
            Op::In {
                values,
                ignore_case,
                negate,
            } => definite(is_in(actual, values, *ignore_case, platform) != *negate),
            Op::Regex { pattern, negate } => {
                let matched = match (pattern, actual) {
                    (Some(pattern), Value::String(s)) => pattern.test(s),
                    _ => false,
                };
                definite(matched != *negate)
            }
            Op::Type(expected) => definite(js::type_name(actual) == expected),
            Op::Size(test) => match actual {
                Value::Array(items) => test.eval(&Value::Number(items.len() as f64), platform),
                _ => Some(false),
            },
            Op::All(tests) => match actual {
                Value::Array(items) => all_of(
                    tests
                        .iter()
                        .map(|test| any_of(items.iter().map(|item| test.eval(item, platform)))),
                ),
                _ => Some(false),
            },
            Op::ElemMatchValue(test) => match actual {
                Value::Array(items) => any_of(
                    items
                        .iter()
                        .filter(|i| !matches!(i, Value::Null))
                        .map(|item| test.eval(item, platform)),
                ),
                _ => Some(false),
            },
            Op::ElemMatchObject(node) => match actual {
                Value::Array(items) => any_of(
                    items
                        .iter()
                        .filter(|i| !matches!(i, Value::Null))
                        .map(|item| node.eval(item, platform)),
                ),
                _ => Some(false),
            },
            Op::Version(kind, expected, expected_is_string) => {
                let comparable = match actual {
                    Value::String(_) => *expected_is_string,
                    Value::Number(_) => !*expected_is_string,
                    _ => false,
                };
                if !comparable {
                    return definite(matches!(kind, VersionOp::Ne));
                }
                let order = compare_with_padded(actual, expected);
                definite(match kind {
                    VersionOp::Eq => order.is_eq(),
                    VersionOp::Ne => order.is_ne(),
                    VersionOp::Gt => order.is_gt(),
                    VersionOp::Gte => order.is_ge(),
                    VersionOp::Lt => order.is_lt(),
                    VersionOp::Lte => order.is_le(),
                })
            }
            Op::InGroup { values, negate } => {
                definite(is_in(actual, values, false, platform) != *negate)
            }
            Op::Constant(tri) => *tri,
        }
    }
}

impl Condition {
    /// Compiles a condition. `at` is the JSON pointer of the condition within its document,
    /// used in diagnostics. The condition always compiles; the diagnostics say which parts
    /// will not match as their author may have meant.
    pub fn compile(
        json: &Value,
        at: &str,
        platform: &'static dyn Platform,
        saved_groups: &SavedGroups,
    ) -> (Condition, Vec<Diagnostic>) {
        let mut compiler = Compiler {
            platform,
            saved_groups,
            diagnostics: Vec::new(),
            nodes: 0,
            malformed: false,
        };
        let root = compiler.condition(json, at, 0, &mut Vec::new());
        let root = if compiler.malformed {
            Node::Constant(Some(false))
        } else {
            root
        };
        let parts = match (json, &root) {
            (Value::Object(map), Node::All(children)) if map.len() == children.len() => {
                map.keys().map(|key| pointer(at, key)).collect()
            }
            _ => Vec::new(),
        };
        let condition = Condition {
            root,
            platform,
            parts,
            at: at.to_owned(),
        };
        (condition, compiler.diagnostics)
    }

    /// A condition that always holds (an absent condition).
    #[must_use]
    pub fn always() -> Condition {
        Condition {
            root: Node::All(Vec::new()),
            platform: &crate::rules::platform::NoPatterns,
            parts: Vec::new(),
            at: String::new(),
        }
    }

    /// Why `attributes` do not meet the condition: the JSON pointer of the first top-level
    /// part that does not definitely hold (the whole condition's pointer if it cannot be
    /// split). `None` when it matches.
    #[must_use]
    pub fn first_failure(&self, attributes: &Value) -> Option<&str> {
        if self.matches(attributes) {
            return None;
        }
        if let Node::All(children) = &self.root {
            for (child, at) in children.iter().zip(&self.parts) {
                if child.eval(attributes, self.platform) != Some(true) {
                    return Some(at);
                }
            }
        }
        Some(&self.at)
    }

    /// Whether `attributes` definitely meet the condition.
    #[must_use]
    pub fn matches(&self, attributes: &Value) -> bool {
        self.root.eval(attributes, self.platform) == Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::platform::Regress;

    fn json(text: &str) -> Value {
        serde_json::from_str(text).expect("test JSON")
    }

    fn compile(condition: &str) -> (Condition, Vec<Diagnostic>) {
        Condition::compile(
            &json(condition),
            "/rules/0/condition",
            &Regress,
            &SavedGroups::new(),
        )
    }

    fn check(condition: &str, attributes: &str, expected: bool) {
        let (compiled, _) = compile(condition);
        assert_eq!(
            compiled.matches(&json(attributes)),
            expected,
            "{condition} on {attributes}"
        );
    }

    fn codes_at(condition: &str) -> Vec<(&'static str, String)> {
        compile(condition)
            .1
            .into_iter()
            .map(|d| (d.code, d.pointer))
            .collect()
    }

    #[test]
    fn an_unknown_operator_is_reported_where_it_is_and_never_matches_even_negated() {
        assert_eq!(
            codes_at(r#"{"plan": {"$regx": "pro"}}"#),
            [(
                "unknown_operator",
                "/rules/0/condition/plan/$regx".to_owned()
            )]
        );
        check(
            r#"{"$not": {"plan": {"$regx": "pro"}}}"#,
            r#"{"plan": "free"}"#,
            false,
        );
    }

    #[test]
    fn pointers_escape_slashes_and_tildes_in_attribute_names() {
        assert_eq!(
            codes_at(r#"{"a/b~c": {"$in": "x"}}"#),
            [(
                "invalid_operator_argument",
                "/rules/0/condition/a~1b~0c/$in".to_owned()
            )]
        );
    }

    #[test]
    fn an_invalid_regex_is_reported_and_does_not_match() {
        assert_eq!(
            codes_at(r#"{"url": {"$regex": "("}}"#)[0].0,
            "invalid_regex"
        );
        check(r#"{"url": {"$regex": "("}}"#, r#"{"url": "("}"#, false);
    }

    #[test]
    fn a_null_where_a_condition_belongs_makes_the_whole_condition_fail() {
        assert_eq!(codes_at(r#"{"$or": null}"#)[0].0, "malformed_condition");
        check(r#"{"$or": [{"a": 1}, null]}"#, r#"{"a": 1}"#, false);
    }

    #[test]
    fn absurd_nesting_is_refused_without_exhausting_the_stack() {
        let deep = "{\"$not\": ".repeat(100) + "{}" + &"}".repeat(100);
        let (compiled, diagnostics) = compile(&deep);
        assert_eq!(diagnostics[0].code, "condition_too_deep");
        assert!(!compiled.matches(&json("{}")));
    }

    #[test]
    fn attributes_compare_strictly_by_type() {
        check(r#"{"age": {"$gte": 18}}"#, r#"{"age": 21}"#, true);
        check(r#"{"age": {"$gte": 18}}"#, r#"{"age": "21"}"#, false);
        check(
            r#"{"country": {"$in": ["US", "CA"]}}"#,
            r#"{"country": "CA"}"#,
            true,
        );
        check(r#"{"tags.0": "beta"}"#, r#"{"tags": ["beta"]}"#, true);
        check(
            r#"{"version": {"$vgte": "2.1.0"}}"#,
            r#"{"version": "2.10.0"}"#,
            true,
        );
    }
}
