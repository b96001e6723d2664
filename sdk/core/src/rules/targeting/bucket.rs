//! Deterministic hashing and bucketing, bit-for-bit compatible with GrowthBook's SDKs: the
//! same user and seed land in the same bucket here as in theirs, so experiments can move
//! between the two without reshuffling anyone.

/// 32-bit FNV-1a over the string's UTF-16 code units (as JavaScript's `charCodeAt` sees it).
#[must_use]
pub fn fnv1a32(text: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for unit in text.encode_utf16() {
        hash ^= u32::from(unit);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// A number in [0, 1) from a seed and a value. Version 1 is GrowthBook's original hash,
/// version 2 its better-distributed successor; other versions give `None`.
#[must_use]
pub fn hash(seed: &str, value: &str, version: u32) -> Option<f64> {
    match version {
        1 => {
            let mut text = String::with_capacity(value.len() + seed.len());
            text.push_str(value);
            text.push_str(seed);
            Some(f64::from(fnv1a32(&text) % 1000) / 1000.0)
        }
        2 => {
            let mut text = String::with_capacity(value.len() + seed.len());
            text.push_str(seed);
            text.push_str(value);
            let first = fnv1a32(&text);
            Some(f64::from(fnv1a32(&decimal(first)) % 10_000) / 10_000.0)
        }
        _ => None,
    }
}

fn decimal(mut n: u32) -> String {
    let mut digits = Vec::with_capacity(10);
    loop {
        digits.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().map(|d| char::from(*d)).collect()
}

/// `n` equal weights summing to 1 (none for `n <= 0`).
#[must_use]
pub fn equal_weights(n: i64) -> Vec<f64> {
    if n <= 0 {
        return Vec::new();
    }
    vec![1.0 / n as f64; n as usize]
}

/// The bucket range of each variation: weights laid end to end over [0, 1), each range
/// covering `coverage` of its weight. Weights that do not fit (wrong count, or a sum outside
/// 0.99–1.01) are replaced by equal weights; coverage is clamped to [0, 1].
#[must_use]
pub fn bucket_ranges(
    variations: usize,
    coverage: Option<f64>,
    weights: Option<&[f64]>,
) -> Vec<(f64, f64)> {
    let coverage = coverage.unwrap_or(1.0).clamp(0.0, 1.0);
    let equal = equal_weights(variations as i64);
    let mut weights = match weights {
        Some(w) if w.len() == variations => w.to_vec(),
        _ => equal.clone(),
    };
    let total: f64 = weights.iter().sum();
    if !(0.99..=1.01).contains(&total) {
        weights = equal;
    }
    let mut cumulative = 0.0;
    weights
        .iter()
        .map(|w| {
            let start = cumulative;
            cumulative += w;
            (start, start + coverage * w)
        })
        .collect()
}

/// The variation whose range holds `n`, if any.
#[must_use]
pub fn choose_variation(n: f64, ranges: &[(f64, f64)]) -> Option<usize> {
    ranges.iter().position(|&range| in_range(n, range))
}

/// `start <= n < end`.
#[must_use]
pub fn in_range(n: f64, (start, end): (f64, f64)) -> bool {
    n >= start && n < end
}

/// Whether a user (by hash value) falls in a namespace's slice: `(id, start, end)`.
#[must_use]
pub fn in_namespace(hash_value: &str, (id, start, end): (&str, f64, f64)) -> bool {
    let mut seed = String::with_capacity(id.len() + 2);
    seed.push_str("__");
    seed.push_str(id);
    hash(&seed, hash_value, 1).is_some_and(|n| n >= start && n < end)
}

/// The variation forced by `?<experiment key>=<index>` in a URL, for QA, if it is valid.
#[must_use]
pub fn query_string_override(key: &str, url: &str, variations: usize) -> Option<usize> {
    let query = url.split('?').nth(1)?;
    let query = query.split('#').next().unwrap_or("");
    let value = query.split('&').find_map(|pair| {
        let mut parts = pair.splitn(2, '=');
        (parts.next() == Some(key)).then(|| parts.next().unwrap_or(""))
    })?;
    let n = parse_int(value)?;
    usize::try_from(n).ok().filter(|&n| n < variations)
}

/// JavaScript's `parseInt(s)` for a decimal string: leading white space, a sign, then as many
/// digits as there are. `None` where it would be NaN, or out of `i64`'s range. The digits
/// are read by hand: `str::parse` brings its error paths into the wasm (600 B raw).
fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim_start();
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: Option<i64> = None;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n
            .unwrap_or(0)
            .checked_mul(10)?
            .checked_add(i64::from(b - b'0'));
        n?;
    }
    n.map(|n| if negative { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_vectors() {
        assert_eq!(fnv1a32(""), 0x811c_9dc5);
        assert_eq!(fnv1a32("a"), 0xe40c_292c);
        assert_eq!(fnv1a32("foobar"), 0xbf9c_f968);
    }

    #[test]
    fn unknown_hash_versions_give_nothing() {
        assert_eq!(hash("seed", "user", 3), None);
    }

    #[test]
    fn query_overrides_read_the_first_matching_parameter() {
        assert_eq!(
            query_string_override("t", "http://x.test/?a=1&t=2#t=0", 3),
            Some(2)
        );
        assert_eq!(query_string_override("t", "http://x.test/?t=3", 3), None);
        assert_eq!(
            query_string_override("t", "http://x.test/?t=1abc", 3),
            Some(1)
        );
        assert_eq!(query_string_override("t", "http://x.test/?t=-1", 3), None);
        assert_eq!(query_string_override("t", "http://x.test/", 3), None);
        assert_eq!(
            query_string_override("t", "http://x.test/?t=+2", 3),
            Some(2)
        );
        assert_eq!(query_string_override("t", "http://x.test/?t=%202", 3), None);
        assert_eq!(query_string_override("t", "http://x.test/?t=", 3), None);
        assert_eq!(query_string_override("t", "http://x.test/?t=x1", 3), None);
        assert_eq!(parse_int(" 007"), Some(7));
        assert_eq!(parse_int("-0"), Some(0));
        assert_eq!(parse_int("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_int("9223372036854775808"), None);
    }
}
