//! Lua 5.1 pattern matching over bytes: character classes, sets, `* + - ?`,
//! anchors, captures (incl. position captures), back-references, `%b` and
//! `%f`, plus LuaJIT's `%g` class. Backtracking recursion is bounded
//! ("pattern too complex"), so long subjects cannot overflow the Rust stack.

/// Maximum number of captures.
pub const MAX_CAPTURES: usize = 32;
const CAP_UNFINISHED: isize = -1;
const CAP_POSITION: isize = -2;
/// Maximum matcher recursion depth.
const MAX_DEPTH: usize = 200;

/// One capture: start offset and length (or a CAP_* marker).
#[derive(Copy, Clone, Debug)]
pub struct Capture {
    pub start: usize,
    pub len: isize,
}

/// A capture's value: a substring or a position (1-based).
#[derive(Debug, PartialEq)]
pub enum CapValue<'a> {
    Str(&'a [u8]),
    Pos(usize),
}

/// Where matches can start (`Matcher::start_hint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// Anywhere.
    Any,
    /// Only at this byte.
    Byte(u8),
    /// Only at a byte matching the single-character class or set at
    /// pattern offsets `.0..1`.
    Class(usize, usize),
}

/// Index just past the set `[...]` starting at `p` (the '['): a ']'
/// right after '[' or '[^' belongs to the set; None when it is not
/// closed (`Matcher::class_end` raises that, `start_hint` gives up).
fn set_end(pat: &[u8], mut p: usize) -> Option<usize> {
    p += 1;
    if pat.get(p) == Some(&b'^') {
        p += 1;
    }
    loop {
        let c = *pat.get(p)?;
        p += 1;
        if c == b'%' && p < pat.len() {
            p += 1;
        }
        if *pat.get(p)? == b']' {
            return Some(p + 1);
        }
    }
}

pub struct Matcher<'a> {
    pub src: &'a [u8],
    pat: &'a [u8],
    pub level: usize,
    pub caps: [Capture; MAX_CAPTURES],
    depth: usize,
    /// The first error met; once set, every step fails (`NO`) so the
    /// recursion unwinds, and `match_at` reports it.
    err: Option<&'static str>,
}

pub type PResult<T> = Result<T, String>;

/// "No match" (or an error, see `Matcher::err`) from the inner matcher,
/// which returns the end of a match otherwise: a plain `usize` keeps the
/// hot recursion free of `Result`/`Option` wrappers.
const NO: usize = usize::MAX;

/// True if the pattern has no special characters (plain search suffices).
pub fn is_plain(p: &[u8]) -> bool {
    /// The bytes with a meaning in patterns.
    static SPECIAL: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        while i < 10 {
            t[b"^$*+?.([%-"[i] as usize] = true;
            i += 1;
        }
        t
    };
    !p.iter().any(|&c| SPECIAL[c as usize])
}

/// Plain substring search from `init`.
pub fn find_plain(s: &[u8], p: &[u8], init: usize) -> Option<usize> {
    if p.is_empty() {
        return Some(init);
    }
    if p.len() > s.len() || init > s.len() - p.len() {
        return None;
    }
    let (first, rest) = (p[0], &p[1..]);
    let mut i = init;
    let last = s.len() - p.len();
    while i <= last {
        match memchr::memchr(first, &s[i..=last]) {
            None => return None,
            Some(k) => i += k,
        }
        if &s[i + 1..i + p.len()] == rest {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The class letters (`%a`, `%c`, ... lower case), each a bit of
/// `CLASS_SETS`; `CLASS_BIT[letter]` is its bit (0: not a class letter).
const CLASS_LETTERS: &[u8; 11] = b"acdglpsuwxz";

/// `CLASS_BIT[c]`: the set bit of class letter `c` in either case, 0 for
/// other bytes.
static CLASS_BIT: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < CLASS_LETTERS.len() {
        let l = CLASS_LETTERS[i];
        t[l as usize] = 1 << i;
        t[l.to_ascii_uppercase() as usize] = 1 << i;
        i += 1;
    }
    t
};

/// `CLASS_SETS[c]`: the classes byte `c` belongs to (bits as `CLASS_BIT`).
static CLASS_SETS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        let member = [
            b.is_ascii_alphabetic(),
            b.is_ascii_control(),
            b.is_ascii_digit(),
            b.is_ascii_graphic(),
            b.is_ascii_lowercase(),
            b.is_ascii_punctuation(),
            matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
            b.is_ascii_uppercase(),
            b.is_ascii_alphanumeric(),
            b.is_ascii_hexdigit(),
            b == 0,
        ];
        let mut i = 0;
        while i < member.len() {
            if member[i] {
                t[c] |= 1 << i;
            }
            i += 1;
        }
        c += 1;
    }
    t
};

/// Whether byte `c` matches `%cl`: a class letter (upper case: its
/// complement), else the byte `cl` itself.
#[inline]
fn class_match(c: u8, cl: u8) -> bool {
    let bit = CLASS_BIT[cl as usize];
    if bit == 0 {
        return cl == c;
    }
    (CLASS_SETS[c as usize] & bit != 0) != cl.is_ascii_uppercase()
}

impl<'a> Matcher<'a> {
    pub fn new(src: &'a [u8], pat: &'a [u8]) -> Matcher<'a> {
        // LuaJIT's matcher treats the pattern as a C string: it ends at the
        // first NUL byte (plain searches still see the whole pattern).
        let pat = match pat.iter().position(|&c| c == 0) {
            Some(z) => &pat[..z],
            None => pat,
        };
        Matcher {
            src,
            pat,
            level: 0,
            caps: [Capture { start: 0, len: 0 }; MAX_CAPTURES],
            depth: 0,
            err: None,
        }
    }

    /// Record an error (the first one wins) and fail.
    #[cold]
    fn fail(&mut self, msg: &'static str) -> usize {
        if self.err.is_none() {
            self.err = Some(msg);
        }
        NO
    }

    /// Offset `p` past up to 8 capture openings (which consume nothing):
    /// where `first_byte` and `start_hint` look for the first item.
    fn after_opens(&self, mut p: usize) -> usize {
        let pat = self.pat;
        let mut opens = 0;
        while p < pat.len() && pat[p] == b'(' && opens < 8 {
            p += 1;
            opens += 1;
        }
        p
    }

    /// The byte every match starting at pattern offset `p` must begin
    /// with, when the first item that consumes input is a single literal
    /// byte without a quantifier that allows zero repetitions (captures
    /// before it consume nothing). Searches use it to skip to the
    /// positions where a match can start; a skipped position fails at the
    /// literal before any later pattern item is examined, so skipping it
    /// changes neither results nor errors.
    pub fn first_byte(&self, p: usize) -> Option<u8> {
        let pat = self.pat;
        let p = self.after_opens(p);
        let (c, ep) = match *pat.get(p)? {
            b'%' => {
                let c = *pat.get(p + 1)?;
                if c.is_ascii_alphanumeric() {
                    return None;
                }
                (c, p + 2)
            }
            b'^' | b'$' | b'*' | b'+' | b'?' | b'.' | b'(' | b')' | b'[' | b'-' => return None,
            c => (c, p + 1),
        };
        match pat.get(ep) {
            Some(b'*' | b'?' | b'-') => None,
            _ => Some(c),
        }
    }

    /// Where a match of the pattern from offset `p` (not anchored) can
    /// start: at a literal byte (`first_byte`), at a byte of a class or
    /// set when the first item that consumes input is one (`%a`, `[_%w]`)
    /// without a quantifier allowing zero repetitions, or anywhere. As
    /// with `first_byte`, a position skipped fails at that first item
    /// before any later one is examined: results and errors are those of
    /// trying every position.
    pub fn start_hint(&self, p: usize) -> Start {
        if let Some(c) = self.first_byte(p) {
            return Start::Byte(c);
        }
        let pat = self.pat;
        let p = self.after_opens(p);
        let ep = match pat.get(p) {
            // (`%b` and `%f` are not classes; digits are back-references.)
            Some(b'%') => match pat.get(p + 1) {
                Some(c) if c.is_ascii_alphabetic() && !matches!(c, b'b' | b'f') => p + 2,
                _ => return Start::Any,
            },
            Some(b'[') => match set_end(pat, p) {
                Some(e) => e,
                None => return Start::Any,
            },
            _ => return Start::Any,
        };
        match pat.get(ep) {
            Some(b'*' | b'?' | b'-') => Start::Any,
            _ => Start::Class(p, ep),
        }
    }

    /// The first position at or after `i` where a match can start by
    /// hint `h` (`start_hint`): `i` itself for `Start::Any` while inside
    /// the subject or at its end; None when there is none.
    #[inline]
    pub fn next_start(&self, i: usize, h: Start) -> Option<usize> {
        let src = self.src;
        match h {
            Start::Any => (i <= src.len()).then_some(i),
            Start::Byte(c) => memchr::memchr(c, src.get(i..)?).map(|k| i + k),
            Start::Class(p, ep) => (i..src.len()).find(|&j| self.single_match(j, p, ep)),
        }
    }

    /// Index just past the single-character class starting at `p`, or
    /// `NO` for a malformed class.
    #[inline]
    fn class_end(&mut self, mut p: usize) -> usize {
        let pat = self.pat;
        let c = pat[p];
        p += 1;
        if c == b'%' {
            if p >= pat.len() {
                return self.fail("malformed pattern (ends with '%')");
            }
            return p + 1;
        }
        if c == b'[' {
            return match set_end(pat, p - 1) {
                Some(e) => e,
                None => self.fail("malformed pattern (missing ']')"),
            };
        }
        p
    }

    /// `[set]` at `p` (the '['), ending at `ec` (the ']').
    fn bracket_match(&self, c: u8, p: usize, ec: usize) -> bool {
        let mut set = &self.pat[p + 1..ec];
        let sig = match set {
            [b'^', rest @ ..] => {
                set = rest;
                false
            }
            _ => true,
        };
        loop {
            set = match set {
                [] => return !sig,
                [b'%', cl, rest @ ..] => {
                    if class_match(c, *cl) {
                        return sig;
                    }
                    rest
                }
                [lo, b'-', hi, rest @ ..] => {
                    if *lo <= c && c <= *hi {
                        return sig;
                    }
                    rest
                }
                [x, rest @ ..] => {
                    if *x == c {
                        return sig;
                    }
                    rest
                }
            };
        }
    }

    #[inline]
    fn single_match(&self, s: usize, p: usize, ep: usize) -> bool {
        let Some(&c) = self.src.get(s) else {
            return false;
        };
        match self.pat[p] {
            b'.' => true,
            b'%' => class_match(c, self.pat[p + 1]),
            b'[' => self.bracket_match(c, p, ep - 1),
            pc => pc == c,
        }
    }

    /// Match the pattern from `p` against the subject from `s`; returns the
    /// end of the match, or `NO`.
    fn do_match(&mut self, s: usize, p: usize) -> usize {
        if self.depth >= MAX_DEPTH {
            return self.fail("pattern too complex");
        }
        if self.err.is_some() {
            return NO;
        }
        self.depth += 1;
        let r = self.match_inner(s, p);
        self.depth -= 1;
        r
    }

    fn match_inner(&mut self, mut s: usize, mut p: usize) -> usize {
        let pat = self.pat;
        loop {
            if p >= pat.len() {
                return s;
            }
            match pat[p] {
                b'(' => {
                    return if p + 1 < pat.len() && pat[p + 1] == b')' {
                        self.start_capture(s, p + 2, CAP_POSITION)
                    } else {
                        self.start_capture(s, p + 1, CAP_UNFINISHED)
                    };
                }
                b')' => return self.end_capture(s, p + 1),
                b'$' if p + 1 == pat.len() => {
                    return if s == self.src.len() { s } else { NO };
                }
                b'%' if p + 1 < pat.len() && pat[p + 1] == b'b' => {
                    let ns = self.match_balance(s, p + 2);
                    if ns == NO {
                        return NO;
                    }
                    s = ns;
                    p += 4;
                }
                b'%' if p + 1 < pat.len() && pat[p + 1] == b'f' => {
                    p += 2;
                    if p >= pat.len() || pat[p] != b'[' {
                        return self.fail("missing '[' after '%f' in pattern");
                    }
                    let ep = self.class_end(p);
                    if ep == NO {
                        return NO;
                    }
                    let prev = if s == 0 { 0 } else { self.src[s - 1] };
                    let cur = self.src.get(s).copied().unwrap_or(0);
                    if !self.bracket_match(prev, p, ep - 1) && self.bracket_match(cur, p, ep - 1) {
                        p = ep;
                        continue;
                    }
                    return NO;
                }
                b'%' if p + 1 < pat.len() && pat[p + 1].is_ascii_digit() => {
                    let ns = self.match_capture(s, pat[p + 1]);
                    if ns == NO {
                        return NO;
                    }
                    s = ns;
                    p += 2;
                }
                _ => {
                    let ep = self.class_end(p);
                    if ep == NO {
                        return NO;
                    }
                    let m = self.single_match(s, p, ep);
                    match pat.get(ep) {
                        Some(b'?') => {
                            if m {
                                let r = self.do_match(s + 1, ep + 1);
                                if r != NO || self.err.is_some() {
                                    return r;
                                }
                            }
                            p = ep + 1;
                        }
                        Some(b'*') => return self.max_expand(s, p, ep),
                        Some(b'+') => return if m { self.max_expand(s + 1, p, ep) } else { NO },
                        Some(b'-') => return self.min_expand(s, p, ep),
                        _ => {
                            if !m {
                                return NO;
                            }
                            s += 1;
                            p = ep;
                        }
                    }
                }
            }
        }
    }

    /// How many bytes from `s` on match the single-character class at
    /// `p..ep` (as `single_match` one by one; the kind of item read once).
    fn run_len(&self, s: usize, p: usize, ep: usize) -> usize {
        let rest = self.src.get(s..).unwrap_or(&[]);
        let upto = |f: &dyn Fn(u8) -> bool| rest.iter().position(|&c| !f(c)).unwrap_or(rest.len());
        match self.pat[p] {
            b'.' => rest.len(),
            b'%' => {
                let cl = self.pat[p + 1];
                upto(&|c| class_match(c, cl))
            }
            b'[' => upto(&|c| self.bracket_match(c, p, ep - 1)),
            lit => upto(&|c| c == lit),
        }
    }

    fn max_expand(&mut self, s: usize, p: usize, ep: usize) -> usize {
        let mut i = self.run_len(s, p, ep);
        // The rest of the pattern is empty: the longest run is the match.
        if ep + 1 >= self.pat.len() {
            return s + i;
        }
        loop {
            let r = self.do_match(s + i, ep + 1);
            if r != NO || self.err.is_some() || i == 0 {
                return r;
            }
            i -= 1;
        }
    }

    fn min_expand(&mut self, mut s: usize, p: usize, ep: usize) -> usize {
        // `.-` before a literal byte: the rest can only match where that
        // byte is, and every byte before it matches `.`, so the positions
        // between are skipped (each would fail at the literal, before any
        // later item is examined: `first_byte`).
        let next = if self.pat[p] == b'.' {
            self.first_byte(ep + 1)
        } else {
            None
        };
        loop {
            if let Some(c) = next {
                match memchr::memchr(c, &self.src[s..]) {
                    Some(k) => s += k,
                    None => return NO,
                }
            }
            let r = self.do_match(s, ep + 1);
            if r != NO || self.err.is_some() {
                return r;
            }
            if self.single_match(s, p, ep) {
                s += 1;
            } else {
                return NO;
            }
        }
    }

    fn start_capture(&mut self, s: usize, p: usize, what: isize) -> usize {
        if self.level >= MAX_CAPTURES {
            return self.fail("too many captures");
        }
        self.caps[self.level] = Capture {
            start: s,
            len: what,
        };
        self.level += 1;
        let r = self.do_match(s, p);
        if r == NO {
            self.level -= 1;
        }
        r
    }

    fn end_capture(&mut self, s: usize, p: usize) -> usize {
        let l = (0..self.level)
            .rev()
            .find(|&i| self.caps[i].len == CAP_UNFINISHED);
        let Some(l) = l else {
            return self.fail("invalid pattern capture");
        };
        self.caps[l].len = (s - self.caps[l].start) as isize;
        let r = self.do_match(s, p);
        if r == NO {
            self.caps[l].len = CAP_UNFINISHED;
        }
        r
    }

    fn match_balance(&mut self, s: usize, p: usize) -> usize {
        if p + 1 >= self.pat.len() {
            return self.fail("unbalanced pattern");
        }
        if s >= self.src.len() || self.src[s] != self.pat[p] {
            return NO;
        }
        let (b, e) = (self.pat[p], self.pat[p + 1]);
        let mut cont = 1;
        let mut i = s + 1;
        while i < self.src.len() {
            let c = self.src[i];
            if c == e {
                cont -= 1;
                if cont == 0 {
                    return i + 1;
                }
            } else if c == b {
                cont += 1;
            }
            i += 1;
        }
        NO
    }

    fn match_capture(&mut self, s: usize, d: u8) -> usize {
        let l = (d.wrapping_sub(b'1')) as usize;
        if d == b'0' || l >= self.level || self.caps[l].len == CAP_UNFINISHED {
            return self.fail("invalid capture index");
        }
        let c = self.caps[l];
        let len = if c.len < 0 { 0 } else { c.len as usize };
        if self.src.len() - s >= len && self.src[c.start..c.start + len] == self.src[s..s + len] {
            s + len
        } else {
            NO
        }
    }

    /// Capture `i` of a match spanning `s..e` (capture 0 of a pattern
    /// without captures is the whole match).
    pub fn capture(&self, i: usize, s: usize, e: usize) -> PResult<CapValue<'a>> {
        if i >= self.level {
            if i == 0 {
                return Ok(CapValue::Str(&self.src[s..e]));
            }
            return Err("invalid capture index".into());
        }
        let c = self.caps[i];
        if c.len == CAP_UNFINISHED {
            return Err("unfinished capture".into());
        }
        if c.len == CAP_POSITION {
            return Ok(CapValue::Pos(c.start + 1));
        }
        Ok(CapValue::Str(&self.src[c.start..c.start + c.len as usize]))
    }

    /// Number of values a match yields (captures, or 1 for the whole match).
    pub fn ncaptures(&self) -> usize {
        self.level.max(1)
    }

    /// Try to match at `s` (resetting captures).
    pub fn match_at(&mut self, s: usize, p: usize) -> PResult<Option<usize>> {
        self.level = 0;
        self.depth = 0;
        let r = self.do_match(s, p);
        if let Some(e) = self.err {
            return Err(e.into());
        }
        Ok((r != NO).then_some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The classes of the Lua 5.1 manual, spelled out: the tables agree
    /// for every byte and every class letter (and other bytes match only
    /// themselves).
    #[test]
    fn class_tables_follow_the_manual() {
        for cl in 0..=255u8 {
            for c in 0..=255u8 {
                let r = match cl.to_ascii_lowercase() {
                    b'a' => c.is_ascii_alphabetic(),
                    b'c' => c.is_ascii_control(),
                    b'd' => c.is_ascii_digit(),
                    b'g' => c.is_ascii_graphic(),
                    b'l' => c.is_ascii_lowercase(),
                    b'p' => c.is_ascii_punctuation(),
                    b's' => b" \t\n\r\x0b\x0c".contains(&c),
                    b'u' => c.is_ascii_uppercase(),
                    b'w' => c.is_ascii_alphanumeric(),
                    b'x' => c.is_ascii_hexdigit(),
                    b'z' => c == 0,
                    _ => {
                        assert_eq!(class_match(c, cl), c == cl, "{} {}", c, cl);
                        continue;
                    }
                };
                assert_eq!(
                    class_match(c, cl),
                    r != cl.is_ascii_uppercase(),
                    "%{} on {}",
                    cl as char,
                    c
                );
            }
        }
    }

    fn find(s: &str, p: &str) -> Option<(usize, usize)> {
        let (anchor, p0) = if p.starts_with('^') {
            (true, 1)
        } else {
            (false, 0)
        };
        let mut m = Matcher::new(s.as_bytes(), p.as_bytes());
        let mut i = 0;
        loop {
            if let Some(e) = m.match_at(i, p0).unwrap() {
                return Some((i + 1, e));
            }
            i += 1;
            if anchor || i > s.len() {
                return None;
            }
        }
    }

    #[test]
    fn basic_patterns() {
        assert_eq!(find("hello world", "o w"), Some((5, 7)));
        assert_eq!(find("hello", "l+"), Some((3, 4)));
        assert_eq!(find("hello", "^h.-o$"), Some((1, 5)));
        assert_eq!(find("abc123", "%d+"), Some((4, 6)));
        assert_eq!(find("THE (quick) fox", "%((%a+)%)"), Some((5, 11)));
        assert_eq!(find("x = [[a]]", "%b[]"), Some((5, 9)));
        assert_eq!(find("THE quick", "%f[%a]%a+"), Some((1, 3)));
        assert_eq!(find("abab", "(ab)%1"), Some((1, 4)));
        assert_eq!(find("a-b", "[%-]"), Some((2, 2)));
        assert_eq!(find("]", "[]]"), Some((1, 1)));
        assert_eq!(find("aaa", "b*"), Some((1, 0)));
    }

    #[test]
    fn pattern_errors() {
        let mut m = Matcher::new(b"abc", b"[a");
        assert_eq!(
            m.match_at(0, 0).unwrap_err(),
            "malformed pattern (missing ']')"
        );
        let mut m = Matcher::new(b"abc", b"a%");
        assert_eq!(
            m.match_at(0, 0).unwrap_err(),
            "malformed pattern (ends with '%')"
        );
        let mut m = Matcher::new(b"abc", b"(a");
        let _ = m.match_at(0, 0).unwrap();
        assert!(m.capture(0, 0, 1).is_err());
        let mut m = Matcher::new(b"abc", b"a)");
        assert_eq!(m.match_at(0, 0).unwrap_err(), "invalid pattern capture");
    }

    #[test]
    fn graph_class_and_nul_terminated_patterns() {
        assert_eq!(find(" \tab", "%g+"), Some((3, 4)));
        assert_eq!(find("ab ", "%G"), Some((3, 3)));
        // The matcher stops at a NUL in the pattern, as LuaJIT's does.
        assert_eq!(find("ab", "b\0."), Some((2, 2)));
        let mut m = Matcher::new(b"a", b"%b");
        assert_eq!(m.match_at(0, 0).unwrap_err(), "unbalanced pattern");
    }

    #[test]
    fn long_subjects_do_not_overflow() {
        let s = vec![b'a'; 1_000_000];
        let mut m = Matcher::new(&s, b".-b");
        assert_eq!(m.match_at(0, 0).unwrap(), None);
        let mut m = Matcher::new(&s, b"a*");
        assert_eq!(m.match_at(0, 0).unwrap(), Some(1_000_000));
    }
}
