//! Two connections over the simulated link.
