//! Lua pattern matching engine (placeholder until written).
