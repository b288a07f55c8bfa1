//! firebreak-colocate: pure kernel (placeholder, being written).
