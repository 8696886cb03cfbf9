//! Differential test against the reference engine: every conformance
//! script and every program in `tests/programs/` must print exactly what
//! `luajit` prints. Needs the Debian `luajit` package (run by CI).

mod common;

#[test]
#[ignore = "needs luajit"]
fn same_output_as_luajit() {
    assert!(common::have("luajit"), "luajit is not installed");
    let mut all = common::scripts(&common::dir("lua"), true);
    all.extend(common::scripts(&common::dir("programs"), true));
    let mut failures = Vec::new();
    for s in &all {
        let (want, wcode) = common::run("luajit", &[], s);
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
