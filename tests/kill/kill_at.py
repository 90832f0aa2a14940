#!/usr/bin/env python3
"""Runs a command and kills it with SIGKILL as it enters its Nth call that changes a directory.

    kill_at.py GROUP N PROGRAM [ARG...]

GROUP names the calls counted, as the end-to-end tests name them: linkat, renameat, unlinkat
or mkdirat; each also counts the older or newer system calls that do the same (rename and
renameat2 with renameat, link with linkat, unlink and rmdir with unlinkat, mkdir with mkdirat),
so a program that changed which call it makes is still counted. The calls are counted over the
whole process, all its threads, in the order the kernel sees them.

The kernel stops the program at each counted call (a seccomp filter installed before the
program starts, whose user notifications come here); this process lets the call go on, or at
the Nth kills the program before the call is made: the state a power cut or `kill -9` at that
moment leaves. Every other call runs unobserved, so a program is not slowed by the calls it
makes, as it is under a tracer that stops it at every call.

Exit status: the program's own, or 128+9 when it was killed. 125 when this cannot run here
(not x86_64 Linux, no seccomp user notifications), with the reason on stderr.
"""

import ctypes
import errno
import fcntl
import os
import select
import signal
import socket
import struct
import sys

# x86_64 system call numbers (asm/unistd_64.h).
GROUPS = {
    "linkat": (265, 86),                # linkat, link
    "renameat": (264, 316, 82),         # renameat, renameat2, rename
    "unlinkat": (263, 87, 84),          # unlinkat, unlink, rmdir
    "mkdirat": (258, 83),               # mkdirat, mkdir
}
AUDIT_ARCH_X86_64 = 0xC000003E
SYS_SECCOMP = 317
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_USER_NOTIF = 0x7FC00000
SECCOMP_RET_KILL_PROCESS = 0x80000000
# _IOWR('!', 0, struct seccomp_notif) and _IOWR('!', 1, struct seccomp_notif_resp).
NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101
NOTIF_SIZE = 80
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1


def fail(why):
    sys.stderr.write(f"kill_at: {why}\n")
    sys.exit(125)


def filter_program(numbers):
    """A classic BPF program: a counted call goes to the listener, any other is allowed."""
    def ins(code, jt, jf, k):
        return struct.pack("HBBI", code, jt, jf, k)
    load_arch, load_nr, ret = (0x20, 0, 0, 4), (0x20, 0, 0, 0), 0x06
    prog = [ins(*load_arch), ins(0x15, 1, 0, AUDIT_ARCH_X86_64), ins(ret, 0, 0, SECCOMP_RET_KILL_PROCESS), ins(*load_nr)]
    for i, nr in enumerate(numbers):
        to_notify = len(numbers) - i
        prog.append(ins(0x15, to_notify, 0, nr))
    prog += [ins(ret, 0, 0, SECCOMP_RET_ALLOW), ins(ret, 0, 0, SECCOMP_RET_USER_NOTIF)]
    return b"".join(prog), len(prog)


def start(numbers, argv, to_parent):
    """In the child: install the filter, hand its listener to the parent, become the program."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    code, count = filter_program(numbers)
    insns = ctypes.create_string_buffer(code, len(code))
    fprog = ctypes.create_string_buffer(struct.pack("HxxxxxxQ", count, ctypes.addressof(insns)))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        os.write(2, b"kill_at: prctl(PR_SET_NO_NEW_PRIVS) failed\n")
        os._exit(125)
    fd = libc.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, fprog)
    if fd < 0:
        os.write(2, f"kill_at: seccomp user notifications: {os.strerror(ctypes.get_errno())}\n".encode())
        os._exit(125)
    socket.send_fds(to_parent, [b"1"], [fd])
    os.close(fd)
    to_parent.close()
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        os.write(2, f"kill_at: {argv[0]}: {e.strerror}\n".encode())
    os._exit(127)


def supervise(listener, pid, n):
    """Lets the first N-1 counted calls go on and kills the program at the Nth. Waits on the
    listener and on the program's pidfd together: a program that ends is noticed whatever the
    kernel does with a listener whose program is gone."""
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError) as e:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        fail(f"pidfd_open (Linux 5.3, Python 3.9): {e}")
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    poller.register(pidfd, select.POLLIN)
    seen = 0
    try:
        while True:
            ready = dict(poller.poll())
            if not ready.get(listener, 0) & select.POLLIN:
                return  # the program ended: nothing is waiting on the listener
            notif = bytearray(NOTIF_SIZE)
            try:
                fcntl.ioctl(listener, NOTIF_RECV, notif, True)
            except OSError as e:
                if e.errno == errno.ENOENT:
                    continue  # the caller was killed or interrupted before it was received
                raise
            seen += 1
            if seen == n:
                os.kill(pid, signal.SIGKILL)
                return
            (call_id,) = struct.unpack_from("Q", notif, 0)
            answer = bytearray(struct.pack("QqiI", call_id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE))
            try:
                fcntl.ioctl(listener, NOTIF_SEND, answer, True)
            except OSError as e:
                if e.errno != errno.ENOENT:  # ENOENT: the caller was interrupted; its call comes again
                    os.kill(pid, signal.SIGKILL)
                    fail(f"letting a call go on: {e.strerror}")
    finally:
        os.close(pidfd)


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in GROUPS or not sys.argv[2].isdigit() or int(sys.argv[2]) < 1:
        sys.stderr.write(f"usage: kill_at.py {{{'|'.join(GROUPS)}}} N PROGRAM [ARG...]\n")
        sys.exit(2)
    if os.uname().sysname != "Linux" or os.uname().machine != "x86_64":
        fail("only x86_64 Linux system call numbers are known here")
    numbers, n, argv = GROUPS[sys.argv[1]], int(sys.argv[2]), sys.argv[3:]
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        ours.close()
        start(numbers, argv, theirs)
    theirs.close()
    _, fds, _, _ = socket.recv_fds(ours, 1, 1)
    if fds:
        supervise(fds[0], pid, n)
        os.close(fds[0])
    _, status = os.waitpid(pid, 0)
    sys.exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))


main()
