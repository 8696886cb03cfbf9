//! Lexer (placeholder until written).
