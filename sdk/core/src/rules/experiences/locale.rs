//! Text in several languages, and which language a user gets.
//!
//! A tour's or survey's text is written either as a plain string, which is the text in the
//! experience's default locale, or as an object of translations keyed by BCP 47 tag:
//! `{"en": "How likely…", "fr": "Quelle est la probabilité…"}`.
//!
//! A user gets, in order: the translation for their exact locale (`fr-CA`), else one for its
//! language (`fr`), else the experience's default locale. An experience offers only the
//! locales it is complete in (every text has that translation), so a user is never shown a
//! mix of languages; when none of the three fits, the experience is skipped for that user.

use crate::rules::{pointer, Diagnostic, Severity};
use crate::value::Value;

/// One text in one or more locales.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Localized {
    /// `(locale, text)`, in the order written; locales are compared case-insensitively.
    entries: Vec<(String, String)>,
}

impl Localized {
    /// A text in one locale.
    #[must_use]
    pub fn one(locale: &str, text: &str) -> Localized {
        Localized {
            entries: vec![(locale.to_owned(), text.to_owned())],
        }
    }

    /// Reads a text at `at`: a string (the `default_locale` text) or an object of
    /// translations. Anything else, an empty object, or a translation that is not a string is
    /// an `invalid_text` error, reported against `subject`; `None` then.
    pub fn read(
        json: &Value,
        default_locale: &str,
        subject: &str,
        at: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Localized> {
        let mut problem = |at: String, message: &str| {
            diagnostics.push(Diagnostic {
                severity: Severity::Error,
                code: "invalid_text",
                subject: subject.to_owned(),
                pointer: at,
                message: crate::rules::message(message),
            });
        };
        match json {
            Value::String(text) => Some(Localized::one(default_locale, text)),
            Value::Object(map) if !map.is_empty() => {
                let mut entries = Vec::with_capacity(map.len());
                for (locale, text) in map.iter() {
                    match text {
                        Value::String(text) if is_tag(locale) => {
                            entries.push((locale.clone(), text.clone()));
                        }
                        Value::String(_) => {
                            problem(
                                pointer(at, locale),
                                "a translation's key must be a locale tag such as \"en\" or \"pt-BR\"",
                            );
                            return None;
                        }
                        _ => {
                            problem(pointer(at, locale), "a translation must be a string");
                            return None;
                        }
                    }
                }
                Some(Localized { entries })
            }
            _ => {
                problem(
                    at.to_owned(),
                    "a text must be a string or an object of translations ({\"en\": \"…\"})",
                );
                None
            }
        }
    }

    /// The text in `locale` (matched case-insensitively), if it has that translation.
    #[must_use]
    pub fn get(&self, locale: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(locale))
            .map(|(_, t)| t.as_str())
    }

    /// The locales it has, in the order written.
    pub fn locales(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(l, _)| l.as_str())
    }
}

/// Whether `tag` looks like a BCP 47 tag: ASCII letters, digits and hyphens, starting with
/// a letter, at most 35 bytes.
#[must_use]
pub fn is_tag(tag: &str) -> bool {
    tag.len() <= 35
        && tag.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !tag.ends_with('-')
}

/// The locales every one of `texts` has: those of the first text that all the others have
/// too, in the first text's order.
#[must_use]
pub fn complete_locales<'a>(texts: impl IntoIterator<Item = &'a Localized>) -> Vec<String> {
    let mut texts = texts.into_iter();
    let Some(first) = texts.next() else {
        return Vec::new();
    };
    let mut complete: Vec<String> = first.locales().map(str::to_owned).collect();
    for text in texts {
        complete.retain(|l| text.get(l).is_some());
    }
    complete
}

/// An experience's texts, each with its JSON pointer, gathered as its reader meets them: for
/// the locales the experience can be offered in.
#[derive(Debug, Default)]
pub struct Texts(Vec<(String, Localized)>);

impl Texts {
    /// Adds a text read at `at`.
    pub fn add(&mut self, at: String, text: &Localized) {
        self.0.push((at, text.clone()));
    }

    /// Whether no text was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The locales every text has ([`complete_locales`]). Each locale that some texts have
    /// but not all is not offered, and is an `incomplete_locale` warning (once, at the first
    /// text lacking it) against `subject`; `what` names the experience in the message
    /// (`survey`, `tour`).
    pub fn offered(
        &self,
        what: &str,
        subject: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<String> {
        let complete = complete_locales(self.0.iter().map(|(_, t)| t));
        let mut warned: Vec<&str> = Vec::new();
        for tag in self.0.iter().flat_map(|(_, text)| text.locales()) {
            if complete.iter().any(|l| l.eq_ignore_ascii_case(tag))
                || warned.iter().any(|l| l.eq_ignore_ascii_case(tag))
            {
                continue;
            }
            warned.push(tag);
            let Some((lacking, _)) = self.0.iter().find(|(_, t)| t.get(tag).is_none()) else {
                continue;
            };
            let mut message = String::from("this text has no \"");
            message.push_str(tag);
            message.push_str("\" translation, so the ");
            message.push_str(what);
            message.push_str(" is not offered in ");
            message.push_str(tag);
            diagnostics.push(Diagnostic {
                severity: Severity::Warning,
                code: "incomplete_locale",
                subject: subject.to_owned(),
                pointer: lacking.clone(),
                message,
            });
        }
        complete
    }
}

/// The locale a user gets from `available`: their exact locale, else its language, else
/// `default`; `None` when none of them is available. Matching ignores ASCII case and treats
/// `_` as `-` (`pt_BR` is `pt-BR`).
#[must_use]
pub fn choose<'a>(available: &'a [String], default: &str, user: Option<&str>) -> Option<&'a str> {
    let find = |wanted: &str| {
        available.iter().find(|l| {
            l.len() == wanted.len()
                && l.bytes()
                    .zip(wanted.bytes())
                    .all(|(a, b)| a.eq_ignore_ascii_case(&if b == b'_' { b'-' } else { b }))
        })
    };
    if let Some(user) = user.filter(|u| !u.is_empty()) {
        if let Some(exact) = find(user) {
            return Some(exact);
        }
        let language = user.split(['-', '_']).next().unwrap_or(user);
        if let Some(found) = find(language) {
            return Some(found);
        }
    }
    find(default).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(json: &str) -> (Option<Localized>, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let value: Value = serde_json::from_str(json).unwrap();
        let text = Localized::read(&value, "en", "nps", "/q/0/text", &mut diagnostics);
        (text, diagnostics)
    }

    #[test]
    fn a_plain_string_is_the_default_locale_and_an_object_holds_translations() {
        let (plain, _) = text(r#""How likely?""#);
        assert_eq!(plain.unwrap().get("EN"), Some("How likely?"));
        let (both, _) = text(r#"{"en": "Hi", "fr-CA": "Salut"}"#);
        let both = both.unwrap();
        assert_eq!((both.get("fr-ca"), both.get("de")), (Some("Salut"), None));
    }

    #[test]
    fn a_text_that_is_neither_says_where_and_what_is_wrong() {
        for (json, at) in [
            ("3", "/q/0/text"),
            ("{}", "/q/0/text"),
            (r#"{"en": 1}"#, "/q/0/text/en"),
            (r#"{"not a tag": "x"}"#, "/q/0/text/not a tag"),
        ] {
            let (read, diagnostics) = text(json);
            assert_eq!(read, None, "{json}");
            assert_eq!(diagnostics.len(), 1, "{json}");
            assert_eq!(
                (diagnostics[0].code, diagnostics[0].pointer.as_str()),
                ("invalid_text", at)
            );
        }
    }

    #[test]
    fn only_locales_every_text_has_are_offered() {
        let a = Localized::read(
            &serde_json::from_str(r#"{"en": "a", "fr": "a", "de": "a"}"#).unwrap(),
            "en",
            "",
            "",
            &mut Vec::new(),
        )
        .unwrap();
        let b = Localized::read(
            &serde_json::from_str(r#"{"de": "b", "en": "b"}"#).unwrap(),
            "en",
            "",
            "",
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(complete_locales([&a, &b]), ["en", "de"]);
    }

    #[test]
    fn a_user_gets_their_locale_then_their_language_then_the_default_else_nothing() {
        let available = ["en".to_owned(), "fr".to_owned(), "pt-BR".to_owned()];
        let check = |user: Option<&str>, default: &str| choose(&available, default, user);
        assert_eq!(check(Some("pt_br"), "en"), Some("pt-BR"));
        assert_eq!(check(Some("fr-CA"), "en"), Some("fr"));
        assert_eq!(check(Some("de-DE"), "en"), Some("en"));
        assert_eq!(check(None, "en"), Some("en"));
        assert_eq!(
            check(Some("de"), "es"),
            None,
            "no translation and no default"
        );
    }
}
