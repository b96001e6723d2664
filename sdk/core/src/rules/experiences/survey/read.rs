//! Reading a survey definition, with its diagnostics.

use super::*;
use crate::rules::json::Fields;
use crate::rules::locale::{self, Localized, Texts};
use crate::rules::theme::Theme;
use crate::rules::{pointer, Diagnostic, Severity};
use crate::value::{Properties, Value};

pub(super) struct Reader<'d> {
    subject: &'d str,
    default_locale: String,
    diagnostics: &'d mut Vec<Diagnostic>,
    /// Every text read, with where it is: for the locales the survey is complete in.
    texts: Texts,
}

impl Reader<'_> {
    fn push(&mut self, severity: Severity, code: &'static str, at: String, message: &str) {
        self.diagnostics.push(Diagnostic {
            severity,
            code,
            subject: self.subject.to_owned(),
            pointer: at,
            message: crate::rules::message(message),
        });
    }

    fn error(&mut self, code: &'static str, at: String, message: &str) {
        self.push(Severity::Error, code, at, message);
    }

    fn warn(&mut self, code: &'static str, at: String, message: &str) {
        self.push(Severity::Warning, code, at, message);
    }

    /// A required text.
    fn text(&mut self, json: Option<&Value>, at: String) -> Option<Localized> {
        match json {
            None | Some(Value::Null) => {
                self.error("missing_text", at, "this text is required");
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.error("missing_text", at, "this text is required");
                None
            }
            Some(json) => self.optional_text(json, at),
        }
    }

    fn optional_text(&mut self, json: &Value, at: String) -> Option<Localized> {
        let text = Localized::read(
            json,
            &self.default_locale,
            self.subject,
            &at,
            self.diagnostics,
        )?;
        self.texts.add(at, &text);
        Some(text)
    }

    fn labels(&mut self, json: &Value, at: &str, required: bool) -> Option<Labels> {
        let at = pointer(at, "labels");
        match json.field("labels") {
            None if required => {
                self.error(
                    "missing_labels",
                    at,
                    "NPS and CES questions need words for their ends: {\"low\": …, \"high\": …}",
                );
                None
            }
            None => None,
            Some(labels @ Value::Object(_)) => {
                let low = self.text(labels.field("low"), pointer(&at, "low"));
                let high = self.text(labels.field("high"), pointer(&at, "high"));
                Some(Labels {
                    low: low?,
                    high: high?,
                })
            }
            Some(_) => {
                self.error(
                    "invalid_labels",
                    at,
                    "labels must be an object: {\"low\": …, \"high\": …}",
                );
                None
            }
        }
    }

    fn choices(&mut self, json: &Value, at: &str) -> Vec<Choice> {
        let at = pointer(at, "choices");
        let items = match json.array_field("choices") {
            Some(items) if !items.is_empty() => items,
            _ => {
                self.error(
                    "no_choices",
                    at,
                    "a choice question needs a non-empty choices array",
                );
                return Vec::new();
            }
        };
        let mut choices: Vec<Choice> = Vec::with_capacity(items.len());
        for (j, item) in items.iter().enumerate() {
            let here = pointer(&at, &index(j));
            if !matches!(item, Value::Object(_)) {
                self.error(
                    "invalid_choice",
                    here,
                    "a choice is an object: {\"id\": …, \"label\": …}",
                );
                continue;
            }
            let id = item.text_field("id");
            match &id {
                None => self.error(
                    "missing_choice_id",
                    pointer(&here, "id"),
                    "each choice needs a non-empty string id",
                ),
                Some(id) if choices.iter().any(|c| c.id == *id) => self.error(
                    "duplicate_choice_id",
                    pointer(&here, "id"),
                    "another choice of this question has this id",
                ),
                Some(_) => {}
            }
            let label = self.text(item.field("label"), pointer(&here, "label"));
            if let (Some(id), Some(label)) = (id, label) {
                choices.push(Choice {
                    id,
                    label,
                    exclusive: item.bool_field("exclusive").unwrap_or(false),
                    fixed: item.bool_field("fixed").unwrap_or(false),
                });
            }
        }
        choices
    }

    fn kind(&mut self, json: &Value, at: &str, question_type: QuestionType) -> QuestionKind {
        let field = |name: &str| pointer(at, name);
        match question_type {
            QuestionType::Nps => QuestionKind::Nps {
                labels: self.labels(json, at, true).unwrap_or_default(),
            },
            QuestionType::Ces => {
                let points = match json.field("scale") {
                    None => 7,
                    Some(Value::Number(n)) if *n == 5.0 || *n == 7.0 => *n as u8,
                    Some(_) => {
                        self.error(
                            "invalid_scale",
                            field("scale"),
                            "a CES scale has 7 or 5 points",
                        );
                        7
                    }
                };
                let direction = match json.str_field("direction") {
                    None if json.field("direction").is_none() => Direction::Ascending,
                    Some("ascending") => Direction::Ascending,
                    Some("descending") => Direction::Descending,
                    _ => {
                        self.error(
                            "invalid_direction",
                            field("direction"),
                            "direction must be \"ascending\" (the highest number is best) or \"descending\"",
                        );
                        Direction::Ascending
                    }
                };
                QuestionKind::Ces {
                    points,
                    direction,
                    labels: self.labels(json, at, true).unwrap_or_default(),
                }
            }
            QuestionType::Csat => {
                if json.field("scale").is_some() && json.num_field("scale") != Some(5.0) {
                    self.error("invalid_scale", field("scale"), "a CSAT scale has 5 points");
                }
                let display = match json.str_field("display") {
                    None if json.field("display").is_none() => Display::Numbers,
                    Some("numbers") => Display::Numbers,
                    Some("stars") => Display::Stars,
                    _ => {
                        self.warn(
                            "invalid_display",
                            field("display"),
                            "display is \"numbers\" or \"stars\"; numbers are shown",
                        );
                        Display::Numbers
                    }
                };
                QuestionKind::Csat {
                    display,
                    labels: self.labels(json, at, false),
                }
            }
            QuestionType::Single => QuestionKind::Single {
                choices: self.choices(json, at),
                shuffle: json.bool_field("shuffle").unwrap_or(false),
            },
            QuestionType::Multiple => {
                let choices = self.choices(json, at);
                let count = choices.len().max(1) as f64;
                let min = match json.field("min") {
                    None => 1.0,
                    given => whole(given, 1.0, count).unwrap_or_else(|| {
                        self.error(
                            "invalid_min",
                            field("min"),
                            "min must be a whole number from 1 to the number of choices",
                        );
                        1.0
                    }),
                };
                let max = match json.field("max") {
                    None => count,
                    given => whole(given, 1.0, count).unwrap_or_else(|| {
                        self.error(
                            "invalid_max",
                            field("max"),
                            "max must be a whole number from 1 to the number of choices",
                        );
                        count
                    }),
                };
                if min > max {
                    self.error("min_above_max", field("min"), "min must not exceed max");
                }
                QuestionKind::Multiple {
                    choices,
                    shuffle: json.bool_field("shuffle").unwrap_or(false),
                    min: min as usize,
                    max: max as usize,
                }
            }
            QuestionType::Text => {
                let max_length = match json.field("max_length") {
                    None => 1_000.0,
                    given => whole(given, 1.0, f64::from(MAX_TEXT_LENGTH)).unwrap_or_else(|| {
                        self.error(
                            "invalid_max_length",
                            field("max_length"),
                            "max_length must be a whole number of characters from 1 to 5000",
                        );
                        1_000.0
                    }),
                };
                QuestionKind::Text {
                    placeholder: json
                        .field("placeholder")
                        .and_then(|p| self.optional_text(p, field("placeholder"))),
                    max_length: max_length as u32,
                }
            }
        }
    }

    /// Reads one question, without its branch rules (they need every question's id).
    fn question(&mut self, json: &Value, at: &str, earlier: &[Question]) -> Question {
        let field = |name: &str| pointer(at, name);
        let id = json.text_field("id").unwrap_or_default();
        if !matches!(json, Value::Object(_)) {
            self.error(
                "invalid_question",
                at.to_owned(),
                "a question is an object with an id, a type and a text",
            );
        } else if id.is_empty() {
            self.error(
                "missing_question_id",
                field("id"),
                "each question needs a non-empty string id",
            );
        } else if id == "end" {
            self.error(
                "reserved_question_id",
                field("id"),
                "\"end\" names the end of the survey in branch rules; use another id",
            );
        } else if earlier.iter().any(|q| q.id == id) {
            self.error(
                "duplicate_question_id",
                field("id"),
                "another question has this id",
            );
        }
        let question_type = match json.str_field("type") {
            Some("nps") => Some(QuestionType::Nps),
            Some("ces") => Some(QuestionType::Ces),
            Some("csat") => Some(QuestionType::Csat),
            Some("single") => Some(QuestionType::Single),
            Some("multiple") => Some(QuestionType::Multiple),
            Some("text") => Some(QuestionType::Text),
            _ if !matches!(json, Value::Object(_)) => None,
            _ => {
                self.error(
                    "unknown_question_type",
                    field("type"),
                    "type must be nps, ces, csat, single, multiple or text",
                );
                None
            }
        };
        let text = if matches!(json, Value::Object(_)) {
            self.text(json.field("text"), field("text"))
        } else {
            None
        };
        let text_by_band = match json.field("text_by_band") {
            None => ByBand::default(),
            Some(bands @ Value::Object(_)) => {
                let at = field("text_by_band");
                if !earlier
                    .iter()
                    .any(|q| matches!(q.kind, QuestionKind::Nps { .. }))
                {
                    self.warn(
                        "no_nps_before",
                        at.clone(),
                        "no NPS question comes before this one, so its band wording is never used",
                    );
                }
                let mut band = |name: &str| {
                    bands
                        .field(name)
                        .and_then(|t| self.optional_text(t, pointer(&at, name)))
                };
                ByBand {
                    detractor: band("detractor"),
                    passive: band("passive"),
                    promoter: band("promoter"),
                }
            }
            Some(_) => {
                self.error(
                    "invalid_text_by_band",
                    field("text_by_band"),
                    "text_by_band is an object: {\"detractor\": …, \"passive\": …, \"promoter\": …}",
                );
                ByBand::default()
            }
        };
        // A question whose type is unknown still takes its place, so that positions and
        // branch targets stay those of the configuration; its errors keep the survey off.
        let kind = match question_type {
            Some(question_type) => self.kind(json, at, question_type),
            None => QuestionKind::Text {
                placeholder: None,
                max_length: 0,
            },
        };
        Question {
            id,
            text: text.unwrap_or_default(),
            text_by_band,
            optional: json.bool_field("optional").unwrap_or(false),
            kind,
            branch: Vec::new(),
        }
    }

    /// Reads question `i`'s branch rules; a rule with an error is left out.
    fn branches(
        &mut self,
        questions: &[Question],
        i: usize,
        json: &Value,
        at: &str,
    ) -> Vec<Branch> {
        let at = pointer(at, "branch");
        let items = match json.field("branch") {
            None => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.error(
                    "invalid_branch",
                    at,
                    "branch is an array of {\"when\": …, \"to\": …} rules",
                );
                return Vec::new();
            }
        };
        let Some(question) = questions.get(i) else {
            return Vec::new();
        };
        let mut rules: Vec<Branch> = Vec::new();
        let mut always = false;
        for (j, rule) in items.iter().enumerate() {
            let here = pointer(&at, &index(j));
            if !matches!(rule, Value::Object(_)) {
                self.error(
                    "invalid_branch",
                    here,
                    "a branch rule is an object: {\"when\": …, \"to\": …}",
                );
                continue;
            }
            if always {
                self.warn(
                    "unreachable_branch",
                    here.clone(),
                    "an earlier rule always holds, so this one is never tried",
                );
            }
            let to_at = pointer(&here, "to");
            let to = match rule.str_field("to") {
                None => {
                    self.error(
                        "missing_branch_target",
                        to_at,
                        "a branch rule needs \"to\": a later question's id or \"end\"",
                    );
                    None
                }
                Some("end") => Some(Target::End),
                Some(id) => match questions.iter().position(|q| q.id == id) {
                    Some(k) if k > i => Some(Target::Question(k)),
                    Some(_) => {
                        self.error(
                            "backward_branch",
                            to_at,
                            "a branch may only jump forward, to a later question or \"end\"",
                        );
                        None
                    }
                    None => {
                        self.error("unknown_branch_target", to_at, "no question has this id");
                        None
                    }
                },
            };
            let when = match rule.field("when") {
                None => Some(Vec::new()),
                Some(Value::Object(tests)) => self.tests(question, tests, &pointer(&here, "when")),
                Some(_) => {
                    self.error(
                        "invalid_branch_condition",
                        pointer(&here, "when"),
                        "when is an object of tests: in, eq, lte, gte, answered, skipped",
                    );
                    None
                }
            };
            if let (Some(when), Some(to)) = (when, to) {
                always |= when.is_empty();
                rules.push(Branch { when, to });
            }
        }
        rules
    }

    fn tests(&mut self, question: &Question, tests: &Properties, at: &str) -> Option<Vec<Test>> {
        let mut out = Vec::with_capacity(tests.len());
        let mut ok = true;
        for (name, value) in tests.iter() {
            let here = pointer(at, name);
            let test = match name.as_str() {
                "in" => self.in_test(question, value, &here),
                "eq" | "lte" | "gte" => {
                    let n = question
                        .scale()
                        .and_then(|s| whole(Some(value), f64::from(s.min), f64::from(s.max)));
                    match n {
                        Some(n) => Some(match name.as_str() {
                            "eq" => Test::Eq(n as i32),
                            "lte" => Test::Lte(n as i32),
                            _ => Test::Gte(n as i32),
                        }),
                        None => {
                            self.error(
                                "invalid_branch_condition",
                                here,
                                "eq, lte and gte are for NPS, CES and CSAT questions, with a whole number on the question's scale",
                            );
                            None
                        }
                    }
                }
                "answered" | "skipped" => match value {
                    Value::Bool(b) => {
                        let answered = *b == (name == "answered");
                        if !answered && !question.optional {
                            self.warn(
                                "unreachable_branch",
                                here,
                                "this question is not optional, so it is never skipped",
                            );
                        }
                        Some(Test::Answered(answered))
                    }
                    _ => {
                        self.error(
                            "invalid_branch_condition",
                            here,
                            "answered and skipped take true or false",
                        );
                        None
                    }
                },
                _ => {
                    self.error(
                        "unknown_branch_operator",
                        here,
                        "the tests are in, eq, lte, gte, answered and skipped",
                    );
                    None
                }
            };
            match test {
                Some(test) => out.push(test),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn in_test(&mut self, question: &Question, value: &Value, at: &str) -> Option<Test> {
        let items = match (question.question_type(), value) {
            (QuestionType::Single | QuestionType::Multiple, Value::Array(items))
                if !items.is_empty() =>
            {
                items
            }
            _ => {
                self.error(
                    "invalid_branch_condition",
                    at.to_owned(),
                    "in is for single and multiple choice questions, with a non-empty array of choice ids",
                );
                return None;
            }
        };
        let mut chosen = Vec::with_capacity(items.len());
        for (k, item) in items.iter().enumerate() {
            let found = match item {
                Value::String(id) => question.choices().iter().position(|c| c.id == *id),
                _ => None,
            };
            match found {
                Some(c) => chosen.push(c),
                None => {
                    self.error(
                        "unknown_choice",
                        pointer(at, &index(k)),
                        "this question has no choice with this id",
                    );
                    return None;
                }
            }
        }
        Some(Test::In(chosen))
    }

    /// Reads `labels`, the survey's own words for its controls. An unknown key is a warning
    /// (the built-in words show, and a newer console may add words an older SDK lacks); a
    /// value that is not a text is an error, like any text's.
    fn control_words(&mut self, json: Option<&Value>, at: String) -> ControlWords {
        let mut words = ControlWords::default();
        let Some(json) = json else {
            return words;
        };
        let Value::Object(labels) = json else {
            self.error(
                "invalid_labels",
                at,
                "labels is an object of texts: {\"next\": …, \"submit\": …}",
            );
            return words;
        };
        for (key, value) in labels.iter() {
            let here = pointer(&at, key);
            match ControlWord::ALL.into_iter().find(|w| w.key() == key.as_str()) {
                Some(word) => {
                    if let Some(text) = self.optional_text(value, here) {
                        words.set(word, text);
                    }
                }
                None => self.warn(
                    "unknown_label",
                    here,
                    "labels are close, back, next, submit, skip, required, at_least, at_most, alone and too_long: this one is not used",
                ),
            }
        }
        words
    }

    /// Works out the locales every text has, warning about each locale some text lacks.
    fn locales(&mut self, at: &str) -> Vec<String> {
        let complete = self.texts.offered("survey", self.subject, self.diagnostics);
        if self.texts.is_empty() {
            // No question was read: that error has been reported already.
        } else if complete.is_empty() {
            self.error(
                "no_complete_locale",
                at.to_owned(),
                "no locale has a translation of every text, so the survey could show to no one",
            );
        } else if !complete
            .iter()
            .any(|l| l.eq_ignore_ascii_case(&self.default_locale))
        {
            self.warn(
                "default_locale_not_offered",
                pointer(at, "default_locale"),
                "the default locale is not one every text has: users in other locales are not shown the survey",
            );
        }
        complete
    }
}

impl Survey {
    /// Reads a survey experience's `survey` object, adding a diagnostic (about `id`, at a
    /// pointer under `at`) for each problem. A survey with an error is still returned;
    /// arbitration disables the experience.
    pub fn from_json(
        json: &Value,
        id: &str,
        at: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Survey {
        let at = pointer(at, "survey");
        let mut reader = Reader {
            subject: id,
            default_locale: String::from("en"),
            diagnostics,
            texts: Texts::default(),
        };
        let definition = match json.field("survey") {
            Some(definition @ Value::Object(_)) => definition,
            _ => {
                reader.error(
                    "missing_survey",
                    at,
                    "a survey experience needs a \"survey\" object with its questions",
                );
                return Survey {
                    id: id.to_owned(),
                    default_locale: reader.default_locale,
                    ..Survey::default()
                };
            }
        };
        match definition.field("default_locale") {
            None => {}
            Some(Value::String(tag)) if locale::is_tag(tag) => {
                reader.default_locale = tag.clone();
            }
            Some(_) => reader.error(
                "invalid_locale",
                pointer(&at, "default_locale"),
                "default_locale must be a locale tag such as \"en\" or \"pt-BR\"",
            ),
        }
        let corner = match definition.str_field("position") {
            None if definition.field("position").is_none() => Corner::BottomRight,
            Some("bottom-right") => Corner::BottomRight,
            Some("bottom-left") => Corner::BottomLeft,
            Some("top-right") => Corner::TopRight,
            Some("top-left") => Corner::TopLeft,
            _ => {
                reader.warn(
                    "invalid_position",
                    pointer(&at, "position"),
                    "position is bottom-right, bottom-left, top-right or top-left; bottom-right is used",
                );
                Corner::BottomRight
            }
        };
        let layout = match definition.str_field("layout") {
            None if definition.field("layout").is_none() => Layout::Popover(corner),
            Some("popover") => Layout::Popover(corner),
            Some("modal") => Layout::Modal,
            _ => {
                reader.warn(
                    "invalid_layout",
                    pointer(&at, "layout"),
                    "layout is \"popover\" or \"modal\"; a popover is used",
                );
                Layout::Popover(corner)
            }
        };
        let theme = Theme::read(definition, id, &at, reader.diagnostics);

        let questions_at = pointer(&at, "questions");
        let items = match definition.array_field("questions") {
            Some(items) if !items.is_empty() => items,
            _ => {
                reader.error(
                    "no_questions",
                    questions_at.clone(),
                    "a survey needs a non-empty questions array",
                );
                &[]
            }
        };
        let mut questions: Vec<Question> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let question = reader.question(item, &pointer(&questions_at, &index(i)), &questions);
            questions.push(question);
        }
        let mut branches = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            branches.push(reader.branches(&questions, i, item, &pointer(&questions_at, &index(i))));
        }
        for (question, branch) in questions.iter_mut().zip(branches) {
            question.branch = branch;
        }
        let mut reachable = vec![false; questions.len()];
        if let Some(first) = reachable.first_mut() {
            *first = true;
        }
        for i in 0..questions.len() {
            if reachable.get(i) != Some(&true) {
                reader.warn(
                    "unreachable_question",
                    pointer(&questions_at, &index(i)),
                    "no branch leads to this question, so it is never asked",
                );
                continue;
            }
            for target in successors(&questions, i) {
                if let Target::Question(j) = target {
                    if let Some(slot) = reachable.get_mut(j) {
                        *slot = true;
                    }
                }
            }
        }

        let thank_you = definition
            .field("thank_you")
            .and_then(|t| reader.optional_text(t, pointer(&at, "thank_you")));
        let auto_close_ms = match definition.field("auto_close_ms") {
            None => DEFAULT_AUTO_CLOSE_MS,
            given => match whole(given, 0.0, f64::from(u32::MAX)) {
                Some(ms) => ms as u32,
                None => {
                    reader.warn(
                        "invalid_auto_close",
                        pointer(&at, "auto_close_ms"),
                        "auto_close_ms is a whole number of milliseconds (0 keeps the thank-you open); the default is used",
                    );
                    DEFAULT_AUTO_CLOSE_MS
                }
            },
        };
        let labels = reader.control_words(definition.field("labels"), pointer(&at, "labels"));
        let locales = reader.locales(&at);
        Survey {
            id: id.to_owned(),
            default_locale: reader.default_locale,
            locales,
            layout,
            theme,
            thank_you,
            auto_close_ms,
            labels,
            remaining: remaining(&questions),
            questions,
        }
    }
}
