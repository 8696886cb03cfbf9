//! C declaration parser: see lib.rs.
