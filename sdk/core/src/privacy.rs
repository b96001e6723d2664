//! Consent, and masking personal data in what a page sends.
//!
//! [`Consent`] says what the SDK may do: record and send, hold events in memory only, or
//! nothing at all. [`mask`] replaces e-mail addresses and payment card numbers inside
//! property values with `[email]` and `[card]`, so a form value tracked carelessly does not
//! reach the collector. Both run before an event is encoded, so what is masked is never
//! stored either.

use crate::value::{Properties, Value};

/// What the visitor agreed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consent {
    /// Record, store and send.
    Granted,
    /// Record into memory only: nothing is stored and nothing is sent until consent is
    /// granted (then everything held is), and everything held is discarded if it is denied.
    Pending,
    /// Record nothing; everything stored is purged.
    Denied,
}

impl Consent {
    /// Reads `"granted"`, `"pending"` or `"denied"`.
    #[must_use]
    pub fn parse(value: &str) -> Option<Consent> {
        match value {
            "granted" => Some(Consent::Granted),
            "pending" => Some(Consent::Pending),
            "denied" => Some(Consent::Denied),
            _ => None,
        }
    }

    /// The word [`Consent::parse`] reads.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Consent::Granted => "granted",
            Consent::Pending => "pending",
            Consent::Denied => "denied",
        }
    }
}

/// Which personal data a project lets through unmasked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allow {
    /// Keep e-mail addresses.
    pub emails: bool,
    /// Keep payment card numbers.
    pub card_numbers: bool,
}

/// What replaces an e-mail address.
pub const EMAIL_MASK: &str = "[email]";
/// What replaces a card number.
pub const CARD_MASK: &str = "[card]";

/// Masks e-mail addresses and card numbers in every string inside `properties`, keys
/// excepted, unless `allow` lets them through. Returns how many were masked.
pub fn mask(properties: &mut Properties, allow: Allow) -> usize {
    if allow.emails && allow.card_numbers {
        return 0;
    }
    properties
        .values_mut()
        .map(|value| mask_value(value, allow))
        .sum()
}

fn mask_value(value: &mut Value, allow: Allow) -> usize {
    match value {
        Value::String(text) => {
            let mut count = 0;
            if !allow.emails {
                count += replace_all(text, find_email, EMAIL_MASK);
            }
            if !allow.card_numbers {
                count += replace_all(text, find_card_number, CARD_MASK);
            }
            count
        }
        Value::Array(items) => items.iter_mut().map(|v| mask_value(v, allow)).sum(),
        Value::Object(map) => map.values_mut().map(|v| mask_value(v, allow)).sum(),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}

/// Replaces every match `find` reports (a byte range from a start offset) with `mask`.
fn replace_all(
    text: &mut String,
    find: fn(&str, usize) -> Option<(usize, usize)>,
    mask: &str,
) -> usize {
    let mut count = 0;
    let mut from = 0;
    while let Some((start, end)) = find(text, from) {
        text.replace_range(start..end, mask);
        from = start + mask.len();
        count += 1;
    }
    count
}

fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b)
}

fn is_domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

/// The next e-mail address at or after `from`: a local part, `@`, and a domain of at least
/// two labels whose last is two or more letters.
fn find_email(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut at = from;
    while at < bytes.len() {
        let offset = bytes[at..].iter().position(|&b| b == b'@')?;
        at += offset;
        let mut start = at;
        while start > from && is_local_char(bytes[start - 1]) {
            start -= 1;
        }
        // A local part does not start or end with a dot.
        while start < at && bytes[start] == b'.' {
            start += 1;
        }
        let mut end = at + 1;
        while end < bytes.len() && is_domain_char(bytes[end]) {
            end += 1;
        }
        // Trailing dots and hyphens end a sentence, not a domain.
        while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let domain = &text[at + 1..end];
        let tld = domain.rsplit('.').next().unwrap_or("");
        let valid = start < at
            && bytes[at - 1] != b'.'
            && domain.contains('.')
            && !domain.starts_with(['.', '-'])
            && !domain.contains("..")
            && tld.len() >= 2
            && tld.bytes().all(|b| b.is_ascii_alphabetic());
        if valid {
            return Some((start, end));
        }
        at += 1;
    }
    None
}

/// The next payment card number at or after `from`: 13 to 19 digits, optionally grouped by
/// single spaces or hyphens, not part of a longer run of digits, passing the Luhn check.
fn find_card_number(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        // Collect a run of digits joined by single separators.
        let mut digits = Vec::with_capacity(19);
        let mut end = i;
        let mut j = i;
        while j < bytes.len() && digits.len() <= 19 {
            let b = bytes[j];
            if b.is_ascii_digit() {
                digits.push(b - b'0');
                j += 1;
                end = j;
            } else if matches!(b, b' ' | b'-')
                && j + 1 < bytes.len()
                && bytes[j + 1].is_ascii_digit()
                && bytes[j - 1].is_ascii_digit()
            {
                j += 1;
            } else {
                break;
            }
        }
        let standalone = end >= bytes.len() || !bytes[end].is_ascii_digit();
        if (13..=19).contains(&digits.len()) && standalone && luhn(&digits) {
            return Some((i, end));
        }
        i = end.max(i + 1);
    }
    None
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, allow: Allow, expected: &str) {
        let mut properties = Properties::new();
        properties.insert("v".to_owned(), Value::String(input.to_owned()));
        mask(&mut properties, allow);
        assert_eq!(
            properties.get("v"),
            Some(&Value::String(expected.to_owned())),
            "masking {input:?}"
        );
    }

    #[test]
    fn email_addresses_are_masked_wherever_they_appear() {
        let none = Allow::default();
        check("jane@example.com", none, "[email]");
        check(
            "Write to jane.doe+x@mail.example.co.uk.",
            none,
            "Write to [email].",
        );
        check("a@b.io and c_d@e-f.org", none, "[email] and [email]");
        check("<jane@example.com>", none, "<[email]>");
        check("@mention", none, "@mention");
        check("user@localhost", none, "user@localhost");
        check("v1.2@3.4", none, "v1.2@3.4");
        check("x@.com", none, "x@.com");
        check(
            "jane@example.com",
            Allow {
                emails: true,
                card_numbers: false,
            },
            "jane@example.com",
        );
    }

    #[test]
    fn card_numbers_that_pass_luhn_are_masked() {
        let none = Allow::default();
        check("4111111111111111", none, "[card]");
        check("card 4111 1111 1111 1111 ok", none, "card [card] ok");
        check("5500-0000-0000-0004", none, "[card]");
        check("378282246310005", none, "[card]");
        // Fails the Luhn check, too short, too long, or part of a longer number.
        check("4111111111111112", none, "4111111111111112");
        check("411111111111", none, "411111111111");
        check("41111111111111111111", none, "41111111111111111111");
        check("order 2024-11-22", none, "order 2024-11-22");
        check(
            "4111111111111111",
            Allow {
                emails: false,
                card_numbers: true,
            },
            "4111111111111111",
        );
    }

    #[test]
    fn nested_values_are_masked_and_counted() {
        let mut properties = Properties::new();
        properties.insert(
            "form".to_owned(),
            Value::Array(vec![
                Value::String("a@b.com".to_owned()),
                Value::Number(4.0),
                Value::String("4111111111111111".to_owned()),
            ]),
        );
        assert_eq!(mask(&mut properties, Allow::default()), 2);
        assert_eq!(
            mask(
                &mut properties,
                Allow {
                    emails: true,
                    card_numbers: true
                }
            ),
            0
        );
    }

    #[test]
    fn consent_reads_its_three_words() {
        assert_eq!(Consent::parse("granted"), Some(Consent::Granted));
        assert_eq!(Consent::parse("pending"), Some(Consent::Pending));
        assert_eq!(Consent::parse("denied"), Some(Consent::Denied));
        assert_eq!(Consent::parse("yes"), None);
        for consent in [Consent::Granted, Consent::Pending, Consent::Denied] {
            assert_eq!(Consent::parse(consent.as_str()), Some(consent));
        }
    }
}
