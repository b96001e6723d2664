//! The controls' words: the survey's own (`labels`) where it gives them, else the built-in
//! words of the locale shown when we have them (en, fr, de, es), else English. The
//! questions' texts come from the definition.

use waymark_core::rules::survey::{ControlWord, Run};

/// The built-in words of one language. In `at_least`, `at_most` and `too_long`, `{n}` is the
/// number.
#[derive(Debug)]
struct Words {
    /// The close button's accessible name.
    close: &'static str,
    back: &'static str,
    next: &'static str,
    submit: &'static str,
    skip: &'static str,
    /// A required question left unanswered.
    required: &'static str,
    /// The fewest choices allowed.
    at_least: &'static str,
    /// The most choices allowed.
    at_most: &'static str,
    /// An exclusive choice with others.
    alone: &'static str,
    /// The most characters allowed.
    too_long: &'static str,
}

impl Words {
    fn get(&self, word: ControlWord) -> &'static str {
        match word {
            ControlWord::Close => self.close,
            ControlWord::Back => self.back,
            ControlWord::Next => self.next,
            ControlWord::Submit => self.submit,
            ControlWord::Skip => self.skip,
            ControlWord::Required => self.required,
            ControlWord::AtLeast => self.at_least,
            ControlWord::AtMost => self.at_most,
            ControlWord::Alone => self.alone,
            ControlWord::TooLong => self.too_long,
        }
    }
}

const EN: Words = Words {
    close: "Close survey",
    back: "Back",
    next: "Next",
    submit: "Submit",
    skip: "Skip",
    required: "Please answer this question.",
    at_least: "Choose at least {n}",
    at_most: "Choose at most {n}",
    alone: "This choice cannot be combined with others.",
    too_long: "Characters allowed: {n}",
};

const FR: Words = Words {
    close: "Fermer le questionnaire",
    back: "Retour",
    next: "Suivant",
    submit: "Envoyer",
    skip: "Passer",
    required: "Veuillez répondre à cette question.",
    at_least: "Choisissez-en au moins {n}",
    at_most: "Choisissez-en au plus {n}",
    alone: "Ce choix ne se combine pas avec d'autres.",
    too_long: "Caractères autorisés : {n}",
};

const DE: Words = Words {
    close: "Umfrage schließen",
    back: "Zurück",
    next: "Weiter",
    submit: "Senden",
    skip: "Überspringen",
    required: "Bitte beantworten Sie diese Frage.",
    at_least: "Wählen Sie mindestens {n}",
    at_most: "Wählen Sie höchstens {n}",
    alone: "Diese Antwort ist nur allein wählbar.",
    too_long: "Erlaubte Zeichen: {n}",
};

const ES: Words = Words {
    close: "Cerrar la encuesta",
    back: "Atrás",
    next: "Siguiente",
    submit: "Enviar",
    skip: "Omitir",
    required: "Responda a esta pregunta, por favor.",
    at_least: "Elija al menos {n}",
    at_most: "Elija como máximo {n}",
    alone: "Esta opción no se puede combinar con otras.",
    too_long: "Caracteres permitidos: {n}",
};

/// The word for `word` in the run's locale: the survey's own, else the built-in one.
pub fn word(run: &Run, word: ControlWord) -> &str {
    run.label(word)
        .unwrap_or_else(|| for_locale(run.locale()).get(word))
}

/// The built-in words for a locale tag (`fr-CA` gets French).
fn for_locale(locale: &str) -> &'static Words {
    let language = locale.split(['-', '_']).next().unwrap_or("");
    if language.eq_ignore_ascii_case("fr") {
        &FR
    } else if language.eq_ignore_ascii_case("de") {
        &DE
    } else if language.eq_ignore_ascii_case("es") {
        &ES
    } else {
        &EN
    }
}
