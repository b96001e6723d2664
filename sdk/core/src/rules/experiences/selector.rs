//! CSS selectors, as the collector checks them before it publishes a config: content
//! changes, tour targets (their `selector` strategy and `frame` path) and `element`
//! triggers all name elements by selector, and a browser's `querySelectorAll` throws on one
//! it cannot parse.
//!
//! The parsing is servo's `selectors` crate (the parser of Firefox's style engine), behind
//! the `publish` feature, which only the collector enables: the browser builds link none of
//! it. There the browser itself is the parser: the content layer and the tour locator skip
//! a selector `querySelectorAll` refuses, with a diagnostic event, and never throw.

/// Why `selector` is not a selector list a browser accepts, for a person; `None` when it
/// is. Without the `publish` feature nothing is parsed and the answer is always `None`.
#[must_use]
pub fn problem(selector: &str) -> Option<String> {
    #[cfg(feature = "publish")]
    {
        parsed::subjects(selector).err()
    }
    #[cfg(not(feature = "publish"))]
    {
        let _ = selector;
        None
    }
}

/// The element names each selector of the list requires of the element it finds (`a` in
/// `nav a.upgrade`, lower-cased), `None` for one that names none (`#upgrade`, `*`). Errors
/// as [`problem`]; without the `publish` feature, `Ok` and empty.
pub fn subject_names(selector: &str) -> Result<Vec<Option<String>>, String> {
    #[cfg(feature = "publish")]
    {
        parsed::subjects(selector)
    }
    #[cfg(not(feature = "publish"))]
    {
        let _ = selector;
        Ok(Vec::new())
    }
}

#[cfg(feature = "publish")]
mod parsed {
    use std::fmt;

    use cssparser::{BasicParseErrorKind, ParseError, ParseErrorKind, ToCss};
    use precomputed_hash::PrecomputedHash;
    use selectors::parser::{
        self, Component, NonTSPseudoClass, ParseRelative, SelectorList, SelectorParseErrorKind,
    };

    /// The pseudo-classes Chromium, Firefox and Safari accept in `querySelectorAll`, beyond
    /// the structural ones (`:first-child`, `:nth-child()`, `:not()`, `:is()`, `:where()`,
    /// `:has()`, `:root`, `:empty`, `:scope`, `:host`) that the parser knows itself. One not
    /// listed is refused, as browsers refuse it.
    const PSEUDO_CLASSES: &[&str] = &[
        "active",
        "any-link",
        "autofill",
        "-webkit-autofill",
        "blank",
        "buffering",
        "checked",
        "default",
        "defined",
        "disabled",
        "enabled",
        "focus",
        "focus-visible",
        "focus-within",
        "fullscreen",
        "hover",
        "in-range",
        "indeterminate",
        "invalid",
        "link",
        "modal",
        "muted",
        "open",
        "optional",
        "out-of-range",
        "paused",
        "picture-in-picture",
        "placeholder-shown",
        "playing",
        "popover-open",
        "read-only",
        "read-write",
        "required",
        "seeking",
        "stalled",
        "target",
        "user-invalid",
        "user-valid",
        "valid",
        "visited",
        "volume-locked",
    ];

    /// Pseudo-classes that take arguments (`:lang(en)`, `:dir(rtl)`, `:state(checked)`).
    const FUNCTIONAL_PSEUDO_CLASSES: &[&str] = &["lang", "dir", "state"];

    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Impl;

    /// Every name and value in a selector: only whether it parses, and the subject's
    /// element name, are of interest here.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    struct Name(String);

    impl From<&str> for Name {
        fn from(text: &str) -> Name {
            Name(text.to_owned())
        }
    }

    impl ToCss for Name {
        fn to_css<W: fmt::Write>(&self, dest: &mut W) -> fmt::Result {
            dest.write_str(&self.0)
        }
    }

    impl PrecomputedHash for Name {
        fn precomputed_hash(&self) -> u32 {
            crate::rules::bucket::fnv1a32(&self.0)
        }
    }

    #[derive(Clone, Debug, PartialEq, Eq)]
    struct PseudoClass(&'static str);

    impl ToCss for PseudoClass {
        fn to_css<W: fmt::Write>(&self, dest: &mut W) -> fmt::Result {
            dest.write_char(':')?;
            dest.write_str(self.0)
        }
    }

    impl NonTSPseudoClass for PseudoClass {
        fn is_active_or_hover(&self) -> bool {
            matches!(self.0, "active" | "hover")
        }

        fn is_user_action_state(&self) -> bool {
            matches!(self.0, "active" | "hover" | "focus")
        }
    }

    /// Pseudo-elements match no element in `querySelectorAll`: none is accepted.
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum PseudoElement {}

    impl ToCss for PseudoElement {
        fn to_css<W: fmt::Write>(&self, _: &mut W) -> fmt::Result {
            match *self {}
        }
    }

    impl parser::PseudoElement for PseudoElement {}

    impl parser::SelectorImpl for Impl {
        type ExtraMatchingData<'a> = ();
        type AttrValue = Name;
        type Identifier = Name;
        type LocalName = Name;
        type NamespaceUrl = Name;
        type NamespacePrefix = Name;
        type BorrowedNamespaceUrl = Name;
        type BorrowedLocalName = Name;
        type NonTSPseudoClass = PseudoClass;
        type PseudoElement = PseudoElement;
    }

    /// What the parser learnt about a refusal it cannot carry in its error: the name of a
    /// pseudo-class no browser knows.
    struct Browser {
        unknown: std::cell::RefCell<Option<String>>,
    }

    impl Browser {
        fn known(&self, name: &str, list: &[&'static str]) -> Option<PseudoClass> {
            let found = list.iter().find(|k| k.eq_ignore_ascii_case(name));
            if found.is_none() {
                *self.unknown.borrow_mut() = Some(name.to_owned());
            }
            found.map(|k| PseudoClass(k))
        }
    }

    impl<'i> parser::Parser<'i> for Browser {
        type Impl = Impl;
        type Error = SelectorParseErrorKind;

        fn parse_nth_child_of(&self) -> bool {
            true
        }

        fn parse_is_and_where(&self) -> bool {
            true
        }

        fn parse_has(&self) -> bool {
            true
        }

        fn parse_host(&self) -> bool {
            true
        }

        fn is_is_alias(&self, name: &str) -> bool {
            name.eq_ignore_ascii_case("-webkit-any")
        }

        fn parse_non_ts_pseudo_class(
            &self,
            name: &str,
        ) -> Result<PseudoClass, ParseError<Self::Error>> {
            self.known(name, PSEUDO_CLASSES).ok_or_else(|| {
                ParseError::custom(SelectorParseErrorKind::UnsupportedPseudoClassOrElement)
            })
        }

        fn parse_non_ts_functional_pseudo_class(
            &self,
            name: &str,
            arguments: &mut cssparser::Parser<'i>,
            _after_part: bool,
        ) -> Result<PseudoClass, ParseError<Self::Error>> {
            let Some(known) = self.known(name, FUNCTIONAL_PSEUDO_CLASSES) else {
                return Err(ParseError::custom(
                    SelectorParseErrorKind::UnsupportedPseudoClassOrElement,
                ));
            };
            // A list of identifiers or strings: `:lang(en, "fr-CA")`, `:dir(rtl)`.
            loop {
                arguments.expect_ident_or_string()?;
                if arguments.is_exhausted() {
                    break;
                }
                arguments.expect_comma()?;
            }
            Ok(known)
        }
    }

    /// Parses a selector list, as `querySelectorAll` does; the element name each selector's
    /// subject requires, if any.
    pub(super) fn subjects(selector: &str) -> Result<Vec<Option<String>>, String> {
        let browser = Browser {
            unknown: std::cell::RefCell::new(None),
        };
        let mut css = cssparser::Parser::new(selector);
        let list = SelectorList::parse(&browser, &mut css, ParseRelative::No)
            .map_err(|error| describe(&error, browser.unknown.borrow().as_deref(), selector))?;
        Ok(list
            .slice()
            .iter()
            .map(|selector| {
                // `iter` walks the subject's compound selector, right to left.
                selector.iter().find_map(|component| match component {
                    Component::LocalName(name) => Some(name.lower_name.0.clone()),
                    _ => None,
                })
            })
            .collect())
    }

    fn describe(
        error: &ParseError<SelectorParseErrorKind>,
        unknown: Option<&str>,
        selector: &str,
    ) -> String {
        use SelectorParseErrorKind as Kind;
        let what = match (&error.kind, unknown) {
            (ParseErrorKind::Custom(Kind::UnsupportedPseudoClassOrElement), Some(name)) => {
                crate::rules::msg!("no browser knows the pseudo-class :{name}")
            }
            (ParseErrorKind::Custom(Kind::UnsupportedPseudoClassOrElement), None)
            | (ParseErrorKind::Custom(Kind::PseudoElementExpectedIdent), _) => {
                "pseudo-elements such as ::before match no element".to_owned()
            }
            (ParseErrorKind::Custom(Kind::EmptySelector), _) if selector.trim().is_empty() => {
                "it is empty".to_owned()
            }
            (ParseErrorKind::Custom(Kind::EmptySelector), _) => {
                "one of its comma-separated selectors is empty".to_owned()
            }
            (ParseErrorKind::Custom(Kind::DanglingCombinator), _) => {
                "a combinator (>, +, ~) has nothing after it".to_owned()
            }
            (ParseErrorKind::Custom(Kind::ExpectedNamespace), _) => {
                "a namespace prefix (svg|a) means nothing to querySelector".to_owned()
            }
            (ParseErrorKind::Basic(BasicParseErrorKind::EndOfInput), _) => {
                "it ends where more was expected (an unclosed [ or ( ?)".to_owned()
            }
            (ParseErrorKind::Basic(BasicParseErrorKind::UnexpectedToken), _)
            | (ParseErrorKind::Custom(_), _) => {
                "it has a character or word out of place".to_owned()
            }
            (ParseErrorKind::Basic(_), _) => "it does not parse".to_owned(),
        };
        crate::rules::msg!("not a CSS selector browsers accept: {what}")
    }
}

#[cfg(all(test, feature = "publish"))]
mod tests {
    use super::*;

    #[test]
    fn selectors_browsers_accept_parse() {
        for selector in [
            "#greeting",
            "a.upgrade",
            "nav > ul li:nth-child(2n + 1 of .item)",
            "[data-waymark=\"plan\"]",
            "[title~=x i]",
            "input:checked + label",
            "main :is(h1, h2):not(.quiet)",
            "section:has(> img)",
            "p:lang(en, fr)",
            "a:hover, a:focus-visible",
            "*|a",
            "button:-webkit-any(.a, .b)",
            "#\\31 23",
            // Browsers close what the end of the text leaves open, as CSS does everywhere.
            "a[href=\"x\"",
            ":root body",
        ] {
            assert_eq!(problem(selector), None, "{selector}");
        }
    }

    #[test]
    fn selectors_browsers_refuse_do_not() {
        for selector in [
            "",
            "   ",
            "a[",
            "a >",
            "!!!",
            "a{}",
            "a,",
            ".",
            "#",
            "a:bogus",
            "p::before",
            "svg|a",
            ":nth-child(x)",
            "div)",
        ] {
            assert!(problem(selector).is_some(), "{selector:?} was accepted");
        }
    }

    #[test]
    fn the_problem_says_what_and_where() {
        assert_eq!(
            problem("a:bogus").as_deref(),
            Some("not a CSS selector browsers accept: no browser knows the pseudo-class :bogus")
        );
        assert_eq!(
            problem("p::before").as_deref(),
            Some("not a CSS selector browsers accept: pseudo-elements such as ::before match no element")
        );
        assert_eq!(
            problem("a[").as_deref(),
            Some("not a CSS selector browsers accept: it ends where more was expected (an unclosed [ or ( ?)")
        );
    }

    #[test]
    fn subjects_are_the_names_the_found_element_must_have() {
        assert_eq!(
            subject_names("nav a.x, #id, div > IMG, *, a img").unwrap(),
            [
                Some("a".to_owned()),
                None,
                Some("img".to_owned()),
                None,
                Some("img".to_owned())
            ]
        );
    }
}
