//! The small, safe Markdown of tour text: paragraphs, lists, bold, italic and links, read
//! into a [`Document`] that the browser shell turns into DOM nodes with `createElement` and
//! `textContent` only.
//!
//! ```text
//! Create your first **invoice** here. Totals are *calculated* for you.
//!
//! - Pick a customer
//! - Add line items, then [read about taxes](https://docs.example/taxes)
//!
//! 1. Save
//! 2. Send
//! ```
//!
//! What is understood:
//! - blocks: paragraphs separated by blank lines; unordered list items (`- ` or `* `) and
//!   ordered ones (`1. `), one per line, the number of the first item being the list's
//!   start. A line that is not an item continues the item above it; a blank line between
//!   items of the same kind keeps the list going. Indentation is ignored, so nested lists
//!   come out flat.
//! - inlines: `**bold**` (and `__bold__`), `*italic*` and `_italic_`, `[label](url)`,
//!   backslash escapes (`\*` is a literal star), and line breaks: every newline inside a
//!   paragraph or item is a [`Inline::Break`], as tour authors expect from a text box.
//!
//! Everything else is literal text, HTML included: `<b>` and `<script>` reach the page as
//! the characters `<b>` and `<script>`, because the shell only ever sets text. A link whose
//! URL fails [`safe_url`] (`javascript:`, `data:`, any scheme but four) keeps its label as plain
//! text and its URL is listed in [`Document::refused`], so the configuration loader can warn.
//! A link's URL is written without spaces, brackets, parentheses, quotes or `<>` (encode
//! them: `%20`, `%28`…); a label holds no `[` and no line break. There are no images, code
//! spans, headings, or HTML.
//!
//! Parsing is linear in the length of the text and never recurses: emphasis is paired in
//! one pass with one open slot per marker kind, and the result is flat (a run of text
//! carries its bold and italic flags, a link holds runs), so neither nested nor unclosed
//! markers can make it slow or deep.

use crate::rules::content::safe_url;

/// A parsed text: its blocks, and the links refused as unsafe.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    /// Paragraphs and lists, in order.
    pub blocks: Vec<Block>,
    /// The URLs of links that were refused as unsafe (their labels stay, as text).
    pub refused: Vec<String>,
}

/// A paragraph or a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A paragraph (`<p>`).
    Paragraph(Vec<Inline>),
    /// A list (`<ul>` or `<ol>`).
    List(List),
}

/// A list and its items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct List {
    /// Numbered (`<ol>`) or bulleted (`<ul>`).
    pub ordered: bool,
    /// The number of the first item (`<ol start>`); 1 for bulleted lists.
    pub start: u32,
    /// Each item's content (`<li>`).
    pub items: Vec<Vec<Inline>>,
}

/// A piece of a paragraph or item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    /// Text, possibly bold and italic.
    Text(Run),
    /// A link (`<a href>`), its URL already checked.
    Link(Link),
    /// A line break (`<br>`).
    Break,
}

/// Text with its emphasis: the shell wraps it in `<strong>` and/or `<em>` as flagged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// The text, set with `textContent`.
    pub text: String,
    /// Bold (`<strong>`).
    pub bold: bool,
    /// Italic (`<em>`).
    pub italic: bool,
}

/// A link whose URL passed [`safe_url`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Where it leads.
    pub url: String,
    /// Its label (never empty: a link written without one shows its URL).
    pub label: Vec<Run>,
}

impl Document {
    /// Reads the Markdown subset described in the module documentation.
    #[must_use]
    pub fn parse(text: &str) -> Document {
        let mut document = Document::default();
        for raw in blocks(text) {
            let block = match raw {
                RawBlock::Paragraph(text) => Block::Paragraph(inlines(&text, &mut document)),
                RawBlock::List {
                    ordered,
                    start,
                    items,
                } => Block::List(List {
                    ordered,
                    start,
                    items: items
                        .iter()
                        .map(|item| inlines(item, &mut document))
                        .collect(),
                }),
            };
            document.blocks.push(block);
        }
        document
    }

    /// Takes text as written, with no markup at all: paragraphs at blank lines, a break at
    /// every other newline. For tours whose `format` is `plain`.
    #[must_use]
    pub fn plain(text: &str) -> Document {
        let mut document = Document::default();
        let mut inlines: Vec<Inline> = Vec::new();
        let mut blank = false;
        for line in text.split('\n') {
            let line = line.trim();
            if line.is_empty() {
                blank = true;
                continue;
            }
            if blank && !inlines.is_empty() {
                document
                    .blocks
                    .push(Block::Paragraph(std::mem::take(&mut inlines)));
            } else if !inlines.is_empty() {
                inlines.push(Inline::Break);
            }
            blank = false;
            inlines.push(Inline::Text(Run {
                text: line.to_owned(),
                bold: false,
                italic: false,
            }));
        }
        if !inlines.is_empty() {
            document.blocks.push(Block::Paragraph(inlines));
        }
        document
    }

    /// The text without its formatting: blocks separated by blank lines, items and breaks
    /// by newlines. For an accessible name, or a log.
    #[must_use]
    pub fn text(&self) -> String {
        fn push(out: &mut String, inlines: &[Inline]) {
            for inline in inlines {
                match inline {
                    Inline::Text(run) => out.push_str(&run.text),
                    Inline::Link(link) => link.label.iter().for_each(|r| out.push_str(&r.text)),
                    Inline::Break => out.push('\n'),
                }
            }
        }
        let mut out = String::new();
        for (i, block) in self.blocks.iter().enumerate() {
            if i > 0 {
                out.push_str("\n\n");
            }
            match block {
                Block::Paragraph(inlines) => push(&mut out, inlines),
                Block::List(list) => {
                    for (j, item) in list.items.iter().enumerate() {
                        if j > 0 {
                            out.push('\n');
                        }
                        push(&mut out, item);
                    }
                }
            }
        }
        out
    }
}

/// A block before its inlines are read.
enum RawBlock {
    Paragraph(String),
    List {
        ordered: bool,
        start: u32,
        items: Vec<String>,
    },
}

/// Splits text into paragraphs and lists, lines of one block joined by `\n`.
fn blocks(text: &str) -> Vec<RawBlock> {
    let mut out: Vec<RawBlock> = Vec::new();
    // Whether the block at the end of `out` is still open (no blank line since).
    let mut open = false;
    for line in text.split('\n') {
        let line = line.trim();
        if line.is_empty() {
            open = false;
            continue;
        }
        if let Some((ordered, number, rest)) = list_item(line) {
            match out.last_mut() {
                // A blank line between items of one kind keeps the list going.
                Some(RawBlock::List {
                    ordered: same,
                    items,
                    ..
                }) if *same == ordered => items.push(rest.to_owned()),
                _ => out.push(RawBlock::List {
                    ordered,
                    start: if ordered { number } else { 1 },
                    items: vec![rest.to_owned()],
                }),
            }
        } else {
            match out.last_mut() {
                Some(RawBlock::Paragraph(text)) if open => {
                    text.push('\n');
                    text.push_str(line);
                }
                Some(RawBlock::List { items, .. }) if open => {
                    if let Some(item) = items.last_mut() {
                        if !item.is_empty() {
                            item.push('\n');
                        }
                        item.push_str(line);
                    }
                }
                _ => out.push(RawBlock::Paragraph(line.to_owned())),
            }
        }
        open = true;
    }
    out
}

/// `- x`, `* x` (unordered) or `12. x` (ordered): whether ordered, the number, and the rest.
fn list_item(line: &str) -> Option<(bool, u32, &str)> {
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some((false, 1, rest.trim_start()));
    }
    if line == "-" || line == "*" {
        return Some((false, 1, ""));
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let rest = line.get(digits..)?;
    let rest = rest
        .strip_prefix(". ")
        .or_else(|| (rest == ".").then_some(""))?;
    let number = line
        .bytes()
        .take(digits)
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    Some((true, number, rest.trim_start()))
}

/// An emphasis marker's kind: `*`, `_`, `**`, `__`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Star,
    Underscore,
    DoubleStar,
    DoubleUnderscore,
}

impl Kind {
    fn slot(self) -> usize {
        self as usize
    }

    fn literal(self) -> &'static str {
        match self {
            Kind::Star => "*",
            Kind::Underscore => "_",
            Kind::DoubleStar => "**",
            Kind::DoubleUnderscore => "__",
        }
    }
}

enum Token {
    Text(String),
    Marker {
        kind: Kind,
        open: bool,
        close: bool,
        paired: bool,
    },
    LinkOpen(String),
    LinkClose,
    Break,
}

fn push_text(tokens: &mut Vec<Token>, text: &str) {
    if let Some(Token::Text(last)) = tokens.last_mut() {
        last.push_str(text);
    } else {
        tokens.push(Token::Text(text.to_owned()));
    }
}

fn push_char(tokens: &mut Vec<Token>, c: char) {
    let mut buffer = [0u8; 4];
    push_text(tokens, c.encode_utf8(&mut buffer));
}

/// Where a link that starts with `[` at `open` ends: `(label end, url start, url end,
/// after)`, or `None` when it is not a link. The label may not hold `[` or a newline and the
/// URL no space or bracket, so each scan stops at the next `[` at the latest and the scans
/// of all candidate links together stay linear.
fn link_at(bytes: &[u8], open: usize) -> Option<(usize, usize, usize, usize)> {
    let mut i = open + 1;
    let label_end = loop {
        match bytes.get(i)? {
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => return None,
            b'\\' => i += 2,
            b']' => break i,
            b'[' | b'\n' => return None,
            _ => i += 1,
        }
    };
    if bytes.get(label_end + 1) != Some(&b'(') {
        return None;
    }
    let url_start = label_end + 2;
    let mut j = url_start;
    loop {
        match bytes.get(j)? {
            b')' => break,
            b'(' | b'[' | b']' | b'<' | b'>' | b'"' => return None,
            b if b.is_ascii_whitespace() => return None,
            _ => j += 1,
        }
    }
    (j > url_start).then_some((label_end, url_start, j, j + 1))
}

/// Reads the inlines of one paragraph or item.
fn inlines(text: &str, document: &mut Document) -> Vec<Inline> {
    let tokens = pair(tokenize(text, &mut document.refused));
    emit(tokens)
}

/// First pass: text, markers (with whether each may open or close), links and breaks.
fn tokenize(text: &str, refused: &mut Vec<String>) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    // The end of the label of the link being read, and where to resume after its `(url)`.
    let mut label: Option<(usize, usize, bool)> = None;
    let mut i = 0;
    let mut previous: Option<char> = None;
    while let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) {
        if let Some((label_end, after, linked)) = label {
            if i >= label_end {
                if linked {
                    tokens.push(Token::LinkClose);
                }
                label = None;
                i = after;
                previous = Some(')');
                continue;
            }
        }
        match c {
            '\\' => {
                let next = text.get(i + 1..).and_then(|rest| rest.chars().next());
                match next {
                    Some('\n') => {
                        tokens.push(Token::Break);
                        i += 2;
                    }
                    Some(p) if p.is_ascii_punctuation() => {
                        push_char(&mut tokens, p);
                        i += 2;
                    }
                    _ => {
                        push_char(&mut tokens, '\\');
                        i += 1;
                    }
                }
                previous = Some('a');
                continue;
            }
            '\n' => {
                tokens.push(Token::Break);
                i += 1;
                previous = None;
                continue;
            }
            '*' | '_' => {
                let run = bytes
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|&&b| b == c as u8)
                    .count();
                let next = text.get(i + run..).and_then(|rest| rest.chars().next());
                i += run;
                if run > 3 {
                    for _ in 0..run {
                        push_char(&mut tokens, c);
                    }
                    previous = Some(c);
                    continue;
                }
                let space_before = previous.is_none_or(char::is_whitespace);
                let space_after = next.is_none_or(char::is_whitespace);
                let (mut open, mut close) = (!space_after, !space_before);
                if c == '_' {
                    // Underscores inside words (`snake_case_name`) are not emphasis.
                    open &= !previous.is_some_and(word);
                    close &= !next.is_some_and(word);
                }
                let (single, double) = if c == '*' {
                    (Kind::Star, Kind::DoubleStar)
                } else {
                    (Kind::Underscore, Kind::DoubleUnderscore)
                };
                let kinds: &[Kind] = match run {
                    1 => &[single],
                    2 => &[double],
                    _ => &[double, single],
                };
                for &kind in kinds {
                    tokens.push(Token::Marker {
                        kind,
                        open,
                        close,
                        paired: false,
                    });
                }
                previous = Some(c);
                continue;
            }
            '[' if label.is_none() => {
                if let Some((label_end, url_start, url_end, after)) = link_at(bytes, i) {
                    let url = text.get(url_start..url_end).unwrap_or_default();
                    let linked = safe_url(url);
                    if !linked {
                        refused.push(url.to_owned());
                    }
                    if label_end == i + 1 {
                        // `[](url)`: the URL is its own label.
                        if linked {
                            tokens.push(Token::LinkOpen(url.to_owned()));
                            push_text(&mut tokens, url);
                            tokens.push(Token::LinkClose);
                        }
                        i = after;
                        previous = Some(')');
                        continue;
                    }
                    if linked {
                        tokens.push(Token::LinkOpen(url.to_owned()));
                    }
                    label = Some((label_end, after, linked));
                    i += 1;
                    previous = Some('[');
                    continue;
                }
            }
            _ => {}
        }
        push_char(&mut tokens, c);
        i += c.len_utf8();
        previous = Some(c);
    }
    tokens
}

/// Whether `c` is part of a word, for underscores inside words. Any non-ASCII character
/// that is not a space counts: exact enough for this, and it keeps Unicode's letter tables
/// out of the wasm.
fn word(c: char) -> bool {
    c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_whitespace())
}

/// Second pass: pairs each closing marker with the open marker of its kind. Each kind has
/// one open slot; a newer opener replaces an older unclosed one, which stays literal.
fn pair(mut tokens: Vec<Token>) -> Vec<Token> {
    let mut slots: [Option<usize>; 4] = [None; 4];
    for index in 0..tokens.len() {
        let Some(Token::Marker {
            kind, open, close, ..
        }) = tokens.get(index)
        else {
            continue;
        };
        let (kind, open, close) = (*kind, *open, *close);
        let slot = slots.get_mut(kind.slot());
        let Some(slot) = slot else { continue };
        match *slot {
            Some(opener) if close => {
                for at in [opener, index] {
                    if let Some(Token::Marker { paired, .. }) = tokens.get_mut(at) {
                        *paired = true;
                    }
                }
                *slot = None;
            }
            _ if open => *slot = Some(index),
            _ => {}
        }
    }
    tokens
}

/// Third pass: runs with their emphasis flags, links, breaks.
fn emit(tokens: Vec<Token>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut link: Option<Link> = None;
    let mut active = [false; 4];
    for token in tokens {
        match token {
            Token::Text(text) => add(&mut out, &mut link, &text, active),
            Token::Marker {
                kind, paired: true, ..
            } => {
                if let Some(on) = active.get_mut(kind.slot()) {
                    *on = !*on;
                }
            }
            Token::Marker { kind, .. } => add(&mut out, &mut link, kind.literal(), active),
            Token::LinkOpen(url) => {
                link = Some(Link {
                    url,
                    label: Vec::new(),
                });
            }
            Token::LinkClose => close_link(&mut out, &mut link),
            Token::Break => out.push(Inline::Break),
        }
    }
    close_link(&mut out, &mut link);
    out
}

/// Adds text to the open link's label, or else to the paragraph, joining it to the last
/// run when the emphasis is the same.
fn add(out: &mut Vec<Inline>, link: &mut Option<Link>, text: &str, active: [bool; 4]) {
    // In the order of `Kind`'s variants.
    let [star, underscore, double_star, double_underscore] = active;
    let (bold, italic) = (double_star || double_underscore, star || underscore);
    let last = match link {
        Some(link) => link.label.last_mut(),
        None => match out.last_mut() {
            Some(Inline::Text(run)) => Some(run),
            _ => None,
        },
    };
    match last {
        Some(run) if run.bold == bold && run.italic == italic => run.text.push_str(text),
        _ => {
            let run = Run {
                text: text.to_owned(),
                bold,
                italic,
            };
            match link {
                Some(link) => link.label.push(run),
                None => out.push(Inline::Text(run)),
            }
        }
    }
}

fn close_link(out: &mut Vec<Inline>, link: &mut Option<Link>) {
    if let Some(mut done) = link.take() {
        if done.label.iter().all(|r| r.text.is_empty()) {
            done.label = vec![Run {
                text: done.url.clone(),
                bold: false,
                italic: false,
            }];
        }
        out.push(Inline::Link(done));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders a document in a compact notation, only for reading the tests: `<p>` starts
    /// a paragraph, `<ul 1>`/`<ol 3>` a list (with its start), `<li>` an item; `{b …}`,
    /// `{i …}` and `{bi …}` are bold, italic and both; `{a url|label}` is a link and `|` a
    /// break.
    fn check(markdown: &str, expected: &str) {
        fn runs(out: &mut String, runs: &[Run]) {
            for run in runs {
                let mark = match (run.bold, run.italic) {
                    (true, true) => "{bi ",
                    (true, false) => "{b ",
                    (false, true) => "{i ",
                    (false, false) => "",
                };
                out.push_str(mark);
                out.push_str(&run.text);
                if !mark.is_empty() {
                    out.push('}');
                }
            }
        }
        fn inlines(out: &mut String, inlines: &[Inline]) {
            for inline in inlines {
                match inline {
                    Inline::Text(run) => runs(out, std::slice::from_ref(run)),
                    Inline::Link(link) => {
                        out.push_str("{a ");
                        out.push_str(&link.url);
                        out.push('|');
                        runs(out, &link.label);
                        out.push('}');
                    }
                    Inline::Break => out.push('|'),
                }
            }
        }
        let document = Document::parse(markdown);
        let mut out = String::new();
        for block in &document.blocks {
            match block {
                Block::Paragraph(p) => {
                    out.push_str("<p>");
                    inlines(&mut out, p);
                }
                Block::List(list) => {
                    out.push_str(if list.ordered { "<ol " } else { "<ul " });
                    out.push_str(&list.start.to_string());
                    out.push('>');
                    for item in &list.items {
                        out.push_str("<li>");
                        inlines(&mut out, item);
                    }
                }
            }
        }
        assert_eq!(out, expected, "{markdown:?}");
    }

    #[test]
    fn paragraphs_are_separated_by_blank_lines_and_newlines_are_breaks() {
        check("one\ntwo\n\n  three  \n", "<p>one|two<p>three");
        check("\n\n\n", "");
        check("a\r\nb", "<p>a|b");
    }

    #[test]
    fn bold_italic_and_both() {
        check(
            "**bold** and *it* and _it_ and __b__",
            "<p>{b bold} and {i it} and {i it} and {b b}",
        );
        check("***both***", "<p>{bi both}");
        check("**a *b** c*", "<p>{b a }{bi b}{i  c}");
    }

    #[test]
    fn markers_that_cannot_open_or_close_stay_literal() {
        check("2 * 3 * 4", "<p>2 * 3 * 4");
        check("snake_case_name", "<p>snake_case_name");
        check("café_crème_brûlée", "<p>café_crème_brûlée");
        check("*unclosed and **also", "<p>*unclosed and **also");
        check("**** four", "<p>**** four");
        // Stars work inside words, underscores do not (as in CommonMark).
        check("a*b*c", "<p>a{i b}c");
    }

    #[test]
    fn backslash_escapes_make_markers_literal() {
        check(
            r"\*not italic\* and \[x](y) and \\",
            r"<p>*not italic* and [x](y) and \",
        );
        check("a\\\nb", "<p>a|b");
        check(r"\a", r"<p>\a");
    }

    #[test]
    fn links_keep_their_label_and_checked_url() {
        check(
            "See [the **docs**](https://docs.example/a?b=c#d).",
            "<p>See {a https://docs.example/a?b=c#d|the {b docs}}.",
        );
        check("[](/pricing)", "<p>{a /pricing|/pricing}");
        check("[a] (b) [c](d e)", "<p>[a] (b) [c](d e)");
        check("[[x](/y)", "<p>[{a /y|x}");
    }

    #[test]
    fn unsafe_links_become_their_plain_label_and_are_reported() {
        let document = Document::parse("[click](javascript:alert(1)) [me](JAVASCRIPT:x)");
        assert_eq!(document.refused, ["JAVASCRIPT:x"]);
        // `javascript:alert(1)` holds a `(`, so it is not a link at all: literal text.
        assert_eq!(document.text(), "[click](javascript:alert(1)) me");
        assert!(!document.blocks.iter().any(
            |b| matches!(b, Block::Paragraph(p) if p.iter().any(|i| matches!(i, Inline::Link(_))))
        ));
        let data = Document::parse("[x](data:text/html,hi)");
        assert_eq!(
            (data.text().as_str(), data.refused.as_slice()),
            ("x", ["data:text/html,hi".to_owned()].as_slice())
        );
    }

    #[test]
    fn html_is_literal_text() {
        check(
            "<script>alert(1)</script> <b>x</b> <img src=x onerror=alert(1)>",
            "<p><script>alert(1)</script> <b>x</b> <img src=x onerror=alert(1)>",
        );
        check("[<b>x</b>](/y)", "<p>{a /y|<b>x</b>}");
    }

    #[test]
    fn lists_bulleted_and_numbered() {
        check(
            "Steps:\n- one\n* two\ncontinued\n\n- three\n1. a\n2. b\n\n7. c\n\nafter",
            "<p>Steps:<ul 1><li>one<li>two|continued<li>three<ol 1><li>a<li>b<li>c<p>after",
        );
        check("3. start at three", "<ol 3><li>start at three");
        check("-not a list\n1.not either", "<p>-not a list|1.not either");
        check("- *it* and [l](/x)", "<ul 1><li>{i it} and {a /x|l}");
    }

    #[test]
    fn plain_mode_takes_text_as_written() {
        let document = Document::plain("**Hi** <b>\n\n[x](y)");
        assert_eq!(document.text(), "**Hi** <b>\n\n[x](y)");
        assert_eq!(document.blocks.len(), 2);
    }

    #[test]
    fn adversarial_input_is_linear_and_shallow() {
        let patterns = [
            "*", "_", "**", "[", "[a](", "](", "*a", "_a ", "[**", "\\", "[a](b", "**_*",
        ];
        for pattern in patterns {
            let text = pattern.repeat(200_000 / pattern.len());
            let started = std::time::Instant::now();
            let document = Document::parse(&text);
            // Quadratic work on 200 kB would take minutes; linear takes milliseconds.
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{pattern:?} took {:?}",
                started.elapsed()
            );
            assert!(!document.blocks.is_empty());
        }
        // Unclosed markers come back as the text they were.
        let text = "*a **b [c _d ".repeat(1_000);
        assert_eq!(Document::parse(&text).text(), text.trim_end());
    }
}
