//! Running a tour: a user's progress through its steps across pages, reloads and tabs,
//! and what each step shows.

use super::*;
use crate::protocol::tour as events;
use crate::rules::arbitration::UrlPattern;
use crate::rules::js;
use crate::rules::json::Fields;
use crate::rules::locale::{self, Localized};
use crate::rules::markdown::Document;
use crate::time::Millis;
use crate::value::{Properties, Value};

/// An event to record: its name and properties, exactly as [`crate::protocol::tour`]
/// describes them.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The event name.
    pub name: &'static str,
    /// Its properties.
    pub properties: Properties,
}

/// Where a user is in a tour; stored per user and tour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The tour's id.
    pub tour: String,
    /// The current step's index.
    pub step: usize,
    /// The current step's id.
    pub step_id: String,
    /// When the tour started.
    pub started_at: Millis,
    /// When the progress last changed.
    pub updated_at: Millis,
    /// The tour's fingerprint when the progress last changed.
    pub fingerprint: u32,
}

/// The stored format's version; anything else reads as unreadable.
pub(super) const PROGRESS_FORMAT: f64 = 1.0;

impl Progress {
    /// Progress untouched this long is forgotten: 30 days.
    pub const EXPIRES_AFTER: Millis = Millis(30 * 86_400_000);

    /// The JSON to store: `{"v": 1, "tour", "step", "step_id", "started_at", "updated_at",
    /// "fingerprint"}`, times in milliseconds since the epoch.
    #[must_use]
    pub fn to_json(&self) -> Value {
        Value::Object(Properties::from([
            ("v", Value::Number(PROGRESS_FORMAT)),
            ("tour", Value::from(self.tour.as_str())),
            ("step", Value::Number(self.step as f64)),
            ("step_id", Value::from(self.step_id.as_str())),
            ("started_at", Value::Number(self.started_at.0 as f64)),
            ("updated_at", Value::Number(self.updated_at.0 as f64)),
            ("fingerprint", Value::Number(f64::from(self.fingerprint))),
        ]))
    }

    /// Reads stored progress; `None` if anything in it is missing or malformed.
    #[must_use]
    pub fn from_json(json: &Value) -> Option<Progress> {
        let whole = |name: &str, max: f64| {
            json.num_field(name)
                .filter(|n| n.fract() == 0.0 && (0.0..=max).contains(n))
        };
        if json.num_field("v") != Some(PROGRESS_FORMAT) {
            return None;
        }
        // 2^53: the largest whole number a JavaScript number holds exactly.
        const TIME: f64 = 9_007_199_254_740_992.0;
        Some(Progress {
            tour: json.text_field("tour")?,
            step: whole("step", 1e6)? as usize,
            step_id: json.text_field("step_id")?,
            started_at: Millis(whole("started_at", TIME)? as u64),
            updated_at: Millis(whole("updated_at", TIME)? as u64),
            fingerprint: whole("fingerprint", f64::from(u32::MAX))? as u32,
        })
    }
}

/// What stored progress means for a tour now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Carry on with this progress (store it: it may have been mapped).
    Continue {
        /// The progress, on the current definition.
        progress: Progress,
        /// The tour changed, and the step was found again by its id.
        mapped: bool,
    },
    /// There is no usable progress: delete what is stored; if the tour shows again, it
    /// starts from its first step.
    StartOver(StartOver),
}

/// Why stored progress cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartOver {
    /// Nothing is stored: the tour was not started, or it ended.
    NothingStored,
    /// It is not progress this version can read.
    Unreadable,
    /// It belongs to another tour.
    OtherTour,
    /// It was untouched for [`Progress::EXPIRES_AFTER`].
    Expired,
    /// The tour changed and no longer has the step.
    StepRemoved,
}

/// What to do with a tour on the current page.
#[derive(Clone, Debug, PartialEq)]
pub enum Now<'a> {
    /// Show this step: look for its target (for up to [`Step::wait`]), then record
    /// [`Tour::viewed`].
    Show(View<'a>),
    /// The step belongs to another page: show nothing and wait for a navigation to one
    /// matching `url`.
    WaitForPage {
        /// The step's index.
        step: usize,
        /// Its page.
        url: &'a UrlPattern,
    },
    /// The tour has no text for this user's locale: skip it, recording nothing.
    NoLocale,
    /// The progress is past the last step: the tour is over.
    Finished,
}

/// A step ready to show, in the user's locale.
#[derive(Clone, Debug, PartialEq)]
pub struct View<'a> {
    /// The tour.
    pub tour: &'a Tour,
    /// The step's index.
    pub index: usize,
    /// The step.
    pub step: &'a Step,
    /// The locale to show it in.
    pub locale: &'a str,
    /// The live-region text, such as `Step 2 of 5`.
    pub live: String,
}

impl View<'_> {
    /// The title, if the step has one.
    #[must_use]
    pub fn title(&self) -> Option<&str> {
        self.step
            .title
            .as_ref()
            .map(|t| self.tour.text(t, self.locale))
    }

    /// The body, parsed by its format, if the step has one.
    #[must_use]
    pub fn body(&self) -> Option<Document> {
        let body = self.step.body.as_ref()?;
        let text = self.tour.text(body, self.locale);
        Some(match self.step.format {
            Format::Markdown => Document::parse(text),
            Format::Plain => Document::plain(text),
        })
    }

    /// A button's label.
    #[must_use]
    pub fn button_label<'b>(&'b self, button: &'b Button) -> &'b str {
        match button {
            Button::Back => self.tour.label(Label::Back, self.locale),
            Button::Next => self.tour.label(Label::Next, self.locale),
            Button::Skip => self.tour.label(Label::Skip, self.locale),
            Button::Done => self.tour.label(Label::Done, self.locale),
            Button::Cta(cta) => self.tour.text(&cta.label, self.locale),
        }
    }

    /// The close button's accessible name.
    #[must_use]
    pub fn close_label(&self) -> &str {
        self.tour.label(Label::Close, self.locale)
    }

    /// Whether this is the last step.
    #[must_use]
    pub fn last(&self) -> bool {
        self.index.saturating_add(1) >= self.tour.steps.len()
    }
}

/// The result of a move through a tour: what comes next, and the events to record.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// What comes next.
    pub then: Then,
    /// Events to record, in order.
    pub records: Vec<Record>,
}

impl Update {
    /// The progress to store; `None` when the tour ended (delete what is stored).
    #[must_use]
    pub fn progress(&self) -> Option<&Progress> {
        match &self.then {
            Then::Continue(progress) | Then::ShowCentered(progress) => Some(progress),
            Then::Ended(_) => None,
        }
    }
}

/// What comes after a move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Then {
    /// Store the progress and ask [`Tour::now`] what to show.
    Continue(Progress),
    /// Store the progress and show the current step centered, without its target (its
    /// target went missing and its fallback is `center`); then record [`Tour::viewed`] with
    /// [`Strategy::None`].
    ShowCentered(Progress),
    /// The tour is over: delete the stored progress and record the ending in the profile.
    Ended(Ending),
}

/// How a tour ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The last step was completed.
    Completed,
    /// It ended early.
    Dismissed(Reason),
}

impl Tour {
    /// The locale a user gets: theirs, else their language, else the default, among the
    /// locales every text has; `None` when there is none of those (skip the tour).
    #[must_use]
    pub fn locale_for(&self, user_locale: Option<&str>) -> Option<&str> {
        locale::choose(&self.locales, &self.default_locale, user_locale)
    }

    /// A text in `locale`, else in the default locale.
    #[must_use]
    pub fn text<'a>(&self, text: &'a Localized, locale: &str) -> &'a str {
        text.get(locale)
            .or_else(|| text.get(&self.default_locale))
            .unwrap_or_default()
    }

    /// A built-in control's words in `locale`.
    #[must_use]
    pub fn label(&self, label: Label, locale: &str) -> &str {
        if let Some(text) = self.labels.get(label) {
            if let Some(found) = text.get(locale).or_else(|| text.get(&self.default_locale)) {
                return found;
            }
        }
        if label == Label::Step && !english(locale) {
            return "{n} / {total}";
        }
        LABELS
            .iter()
            .find(|(l, _, _)| *l == label)
            .map_or("", |(_, _, english)| english)
    }

    /// The live-region text for step `index` (from 0): `Step 2 of 5`.
    #[must_use]
    pub fn live_text(&self, index: usize, locale: &str) -> String {
        let n = js::number_to_string(index as f64 + 1.0);
        let total = js::number_to_string(self.steps.len() as f64);
        self.label(Label::Step, locale)
            .replace("{n}", &n)
            .replace("{total}", &total)
    }

    /// Starts the tour at its first step, recording `$tour_started`.
    #[must_use]
    pub fn start(&self, now: Millis) -> Update {
        Update {
            then: Then::Continue(self.at(0, now, now)),
            records: vec![self.record(events::STARTED, None, &[])],
        }
    }

    /// What the progress stored for this tour (`None` when nothing is) means at `now`.
    #[must_use]
    pub fn resume(&self, stored: Option<&Value>, now: Millis) -> Resume {
        let Some(stored) = stored else {
            return Resume::StartOver(StartOver::NothingStored);
        };
        let Some(progress) = Progress::from_json(stored) else {
            return Resume::StartOver(StartOver::Unreadable);
        };
        if progress.tour != self.id {
            return Resume::StartOver(StartOver::OtherTour);
        }
        if now.since(progress.updated_at) > Progress::EXPIRES_AFTER {
            return Resume::StartOver(StartOver::Expired);
        }
        let same = progress.fingerprint == self.fingerprint
            && self
                .steps
                .get(progress.step)
                .is_some_and(|s| s.id == progress.step_id);
        if same {
            return Resume::Continue {
                progress,
                mapped: false,
            };
        }
        match self.steps.iter().position(|s| s.id == progress.step_id) {
            Some(step) => Resume::Continue {
                progress: Progress {
                    step,
                    fingerprint: self.fingerprint,
                    ..progress
                },
                mapped: true,
            },
            None => Resume::StartOver(StartOver::StepRemoved),
        }
    }

    /// What to do on the page at `url` for a user whose locale is `user_locale`.
    #[must_use]
    pub fn now(&self, progress: &Progress, url: &str, user_locale: Option<&str>) -> Now<'_> {
        let Some(locale) = self.locale_for(user_locale) else {
            return Now::NoLocale;
        };
        let Some(step) = self.steps.get(progress.step) else {
            return Now::Finished;
        };
        if let Some(pattern) = &step.url {
            if !pattern.matches(url) {
                return Now::WaitForPage {
                    step: progress.step,
                    url: pattern,
                };
            }
        }
        Now::Show(View {
            tour: self,
            index: progress.step,
            step,
            locale,
            live: self.live_text(progress.step, locale),
        })
    }

    /// The current step's target has a selector the browser refuses, for `strategy`
    /// (`selector` or `frame`): the `$step_target_invalid` record.
    #[must_use]
    pub fn target_invalid(&self, progress: &Progress, strategy: &'static str) -> Record {
        self.record(
            events::STEP_TARGET_INVALID,
            Some(progress),
            &[("strategy", Value::from(strategy))],
        )
    }

    /// The current step is on screen, its target found by `strategy`: records
    /// `$step_viewed`.
    #[must_use]
    pub fn viewed(&self, progress: &Progress, strategy: Strategy, now: Millis) -> Update {
        Update {
            then: Then::Continue(self.at(progress.step, progress.started_at, now)),
            records: vec![self.record(
                events::STEP_VIEWED,
                Some(progress),
                &[("strategy", Value::from(strategy.name()))],
            )],
        }
    }

    /// The current step was completed `via` a button, click, event or route: records
    /// `$step_completed`, and `$tour_completed` after the last step.
    #[must_use]
    pub fn advance(&self, progress: &Progress, via: Via, now: Millis) -> Update {
        let mut records = vec![self.record(
            events::STEP_COMPLETED,
            Some(progress),
            &[("via", Value::from(via.name()))],
        )];
        let next = progress.step.saturating_add(1);
        if next >= self.steps.len() {
            records.push(self.record(events::COMPLETED, None, &[]));
            return Update {
                then: Then::Ended(Ending::Completed),
                records,
            };
        }
        Update {
            then: Then::Continue(self.at(next, progress.started_at, now)),
            records,
        }
    }

    /// Back to the previous step (the first stays the first). Records nothing: the
    /// protocol has no event for it.
    #[must_use]
    pub fn back(&self, progress: &Progress, now: Millis) -> Update {
        Update {
            then: Then::Continue(self.at(
                progress.step.saturating_sub(1),
                progress.started_at,
                now,
            )),
            records: Vec::new(),
        }
    }

    /// The user ended the tour: records `$tour_dismissed` with `reason`.
    #[must_use]
    pub fn dismiss(&self, progress: &Progress, reason: Reason) -> Update {
        Update {
            then: Then::Ended(Ending::Dismissed(reason)),
            records: vec![self.dismissed(progress, reason)],
        }
    }

    /// The current step's target did not appear within `waited` (its [`Step::wait`]):
    /// records `$step_target_missing` and applies the step's fallback: the next step, the
    /// same step centered, or the end of the tour (`$tour_dismissed`, reason
    /// `target_missing`). Skipping the last step ends the tour the same way.
    #[must_use]
    pub fn target_missing(&self, progress: &Progress, waited: Millis, now: Millis) -> Update {
        let fallback = self
            .steps
            .get(progress.step)
            .map_or(Fallback::End, |s| s.fallback);
        let mut records = vec![self.record(
            events::STEP_TARGET_MISSING,
            Some(progress),
            &[
                ("waited_ms", Value::Number(waited.0 as f64)),
                ("fallback", Value::from(fallback.name())),
            ],
        )];
        let next = progress.step.saturating_add(1);
        let then = match fallback {
            Fallback::Center => {
                Then::ShowCentered(self.at(progress.step, progress.started_at, now))
            }
            Fallback::Skip if next < self.steps.len() => {
                Then::Continue(self.at(next, progress.started_at, now))
            }
            Fallback::Skip | Fallback::End => {
                records.push(self.dismissed(progress, Reason::TargetMissing));
                Then::Ended(Ending::Dismissed(Reason::TargetMissing))
            }
        };
        Update { then, records }
    }

    /// Progress at step `index`.
    fn at(&self, index: usize, started_at: Millis, now: Millis) -> Progress {
        Progress {
            tour: self.id.clone(),
            step: index,
            step_id: self
                .steps
                .get(index)
                .map(|s| s.id.clone())
                .unwrap_or_default(),
            started_at,
            updated_at: now,
            fingerprint: self.fingerprint,
        }
    }

    fn dismissed(&self, progress: &Progress, reason: Reason) -> Record {
        self.record(
            events::DISMISSED,
            Some(progress),
            &[("reason", Value::from(reason.name()))],
        )
    }

    /// An event with `tour`, then (for step events) `step` and `step_id`, then `extra`.
    fn record(
        &self,
        name: &'static str,
        step: Option<&Progress>,
        extra: &[(&str, Value)],
    ) -> Record {
        let mut properties = Properties::with_capacity(3 + extra.len());
        properties.insert("tour".to_owned(), Value::from(self.id.as_str()));
        if let Some(progress) = step {
            let step_id = self
                .steps
                .get(progress.step)
                .map_or(progress.step_id.as_str(), |s| s.id.as_str());
            properties.insert("step".to_owned(), Value::Number(progress.step as f64));
            properties.insert("step_id".to_owned(), Value::from(step_id));
        }
        for (key, value) in extra {
            properties.insert((*key).to_owned(), value.clone());
        }
        Record { name, properties }
    }
}
