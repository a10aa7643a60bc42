// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The command table: every verb the server implements, the one list both
//! the parser and HELP read.

/// What a verb is, whatever its spelling (aliases share one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// `ABOR`
    Abor,
    /// `ALLO`
    Allo,
    /// `APPE`
    Appe,
    /// `CDUP`, `XCUP`
    Cdup,
    /// `CWD`, `XCWD`
    Cwd,
    /// `DELE`
    Dele,
    /// `EPRT`
    Eprt,
    /// `EPSV`
    Epsv,
    /// `FEAT`
    Feat,
    /// `HELP`
    Help,
    /// `LIST`
    List,
    /// `MDTM`
    Mdtm,
    /// `MFMT`: offered only when the app can set times ([`Options::set_times`](crate::session::Options::set_times)).
    Mfmt,
    /// `MKD`, `XMKD`
    Mkd,
    /// `MLSD`
    Mlsd,
    /// `MLST`
    Mlst,
    /// `MODE`
    Mode,
    /// `NLST`
    Nlst,
    /// `NOOP`
    Noop,
    /// `OPTS`
    Opts,
    /// `PASS`
    Pass,
    /// `PASV`
    Pasv,
    /// `PORT`
    Port,
    /// `PWD`, `XPWD`
    Pwd,
    /// `QUIT`
    Quit,
    /// `REST`
    Rest,
    /// `RETR`
    Retr,
    /// `RMD`, `XRMD`
    Rmd,
    /// `RNFR`
    Rnfr,
    /// `RNTO`
    Rnto,
    /// `SITE`
    Site,
    /// `SIZE`
    Size,
    /// `STAT`
    Stat,
    /// `STOR`
    Stor,
    /// `STRU`
    Stru,
    /// `SYST`
    Syst,
    /// `TYPE`
    Type,
    /// `USER`
    User,
}

/// Every verb the server implements, in HELP order (alphabetical).
pub const COMMANDS: &[(&str, Verb)] = &[
    ("ABOR", Verb::Abor),
    ("ALLO", Verb::Allo),
    ("APPE", Verb::Appe),
    ("CDUP", Verb::Cdup),
    ("CWD", Verb::Cwd),
    ("DELE", Verb::Dele),
    ("EPRT", Verb::Eprt),
    ("EPSV", Verb::Epsv),
    ("FEAT", Verb::Feat),
    ("HELP", Verb::Help),
    ("LIST", Verb::List),
    ("MDTM", Verb::Mdtm),
    ("MFMT", Verb::Mfmt),
    ("MKD", Verb::Mkd),
    ("MLSD", Verb::Mlsd),
    ("MLST", Verb::Mlst),
    ("MODE", Verb::Mode),
    ("NLST", Verb::Nlst),
    ("NOOP", Verb::Noop),
    ("OPTS", Verb::Opts),
    ("PASS", Verb::Pass),
    ("PASV", Verb::Pasv),
    ("PORT", Verb::Port),
    ("PWD", Verb::Pwd),
    ("QUIT", Verb::Quit),
    ("REST", Verb::Rest),
    ("RETR", Verb::Retr),
    ("RMD", Verb::Rmd),
    ("RNFR", Verb::Rnfr),
    ("RNTO", Verb::Rnto),
    ("SITE", Verb::Site),
    ("SIZE", Verb::Size),
    ("STAT", Verb::Stat),
    ("STOR", Verb::Stor),
    ("STRU", Verb::Stru),
    ("SYST", Verb::Syst),
    ("TYPE", Verb::Type),
    ("USER", Verb::User),
    ("XCUP", Verb::Cdup),
    ("XCWD", Verb::Cwd),
    ("XMKD", Verb::Mkd),
    ("XPWD", Verb::Pwd),
    ("XRMD", Verb::Rmd),
];

/// Verbs of RFC 959 leftovers, RFC 1639, RFC 2228 (FileZilla probes AUTH
/// TLS), RFC 2640, RFC 7151 and common extensions that we recognise but do
/// not offer: 502 rather than 500.
pub(super) const NOT_IMPLEMENTED: &[&str] = &[
    "ACCT", "SMNT", "REIN", "STOU", "LPRT", "LPSV", "AUTH", "PBSZ", "PROT", "CCC", "ADAT", "MIC", "CONF", "ENC",
    "LANG", "HOST", "MFCT", "MFF", "CLNT",
];

/// The verb of a table, if `word` spells one (ASCII case ignored).
pub(super) fn lookup<T: Copy>(table: &[(&str, T)], word: &[u8]) -> Option<T> {
    table.iter().find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(word)).map(|&(_, v)| v)
}
