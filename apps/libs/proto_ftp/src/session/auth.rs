// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Login: USER, PASS, the roles a login gets and the anonymous chroot.

use core::mem;

use super::{Pending, Session, ANONYMOUS_ROOT};
use crate::cursor::is_control;
use crate::outcome::Outcome;
use crate::path::AbsPath;
use crate::replies::{reply, unexpected};
use crate::reply::{Code, ReplyBuf};
use crate::MAX_USER;

/// What a logged-in user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `anonymous`/`ftp`: read-only, inside [`ANONYMOUS_ROOT`].
    Anonymous,
    /// The configured user: everything but destructive admin commands.
    User,
    /// The configured user with `admin = yes`: also `SITE FORMAT`.
    Admin,
}

/// A user name checked to fit [`MAX_USER`] and contain no control bytes.
#[derive(Clone)]
pub(super) struct UserName {
    bytes: [u8; MAX_USER],
    len: usize,
}

impl UserName {
    fn new(name: &str) -> Option<Self> {
        if name.len() > MAX_USER || name.bytes().any(is_control) {
            return None;
        }
        let mut bytes = [0u8; MAX_USER];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Some(UserName { bytes, len: name.len() })
    }

    pub(super) fn as_str(&self) -> &str {
        // Copied from a `&str`, so always valid.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

/// Login progress; the name lives in the state that needs it.
#[derive(Clone)]
pub(super) enum Auth {
    NeedUser,
    NeedPass(UserName),
    /// Anonymous: any password (an e-mail address by convention) will do.
    NeedEmail(UserName),
    LoggedIn(UserName, Role),
}

impl Session {
    /// True once `PASS` was accepted.
    pub fn is_logged_in(&self) -> bool {
        matches!(self.auth, Auth::LoggedIn(..))
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&str> {
        match &self.auth {
            Auth::LoggedIn(u, _) => Some(u.as_str()),
            _ => None,
        }
    }

    /// The logged-in user's role, if any.
    pub fn role(&self) -> Option<Role> {
        match &self.auth {
            Auth::LoggedIn(_, role) => Some(*role),
            _ => None,
        }
    }

    /// Number of rejected logins on this connection (for the app's lockout policy).
    pub fn failed_logins(&self) -> u32 {
        self.failed_logins
    }

    pub(super) fn user_cmd<'a>(&'a mut self, name: &str, out: &'a mut ReplyBuf) -> Outcome<'a> {
        let Some(user) = UserName::new(name) else {
            return reply(out, Code::BAD_ARGUMENT, "User name not allowed.");
        };
        // A new USER logs out any current user (RFC 959 allows changing user).
        self.enter(AbsPath::root());
        self.restart = 0;
        if self.options.anonymous && user.is_anonymous() {
            self.auth = Auth::NeedEmail(user);
            return reply(out, Code::NEED_PASSWORD, "Anonymous login ok; send your e-mail address as password.");
        }
        self.auth = Auth::NeedPass(user);
        reply(out, Code::NEED_PASSWORD, "Password required.")
    }

    pub(super) fn pass_cmd<'a>(&'a mut self, pass: &'a [u8], out: &'a mut ReplyBuf) -> Outcome<'a> {
        if matches!(self.auth, Auth::NeedEmail(_)) {
            if let Auth::NeedEmail(user) = mem::replace(&mut self.auth, Auth::NeedUser) {
                self.log_in(user, Role::Anonymous);
            }
            return reply(out, Code::LOGGED_IN, "Anonymous access granted: read-only, to the web files.");
        }
        match &self.auth {
            Auth::NeedPass(user) => {
                self.pending = Pending::Login;
                Outcome::Authenticate { user: user.as_str(), pass }
            }
            Auth::LoggedIn(..) => reply(out, Code::BAD_SEQUENCE, "Already logged in."),
            Auth::NeedUser | Auth::NeedEmail(_) => reply(out, Code::BAD_SEQUENCE, "Send USER first."),
        }
    }

    /// Completes [`Outcome::Authenticate`]: 230 as [`Role::User`], or 530
    /// and back to needing USER.
    pub fn login_result<'a>(&mut self, ok: bool, out: &'a mut ReplyBuf) -> &'a str {
        self.login_as(ok.then_some(Role::User), out)
    }

    /// Completes [`Outcome::Authenticate`] with the role the credentials
    /// give (`None`: wrong, 530 and back to needing USER).
    pub fn login_as<'a>(&mut self, role: Option<Role>, out: &'a mut ReplyBuf) -> &'a str {
        if self.pending != Pending::Login {
            return unexpected(out);
        }
        self.pending = Pending::Idle;
        match (role, mem::replace(&mut self.auth, Auth::NeedUser)) {
            (Some(role), Auth::NeedPass(user)) => {
                self.log_in(user, role);
                out.set(Code::LOGGED_IN, "User logged in.")
            }
            _ => {
                self.failed_logins = self.failed_logins.saturating_add(1);
                out.set(Code::NOT_LOGGED_IN, "Login incorrect.")
            }
        }
    }

    fn log_in(&mut self, user: UserName, role: Role) {
        let root = match role {
            Role::Anonymous => AbsPath::parse(ANONYMOUS_ROOT).unwrap_or_default(),
            Role::User | Role::Admin => AbsPath::root(),
        };
        self.enter(root);
        self.auth = Auth::LoggedIn(user, role);
    }

    /// Makes `root` the session's root and cwd.
    fn enter(&mut self, root: AbsPath) {
        self.cwd.clone_from(&root);
        self.root = root;
    }
}
