//! Experiences: what a user sees, and which of it shows now.
//!
//! - [`arbitration`]: which tour, survey or content change shows now, and why the others do
//!   not.
//! - [`content`]: what content experiences change on the page, and on-page experiments.
//! - [`survey`]: what a survey asks, and the run a renderer drives through it.
//! - [`tour`]: a tour's steps, and a user's progress through them across pages.
//! - [`placement`]: where a tour step goes beside its target.
//! - [`markdown`]: the safe markdown subset of tour step bodies.
//! - [`selector`]: CSS selectors, parsed as browsers parse them before a config is
//!   published.
//! - [`locale`]: translated text, and which translation a user gets.
//! - [`theme`]: a tour's or survey's theme as checked CSS custom properties.

pub mod arbitration;
pub mod content;
pub mod locale;
pub mod markdown;
pub mod placement;
pub mod selector;
pub mod survey;
pub mod theme;
pub mod tour;
