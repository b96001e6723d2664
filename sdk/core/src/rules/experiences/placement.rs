//! Where a tour step's popover goes: a pure function of the target's rectangle, the
//! popover's size and the viewport, all in CSS pixels in viewport coordinates (what
//! `getBoundingClientRect` gives).
//!
//! [`place`] returns one of three layouts:
//! - [`Placed::Anchored`]: next to the target on one side, with an arrow pointing at it.
//!   The preferred side is used when the popover fits there; otherwise the opposite side
//!   (flipped); otherwise the roomier of the two other sides. [`Placement::Auto`] takes the
//!   side with the most room to spare, preferring, on a tie, bottom, top, right, then left.
//!   Along the side, the popover is aligned with the target (start, center or end) and then
//!   shifted as little as needed to stay [`Layout::margin`] inside the viewport.
//! - [`Placed::Centered`]: in the middle of the viewport, with the reason: the step has no
//!   target or asks to be centered, or the target is off-screen or covered, or the popover
//!   fits on no side of it.
//! - [`Placed::Sheet`]: a bottom sheet, for viewports narrower than
//!   [`Layout::sheet_below`] (640 CSS px by default), where a popover beside its target
//!   would cover most of the page anyway. Every step is a sheet there, centered ones too.
//!
//! Insets are the parts of the viewport the page keeps covered, such as a fixed header: the
//! popover never goes under them, and a target under them counts as hidden. Only the part
//! of the target inside the viewport (less its insets) is used, so a target half scrolled
//! away gets a popover beside its visible half.
//!
//! The browser shell scrolls the target into view before calling [`place`], measures the
//! popover (with its `max-width` already applied), and calls it again on scroll and
//! resize. Start and end are left and right, top and bottom: the shell swaps them for
//! right-to-left documents.

/// A rectangle in CSS pixels, in viewport coordinates.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Rect {
    /// The right edge.
    #[must_use]
    pub fn right(&self) -> f64 {
        self.x + self.width
    }

    /// The bottom edge.
    #[must_use]
    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }

    fn finite(&self) -> bool {
        self.x.is_finite()
            && self.y.is_finite()
            && self.width.is_finite()
            && self.height.is_finite()
    }

    /// The part of `self` inside `within`, if any of it is.
    fn clip(&self, within: &Rect) -> Option<Rect> {
        let (x1, y1) = (self.x.max(within.x), self.y.max(within.y));
        let (x2, y2) = (
            self.right().min(within.right()),
            self.bottom().min(within.bottom()),
        );
        (x2 >= x1 && y2 >= y1 && (x2 > x1 || y2 > y1)).then_some(Rect {
            x: x1,
            y: y1,
            width: x2 - x1,
            height: y2 - y1,
        })
    }

    /// `self` shrunk by `by` on every side (never below zero size).
    fn shrink(&self, by: f64) -> Rect {
        Rect {
            x: self.x + by,
            y: self.y + by,
            width: (self.width - 2.0 * by).max(0.0),
            height: (self.height - 2.0 * by).max(0.0),
        }
    }
}

/// A size in CSS pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Size {
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// Parts of the viewport's edges the page keeps covered (a fixed header, a bottom bar).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Insets {
    /// Covered at the top.
    pub top: f64,
    /// Covered at the right.
    pub right: f64,
    /// Covered at the bottom.
    pub bottom: f64,
    /// Covered at the left.
    pub left: f64,
}

/// Where a step asks its popover to go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Placement {
    /// The side with the most room.
    #[default]
    Auto,
    /// Above the target.
    Top,
    /// Below the target.
    Bottom,
    /// Left of the target.
    Left,
    /// Right of the target.
    Right,
    /// In the middle of the viewport, whatever the target.
    Center,
}

impl Placement {
    /// The configuration name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Placement::Auto => "auto",
            Placement::Top => "top",
            Placement::Bottom => "bottom",
            Placement::Left => "left",
            Placement::Right => "right",
            Placement::Center => "center",
        }
    }

    /// Reads a configuration name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Placement> {
        [
            Placement::Auto,
            Placement::Top,
            Placement::Bottom,
            Placement::Left,
            Placement::Right,
            Placement::Center,
        ]
        .into_iter()
        .find(|p| p.name() == name)
    }
}

/// A side of the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Above.
    Top,
    /// Below.
    Bottom,
    /// To the left.
    Left,
    /// To the right.
    Right,
}

impl Side {
    /// The side across the target.
    #[must_use]
    pub fn opposite(self) -> Side {
        match self {
            Side::Top => Side::Bottom,
            Side::Bottom => Side::Top,
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    /// The CSS-ish name, for a `data-side` attribute that points the arrow.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Side::Top => "top",
            Side::Bottom => "bottom",
            Side::Left => "left",
            Side::Right => "right",
        }
    }

    fn vertical(self) -> bool {
        matches!(self, Side::Top | Side::Bottom)
    }
}

/// How the popover lines up with the target along the side it is on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Align {
    /// Left edges (top edges on the left and right sides) line up.
    Start,
    /// Centres line up.
    #[default]
    Center,
    /// Right edges (bottom edges) line up.
    End,
}

impl Align {
    /// Reads a configuration name: `start`, `center`, `end`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Align> {
        match name {
            "start" => Some(Align::Start),
            "center" => Some(Align::Center),
            "end" => Some(Align::End),
            _ => None,
        }
    }
}

/// The popover's fixed measures, in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    /// Between the target and the popover's box; the arrow is drawn in it. Default 12.
    pub gap: f64,
    /// The width of the arrow's base. Default 14.
    pub arrow: f64,
    /// The least distance from the popover to the viewport's edges (and insets). Default 8.
    pub margin: f64,
    /// The popover's corner radius, which the arrow keeps clear of. Default 8.
    pub radius: f64,
    /// Viewports narrower than this get bottom sheets. Default 640; 0 turns sheets off.
    pub sheet_below: f64,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            gap: 12.0,
            arrow: 14.0,
            margin: 8.0,
            radius: 8.0,
            sheet_below: 640.0,
        }
    }
}

/// Everything [`place`] needs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Request {
    /// The target's rectangle; `None` for a step without a target.
    pub target: Option<Rect>,
    /// Whether the shell found the target covered by something else (the element at its
    /// centre is neither it nor inside it).
    pub obscured: bool,
    /// The popover's measured size.
    pub floating: Size,
    /// The viewport's size.
    pub viewport: Size,
    /// Covered edges of the viewport.
    pub insets: Insets,
    /// The side the step asks for.
    pub placement: Placement,
    /// How it lines up with the target.
    pub align: Align,
    /// Gap, arrow, margin, radius, sheet breakpoint.
    pub layout: Layout,
}

/// Where the popover goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Placed {
    /// Beside the target.
    Anchored(Anchored),
    /// In the middle of the viewport.
    Centered(Centered),
    /// A bottom sheet, for narrow viewports.
    Sheet(Sheet),
}

/// A popover beside its target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchored {
    /// The side of the target it is on.
    pub side: Side,
    /// Its left edge.
    pub x: f64,
    /// Its top edge.
    pub y: f64,
    /// The arrow's centre, measured along the popover's edge that faces the target (from its
    /// left end for top and bottom, from its top end for left and right). `None` when the
    /// arrow cannot touch the target without running into a rounded corner: draw none.
    pub arrow: Option<f64>,
    /// It is not on the side the step asked for.
    pub flipped: bool,
    /// It was moved along the side to stay inside the viewport.
    pub shifted: bool,
}

/// A popover in the middle of the viewport.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Centered {
    /// Its left edge.
    pub x: f64,
    /// Its top edge.
    pub y: f64,
    /// Why it is centred.
    pub why: Why,
}

/// Why a popover is centred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// The step has no target, or asks to be centred.
    Requested,
    /// No part of the target is in the viewport (less its insets), or it has no size.
    OffScreen,
    /// The target is covered by something else.
    Obscured,
    /// The popover fits on no side of the target.
    NoRoom,
}

/// A bottom sheet: full width, fixed to the bottom of the viewport above its bottom inset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sheet {
    /// Its distance from the viewport's bottom edge (the bottom inset).
    pub bottom: f64,
    /// The most it may be tall (it scrolls inside beyond that).
    pub max_height: f64,
}

/// Where the popover goes; see the module documentation.
#[must_use]
pub fn place(request: &Request) -> Placed {
    let layout = Layout {
        gap: request.layout.gap.max(0.0),
        arrow: request.layout.arrow.max(0.0),
        margin: request.layout.margin.max(0.0),
        radius: request.layout.radius.max(0.0),
        sheet_below: request.layout.sheet_below.max(0.0),
    };
    let insets = &request.insets;
    let (vw, vh) = (
        request.viewport.width.max(0.0),
        request.viewport.height.max(0.0),
    );
    let size = Size {
        width: request.floating.width.max(0.0),
        height: request.floating.height.max(0.0),
    };
    if vw < layout.sheet_below {
        return Placed::Sheet(Sheet {
            bottom: insets.bottom.max(0.0),
            max_height: (vh - insets.top.max(0.0) - insets.bottom.max(0.0) - layout.margin)
                .max(0.0),
        });
    }
    let view = Rect {
        x: insets.left.max(0.0),
        y: insets.top.max(0.0),
        width: (vw - insets.left.max(0.0) - insets.right.max(0.0)).max(0.0),
        height: (vh - insets.top.max(0.0) - insets.bottom.max(0.0)).max(0.0),
    };
    let area = view.shrink(layout.margin);
    let centered = |why| {
        Placed::Centered(Centered {
            x: area.x + ((area.width - size.width) / 2.0).max(0.0),
            y: area.y + ((area.height - size.height) / 2.0).max(0.0),
            why,
        })
    };
    let target = match request.target {
        Some(target) if request.placement != Placement::Center => target,
        _ => return centered(Why::Requested),
    };
    if request.obscured {
        return centered(Why::Obscured);
    }
    let visible = if target.finite() && (target.width > 0.0 || target.height > 0.0) {
        target.clip(&view)
    } else {
        None
    };
    let Some(visible) = visible else {
        return centered(Why::OffScreen);
    };
    let spare = |side: Side| match side {
        Side::Top => visible.y - layout.gap - area.y - size.height,
        Side::Bottom => area.bottom() - visible.bottom() - layout.gap - size.height,
        Side::Left => visible.x - layout.gap - area.x - size.width,
        Side::Right => area.right() - visible.right() - layout.gap - size.width,
    };
    // The side among `sides` with the most room to spare, earlier ones winning ties.
    let roomiest = |sides: [Side; 2]| -> Option<Side> {
        sides.into_iter().filter(|s| spare(*s) >= 0.0).fold(
            None,
            |best: Option<Side>, s| match best {
                Some(b) if spare(b) >= spare(s) => Some(b),
                _ => Some(s),
            },
        )
    };
    let fits = |side: Side| spare(side) >= 0.0;
    let chosen = match request.placement {
        Placement::Auto => {
            let vertical = roomiest([Side::Bottom, Side::Top]);
            let horizontal = roomiest([Side::Right, Side::Left]);
            match (vertical, horizontal) {
                (Some(v), Some(h)) => Some((if spare(v) >= spare(h) { v } else { h }, false)),
                (v, h) => v.or(h).map(|s| (s, false)),
            }
        }
        placement => {
            let preferred = match placement {
                Placement::Top => Side::Top,
                Placement::Left => Side::Left,
                Placement::Right => Side::Right,
                _ => Side::Bottom,
            };
            if fits(preferred) {
                Some((preferred, false))
            } else if fits(preferred.opposite()) {
                Some((preferred.opposite(), true))
            } else if preferred.vertical() {
                roomiest([Side::Right, Side::Left]).map(|s| (s, true))
            } else {
                roomiest([Side::Bottom, Side::Top]).map(|s| (s, true))
            }
        }
    };
    let Some((side, flipped)) = chosen else {
        return centered(Why::NoRoom);
    };
    // Along the side: (the target's visible start and length, the popover's length, the
    // area's start and length).
    let (start, length, own, area_start, area_length) = if side.vertical() {
        (visible.x, visible.width, size.width, area.x, area.width)
    } else {
        (visible.y, visible.height, size.height, area.y, area.height)
    };
    let aligned = match request.align {
        Align::Start => start,
        Align::Center => start + length / 2.0 - own / 2.0,
        Align::End => start + length - own,
    };
    let along = aligned.min(area_start + area_length - own).max(area_start);
    let shifted = (along - aligned).abs() > 1e-9;
    let arrow = arrow(start, length, along, own, &layout);
    let across = match side {
        Side::Top => visible.y - layout.gap - size.height,
        Side::Bottom => visible.bottom() + layout.gap,
        Side::Left => visible.x - layout.gap - size.width,
        Side::Right => visible.right() + layout.gap,
    };
    let (x, y) = if side.vertical() {
        (along, across)
    } else {
        (across, along)
    };
    Placed::Anchored(Anchored {
        side,
        x,
        y,
        arrow,
        flipped,
        shifted,
    })
}

/// The arrow's offset along the popover's edge: the middle of the stretch where the popover
/// and the target overlap, kept clear of the rounded corners; `None` if it then misses the
/// target.
fn arrow(target: f64, length: f64, popover: f64, own: f64, layout: &Layout) -> Option<f64> {
    let from = target.max(popover);
    let to = (target + length).min(popover + own);
    if to < from {
        return None;
    }
    let ideal = (from + to) / 2.0 - popover;
    let low = layout.radius + layout.arrow / 2.0;
    let high = own - layout.radius - layout.arrow / 2.0;
    let offset = if high < low {
        own / 2.0
    } else {
        ideal.clamp(low, high)
    };
    let at = popover + offset;
    (at >= target && at <= target + length).then_some(offset)
}

/// The hole a spotlight cuts in the backdrop around a target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hole {
    /// The target grown by the padding, clipped to the viewport.
    pub rect: Rect,
    /// The corner radius, at most half the hole's shorter side.
    pub radius: f64,
}

/// The spotlight around `target`: grown by `padding` on every side and clipped to the
/// viewport; `None` when nothing of it is on screen.
#[must_use]
pub fn spotlight(target: Rect, padding: f64, radius: f64, viewport: Size) -> Option<Hole> {
    if !target.finite() {
        return None;
    }
    let padding = padding.max(0.0);
    let grown = Rect {
        x: target.x - padding,
        y: target.y - padding,
        width: target.width.max(0.0) + 2.0 * padding,
        height: target.height.max(0.0) + 2.0 * padding,
    };
    let screen = Rect {
        x: 0.0,
        y: 0.0,
        width: viewport.width.max(0.0),
        height: viewport.height.max(0.0),
    };
    let rect = grown
        .clip(&screen)
        .filter(|r| r.width > 0.0 && r.height > 0.0)?;
    Some(Hole {
        rect,
        radius: radius.max(0.0).min(rect.width.min(rect.height) / 2.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESKTOP: Size = Size {
        width: 1280.0,
        height: 800.0,
    };
    const POPOVER: Size = Size {
        width: 300.0,
        height: 150.0,
    };

    fn rect(x: f64, y: f64, width: f64, height: f64) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    fn request(target: Rect, placement: Placement) -> Request {
        Request {
            target: Some(target),
            floating: POPOVER,
            viewport: DESKTOP,
            placement,
            ..Request::default()
        }
    }

    fn anchored(
        side: Side,
        (x, y): (f64, f64),
        arrow: Option<f64>,
        flipped: bool,
        shifted: bool,
    ) -> Placed {
        Placed::Anchored(Anchored {
            side,
            x,
            y,
            arrow,
            flipped,
            shifted,
        })
    }

    fn check(request: Request, expected: Placed) {
        assert_eq!(place(&request), expected, "{request:?}");
    }

    #[test]
    fn the_preferred_side_is_used_when_it_has_room() {
        // Centred under the target: x = 160 - 300/2, y = 140 + 12.
        check(
            request(rect(100.0, 100.0, 120.0, 40.0), Placement::Bottom),
            anchored(Side::Bottom, (10.0, 152.0), Some(150.0), false, false),
        );
        check(
            request(rect(500.0, 400.0, 100.0, 40.0), Placement::Top),
            anchored(Side::Top, (400.0, 238.0), Some(150.0), false, false),
        );
        check(
            request(rect(500.0, 300.0, 100.0, 40.0), Placement::Left),
            anchored(Side::Left, (188.0, 245.0), Some(75.0), false, false),
        );
        check(
            request(rect(500.0, 300.0, 100.0, 40.0), Placement::Right),
            anchored(Side::Right, (612.0, 245.0), Some(75.0), false, false),
        );
    }

    #[test]
    fn a_side_without_room_flips_to_the_opposite_at_each_edge() {
        // Bottom edge: 792 - 740 - 12 < 150, so above: y = 700 - 12 - 150.
        check(
            request(rect(500.0, 700.0, 100.0, 40.0), Placement::Bottom),
            anchored(Side::Top, (400.0, 538.0), Some(150.0), true, false),
        );
        // Top edge: below, y = 60 + 12.
        check(
            request(rect(500.0, 20.0, 100.0, 40.0), Placement::Top),
            anchored(Side::Bottom, (400.0, 72.0), Some(150.0), true, false),
        );
        // Left edge: to the right, x = 150 + 12.
        check(
            request(rect(50.0, 300.0, 100.0, 40.0), Placement::Left),
            anchored(Side::Right, (162.0, 245.0), Some(75.0), true, false),
        );
        // Right edge: to the left, x = 1100 - 12 - 300.
        check(
            request(rect(1100.0, 300.0, 100.0, 40.0), Placement::Right),
            anchored(Side::Left, (788.0, 245.0), Some(75.0), true, false),
        );
    }

    #[test]
    fn the_popover_shifts_along_its_side_to_stay_inside_the_viewport() {
        // Centred would be x = 1080; the margin allows at most 1280 - 8 - 300 = 972. The
        // arrow still points at the target's centre, 1230 - 972.
        check(
            request(rect(1200.0, 100.0, 60.0, 30.0), Placement::Bottom),
            anchored(Side::Bottom, (972.0, 142.0), Some(258.0), false, true),
        );
        // Right side, target low on the screen: y is pulled up to 800 - 8 - 150.
        check(
            request(rect(100.0, 740.0, 100.0, 40.0), Placement::Right),
            anchored(Side::Right, (212.0, 642.0), Some(118.0), false, true),
        );
    }

    #[test]
    fn alignment_lines_up_start_or_end_edges() {
        let mut start = request(rect(400.0, 100.0, 120.0, 40.0), Placement::Bottom);
        start.align = Align::Start;
        check(
            start,
            anchored(Side::Bottom, (400.0, 152.0), Some(60.0), false, false),
        );
        let mut end = start;
        end.align = Align::End;
        check(
            end,
            anchored(Side::Bottom, (220.0, 152.0), Some(240.0), false, false),
        );
    }

    #[test]
    fn the_arrow_keeps_clear_of_the_corners_and_is_dropped_when_it_would_miss() {
        // The overlap is 8..30, centre 19 → 11 from the popover's edge; the corner (8) and
        // half the arrow (7) push it to 15, at x = 23, still on the target.
        check(
            request(rect(0.0, 100.0, 30.0, 30.0), Placement::Bottom),
            anchored(Side::Bottom, (8.0, 142.0), Some(15.0), false, true),
        );
        // A 10-pixel target at the very edge: 15 from the popover is x = 23, past it.
        check(
            request(rect(0.0, 100.0, 10.0, 30.0), Placement::Bottom),
            anchored(Side::Bottom, (8.0, 142.0), None, false, true),
        );
        // A popover too small for corners and arrow gets its arrow in the middle.
        let mut tiny = request(rect(100.0, 100.0, 20.0, 20.0), Placement::Bottom);
        tiny.floating = Size {
            width: 20.0,
            height: 20.0,
        };
        check(
            tiny,
            anchored(Side::Bottom, (100.0, 132.0), Some(10.0), false, false),
        );
    }

    #[test]
    fn a_fixed_header_is_room_the_popover_cannot_use() {
        let target = rect(500.0, 200.0, 100.0, 40.0);
        // Without a header there is room above: 200 - 12 - 8 - 150 = 30.
        check(
            request(target, Placement::Top),
            anchored(Side::Top, (400.0, 38.0), Some(150.0), false, false),
        );
        // A 64-pixel header takes it, so the popover goes below.
        let mut header = request(target, Placement::Top);
        header.insets.top = 64.0;
        check(
            header,
            anchored(Side::Bottom, (400.0, 252.0), Some(150.0), true, false),
        );
        // A target partly under the header is placed by its visible part (64..100).
        let mut partly = request(rect(500.0, 40.0, 100.0, 60.0), Placement::Bottom);
        partly.insets.top = 64.0;
        check(
            partly,
            anchored(Side::Bottom, (400.0, 112.0), Some(150.0), false, false),
        );
        // And one entirely under it is hidden.
        let mut under = request(rect(500.0, 10.0, 100.0, 40.0), Placement::Bottom);
        under.insets.top = 64.0;
        assert!(matches!(
            place(&under),
            Placed::Centered(Centered {
                why: Why::OffScreen,
                ..
            })
        ));
    }

    #[test]
    fn a_target_partly_off_screen_is_pointed_at_where_it_shows() {
        // Visible 0..50: centred would be x = -125, shifted to 8; the arrow points at the
        // middle of 8..50, 29, which is 21 from the popover's edge.
        check(
            request(rect(-50.0, 300.0, 100.0, 40.0), Placement::Bottom),
            anchored(Side::Bottom, (8.0, 352.0), Some(21.0), false, true),
        );
    }

    #[test]
    fn an_unplaceable_target_centres_the_popover_and_says_why() {
        let centred = |why| {
            // x = 8 + (1264 - 300) / 2, y = 8 + (784 - 150) / 2.
            Placed::Centered(Centered {
                x: 490.0,
                y: 325.0,
                why,
            })
        };
        check(
            request(rect(-200.0, 300.0, 100.0, 40.0), Placement::Bottom),
            centred(Why::OffScreen),
        );
        check(
            request(rect(500.0, 900.0, 100.0, 40.0), Placement::Bottom),
            centred(Why::OffScreen),
        );
        check(
            request(rect(0.0, 0.0, 0.0, 0.0), Placement::Bottom),
            centred(Why::OffScreen),
        );
        check(
            request(rect(f64::NAN, 0.0, 10.0, 10.0), Placement::Bottom),
            centred(Why::OffScreen),
        );
        let mut covered = request(rect(100.0, 100.0, 120.0, 40.0), Placement::Bottom);
        covered.obscured = true;
        check(covered, centred(Why::Obscured));
        check(
            request(rect(100.0, 100.0, 120.0, 40.0), Placement::Center),
            centred(Why::Requested),
        );
        let mut none = request(rect(0.0, 0.0, 1.0, 1.0), Placement::Bottom);
        none.target = None;
        check(none, centred(Why::Requested));
        // A target filling the screen leaves no side with room.
        check(
            request(rect(0.0, 0.0, 1280.0, 800.0), Placement::Auto),
            centred(Why::NoRoom),
        );
        // The header moves the centre down: 72 + (720 - 150) / 2.
        let mut header = request(rect(0.0, 0.0, 1.0, 1.0), Placement::Center);
        header.insets.top = 64.0;
        check(
            header,
            Placed::Centered(Centered {
                x: 490.0,
                y: 357.0,
                why: Why::Requested,
            }),
        );
    }

    #[test]
    fn auto_takes_the_side_with_the_most_room_and_breaks_ties_bottom_first() {
        // Top-left target: right has 1272 - 220 - 12 - 300 = 740 to spare, bottom 490.
        check(
            request(rect(100.0, 100.0, 120.0, 40.0), Placement::Auto),
            anchored(Side::Right, (232.0, 45.0), Some(75.0), false, false),
        );
        // A wide popover fits neither left nor right of a centred target; above and below
        // both have 210 to spare, and bottom wins the tie.
        let mut wide = request(rect(590.0, 380.0, 100.0, 40.0), Placement::Auto);
        wide.floating.width = 600.0;
        check(
            wide,
            anchored(Side::Bottom, (340.0, 432.0), Some(300.0), false, false),
        );
        // Near the bottom edge, above has the room.
        let mut low = request(rect(100.0, 700.0, 1000.0, 40.0), Placement::Auto);
        low.floating.width = 300.0;
        check(
            low,
            anchored(Side::Top, (450.0, 538.0), Some(150.0), false, false),
        );
    }

    #[test]
    fn a_phone_sized_viewport_gets_a_bottom_sheet() {
        let mut phone = request(rect(20.0, 300.0, 120.0, 40.0), Placement::Right);
        phone.viewport = Size {
            width: 375.0,
            height: 667.0,
        };
        phone.insets.bottom = 50.0;
        check(
            phone,
            Placed::Sheet(Sheet {
                bottom: 50.0,
                max_height: 609.0,
            }),
        );
        // Centred steps are sheets there too.
        phone.placement = Placement::Center;
        assert!(matches!(place(&phone), Placed::Sheet(_)));
    }

    #[test]
    fn a_phone_sized_viewport_without_sheets_still_finds_a_side_or_centres() {
        let mut phone = request(rect(20.0, 300.0, 120.0, 40.0), Placement::Right);
        phone.viewport = Size {
            width: 375.0,
            height: 667.0,
        };
        phone.layout.sheet_below = 0.0;
        // Neither right nor left fits; below (157 to spare) beats above (130), shifted from
        // x = -70 to 8.
        check(
            phone,
            anchored(Side::Bottom, (8.0, 352.0), Some(72.0), true, true),
        );
        phone.floating = Size {
            width: 360.0,
            height: 400.0,
        };
        phone.target = Some(rect(20.0, 250.0, 335.0, 200.0));
        // Nothing fits: centred, and a popover wider than the room starts at the margin.
        check(
            phone,
            Placed::Centered(Centered {
                x: 8.0,
                y: 133.5,
                why: Why::NoRoom,
            }),
        );
    }

    #[test]
    fn the_spotlight_grows_by_its_padding_and_stays_on_screen() {
        assert_eq!(
            spotlight(rect(100.0, 100.0, 120.0, 40.0), 8.0, 6.0, DESKTOP),
            Some(Hole {
                rect: rect(92.0, 92.0, 136.0, 56.0),
                radius: 6.0
            })
        );
        assert_eq!(
            spotlight(rect(-20.0, 5.0, 100.0, 40.0), 8.0, 6.0, DESKTOP),
            Some(Hole {
                rect: rect(0.0, 0.0, 88.0, 53.0),
                radius: 6.0
            })
        );
        assert_eq!(
            spotlight(rect(10.0, 10.0, 4.0, 4.0), 0.0, 10.0, DESKTOP).map(|h| h.radius),
            Some(2.0)
        );
        assert_eq!(
            spotlight(rect(2000.0, 10.0, 4.0, 4.0), 8.0, 6.0, DESKTOP),
            None
        );
    }
}
