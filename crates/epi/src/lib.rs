//! firebreak-epi: pure kernel (placeholder, being written).
