//! A tour's or survey's theme: colours, corner radius and font, from the configuration,
//! turned into CSS custom properties on the shadow host.
//!
//! ```json
//! "theme": {"accent": "#4f46e5", "background": "#ffffff", "text": "rgb(17 24 39)",
//!           "radius": 12, "font": "Inter, system-ui, sans-serif"}
//! ```
//!
//! Values reach a stylesheet, so each is checked against a strict shape before it is kept:
//! a colour is a hex colour, an `rgb()`/`hsl()` form of numbers, or a colour keyword; a font
//! is family names of letters, digits, spaces, hyphens and quotes. Nothing else (no `;`, `{`,
//! `}`, `\`, `url(`) can pass, so a theme cannot break out of its declaration. A value that
//! does not pass is an `invalid_theme` warning and the default is used.

use crate::rules::json::Fields;
use crate::rules::{pointer, Diagnostic, Severity};
use crate::value::Value;

/// One themable property: its configuration key, its CSS custom property, and its kind.
const PROPERTIES: [(&str, &str, Kind); 6] = [
    ("accent", "--waymark-accent", Kind::Colour),
    ("accent_text", "--waymark-accent-text", Kind::Colour),
    ("background", "--waymark-background", Kind::Colour),
    ("text", "--waymark-text", Kind::Colour),
    ("radius", "--waymark-radius", Kind::Pixels),
    ("font", "--waymark-font", Kind::Font),
];

#[derive(Clone, Copy)]
enum Kind {
    Colour,
    Pixels,
    Font,
}

/// Checked CSS custom properties, `(name, value)`, in a fixed order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Theme {
    /// The properties set; the stylesheet's defaults hold for the others.
    pub properties: Vec<(&'static str, String)>,
}

impl Theme {
    /// Reads the `theme` object of the JSON at `at` (absent: no overrides). Values that do not
    /// pass their check are `invalid_theme` warnings, reported against `subject`.
    pub fn read(json: &Value, subject: &str, at: &str, diagnostics: &mut Vec<Diagnostic>) -> Theme {
        let mut theme = Theme::default();
        let Some(object) = json.field("theme") else {
            return theme;
        };
        let at = pointer(at, "theme");
        let mut warn = |at: String, message: &str| {
            diagnostics.push(Diagnostic {
                severity: Severity::Warning,
                code: "invalid_theme",
                subject: subject.to_owned(),
                pointer: at,
                message: crate::rules::message(message),
            });
        };
        let Value::Object(map) = object else {
            warn(at, "theme must be an object; the default theme is used");
            return theme;
        };
        for (key, value) in map.iter() {
            let Some((_, property, kind)) = PROPERTIES.iter().find(|(k, _, _)| k == key) else {
                warn(
                    pointer(&at, key),
                    "unknown theme key: the keys are accent, accent_text, background, text, radius and font",
                );
                continue;
            };
            let checked = match (kind, value) {
                (Kind::Colour, Value::String(s)) if is_colour(s) => Some(s.trim().to_owned()),
                (Kind::Pixels, Value::Number(n)) if (0.0..=64.0).contains(n) => Some(pixels(*n)),
                (Kind::Font, Value::String(s)) if is_font(s) => Some(s.trim().to_owned()),
                _ => None,
            };
            match checked {
                Some(css) => theme.properties.push((property, css)),
                None => warn(
                    pointer(&at, key),
                    match kind {
                        Kind::Colour => "not a colour: use #rgb, #rrggbb, rgb(), hsl() or a colour name",
                        Kind::Pixels => "radius must be a number of pixels from 0 to 64",
                        Kind::Font => "a font must be family names (letters, digits, spaces, hyphens, quotes, commas)",
                    },
                ),
            }
        }
        theme
    }

    /// The declarations as CSS text, `--waymark-accent:#4f46e5;…`.
    #[must_use]
    pub fn declarations(&self) -> String {
        let mut css = String::new();
        for (name, value) in &self.properties {
            css.push_str(name);
            css.push(':');
            css.push_str(value);
            css.push(';');
        }
        css
    }
}

fn pixels(n: f64) -> String {
    // Whole pixels are enough for a radius, and keep float formatting out of the wasm.
    let mut out = (n.round() as u32).to_string();
    out.push_str("px");
    out
}

fn is_colour(s: &str) -> bool {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#') {
        return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(open) = s.find('(') {
        let function = &s[..open];
        let Some(arguments) = s[open + 1..].strip_suffix(')') else {
            return false;
        };
        return matches!(
            function.to_ascii_lowercase().as_str(),
            "rgb" | "rgba" | "hsl" | "hsla"
        ) && !arguments.trim().is_empty()
            && arguments.bytes().all(|b| {
                b.is_ascii_digit() || b" .,%/-".contains(&b) || b == b'd' || b == b'e' || b == b'g'
            });
    }
    (3..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_font(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.len() <= 200
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" ,-'\"".contains(&b))
        && s.bytes().filter(|&b| b == b'"').count() % 2 == 0
        && s.bytes().filter(|&b| b == b'\'').count() % 2 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(json: &str) -> (Theme, Vec<&'static str>) {
        let mut diagnostics = Vec::new();
        let value: Value = serde_json::from_str(json).unwrap();
        let theme = Theme::read(&value, "tour", "/experiences/0", &mut diagnostics);
        (theme, diagnostics.iter().map(|d| d.code).collect())
    }

    #[test]
    fn a_theme_becomes_custom_properties() {
        let (theme, problems) = theme(
            r##"{"theme": {"accent": "#4F46E5", "text": "rgb(17 24 39 / 90%)", "background": "white",
                           "radius": 12.4, "font": "\"Inter\", system-ui, sans-serif"}}"##,
        );
        assert!(problems.is_empty());
        assert_eq!(
            theme.declarations(),
            "--waymark-accent:#4F46E5;--waymark-text:rgb(17 24 39 / 90%);--waymark-background:white;\
             --waymark-radius:12px;--waymark-font:\"Inter\", system-ui, sans-serif;"
        );
    }

    #[test]
    fn values_that_could_leave_their_declaration_are_refused() {
        for hostile in [
            r#"{"theme": {"accent": "red;} body{display:none"}}"#,
            r#"{"theme": {"accent": "url(https://x/y)"}}"#,
            r#"{"theme": {"accent": "rgb(1,2,3));x:y"}}"#,
            r#"{"theme": {"font": "a\\\" b"}}"#,
            r#"{"theme": {"font": "Inter\"; color: red"}}"#,
            r#"{"theme": {"radius": "12px"}}"#,
            r#"{"theme": {"radius": 900}}"#,
        ] {
            let (theme, problems) = theme(hostile);
            assert!(theme.properties.is_empty(), "{hostile}");
            assert_eq!(problems, ["invalid_theme"], "{hostile}");
        }
    }

    #[test]
    fn unknown_keys_and_a_non_object_are_warnings() {
        assert_eq!(theme(r#"{"theme": {"shadow": 1}}"#).1, ["invalid_theme"]);
        assert_eq!(theme(r#"{"theme": "dark"}"#).1, ["invalid_theme"]);
        assert_eq!(theme("{}").1, Vec::<&str>::new());
    }
}
