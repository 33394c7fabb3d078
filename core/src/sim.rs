//! A deterministic simulated link for tests.
