//! firebreak-fwi: pure kernel (placeholder, being written).
