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

pub struct Matcher<'a> {
    pub src: &'a [u8],
    pat: &'a [u8],
    pub level: usize,
    pub caps: [Capture; MAX_CAPTURES],
    depth: usize,
}

pub type PResult<T> = Result<T, String>;

/// True if the pattern has no special characters (plain search suffices).
pub fn is_plain(p: &[u8]) -> bool {
    !p.iter().any(|c| b"^$*+?.([%-".contains(c))
}

/// Plain substring search from `init`.
pub fn find_plain(s: &[u8], p: &[u8], init: usize) -> Option<usize> {
    if p.is_empty() {
        return Some(init);
    }
    if p.len() > s.len() {
        return None;
    }
    (init..=s.len() - p.len()).find(|&i| &s[i..i + p.len()] == p)
}

fn class_match(c: u8, cl: u8) -> bool {
    let r = match cl.to_ascii_lowercase() {
        b'a' => c.is_ascii_alphabetic(),
        b'c' => c.is_ascii_control(),
        b'd' => c.is_ascii_digit(),
        b'g' => c.is_ascii_graphic(),
        b'l' => c.is_ascii_lowercase(),
        b'p' => c.is_ascii_punctuation(),
        b's' => matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
        b'u' => c.is_ascii_uppercase(),
        b'w' => c.is_ascii_alphanumeric(),
        b'x' => c.is_ascii_hexdigit(),
        b'z' => c == 0,
        _ => return cl == c,
    };
    if cl.is_ascii_uppercase() {
        !r
    } else {
        r
    }
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
        }
    }

    /// Index just past the single-character class starting at `p`.
    fn class_end(&self, mut p: usize) -> PResult<usize> {
        let pat = self.pat;
        let c = pat[p];
        p += 1;
        if c == b'%' {
            if p >= pat.len() {
                return Err("malformed pattern (ends with '%')".into());
            }
            return Ok(p + 1);
        }
        if c == b'[' {
            if p < pat.len() && pat[p] == b'^' {
                p += 1;
            }
            loop {
                if p >= pat.len() {
                    return Err("malformed pattern (missing ']')".into());
                }
                let cc = pat[p];
                p += 1;
                if cc == b'%' && p < pat.len() {
                    p += 1;
                }
                if p >= pat.len() {
                    return Err("malformed pattern (missing ']')".into());
                }
                if pat[p] == b']' {
                    return Ok(p + 1);
                }
            }
        }
        Ok(p)
    }

    /// `[set]` at `p` (the '['), ending at `ec` (the ']').
    fn bracket_match(&self, c: u8, mut p: usize, ec: usize) -> bool {
        let pat = self.pat;
        let mut sig = true;
        p += 1;
        if pat[p] == b'^' {
            sig = false;
            p += 1;
        }
        while p < ec {
            if pat[p] == b'%' {
                p += 1;
                if class_match(c, pat[p]) {
                    return sig;
                }
                p += 1;
            } else if p + 2 < ec && pat[p + 1] == b'-' {
                if pat[p] <= c && c <= pat[p + 2] {
                    return sig;
                }
                p += 3;
            } else {
                if pat[p] == c {
                    return sig;
                }
                p += 1;
            }
        }
        !sig
    }

    fn single_match(&self, s: usize, p: usize, ep: usize) -> bool {
        if s >= self.src.len() {
            return false;
        }
        let c = self.src[s];
        match self.pat[p] {
            b'.' => true,
            b'%' => class_match(c, self.pat[p + 1]),
            b'[' => self.bracket_match(c, p, ep - 1),
            pc => pc == c,
        }
    }

    /// Match the pattern from `p` against the subject from `s`; returns the
    /// end of the match.
    pub fn do_match(&mut self, s: usize, p: usize) -> PResult<Option<usize>> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("pattern too complex".into());
        }
        let r = self.match_inner(s, p);
        self.depth -= 1;
        r
    }

    fn match_inner(&mut self, mut s: usize, mut p: usize) -> PResult<Option<usize>> {
        let pat = self.pat;
        loop {
            if p >= pat.len() {
                return Ok(Some(s));
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
                    return Ok(if s == self.src.len() { Some(s) } else { None });
                }
                b'%' if p + 1 < pat.len() && pat[p + 1] == b'b' => {
                    match self.match_balance(s, p + 2)? {
                        Some(ns) => {
                            s = ns;
                            p += 4;
                            continue;
                        }
                        None => return Ok(None),
                    }
                }
                b'%' if p + 1 < pat.len() && pat[p + 1] == b'f' => {
                    p += 2;
                    if p >= pat.len() || pat[p] != b'[' {
                        return Err("missing '[' after '%f' in pattern".into());
                    }
                    let ep = self.class_end(p)?;
                    let prev = if s == 0 { 0 } else { self.src[s - 1] };
                    let cur = if s < self.src.len() { self.src[s] } else { 0 };
                    if !self.bracket_match(prev, p, ep - 1) && self.bracket_match(cur, p, ep - 1) {
                        p = ep;
                        continue;
                    }
                    return Ok(None);
                }
                b'%' if p + 1 < pat.len() && pat[p + 1].is_ascii_digit() => {
                    match self.match_capture(s, pat[p + 1])? {
                        Some(ns) => {
                            s = ns;
                            p += 2;
                            continue;
                        }
                        None => return Ok(None),
                    }
                }
                _ => {
                    let ep = self.class_end(p)?;
                    let m = self.single_match(s, p, ep);
                    match pat.get(ep) {
                        Some(b'?') => {
                            if m {
                                if let Some(r) = self.do_match(s + 1, ep + 1)? {
                                    return Ok(Some(r));
                                }
                            }
                            p = ep + 1;
                        }
                        Some(b'*') => return self.max_expand(s, p, ep),
                        Some(b'+') => {
                            return if m {
                                self.max_expand(s + 1, p, ep)
                            } else {
                                Ok(None)
                            }
                        }
                        Some(b'-') => return self.min_expand(s, p, ep),
                        _ => {
                            if !m {
                                return Ok(None);
                            }
                            s += 1;
                            p = ep;
                        }
                    }
                }
            }
        }
    }

    fn max_expand(&mut self, s: usize, p: usize, ep: usize) -> PResult<Option<usize>> {
        let mut i = 0;
        while self.single_match(s + i, p, ep) {
            i += 1;
        }
        loop {
            if let Some(r) = self.do_match(s + i, ep + 1)? {
                return Ok(Some(r));
            }
            if i == 0 {
                return Ok(None);
            }
            i -= 1;
        }
    }

    fn min_expand(&mut self, mut s: usize, p: usize, ep: usize) -> PResult<Option<usize>> {
        loop {
            if let Some(r) = self.do_match(s, ep + 1)? {
                return Ok(Some(r));
            }
            if self.single_match(s, p, ep) {
                s += 1;
            } else {
                return Ok(None);
            }
        }
    }

    fn start_capture(&mut self, s: usize, p: usize, what: isize) -> PResult<Option<usize>> {
        if self.level >= MAX_CAPTURES {
            return Err("too many captures".into());
        }
        self.caps[self.level] = Capture {
            start: s,
            len: what,
        };
        self.level += 1;
        let r = self.do_match(s, p)?;
        if r.is_none() {
            self.level -= 1;
        }
        Ok(r)
    }

    fn end_capture(&mut self, s: usize, p: usize) -> PResult<Option<usize>> {
        let l = (0..self.level)
            .rev()
            .find(|&i| self.caps[i].len == CAP_UNFINISHED);
        let Some(l) = l else {
            return Err("invalid pattern capture".into());
        };
        self.caps[l].len = (s - self.caps[l].start) as isize;
        let r = self.do_match(s, p)?;
        if r.is_none() {
            self.caps[l].len = CAP_UNFINISHED;
        }
        Ok(r)
    }

    fn match_balance(&mut self, s: usize, p: usize) -> PResult<Option<usize>> {
        if p + 1 >= self.pat.len() {
            return Err("unbalanced pattern".into());
        }
        if s >= self.src.len() || self.src[s] != self.pat[p] {
            return Ok(None);
        }
        let (b, e) = (self.pat[p], self.pat[p + 1]);
        let mut cont = 1;
        let mut i = s + 1;
        while i < self.src.len() {
            let c = self.src[i];
            if c == e {
                cont -= 1;
                if cont == 0 {
                    return Ok(Some(i + 1));
                }
            } else if c == b {
                cont += 1;
            }
            i += 1;
        }
        Ok(None)
    }

    fn match_capture(&mut self, s: usize, d: u8) -> PResult<Option<usize>> {
        let l = (d - b'1') as usize;
        if d == b'0' || l >= self.level || self.caps[l].len == CAP_UNFINISHED {
            return Err("invalid capture index".into());
        }
        let c = self.caps[l];
        let len = if c.len < 0 { 0 } else { c.len as usize };
        if self.src.len() - s >= len && self.src[c.start..c.start + len] == self.src[s..s + len] {
            Ok(Some(s + len))
        } else {
            Ok(None)
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
        self.do_match(s, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
