//! Runs every `tests/lua/*.lua` conformance script three times —
//! interpreted (`-joff`), with the JIT forced hot (`-Ohotloop=1`), and
//! forced hot with every optimisation off (`-O0,hotloop=1`) — and requires
//! each output to equal the committed `.expected` file (and again with
//! later hot thresholds, `-Ohotloop=3` and `=9`). The programs of
//! `tests/programs/` run in all three modes too, and the scripts with
//! the background compiler (`async=1`).

mod common;

/// Run every script of `tests/<sub>` in each of `modes`; fail with the
/// first difference of each script that does not match.
fn check(sub: &str, modes: &[&str], min_scripts: usize) {
    let scripts = common::scripts(&common::dir(sub), true);
    assert!(
        scripts.len() >= min_scripts,
        "scripts missing in tests/{}",
        sub
    );
    let mut failures = Vec::new();
    for s in &scripts {
        let want = common::read_expected(s);
        for mode in modes {
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
        "{} run(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn scripts_interpreted() {
    check("lua", &["-joff"], 10);
}

#[test]
fn scripts_jit_hot() {
    check("lua", &["-Ohotloop=1"], 10);
}

#[test]
fn scripts_jit_hot_unoptimised() {
    check("lua", &["-O0,hotloop=1"], 10);
}

/// Background compilation (`async=1`): traces are installed whenever the
/// worker has them ready, at any point of the run; results are the same.
#[test]
fn scripts_jit_background_compiler() {
    check(
        "lua",
        &["-Oasync=1,hotloop=1", "-Oasync=1,hotloop=2,hotexit=1"],
        10,
    );
}

#[test]
fn programs_all_modes() {
    check("programs", &["-joff", "-Ohotloop=1", "-O0,hotloop=1"], 4);
}

/// Traces recorded after a few iterations see other values and branches
/// than at `hotloop=1` (a bug once showed only at `hotloop=5`).
#[test]
fn scripts_jit_later_hotloops() {
    check("lua", &["-Ohotloop=3", "-Ohotloop=9"], 10);
}
