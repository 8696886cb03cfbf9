//! `string.format` engine (placeholder until written).
