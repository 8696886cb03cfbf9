//! Runs every `tests/lua/*.lua` conformance script three times —
//! interpreted (`-joff`), with the JIT forced hot (`-Ohotloop=1`), and
//! forced hot with every optimisation off (`-O0,hotloop=1`) — and requires
//! each output to equal the committed `.expected` file.

mod common;

fn check_mode(mode: &str) {
    let scripts = common::scripts(&common::dir("lua"), true);
    assert!(scripts.len() >= 10, "conformance scripts missing");
    let mut failures = Vec::new();
    for s in &scripts {
        let want = common::read_expected(s);
        let (got, _) = common::run(common::exe(), &[mode], s);
        if got != want {
            failures.push(format!(
                "{} [{}]: {}",
                s.file_name().unwrap().to_string_lossy(),
                mode,
                common::first_diff(&want, &got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} script(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn scripts_interpreted() {
    check_mode("-joff");
}

#[test]
fn scripts_jit_hot() {
    check_mode("-Ohotloop=1");
}

#[test]
fn scripts_jit_hot_unoptimised() {
    check_mode("-O0,hotloop=1");
}

#[test]
fn programs_all_modes() {
    let scripts = common::scripts(&common::dir("programs"), true);
    let mut failures = Vec::new();
    for s in &scripts {
        let want = common::read_expected(s);
        for mode in ["-joff", "-Ohotloop=1", "-O0,hotloop=1"] {
            let (got, _) = common::run(common::exe(), &[mode], s);
            if got != want {
                failures.push(format!(
                    "{} [{}]: {}",
                    s.file_name().unwrap().to_string_lossy(),
                    mode,
                    common::first_diff(&want, &got)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} program(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
