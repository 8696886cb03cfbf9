//! Shared helpers for the integration tests: locating scripts and running
//! the `lunatrace` binary (or a reference engine) on them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Path of the built `lunatrace` binary.
pub fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_lunatrace")
}

/// Directory `tests/<sub>` of the source tree.
pub fn dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(sub)
}

/// Every `*.lua` file directly in `dir` that has a `.expected` sibling
/// (when `need_expected`), sorted by name.
pub fn scripts(dir: &Path, need_expected: bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {}", dir.display(), e))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "lua"))
        .filter(|p| !need_expected || p.with_extension("expected").exists())
        .collect();
    v.sort();
    v
}

/// Run `prog args... script` in the script's directory, stderr merged into
/// stdout (through `sh -c '... 2>&1'`, as the expected files were made).
/// Returns (output, exit status code).
pub fn run(prog: &str, args: &[&str], script: &Path) -> (String, i32) {
    let name = script.file_name().unwrap().to_str().unwrap();
    let mut cmd = String::new();
    cmd.push_str(&shell_quote(prog));
    for a in args {
        cmd.push(' ');
        cmd.push_str(&shell_quote(a));
    }
    cmd.push(' ');
    cmd.push_str(&shell_quote(name));
    cmd.push_str(" 2>&1");
    let out = Command::new("sh")
        .arg("-c")
        .arg(&cmd)
        .current_dir(script.parent().unwrap())
        .output()
        .expect("spawn sh");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// What `run_split` saw: stdout, stderr and the exit status (the code, or
/// 128 + the signal number).
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Run `prog args... script` in the script's directory with `LUA_PATH`,
/// `LUA_CPATH` and `LUA_INIT` unset (engines use their built-in paths),
/// stdout and stderr captured apart; killed after `timeout`.
pub fn run_split(
    prog: &str,
    args: &[&str],
    script: &Path,
    timeout: std::time::Duration,
) -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = |what: &str| {
        std::env::temp_dir().join(format!(
            "lunatrace-run-{}-{}.{}",
            std::process::id(),
            n,
            what
        ))
    };
    let (out_path, err_path) = (tmp("out"), tmp("err"));
    let mut child = Command::new(prog)
        .args(args)
        .arg(script.file_name().unwrap())
        .current_dir(script.parent().unwrap())
        .env_remove("LUA_PATH")
        .env_remove("LUA_CPATH")
        .env_remove("LUA_INIT")
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("create stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("create stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {}", prog, e));
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let read = |p: &Path| {
        let b = std::fs::read(p).unwrap_or_default();
        let _ = std::fs::remove_file(p);
        String::from_utf8_lossy(&b).into_owned()
    };
    Outcome {
        stdout: read(&out_path),
        stderr: read(&err_path),
        code: status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Whether a program is installed (on PATH).
pub fn have(prog: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {} >/dev/null", prog))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The committed expected output of a script (bytes as Latin-1-safe text:
/// invalid UTF-8 is replaced the same way as in `run`'s output).
pub fn read_expected(script: &Path) -> String {
    let b = std::fs::read(script.with_extension("expected")).unwrap();
    String::from_utf8_lossy(&b).into_owned()
}

/// A short unified-ish diff: the first differing line with context.
pub fn first_diff(want: &str, got: &str) -> String {
    let w: Vec<&str> = want.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    let n = w.len().max(g.len());
    for i in 0..n {
        let a = w.get(i).copied();
        let b = g.get(i).copied();
        if a != b {
            return format!(
                "line {}:\n  expected: {:?}\n  got:      {:?}",
                i + 1,
                a.unwrap_or("<eof>"),
                b.unwrap_or("<eof>")
            );
        }
    }
    "outputs differ only in trailing newline".to_string()
}

/// Small deterministic PRNG (xorshift64*) for the randomised tests, so
/// failures reproduce from their seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// The system libraries a program linked with the static
/// `liblunatrace.a` needs after it.
pub const STATIC_LINK_LIBS: [&str; 7] = [
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];

/// Run `cc` with `args`; fail the test with its messages if it fails.
pub fn cc(args: &[&str]) {
    let out = Command::new("cc").args(args).output().expect("run cc");
    assert!(
        out.status.success(),
        "cc {:?} failed:\n{}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Build C source `src` (relative to the source tree) as a shared object
/// `CARGO_TARGET_TMPDIR/<sub>/<name>` against our `include/` headers,
/// without `-llua` (its `lua_*` symbols resolve against the running
/// `lunatrace`, which exports them). Returns the object's path.
pub fn build_shared(src: &str, sub: &str, name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(sub);
    std::fs::create_dir_all(&dir).unwrap();
    let so = dir.join(name);
    let inc = format!("-I{}", root.join("include").display());
    let src = root.join(src);
    cc(&[
        "-Wall",
        "-Werror",
        "-shared",
        "-fPIC",
        &inc,
        "-o",
        so.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    so
}

/// `text` with every `0x` and the hex digits after it as `0x...`: the
/// addresses of C levels in tracebacks differ from process to process.
pub fn no_addresses(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("0x") {
        out.push_str(&rest[..i]);
        out.push_str("0x...");
        rest = rest[i + 2..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
    }
    out.push_str(rest);
    out
}
