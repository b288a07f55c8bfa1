//! firebreak-chains: pure kernel (placeholder, being written).
