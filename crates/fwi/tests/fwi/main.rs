//! One test binary (linking dominates on 2 cores): reference files and unit behaviour.

mod danger;
mod reference;
mod units;
