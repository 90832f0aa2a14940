//! The map's findings: a status, the object and field it is about (`Kind namespace/name
//! field`), and plain words. Statuses are the project's (`ok`, `warn`, `fail`); one decision,
//! [`crate::finding::exit_for`], turns the worst of them into the exit code.

use serde::Serialize;

use crate::finding::Status;

/// One finding.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// `ok`, `warn` or `fail`.
    pub status: Status,
    /// `Kind namespace/name field` (or `Kind name field`), escaped.
    pub object: String,
    /// What was found, in plain words.
    pub message: String,
}

impl Finding {
    /// Holds.
    pub fn ok(object: String, message: impl Into<String>) -> Finding {
        Finding { status: Status::Ok, object, message: message.into() }
    }
    /// Needs attention.
    pub fn warn(object: String, message: impl Into<String>) -> Finding {
        Finding { status: Status::Warn, object, message: message.into() }
    }
    /// Wrong.
    pub fn fail(object: String, message: impl Into<String>) -> Finding {
        Finding { status: Status::Fail, object, message: message.into() }
    }
}

/// The findings of one map, in the order found.
#[derive(Default, Debug)]
pub struct Findings(Vec<Finding>);

impl Findings {
    /// Adds one.
    pub fn push(&mut self, f: Finding) {
        self.0.push(f);
    }
    /// The worst status.
    pub fn worst(&self) -> Status {
        self.0.iter().map(|f| f.status).max().unwrap_or(Status::Ok)
    }
    /// All of them.
    pub fn into_vec(self) -> Vec<Finding> {
        self.0
    }
    /// All of them, borrowed.
    pub fn all(&self) -> &[Finding] {
        &self.0
    }
}
