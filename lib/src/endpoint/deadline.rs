//! The deadline of one exchange with an endpoint: `--timeout` bounds the whole of it (connect,
//! handshake, the wait for the server's verdict on a client certificate), not each read, so a
//! server that sends one byte at a time cannot hold the client past it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// A point in time the exchange with one endpoint must not pass, and that endpoint's name for
/// the error when it does.
pub(super) struct Deadline {
    pub(super) at: Instant,
    pub(super) name: PathBuf,
}

impl Deadline {
    /// What is left of the time, or the endpoint's "timed out" error.
    pub(super) fn left(&self) -> Result<Duration> {
        self.remaining().ok_or_else(|| Error::io_msg(&self.name, "timed out"))
    }

    fn remaining(&self) -> Option<Duration> {
        self.at.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())
    }
}

/// A socket whose every read and write is bounded by what is left of the deadline.
pub(super) struct Bounded<'a> {
    pub(super) sock: &'a TcpStream,
    pub(super) deadline: &'a Deadline,
}

impl Bounded<'_> {
    fn arm(&self) -> std::io::Result<()> {
        let left = self.deadline.remaining().ok_or_else(|| std::io::Error::from(std::io::ErrorKind::TimedOut))?;
        self.sock.set_read_timeout(Some(left))?;
        self.sock.set_write_timeout(Some(left))
    }
}

impl Read for Bounded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.arm()?;
        let mut sock = self.sock;
        sock.read(buf)
    }
}

impl Write for Bounded<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.arm()?;
        let mut sock = self.sock;
        sock.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut sock = self.sock;
        sock.flush()
    }
}
