//! Which URL changes count as a new page view.
//!
//! Single-page apps call `history.pushState` and `replaceState` for many reasons: a real
//! route change, but also to store scroll position or to rewrite the same URL. Only a change
//! of the URL without its fragment is a new page; a fragment change is an in-page anchor.

/// True when navigating from `previous` to `next` is a new page view.
///
/// `previous` is `None` for the first page of a document.
#[must_use]
pub fn is_new_page(previous: Option<&str>, next: &str) -> bool {
    match previous {
        None => true,
        Some(previous) => without_fragment(previous) != without_fragment(next),
    }
}

fn without_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(before, _)| before)
}

#[cfg(test)]
mod tests {
    use super::is_new_page;

    fn check(previous: Option<&str>, next: &str, expected: bool) {
        assert_eq!(
            is_new_page(previous, next),
            expected,
            "{previous:?} -> {next}"
        );
    }

    #[test]
    fn the_first_page_of_a_document_is_a_page_view() {
        check(None, "https://app.test/", true);
    }

    #[test]
    fn a_route_or_query_change_is_a_page_view() {
        check(Some("https://app.test/"), "https://app.test/invoices", true);
        check(
            Some("https://app.test/invoices"),
            "https://app.test/invoices?page=2",
            true,
        );
    }

    #[test]
    fn rewriting_the_same_url_or_only_its_fragment_is_not() {
        check(
            Some("https://app.test/invoices"),
            "https://app.test/invoices",
            false,
        );
        check(
            Some("https://app.test/invoices"),
            "https://app.test/invoices#total",
            false,
        );
        check(Some("https://app.test/a#x"), "https://app.test/a#y", false);
    }
}
