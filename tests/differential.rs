//! Differential test against the reference engine: every conformance
//! script and every program in `tests/programs/` must print exactly what
//! `luajit` prints. Needs the Debian `luajit` package (run by CI). A script
//! whose text says `reference: luajit -joff` is compared with LuaJIT's
//! interpreter (where LuaJIT's JIT changes a result and we do not).

mod common;

#[test]
#[ignore = "needs luajit"]
fn same_output_as_luajit() {
    assert!(common::have("luajit"), "luajit is not installed");
    let mut all = common::scripts(&common::dir("lua"), true);
    all.extend(common::scripts(&common::dir("programs"), true));
    let mut failures = Vec::new();
    for s in &all {
        let text = std::fs::read_to_string(s).unwrap_or_default();
        let flags: &[&str] = if text.contains("reference: luajit -joff") {
            &["-joff"]
        } else {
            &[]
        };
        let (want, wcode) = common::run("luajit", flags, s);
        let (got, gcode) = common::run(common::exe(), &[], s);
        if want != got || wcode != gcode {
            failures.push(format!(
                "{} (exit {} vs {}): {}",
                s.display(),
                wcode,
                gcode,
                common::first_diff(&want, &got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ from luajit:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
