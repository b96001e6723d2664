//! UUID version 7 identifiers (RFC 9562), built from a timestamp and caller-supplied
//! randomness so that the core stays free of clocks and random sources.
//!
//! Ids from one [`IdGenerator`] sort in creation order even within one millisecond and even
//! when the clock steps back: RFC 9562 method 1, a 12-bit counter in `rand_a` that starts at
//! a random value below 2048 for each new millisecond.

use uuid::Uuid;

use crate::time::Millis;

/// Random bytes a caller supplies for one id: 12 bits of counter seed and 62 random bits.
pub type Entropy = [u8; 10];

/// Makes monotonically increasing UUID v7 ids.
#[derive(Debug, Default, Clone)]
pub struct IdGenerator {
    last_ms: u64,
    counter: u16,
}

const COUNTER_MAX: u16 = 0x0fff;

impl IdGenerator {
    /// A generator that has made no id yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The next id for an event created at `now`, using `entropy` for the random bits.
    pub fn next(&mut self, now: Millis, entropy: Entropy) -> Uuid {
        let seed = u16::from_be_bytes([entropy[0], entropy[1]]) & 0x07ff;
        if now.0 > self.last_ms {
            self.last_ms = now.0;
            self.counter = seed;
        } else if self.counter < COUNTER_MAX {
            // Same millisecond, or the clock stepped back: keep the last timestamp and count.
            self.counter += 1;
        } else {
            // The counter is spent: borrow the next millisecond rather than lose ordering.
            self.last_ms += 1;
            self.counter = seed;
        }
        build_v7(self.last_ms, self.counter, &entropy)
    }
}

fn build_v7(ms: u64, counter: u16, entropy: &Entropy) -> Uuid {
    let ts = ms.to_be_bytes();
    let mut b = [0u8; 16];
    // 48-bit big-endian Unix milliseconds.
    b[..6].copy_from_slice(&ts[2..]);
    // Version 7 in the high nibble, then the 12-bit counter.
    b[6] = 0x70 | ((counter >> 8) as u8 & 0x0f);
    b[7] = counter as u8;
    // Variant 0b10, then 62 random bits.
    b[8] = 0x80 | (entropy[2] & 0x3f);
    b[9..].copy_from_slice(&entropy[3..]);
    Uuid::from_bytes(b)
}

/// Writes `id` hyphenated in lower case (`0189…-7…`), the form the wire protocol uses, by a
/// table lookup rather than the uuid crate's formatter (smaller in the wasm).
pub fn write_hyphenated(id: &Uuid, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in id.as_bytes().iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 15)]));
    }
}

/// `id` hyphenated in lower case.
#[must_use]
pub fn hyphenated(id: &Uuid) -> String {
    let mut out = String::with_capacity(36);
    write_hyphenated(id, &mut out);
    out
}

/// Reads a hyphenated UUID in either case; `None` for anything else.
#[must_use]
pub fn parse_hyphenated(text: &str) -> Option<Uuid> {
    let text = text.as_bytes();
    if text.len() != 36 {
        return None;
    }
    let mut bytes = [0u8; 16];
    let mut nibbles = 0usize;
    for (i, &c) in text.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let value = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        let byte = bytes.get_mut(nibbles / 2)?;
        *byte = (*byte << 4) | value;
        nibbles += 1;
    }
    Some(Uuid::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_with_the_rfc_variant_and_timestamp() {
        let mut ids = IdGenerator::new();
        let id = ids.next(Millis(0x0189_abcd_ef01), [0xff; 10]);
        assert_eq!(id.get_version_num(), 7);
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        assert!(id.to_string().starts_with("0189abcd-ef01-7"), "{id}");
    }

    #[test]
    fn ids_sort_in_creation_order_within_a_millisecond_and_when_the_clock_steps_back() {
        let mut ids = IdGenerator::new();
        let mut made = Vec::new();
        for (i, now) in [1_000u64, 1_000, 1_000, 999, 1_001, 1_001]
            .into_iter()
            .enumerate()
        {
            // Descending entropy, so that order can only come from the counter.
            made.push(ids.next(Millis(now), [(250 - i * 40) as u8; 10]));
        }
        let mut sorted = made.clone();
        sorted.sort();
        assert_eq!(made, sorted);
    }

    #[test]
    fn a_spent_counter_borrows_the_next_millisecond() {
        let mut ids = IdGenerator::new();
        let mut previous = ids.next(Millis(5), [0; 10]);
        for _ in 0..5_000 {
            let id = ids.next(Millis(5), [0; 10]);
            assert!(id > previous);
            previous = id;
        }
    }

    #[test]
    fn hyphenated_ids_write_and_read_back_as_the_uuid_crate_does() {
        for n in [
            0u128,
            1,
            u128::MAX,
            0x0189_0000_0000_7000_8000_0000_0000_0042,
        ] {
            let id = Uuid::from_u128(n);
            assert_eq!(hyphenated(&id), id.hyphenated().to_string());
            assert_eq!(parse_hyphenated(&hyphenated(&id)), Some(id));
            assert_eq!(parse_hyphenated(&hyphenated(&id).to_uppercase()), Some(id));
        }
        for bad in [
            "",
            "0189",
            "01890000-0000-7000-8000-00000000004g",
            "0189000000007000800000000000004200xx",
        ] {
            assert_eq!(parse_hyphenated(bad), None, "{bad}");
        }
    }
}
