//! Lexer: turns source bytes into tokens (names, keywords, numbers,
//! strings, operators) with line numbers. Accepts Lua 5.1 plus LuaJIT 2.1's
//! extensions: `\x`, `\z`, `\u{...}` escapes, hex fractions and binary
//! exponents, and the FFI's `LL`/`ULL` integer and `i` imaginary number
//! suffixes. `goto` is lexed as a name: as in LuaJIT's 5.1 mode it is a
//! statement only when followed by a name (the parser decides). Errors read
//! like luajit's (`unfinished string near '"abc'`).
//!
//! **Incremental input** (`load` with a reader function): the source may
//! arrive in pieces (`Lexer::feed`). A token the buffer ends inside — the
//! lexer looked past its end while more may come (`starved`) — is
//! scanned again from its start once the next piece is in (`scan` returns
//! None meanwhile), and after each token one byte must be buffered (LuaJIT
//! reads a character ahead), so the reader is called exactly when LuaJIT's
//! lexer would call it and a syntax error stops the reading.

/// A token.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Eof,
    Name(Vec<u8>),
    Str(Vec<u8>),
    Num(f64),
    /// An FFI 64-bit integer literal (`42LL`, `0xffULL`): value, unsigned.
    Int64(u64, bool),
    /// An FFI imaginary literal (`2i`, `1.5I`, `0x10i`): the imaginary part.
    Imag(f64),
    // Keywords.
    And,
    Break,
    Do,
    Else,
    Elseif,
    End,
    False,
    For,
    Function,
    If,
    In,
    Local,
    Nil,
    Not,
    Or,
    Repeat,
    Return,
    Then,
    True,
    Until,
    While,
    // Operators and punctuation (multi-char ones named, others as Char).
    Concat,
    Dots,
    Eq,
    Ge,
    Le,
    Ne,
    DbColon,
    Char(u8),
}

const KEYWORDS: &[(&str, Tok)] = &[
    ("and", Tok::And),
    ("break", Tok::Break),
    ("do", Tok::Do),
    ("else", Tok::Else),
    ("elseif", Tok::Elseif),
    ("end", Tok::End),
    ("false", Tok::False),
    ("for", Tok::For),
    ("function", Tok::Function),
    ("if", Tok::If),
    ("in", Tok::In),
    ("local", Tok::Local),
    ("nil", Tok::Nil),
    ("not", Tok::Not),
    ("or", Tok::Or),
    ("repeat", Tok::Repeat),
    ("return", Tok::Return),
    ("then", Tok::Then),
    ("true", Tok::True),
    ("until", Tok::Until),
    ("while", Tok::While),
];

impl Tok {
    /// How the token is named in "'x' expected" messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Eof => "<eof>".into(),
            Tok::Name(_) => "<name>".into(),
            Tok::Str(_) => "<string>".into(),
            Tok::Num(_) | Tok::Int64(..) | Tok::Imag(_) => "<number>".into(),
            Tok::Concat => "..".into(),
            Tok::Dots => "...".into(),
            Tok::Eq => "==".into(),
            Tok::Ge => ">=".into(),
            Tok::Le => "<=".into(),
            Tok::Ne => "~=".into(),
            Tok::DbColon => "::".into(),
            Tok::Char(c) => (*c as char).to_string(),
            kw => KEYWORDS
                .iter()
                .find(|(_, t)| t == kw)
                .map(|(s, _)| s.to_string())
                .unwrap_or_default(),
        }
    }
}

pub struct Lexer {
    /// The source read so far.
    src: Vec<u8>,
    /// No more source comes after `src`.
    eof: bool,
    /// A scan looked at or past the end of `src` before `eof`: its result
    /// is void (`scan`).
    starved: std::cell::Cell<bool>,
    pos: usize,
    pub line: u32,
    /// Text of the current token (for "near '...'").
    pub tok_text: Vec<u8>,
    chunk: String,
}

/// A lexer or parser error message (complete, with position).
pub type LexResult<T> = Result<T, String>;

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}
fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

impl Lexer {
    /// A lexer over the whole source `src`.
    pub fn new(src: &[u8], chunk: String) -> Lexer {
        Lexer::incremental(src.to_vec(), true, chunk)
    }

    /// A lexer over `src`, which more pieces follow unless `eof`.
    pub fn incremental(src: Vec<u8>, eof: bool, chunk: String) -> Lexer {
        Lexer {
            src,
            eof,
            starved: std::cell::Cell::new(false),
            pos: 0,
            line: 1,
            tok_text: Vec::new(),
            chunk,
        }
    }

    pub fn chunk(&self) -> &str {
        &self.chunk
    }

    /// Append the next piece of the source (None: the source ends).
    pub fn feed(&mut self, piece: Option<&[u8]>) {
        match piece {
            Some(p) => self.src.extend_from_slice(p),
            None => self.eof = true,
        }
    }

    /// More source is needed before going on: the byte after the last
    /// token is not buffered yet.
    pub fn hungry(&self) -> bool {
        !self.eof && self.pos >= self.src.len()
    }

    /// Bytes buffered from the current position (after a void scan: from
    /// the start of the token that needs more).
    pub fn pending(&self) -> usize {
        self.src.len() - self.pos
    }

    /// The byte at `i`, None at the end (which starves the scan unless the
    /// source is complete).
    fn byte_at(&self, i: usize) -> Option<u8> {
        let b = self.src.get(i).copied();
        if b.is_none() && !self.eof {
            self.starved.set(true);
        }
        b
    }
    fn peek(&self) -> Option<u8> {
        self.byte_at(self.pos)
    }
    fn peek_at(&self, n: usize) -> Option<u8> {
        self.byte_at(self.pos + n)
    }

    /// An error at the current line, "near" the given text (None: no near).
    pub fn error_near(&self, msg: &str, near: Option<&[u8]>) -> String {
        match near {
            Some(t) => format!(
                "{}:{}: {} near '{}'",
                self.chunk,
                self.line,
                msg,
                String::from_utf8_lossy(t)
            ),
            None => format!("{}:{}: {}", self.chunk, self.line, msg),
        }
    }

    fn err_tok(&self, msg: &str) -> String {
        self.error_near(msg, Some(&self.tok_text))
    }

    /// Consume a newline sequence (\n, \r, \n\r, \r\n) and count the line.
    fn newline(&mut self) {
        let c = self.src[self.pos];
        self.pos += 1;
        if let Some(d) = self.peek() {
            if (d == b'\n' || d == b'\r') && d != c {
                self.pos += 1;
            }
        }
        self.line += 1;
    }

    /// Next token of a complete source.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> LexResult<Tok> {
        debug_assert!(self.eof);
        Ok(self.scan()?.unwrap_or(Tok::Eof))
    }

    /// Next token, or None when the buffered source ends inside it (or
    /// inside the white space before it): feed the next piece and scan
    /// again.
    pub fn scan(&mut self) -> LexResult<Option<Tok>> {
        let (pos, line) = (self.pos, self.line);
        let r = self.token();
        if self.starved.replace(false) {
            self.pos = pos;
            self.line = line;
            self.tok_text.clear();
            return Ok(None);
        }
        r.map(Some)
    }

    fn token(&mut self) -> LexResult<Tok> {
        loop {
            self.tok_text.clear();
            let Some(c) = self.peek() else {
                self.tok_text.extend_from_slice(b"<eof>");
                return Ok(Tok::Eof);
            };
            match c {
                b'\n' | b'\r' => self.newline(),
                b' ' | b'\t' | 0x0b | 0x0c => self.pos += 1,
                b'-' => {
                    if self.peek_at(1) != Some(b'-') {
                        self.pos += 1;
                        self.tok_text.push(b'-');
                        return Ok(Tok::Char(b'-'));
                    }
                    self.pos += 2;
                    if self.peek() == Some(b'[') {
                        if let Some(level) = self.long_bracket_level() {
                            self.long_string(level, true)?;
                            continue;
                        }
                    }
                    while let Some(c) = self.peek() {
                        if c == b'\n' || c == b'\r' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                b'[' => {
                    if let Some(level) = self.long_bracket_level() {
                        let s = self.long_string(level, false)?;
                        return Ok(Tok::Str(s));
                    }
                    self.pos += 1;
                    self.tok_text.push(b'[');
                    return Ok(Tok::Char(b'['));
                }
                b'=' | b'<' | b'>' | b'~' => {
                    self.pos += 1;
                    self.tok_text.push(c);
                    if self.peek() == Some(b'=') {
                        self.pos += 1;
                        self.tok_text.push(b'=');
                        return Ok(match c {
                            b'=' => Tok::Eq,
                            b'<' => Tok::Le,
                            b'>' => Tok::Ge,
                            _ => Tok::Ne,
                        });
                    }
                    return Ok(Tok::Char(c));
                }
                b':' => {
                    self.pos += 1;
                    self.tok_text.push(b':');
                    if self.peek() == Some(b':') {
                        self.pos += 1;
                        self.tok_text.push(b':');
                        return Ok(Tok::DbColon);
                    }
                    return Ok(Tok::Char(b':'));
                }
                b'"' | b'\'' => return self.string(c),
                b'.' => {
                    if self.peek_at(1) == Some(b'.') {
                        if self.peek_at(2) == Some(b'.') {
                            self.pos += 3;
                            self.tok_text.extend_from_slice(b"...");
                            return Ok(Tok::Dots);
                        }
                        self.pos += 2;
                        self.tok_text.extend_from_slice(b"..");
                        return Ok(Tok::Concat);
                    }
                    if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
                        return self.number();
                    }
                    self.pos += 1;
                    self.tok_text.push(b'.');
                    return Ok(Tok::Char(b'.'));
                }
                b'0'..=b'9' => return self.number(),
                _ if is_name_start(c) => {
                    let start = self.pos;
                    while self.peek().is_some_and(is_name_char) {
                        self.pos += 1;
                    }
                    let w = &self.src[start..self.pos];
                    self.tok_text.extend_from_slice(w);
                    if let Some((_, t)) = KEYWORDS.iter().find(|(k, _)| k.as_bytes() == w) {
                        return Ok(t.clone());
                    }
                    return Ok(Tok::Name(w.to_vec()));
                }
                _ => {
                    self.pos += 1;
                    if c < 0x20 || c == 0x7f {
                        // Control characters are named (LuaJIT's `char(27)`).
                        self.tok_text
                            .extend_from_slice(format!("char({})", c).as_bytes());
                    } else {
                        self.tok_text.push(c);
                    }
                    return Ok(Tok::Char(c));
                }
            }
        }
    }

    /// At `[`: the level of a long bracket `[==[` (None if not one).
    fn long_bracket_level(&self) -> Option<usize> {
        let mut i = self.pos + 1;
        let mut level = 0;
        while self.byte_at(i) == Some(b'=') {
            level += 1;
            i += 1;
        }
        if self.byte_at(i) == Some(b'[') {
            Some(level)
        } else {
            None
        }
    }

    fn long_string(&mut self, level: usize, comment: bool) -> LexResult<Vec<u8>> {
        self.pos += level + 2;
        // A newline right after the opening bracket is skipped.
        if matches!(self.peek(), Some(b'\n') | Some(b'\r')) {
            self.newline();
        }
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => {
                    self.tok_text = b"<eof>".to_vec();
                    let what = if comment {
                        "unfinished long comment"
                    } else {
                        "unfinished long string"
                    };
                    return Err(self.err_tok(what));
                }
                Some(b']') => {
                    let mut i = self.pos + 1;
                    let mut l = 0;
                    while self.byte_at(i) == Some(b'=') {
                        l += 1;
                        i += 1;
                    }
                    if l == level && self.byte_at(i) == Some(b']') {
                        self.pos = i + 1;
                        return Ok(out);
                    }
                    out.push(b']');
                    self.pos += 1;
                }
                Some(b'\n') | Some(b'\r') => {
                    self.newline();
                    out.push(b'\n');
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn string(&mut self, quote: u8) -> LexResult<Tok> {
        self.pos += 1;
        self.tok_text.push(quote);
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                self.tok_text = b"<eof>".to_vec();
                return Err(self.err_tok("unfinished string"));
            };
            if c == quote {
                self.pos += 1;
                self.tok_text.push(quote);
                return Ok(Tok::Str(out));
            }
            match c {
                b'\n' | b'\r' => return Err(self.err_tok("unfinished string")),
                b'\\' => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        self.tok_text = b"<eof>".to_vec();
                        return Err(self.err_tok("unfinished string"));
                    };
                    match e {
                        b'a' => out.push(7),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'v' => out.push(11),
                        b'\\' | b'"' | b'\'' => out.push(e),
                        b'\n' | b'\r' => {
                            self.newline();
                            out.push(b'\n');
                            continue;
                        }
                        b'x' => {
                            self.pos += 1;
                            let mut v = 0u32;
                            for _ in 0..2 {
                                match self.peek().and_then(|d| (d as char).to_digit(16)) {
                                    Some(d) => {
                                        v = v * 16 + d;
                                        self.pos += 1;
                                    }
                                    None => return Err(self.err_tok("invalid escape sequence")),
                                }
                            }
                            out.push(v as u8);
                            continue;
                        }
                        b'z' => {
                            self.pos += 1;
                            while let Some(d) = self.peek() {
                                if d == b'\n' || d == b'\r' {
                                    self.newline();
                                } else if d.is_ascii_whitespace() {
                                    self.pos += 1;
                                } else {
                                    break;
                                }
                            }
                            continue;
                        }
                        b'u' => {
                            self.pos += 1;
                            if self.peek() != Some(b'{') {
                                return Err(self.err_tok("invalid escape sequence"));
                            }
                            self.pos += 1;
                            let mut v: u32 = 0;
                            let mut n = 0;
                            while let Some(d) = self.peek().and_then(|d| (d as char).to_digit(16)) {
                                v = v
                                    .checked_mul(16)
                                    .and_then(|x| x.checked_add(d))
                                    .unwrap_or(u32::MAX);
                                n += 1;
                                self.pos += 1;
                            }
                            if n == 0 || self.peek() != Some(b'}') || v > 0x10FFFF {
                                return Err(self.err_tok("invalid escape sequence"));
                            }
                            self.pos += 1;
                            encode_utf8(v, &mut out);
                            continue;
                        }
                        b'0'..=b'9' => {
                            let mut v = 0u32;
                            let mut n = 0;
                            while n < 3 && self.peek().is_some_and(|d| d.is_ascii_digit()) {
                                v = v * 10 + (self.peek().unwrap() - b'0') as u32;
                                self.pos += 1;
                                n += 1;
                            }
                            if v > 255 {
                                return Err(self.err_tok("invalid escape sequence"));
                            }
                            out.push(v as u8);
                            continue;
                        }
                        _ => return Err(self.err_tok("invalid escape sequence")),
                    }
                    self.pos += 1;
                }
                _ => {
                    out.push(c);
                    self.tok_text.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn number(&mut self) -> LexResult<Tok> {
        let start = self.pos;
        let hex = self.peek() == Some(b'0') && matches!(self.peek_at(1), Some(b'x') | Some(b'X'));
        let (e1, e2) = if hex { (b'p', b'P') } else { (b'e', b'E') };
        while let Some(c) = self.peek() {
            if c == e1 || c == e2 {
                self.pos += 1;
                if matches!(self.peek(), Some(b'+') | Some(b'-')) {
                    self.pos += 1;
                }
            } else if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = &self.src[start..self.pos];
        self.tok_text.extend_from_slice(text);
        if let Some(n) = parse_number(text) {
            return Ok(Tok::Num(n));
        }
        if let Some((v, u)) = parse_int64(text) {
            return Ok(Tok::Int64(v, u));
        }
        match text.split_last() {
            Some((b'i' | b'I', num)) => match parse_number(num) {
                Some(n) => Ok(Tok::Imag(n)),
                None => Err(self.err_tok("malformed number")),
            },
            _ => Err(self.err_tok("malformed number")),
        }
    }
}

/// UTF-8 encoding of a code point (up to 0x10FFFF).
fn encode_utf8(v: u32, out: &mut Vec<u8>) {
    if v < 0x80 {
        out.push(v as u8);
    } else if v < 0x800 {
        out.push(0xC0 | (v >> 6) as u8);
        out.push(0x80 | (v & 0x3F) as u8);
    } else if v < 0x10000 {
        out.push(0xE0 | (v >> 12) as u8);
        out.push(0x80 | ((v >> 6) & 0x3F) as u8);
        out.push(0x80 | (v & 0x3F) as u8);
    } else {
        out.push(0xF0 | (v >> 18) as u8);
        out.push(0x80 | ((v >> 12) & 0x3F) as u8);
        out.push(0x80 | ((v >> 6) & 0x3F) as u8);
        out.push(0x80 | (v & 0x3F) as u8);
    }
}

/// A numeric literal as the lexer sees it (decimal or hex, no sign).
/// An integer literal with LuaJIT's `LL`/`ULL` suffix (any case): decimal
/// or hex digits, value wrapped to 64 bits as C does; `None` otherwise.
pub fn parse_int64(t: &[u8]) -> Option<(u64, bool)> {
    let lower: Vec<u8> = t.iter().map(|c| c.to_ascii_lowercase()).collect();
    let (digits, unsigned) = if let Some(d) = lower.strip_suffix(b"ull") {
        (d, true)
    } else {
        (lower.strip_suffix(b"ll")?, false)
    };
    let (digits, radix) = if let Some(h) = digits.strip_prefix(b"0x") {
        (h, 16)
    } else if let Some(b) = digits.strip_prefix(b"0b") {
        (b, 2)
    } else {
        (digits, 10)
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = (c as char).to_digit(radix)? as u64;
        v = v.wrapping_mul(radix as u64).wrapping_add(d);
    }
    Some((v, unsigned))
}

pub fn parse_number(t: &[u8]) -> Option<f64> {
    if t.len() > 2 && t[0] == b'0' && (t[1] == b'x' || t[1] == b'X') {
        return parse_hex(&t[2..]);
    }
    if t.len() > 2 && t[0] == b'0' && (t[1] == b'b' || t[1] == b'B') {
        return parse_binary(&t[2..]);
    }
    if t.is_empty()
        || !t
            .iter()
            .all(|&c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let s = std::str::from_utf8(t).ok()?;
    // Rust's parser accepts forms Lua does not ("inf", "1e"); the byte
    // filter above rules out words, and an exponent must have digits.
    if s.ends_with(['e', 'E', '+', '-']) {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Binary digits (after "0b", LuaJIT 2.1): an integer of at most 64
/// significant bits, no fraction or exponent.
pub fn parse_binary(t: &[u8]) -> Option<f64> {
    if t.is_empty() || !t.iter().all(|&c| c == b'0' || c == b'1') {
        return None;
    }
    let sig = &t[t.iter().position(|&c| c == b'1').unwrap_or(t.len())..];
    if sig.len() > 64 {
        return None;
    }
    let v = sig
        .iter()
        .fold(0u64, |v, &c| (v << 1) | u64::from(c - b'0'));
    Some(v as f64)
}

/// Hex digits with optional fraction and binary exponent (after "0x").
pub fn parse_hex(t: &[u8]) -> Option<f64> {
    let mut i = 0;
    let mut mant: f64 = 0.0;
    let mut any = false;
    let mut exp: i64 = 0;
    while i < t.len() && t[i].is_ascii_hexdigit() {
        mant = mant * 16.0 + (t[i] as char).to_digit(16)? as f64;
        any = true;
        i += 1;
    }
    if i < t.len() && t[i] == b'.' {
        i += 1;
        while i < t.len() && t[i].is_ascii_hexdigit() {
            mant = mant * 16.0 + (t[i] as char).to_digit(16)? as f64;
            exp -= 4;
            any = true;
            i += 1;
        }
    }
    if !any {
        return None;
    }
    if i < t.len() && (t[i] == b'p' || t[i] == b'P') {
        i += 1;
        let mut neg = false;
        if i < t.len() && (t[i] == b'+' || t[i] == b'-') {
            neg = t[i] == b'-';
            i += 1;
        }
        let start = i;
        let mut e: i64 = 0;
        while i < t.len() && t[i].is_ascii_digit() {
            e = (e * 10 + (t[i] - b'0') as i64).min(100_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        exp += if neg { -e } else { e };
    }
    if i != t.len() {
        return None;
    }
    Some(mant * 2f64.powi(exp.clamp(-2200, 2200) as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let mut l = Lexer::new(s.as_bytes(), "t".into());
        let mut v = Vec::new();
        loop {
            let t = l.next().unwrap();
            if t == Tok::Eof {
                break;
            }
            v.push(t);
        }
        v
    }

    fn err(s: &str) -> String {
        let mut l = Lexer::new(s.as_bytes(), "t.lua".into());
        loop {
            match l.next() {
                Ok(Tok::Eof) => panic!("no error in {:?}", s),
                Ok(_) => {}
                Err(e) => return e,
            }
        }
    }

    #[test]
    fn tokens_and_numbers() {
        assert_eq!(
            toks("local x = 0x10 + .5 .. 'a' --c\n ~= ... ::"),
            vec![
                Tok::Local,
                Tok::Name(b"x".to_vec()),
                Tok::Char(b'='),
                Tok::Num(16.0),
                Tok::Char(b'+'),
                Tok::Num(0.5),
                Tok::Concat,
                Tok::Str(b"a".to_vec()),
                Tok::Ne,
                Tok::Dots,
                Tok::DbColon
            ]
        );
        assert_eq!(parse_number(b"0x.8p1"), Some(1.0));
        assert_eq!(parse_number(b"0xA.8p0"), Some(10.5));
        assert_eq!(parse_number(b"1e2"), Some(100.0));
        assert_eq!(parse_number(b"5."), Some(5.0));
        assert_eq!(parse_number(b"1e"), None);
        assert_eq!(parse_number(b"3x"), None);
    }

    #[test]
    fn ffi_number_suffixes() {
        assert_eq!(
            toks("2i 1.5I 0x10i 1e2i 7LL 0xffULL"),
            vec![
                Tok::Imag(2.0),
                Tok::Imag(1.5),
                Tok::Imag(16.0),
                Tok::Imag(100.0),
                Tok::Int64(7, false),
                Tok::Int64(255, true)
            ]
        );
        assert_eq!(err("x = 1LLi"), "t.lua:1: malformed number near '1LLi'");
        assert_eq!(err("x = 1ii"), "t.lua:1: malformed number near '1ii'");
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            toks(r#""\x41\65\u{48}\z   B\n""#),
            vec![Tok::Str(b"AAHB\n".to_vec())]
        );
        assert_eq!(toks("[==[\nab]]c]==]"), vec![Tok::Str(b"ab]]c".to_vec())]);
        assert_eq!(toks("--[[ long\ncomment ]] 1"), vec![Tok::Num(1.0)]);
        assert_eq!(
            toks("\"\\u{20AC}\""),
            vec![Tok::Str("€".as_bytes().to_vec())]
        );
    }

    #[test]
    fn errors_like_luajit() {
        assert_eq!(
            err("x = \"abc\ny"),
            "t.lua:1: unfinished string near '\"abc'"
        );
        assert_eq!(err("x = \"abc"), "t.lua:1: unfinished string near '<eof>'");
        assert_eq!(
            err("x = [[abc"),
            "t.lua:1: unfinished long string near '<eof>'"
        );
        assert_eq!(err("x = 3x"), "t.lua:1: malformed number near '3x'");
        assert_eq!(err("x = 0x"), "t.lua:1: malformed number near '0x'");
        assert!(err("x = \"\\q\"").contains("invalid escape sequence"));
        assert!(err("x = \"\\300\"").contains("invalid escape sequence"));
    }
}
