//! The batch decoder and validator on arbitrary bodies: gzip or not, any bytes. It must
//! answer with a batch or an error, never panic, hang or run out of memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_collector::config::Limits;
use waymark_collector::ingest::{gunzip, parse_batch, Checked};

fuzz_target!(|body: &[u8]| {
    let limits = Limits::default();
    let json = if body.starts_with(&[0x1f, 0x8b]) {
        match gunzip(body, limits) {
            Ok(json) => json,
            Err(_) => return,
        }
    } else {
        body.to_vec()
    };
    if let Ok(batch) = parse_batch(&json, limits) {
        // Whatever is accepted meets the limits.
        assert!(!batch.events.is_empty() && batch.events.len() <= limits.max_events_per_batch);
        for checked in &batch.events {
            if let Checked::Valid(event) = checked {
                assert!(event.check().is_ok());
            }
        }
    }
});
