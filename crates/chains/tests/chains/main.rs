//! The crate's one integration-test binary (one link step on 2 cores): behaviour on small graphs,
//! real tracing data from `/work/shared/data/tracing`, and properties against a naive reference.

mod behaviour;
mod props;
mod real_data;
