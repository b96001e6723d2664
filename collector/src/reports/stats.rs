//! Statistics for experiment and survey reports: pure functions from counts to figures.
//!
//! Nothing here reads a store, a clock or a request; every function takes counts and answers
//! a figure, or `None` where the figure is undefined (no exposures, a control that never
//! converts, a pooled rate of 0 or 1). Nothing panics on any input. The special functions
//! (`erfc`, the regularized upper incomplete gamma function, `ln B`) come from `statrs`.
//!
//! - [`wilson_interval`]: the Wilson score interval of a conversion rate.
//! - [`newcombe_difference`]: the difference of two independent rates with Newcombe's
//!   interval, built from their Wilson intervals.
//! - [`two_proportion_z_test`]: a variant against the control, pooled standard error,
//!   two-sided.
//! - [`relative_uplift`]: `(p_v - p_c) / p_c`.
//! - [`chance_to_beat`]: the Bayesian probability that a variant's rate is above the
//!   control's, with uniform priors, computed exactly.
//! - [`chi_square_goodness_of_fit`]: the sample-ratio-mismatch check of exposures against
//!   the configured weights.
//! - [`net_promoter_score`]: NPS with its normal-approximation interval.
//! - [`mean_position`]: the mean answer of a rating scale's distribution.

use statrs::function::beta::checked_ln_beta;
use statrs::function::erf::erfc;
use statrs::function::gamma::checked_gamma_ur;

/// The standard normal quantile of 0.975: a two-sided 95% interval spans ±this many
/// standard errors.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// How many of a variant's exposed people converted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// People exposed.
    pub exposures: u64,
    /// Of them, people who converted. Never more than `exposures` in a valid tally.
    pub conversions: u64,
}

impl Tally {
    /// The conversion rate; `None` without exposures or with more conversions than
    /// exposures.
    #[must_use]
    pub fn rate(self) -> Option<f64> {
        (self.exposures > 0 && self.conversions <= self.exposures)
            .then(|| self.conversions as f64 / self.exposures as f64)
    }
}

/// Both ends of an interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The lower bound.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
}

/// The Wilson score interval of a tally's conversion rate, for the normal quantile `z`
/// ([`Z_95`] for 95%). Unlike the Wald interval it stays within [0, 1] and is sound near 0
/// and 1 and for small counts. `None` without exposures.
#[must_use]
pub fn wilson_interval(tally: Tally, z: f64) -> Option<Interval> {
    let p = tally.rate()?;
    let n = tally.exposures as f64;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(Interval {
        low: (centre - half).clamp(0.0, 1.0),
        high: (centre + half).clamp(0.0, 1.0),
    })
}

/// The difference of two rates, `a - b`, with its interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Difference {
    /// `p_a - p_b`.
    pub estimate: f64,
    /// Its interval.
    pub interval: Interval,
}

/// The difference of two independent rates, `p_a - p_b`, with Newcombe's hybrid score
/// interval (method 10 of Newcombe, "Interval estimation for the difference between
/// independent proportions", Statistics in Medicine 17, 1998): from the Wilson intervals
/// `[l_a, u_a]` and `[l_b, u_b]` at the same `z`,
///
/// `[d - √((p_a - l_a)² + (u_b - p_b)²), d + √((u_a - p_a)² + (p_b - l_b)²)]`.
///
/// Unlike the Wald interval it is sound for small counts and rates near 0 or 1, and never
/// leaves [-1, 1]. `None` when either side has no exposures.
#[must_use]
pub fn newcombe_difference(a: Tally, b: Tally, z: f64) -> Option<Difference> {
    let (p_a, p_b) = (a.rate()?, b.rate()?);
    let (wa, wb) = (wilson_interval(a, z)?, wilson_interval(b, z)?);
    let estimate = p_a - p_b;
    let below = ((p_a - wa.low).powi(2) + (wb.high - p_b).powi(2)).sqrt();
    let above = ((wa.high - p_a).powi(2) + (p_b - wb.low).powi(2)).sqrt();
    Some(Difference {
        estimate,
        interval: Interval {
            low: (estimate - below).clamp(-1.0, 1.0),
            high: (estimate + above).clamp(-1.0, 1.0),
        },
    })
}

/// The outcome of a two-proportion z-test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZTest {
    /// `(p_v - p_c) / se`, with the pooled standard error.
    pub z: f64,
    /// The two-sided p-value, `erfc(|z| / √2)`.
    pub p_value: f64,
}

/// Tests whether a variant's rate differs from the control's: the standard error is pooled
/// (`p = (c_c + c_v) / (n_c + n_v)`, `se = √(p (1 - p) (1/n_c + 1/n_v))`), the test
/// two-sided. `None` when either side has no exposures or the pooled rate is 0 or 1 (no
/// variance: nothing to test).
#[must_use]
pub fn two_proportion_z_test(control: Tally, variant: Tally) -> Option<ZTest> {
    let (p_c, p_v) = (control.rate()?, variant.rate()?);
    let (n_c, n_v) = (control.exposures as f64, variant.exposures as f64);
    let pooled = (control.conversions + variant.conversions) as f64 / (n_c + n_v);
    let se = (pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / n_v)).sqrt();
    if !(se > 0.0 && se.is_finite()) {
        return None;
    }
    let z = (p_v - p_c) / se;
    Some(ZTest {
        z,
        p_value: erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0),
    })
}

/// `(p_v - p_c) / p_c`: how much higher (or, negative, lower) the variant's rate is, as a
/// share of the control's. `None` when the control's rate is 0 or either rate is unknown.
#[must_use]
pub fn relative_uplift(control_rate: Option<f64>, variant_rate: Option<f64>) -> Option<f64> {
    let (p_c, p_v) = (control_rate?, variant_rate?);
    (p_c > 0.0).then(|| (p_v - p_c) / p_c)
}

/// The probability that the variant's true rate is above the control's, each rate with the
/// posterior `Beta(1 + conversions, 1 + exposures - conversions)` (a uniform prior).
/// `None` for a tally with more conversions than exposures.
///
/// Exact: Evan Miller's closed form for `X_B ~ Beta(a_B, b_B)`, `X_A ~ Beta(a_A, b_A)` with
/// whole `a_B`,
///
/// `P(X_B > X_A) = Σ_{i=0}^{a_B - 1} B(a_A + i, b_A + b_B) / ((b_B + i) B(1 + i, b_B) B(a_A, b_A))`,
///
/// summed in the orientation with the fewest terms (the four are related by
/// `P(X_B > X_A) = 1 - P(X_A > X_B)` and `X ~ Beta(a, b) ⇔ 1 - X ~ Beta(b, a)`), so the work
/// is bounded by the smallest of the four counts: 1,000,000 exposures with a 10% rate
/// is about 100,000 terms. The first term comes from `ln B`; each next one from the
/// previous by the ratio `(a_A + i)(b_B + i) / ((i + 1)(a_A + b_A + b_B + i))`, in logs,
/// so no term overflows and the tiny ones underflow harmlessly to 0.
#[must_use]
pub fn chance_to_beat(control: Tally, variant: Tally) -> Option<f64> {
    if control.conversions > control.exposures || variant.conversions > variant.exposures {
        return None;
    }
    let posterior = |t: Tally| (1 + t.conversions, 1 + t.exposures - t.conversions);
    let (a_a, b_a) = posterior(control);
    let (a_b, b_b) = posterior(variant);
    let fewest = a_a.min(b_a).min(a_b).min(b_b);
    let p = if fewest == a_b {
        miller_sum(a_a, b_a, a_b, b_b)?
    } else if fewest == a_a {
        1.0 - miller_sum(a_b, b_b, a_a, b_a)?
    } else if fewest == b_a {
        // 1 - X_A ~ Beta(b_A, a_A) beats 1 - X_B ~ Beta(b_B, a_B) exactly when X_B > X_A.
        miller_sum(b_b, a_b, b_a, a_a)?
    } else {
        1.0 - miller_sum(b_a, a_a, b_b, a_b)?
    };
    Some(p.clamp(0.0, 1.0))
}

/// `P(X_B > X_A)` for `X_A ~ Beta(a_a, b_a)`, `X_B ~ Beta(a_b, b_b)`, summing `a_b` terms.
fn miller_sum(a_a: u64, b_a: u64, a_b: u64, b_b: u64) -> Option<f64> {
    let (a_a, b_a, b_b) = (a_a as f64, b_a as f64, b_b as f64);
    // i = 0: B(a_A, b_A + b_B) / (b_B B(1, b_B) B(a_A, b_A)), and b_B B(1, b_B) = 1.
    let mut log_term = checked_ln_beta(a_a, b_a + b_b).ok()? - checked_ln_beta(a_a, b_a).ok()?;
    let mut sum = 0.0;
    for i in 0..a_b {
        sum += log_term.exp();
        let i = i as f64;
        log_term += ((a_a + i) * (b_b + i) / ((i + 1.0) * (a_a + b_a + b_b + i))).ln();
    }
    sum.is_finite().then_some(sum)
}

/// The outcome of a chi-square goodness-of-fit test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChiSquare {
    /// `Σ (observed - expected)² / expected`; infinite when a cell expected to stay empty
    /// has observations.
    pub statistic: f64,
    /// Cells with a positive expectation, less one.
    pub degrees_of_freedom: u64,
    /// `P(χ²_df ≥ statistic)`, the regularized upper incomplete gamma function
    /// `Q(df / 2, statistic / 2)`.
    pub p_value: f64,
}

/// Tests observed counts against the shares `weights` says to expect (weights need not sum
/// to 1; they are normalized). Cells with weight 0 expect nothing: they count towards
/// neither the statistic nor the degrees of freedom while empty, and make the statistic
/// infinite (p = 0) when they are not. `None` when there is nothing to test: no
/// observations, fewer than two cells with a positive weight, mismatched lengths, or a
/// negative or non-finite weight.
#[must_use]
pub fn chi_square_goodness_of_fit(observed: &[u64], weights: &[f64]) -> Option<ChiSquare> {
    if observed.len() != weights.len() || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
        return None;
    }
    let total: u64 = observed.iter().sum();
    let weight: f64 = weights.iter().sum();
    let cells = weights.iter().filter(|w| **w > 0.0).count() as u64;
    if total == 0 || cells < 2 || !(weight > 0.0 && weight.is_finite()) {
        return None;
    }
    let degrees_of_freedom = cells - 1;
    let mut statistic = 0.0;
    for (&o, &w) in observed.iter().zip(weights) {
        let expected = total as f64 * w / weight;
        if w == 0.0 {
            if o > 0 {
                return Some(ChiSquare {
                    statistic: f64::INFINITY,
                    degrees_of_freedom,
                    p_value: 0.0,
                });
            }
            continue;
        }
        let difference = o as f64 - expected;
        statistic += difference * difference / expected;
    }
    let p_value = if statistic > 0.0 {
        checked_gamma_ur(degrees_of_freedom as f64 / 2.0, statistic / 2.0).ok()?
    } else {
        1.0
    };
    Some(ChiSquare {
        statistic,
        degrees_of_freedom,
        p_value: p_value.clamp(0.0, 1.0),
    })
}

/// A Net Promoter Score: `100 (p_P - p_D)`, on -100..100.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetPromoterScore {
    /// The score.
    pub score: f64,
    /// Its interval, clamped to [-100, 100].
    pub interval: Interval,
}

/// The Net Promoter Score of `promoters` (9–10), `passives` (7–8) and `detractors` (0–6),
/// with its normal-approximation interval for the quantile `z`. `None` without answers.
///
/// Each answer scores `X` = 1 (promoter), 0 (passive) or -1 (detractor); NPS is `100 E[X]`.
/// `Var X = E[X²] - E[X]² = p_P + p_D - (p_P - p_D)²`, so the standard error of the score is
/// `100 √((p_P + p_D - (p_P - p_D)²) / n)`, and the interval is the score ± `z` of them,
/// clamped to [-100, 100]. With every answer in one group the variance is 0 and the interval
/// is the score itself.
#[must_use]
pub fn net_promoter_score(
    promoters: u64,
    passives: u64,
    detractors: u64,
    z: f64,
) -> Option<NetPromoterScore> {
    let n = promoters
        .checked_add(passives)?
        .checked_add(detractors)
        .filter(|n| *n > 0)? as f64;
    let (p_p, p_d) = (promoters as f64 / n, detractors as f64 / n);
    let score = 100.0 * (p_p - p_d);
    let variance = (p_p + p_d - (p_p - p_d) * (p_p - p_d)).max(0.0);
    let half = 100.0 * z * (variance / n).sqrt();
    Some(NetPromoterScore {
        score,
        interval: Interval {
            low: (score - half).clamp(-100.0, 100.0),
            high: (score + half).clamp(-100.0, 100.0),
        },
    })
}

/// The mean answer of a rating distribution, where `distribution[i]` counts the answers
/// `i + 1` (so the mean is on 1..=`distribution.len()`). `None` without answers.
#[must_use]
pub fn mean_position(distribution: &[u64]) -> Option<f64> {
    let n: u64 = distribution.iter().sum();
    let total: f64 = distribution
        .iter()
        .enumerate()
        .map(|(i, count)| (i + 1) as f64 * *count as f64)
        .sum();
    (n > 0).then(|| total / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(conversions: u64, exposures: u64) -> Tally {
        Tally {
            exposures,
            conversions,
        }
    }

    #[track_caller]
    fn close(got: f64, expected: f64, tolerance: f64) {
        assert!(
            (got - expected).abs() <= tolerance,
            "got {got}, expected {expected} ± {tolerance}"
        );
    }

    // The running fixture: control 100 of 1000, variant 130 of 1000.
    //   p_c = 0.1, p_v = 0.13; uplift = (0.13 - 0.1) / 0.1 = 0.3.
    //   Wilson, z = 1.959963984540054, n = 1000, z²/n = 0.0038414588…:
    //     0.1:  centre = (0.1 + 0.0019207294) / 1.0038414588 = 0.1015315034,
    //           half = z √(0.1·0.9/1000 + z²/4·10⁶) / 1.0038414588 = 0.0186210598,
    //           [0.0829094436, 0.1201519632];
    //     0.13: [0.1105637746, 0.1522680267].
    //   Pooled p = 230 / 2000 = 0.115; se = √(0.115·0.885·(2/1000)) = 0.0142671651;
    //   z = 0.03 / se = 2.1027406056; p = erfc(z/√2) = 0.0354884505.
    // Every figure recomputed with mpmath at 40 digits by tests/fixtures/stats_reference.py:
    // wilson (0.0829094435930957, 0.12015196319534839) and (0.11056377462484192,
    // 0.15226802665446887); z 2.1027406056221145, p 0.03548845046647469.

    #[test]
    fn the_wilson_interval_matches_the_hand_computed_bounds() {
        let i = wilson_interval(tally(100, 1000), Z_95).unwrap();
        close(i.low, 0.082_909_443_593_095_7, 1e-12);
        close(i.high, 0.120_151_963_195_348_39, 1e-12);
        let i = wilson_interval(tally(130, 1000), Z_95).unwrap();
        close(i.low, 0.110_563_774_624_841_92, 1e-12);
        close(i.high, 0.152_268_026_654_468_87, 1e-12);
    }

    #[test]
    fn the_wilson_interval_of_no_conversions_starts_at_zero_and_is_undefined_without_exposures() {
        // 0 of 10: centre = half = (z²/20) / (1 + z²/10) = 0.1387663999; mpmath: 0.2775327998628892.
        let i = wilson_interval(tally(0, 10), Z_95).unwrap();
        close(i.low, 0.0, 1e-15);
        close(i.high, 0.277_532_799_862_889_2, 1e-12);
        let all = wilson_interval(tally(10, 10), Z_95).unwrap();
        close(all.low, 1.0 - 0.277_532_799_862_889_2, 1e-12);
        close(all.high, 1.0, 1e-15);
        assert_eq!(wilson_interval(tally(0, 0), Z_95), None);
    }

    #[test]
    fn the_newcombe_interval_matches_the_published_examples() {
        // Newcombe (1998), table II, method 10, to the four decimals printed there.
        for (a, b, low, high) in [
            (tally(56, 70), tally(48, 80), 0.0524, 0.3339),
            (tally(9, 10), tally(3, 10), 0.1705, 0.8090),
            (tally(6, 7), tally(2, 7), 0.0582, 0.8062),
            (tally(5, 56), tally(0, 29), -0.0381, 0.1926),
            (tally(0, 10), tally(0, 20), -0.1611, 0.2775),
        ] {
            let d = newcombe_difference(a, b, Z_95).unwrap();
            close(d.estimate, a.rate().unwrap() - b.rate().unwrap(), 1e-15);
            close(d.interval.low, low, 5e-5);
            close(d.interval.high, high, 5e-5);
        }
        assert_eq!(newcombe_difference(tally(0, 0), tally(1, 2), Z_95), None);
        assert_eq!(newcombe_difference(tally(1, 2), tally(0, 0), Z_95), None);
    }

    #[test]
    fn the_z_test_pools_the_standard_error_and_is_two_sided() {
        let t = two_proportion_z_test(tally(100, 1000), tally(130, 1000)).unwrap();
        close(t.z, 2.102_740_605_622_114_5, 1e-10);
        close(t.p_value, 0.035_488_450_466_474_69, 1e-10);
        // The other way round: the same p-value, z negated.
        let back = two_proportion_z_test(tally(130, 1000), tally(100, 1000)).unwrap();
        close(back.z, -t.z, 1e-12);
        close(back.p_value, t.p_value, 1e-15);
        // Equal rates: z = 0, p = 1.
        let same = two_proportion_z_test(tally(50, 500), tally(100, 1000)).unwrap();
        assert_eq!((same.z, same.p_value), (0.0, 1.0));
    }

    #[test]
    fn the_z_test_is_undefined_without_exposures_or_without_variance() {
        assert_eq!(two_proportion_z_test(tally(0, 0), tally(3, 10)), None);
        assert_eq!(two_proportion_z_test(tally(0, 10), tally(0, 20)), None);
        assert_eq!(two_proportion_z_test(tally(10, 10), tally(20, 20)), None);
    }

    #[test]
    fn uplift_is_relative_to_the_control_and_undefined_for_a_control_at_zero() {
        close(relative_uplift(Some(0.1), Some(0.13)).unwrap(), 0.3, 1e-15);
        close(
            relative_uplift(Some(0.2), Some(0.15)).unwrap(),
            -0.25,
            1e-15,
        );
        assert_eq!(relative_uplift(Some(0.0), Some(0.1)), None);
        assert_eq!(relative_uplift(None, Some(0.1)), None);
        assert_eq!(relative_uplift(Some(0.1), None), None);
    }

    // Chance to beat control, P(p_v > p_c) with Beta(1 + c, 1 + n - c) posteriors. Expected
    // values from tests/fixtures/stats_reference.py, by computations independent of this code
    // that agree with each other to 1e-10 or better:
    //  - small counts: mpmath (40 digits) quadrature of ∫ f_c(x) (1 - I_x(a_v, b_v)) dx, Evan
    //    Miller's sum term by term with mpmath.loggamma, and the same sum in exact fractions:
    //    3 of 10 vs 6 of 10, Beta(4, 8) vs Beta(7, 5), is exactly 445/494 = 0.9008097165991903;
    //    6 of 10 vs 3 of 10 is 49/494; 2 of 5 vs 0 of 1 is 5/14;
    //  - a million exposures (where mpmath's incomplete beta does not converge): Simpson's rule
    //    over 400,001 points of f_c(x) S_v(x), log densities from math.lgamma, S_v by
    //    cumulative trapezoids (it reproduces the 100/1000 vs 130/1000 case to 2e-11).
    #[test]
    fn chance_to_beat_control_matches_numerical_integration_for_small_counts() {
        let cases = [
            ((3, 10), (6, 10), 0.900_809_716_599_190_3),
            ((6, 10), (3, 10), 0.099_190_283_400_809_72),
            ((0, 0), (0, 0), 0.5),
            ((2, 5), (0, 1), 0.357_142_857_142_857_15),
            ((100, 1000), (130, 1000), 0.982_165_066_116_350_6),
        ];
        for ((cc, nc), (cv, nv), expected) in cases {
            let got = chance_to_beat(tally(cc, nc), tally(cv, nv)).unwrap();
            close(got, expected, 1e-9);
        }
    }

    #[test]
    fn chance_to_beat_control_stays_exact_for_a_million_exposures() {
        let cases = [
            (
                (100_000, 1_000_000),
                (101_000, 1_000_000),
                0.990_658_681_203_001_8,
            ),
            (
                (500_000, 1_000_000),
                (501_000, 1_000_000),
                0.921_350_400_938_557_2,
            ),
            (
                (500_000, 1_000_000),
                (499_000, 1_000_000),
                0.078_649_594_580_086_55,
            ),
        ];
        for ((cc, nc), (cv, nv), expected) in cases {
            let got = chance_to_beat(tally(cc, nc), tally(cv, nv)).unwrap();
            close(got, expected, 1e-6);
        }
        // Far apart: certain either way, and never outside [0, 1].
        let sure = chance_to_beat(tally(10_000, 1_000_000), tally(20_000, 1_000_000)).unwrap();
        close(sure, 1.0, 1e-12);
        let never = chance_to_beat(tally(20_000, 1_000_000), tally(10_000, 1_000_000)).unwrap();
        close(never, 0.0, 1e-12);
    }

    #[test]
    fn chance_to_beat_control_refuses_more_conversions_than_exposures() {
        assert_eq!(chance_to_beat(tally(5, 4), tally(1, 4)), None);
        assert_eq!(chance_to_beat(tally(1, 4), tally(5, 4)), None);
    }

    // Sample ratio mismatch.
    //  - 4900 / 5100 at 50/50: expected 5000 each, χ² = 2 · 100² / 5000 = 4, df = 1,
    //    p = Q(1/2, 2) = erfc(√2) = 0.04550026389635842 (mpmath gammainc).
    //  - 2000 / 2100 / 5900 at 0.2/0.2/0.6: expected 2000, 2000, 6000; χ² = 0 + 5 + 1.666… =
    //    6.666…, df = 2, p = Q(1, 10/3) = e^(-10/3) = 0.035673993347252395.
    //  - 10300 / 9700 at 50/50: χ² = 2 · 300² / 10000 = 18, p = erfc(3) = 2.209049699858544e-5:
    //    a mismatch (p < 0.001).
    #[test]
    fn the_srm_check_matches_known_chi_square_p_values() {
        let t = chi_square_goodness_of_fit(&[4900, 5100], &[0.5, 0.5]).unwrap();
        close(t.statistic, 4.0, 1e-12);
        assert_eq!(t.degrees_of_freedom, 1);
        close(t.p_value, 0.045_500_263_896_358_42, 1e-12);

        let t = chi_square_goodness_of_fit(&[2000, 2100, 5900], &[0.2, 0.2, 0.6]).unwrap();
        close(t.statistic, 20.0 / 3.0, 1e-9);
        assert_eq!(t.degrees_of_freedom, 2);
        close(t.p_value, 0.035_673_993_347_252_395, 1e-12);

        // Weights need not sum to 1.
        let t = chi_square_goodness_of_fit(&[10_300, 9_700], &[1.0, 1.0]).unwrap();
        close(t.statistic, 18.0, 1e-12);
        close(t.p_value, 2.209_049_699_858_544e-5, 1e-15);
    }

    #[test]
    fn the_srm_check_is_undefined_with_nothing_to_compare() {
        assert_eq!(chi_square_goodness_of_fit(&[0, 0], &[0.5, 0.5]), None);
        assert_eq!(chi_square_goodness_of_fit(&[10], &[1.0]), None);
        assert_eq!(chi_square_goodness_of_fit(&[10, 0], &[1.0, 0.0]), None);
        assert_eq!(chi_square_goodness_of_fit(&[10, 10], &[1.0]), None);
        assert_eq!(chi_square_goodness_of_fit(&[10, 10], &[1.0, -1.0]), None);
        assert_eq!(
            chi_square_goodness_of_fit(&[10, 10], &[1.0, f64::NAN]),
            None
        );
    }

    #[test]
    fn a_perfect_split_has_p_one_and_exposures_where_none_were_expected_have_p_zero() {
        let t = chi_square_goodness_of_fit(&[50, 50, 0], &[1.0, 1.0, 0.0]).unwrap();
        assert_eq!(
            (t.statistic, t.degrees_of_freedom, t.p_value),
            (0.0, 1, 1.0)
        );
        let t = chi_square_goodness_of_fit(&[50, 50, 1], &[1.0, 1.0, 0.0]).unwrap();
        assert_eq!(
            (t.statistic, t.degrees_of_freedom, t.p_value),
            (f64::INFINITY, 1, 0.0)
        );
    }

    // NPS, 10 answers: 5 promoters, 3 passives, 2 detractors.
    //   p_P = 0.5, p_D = 0.2; NPS = 100 (0.5 - 0.2) = 30.
    //   Var X = 0.5 + 0.2 - 0.3² = 0.61; se = 100 √(0.61 / 10) = 24.6981781…;
    //   half = 1.959963984540054 · 24.6981781… = 48.4075…: [-18.4075, 78.4075].
    //   mpmath (tests/fixtures/stats_reference.py): half 48.40753950185256.
    // 9 promoters, 1 passive: NPS 90, Var = 0.9 - 0.81 = 0.09, half = 100 z √0.009 = 18.5939;
    // 90 + 18.59 is above 100: clamped.
    #[test]
    fn the_nps_interval_uses_the_variance_of_a_three_valued_score() {
        let nps = net_promoter_score(5, 3, 2, Z_95).unwrap();
        close(nps.score, 30.0, 1e-12);
        close(nps.interval.low, -18.407_539_501_852_56, 1e-10);
        close(nps.interval.high, 78.407_539_501_852_57, 1e-10);
        let high = net_promoter_score(9, 1, 0, Z_95).unwrap();
        close(high.score, 90.0, 1e-12);
        close(high.interval.low, 71.406_149_030_863_15, 1e-10);
        assert_eq!(high.interval.high, 100.0);
        // All in one group: no variance.
        let all = net_promoter_score(0, 0, 3, Z_95).unwrap();
        assert_eq!(
            (all.score, all.interval.low, all.interval.high),
            (-100.0, -100.0, -100.0)
        );
        assert_eq!(net_promoter_score(0, 0, 0, Z_95), None);
    }

    #[test]
    fn the_mean_position_counts_from_one() {
        // 1·1 + 2·0 + 3·2 = 7 over 3 answers.
        close(mean_position(&[1, 0, 2]).unwrap(), 7.0 / 3.0, 1e-15);
        assert_eq!(mean_position(&[0, 0, 0]), None);
        assert_eq!(mean_position(&[]), None);
    }
}
