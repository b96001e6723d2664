//! The controls' built-in words, in the survey's locale when we have it, else English. The
//! questions' own texts come from the definition.

/// The words of one language.
#[derive(Debug)]
pub struct Words {
    /// The close button's accessible name.
    pub close: &'static str,
    pub back: &'static str,
    pub next: &'static str,
    pub submit: &'static str,
    pub skip: &'static str,
    /// A required question left unanswered.
    pub required: &'static str,
    /// Before the fewest choices allowed.
    pub at_least: &'static str,
    /// Before the most choices allowed.
    pub at_most: &'static str,
    /// An exclusive choice with others.
    pub alone: &'static str,
    /// Before the most characters allowed.
    pub too_long: &'static str,
}

const EN: Words = Words {
    close: "Close survey",
    back: "Back",
    next: "Next",
    submit: "Submit",
    skip: "Skip",
    required: "Please answer this question.",
    at_least: "Choose at least ",
    at_most: "Choose at most ",
    alone: "This choice cannot be combined with others.",
    too_long: "Characters allowed: ",
};

const FR: Words = Words {
    close: "Fermer le questionnaire",
    back: "Retour",
    next: "Suivant",
    submit: "Envoyer",
    skip: "Passer",
    required: "Veuillez répondre à cette question.",
    at_least: "Choisissez-en au moins ",
    at_most: "Choisissez-en au plus ",
    alone: "Ce choix ne se combine pas avec d'autres.",
    too_long: "Caractères autorisés : ",
};

const DE: Words = Words {
    close: "Umfrage schließen",
    back: "Zurück",
    next: "Weiter",
    submit: "Senden",
    skip: "Überspringen",
    required: "Bitte beantworten Sie diese Frage.",
    at_least: "Wählen Sie mindestens ",
    at_most: "Wählen Sie höchstens ",
    alone: "Diese Antwort ist nur allein wählbar.",
    too_long: "Erlaubte Zeichen: ",
};

const ES: Words = Words {
    close: "Cerrar la encuesta",
    back: "Atrás",
    next: "Siguiente",
    submit: "Enviar",
    skip: "Omitir",
    required: "Responda a esta pregunta, por favor.",
    at_least: "Elija al menos ",
    at_most: "Elija como máximo ",
    alone: "Esta opción no se puede combinar con otras.",
    too_long: "Caracteres permitidos: ",
};

/// The words for a locale tag (`fr-CA` gets French).
pub fn for_locale(locale: &str) -> &'static Words {
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
