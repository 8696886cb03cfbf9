//! C types: see lib.rs.
