"""A seccomp filter for the MBPP sandbox, compiled to classic BPF for ``bwrap --seccomp FD``.

Generated code has no business creating namespaces, mounting, tracing or loading kernel
code. The filter answers ``EPERM`` to those system calls (``unshare``, ``setns``, ``clone``
with any namespace flag, ``mount``, ``ptrace``, ``bpf``, keyrings, ``perf_event_open``,
``userfaultfd``, module loading, …) and ``ENOSYS`` to ``clone3``, whose flags a filter cannot
read (libc then falls back to ``clone``). Everything else is allowed. The same program
Docker's and Chromium's default profiles express, written here as cBPF because bubblewrap
loads an exported program and no maintained pure-Python seccomp compiler exists.

Only x86-64 is covered; :func:`compiled_filter` returns None elsewhere (the sandbox then runs
without it, and says so in its docstring-level guarantees).
"""

from __future__ import annotations

import errno
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_KILL_PROCESS = 0x80000000
# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
OFFSET_NR, OFFSET_ARCH, OFFSET_ARG0 = 0, 4, 16
# BPF opcodes
LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K
JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
X32_SYSCALL_BIT = 0x40000000
RET_K = 0x06  # BPF_RET | BPF_K

X86_64_DENIED = {
    "unshare": 272,
    "setns": 308,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "chroot": 161,
    "ptrace": 101,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "keyctl": 250,
    "add_key": 248,
    "request_key": 249,
    "bpf": 321,
    "perf_event_open": 298,
    "userfaultfd": 323,
    "kexec_load": 246,
    "init_module": 175,
    "finit_module": 313,
    "delete_module": 176,
    "open_by_handle_at": 304,
    "fsopen": 430,
    "fsmount": 432,
    "move_mount": 429,
    "open_tree": 428,
}
X86_64_CLONE, X86_64_CLONE3 = 56, 435
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
NAMESPACE_FLAGS = (
    0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
)


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def compiled_filter() -> bytes | None:
    """The filter as ``struct sock_filter`` records, or None on an unsupported architecture."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return None
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    program = [
        _op(LD_W_ABS, OFFSET_ARCH),
        _op(JEQ_K, AUDIT_ARCH_X86_64, jt=1),  # another ABI (x32/i386 entry): refuse it
        _op(RET_K, SECCOMP_RET_KILL_PROCESS),
        _op(LD_W_ABS, OFFSET_NR),
        _op(JGE_K, X32_SYSCALL_BIT, jf=1),  # the x32 ABI: numbers the list below would miss
        _op(RET_K, deny),
    ]
    for number in X86_64_DENIED.values():
        program += [_op(JEQ_K, number, jf=1), _op(RET_K, deny)]
    program += [
        _op(JEQ_K, X86_64_CLONE3, jf=1),
        _op(RET_K, SECCOMP_RET_ERRNO | errno.ENOSYS),
        _op(JEQ_K, X86_64_CLONE, jf=3),
        _op(LD_W_ABS, OFFSET_ARG0),  # clone's flags (low 32 bits)
        _op(JSET_K, NAMESPACE_FLAGS, jf=1),
        _op(RET_K, deny),
        _op(RET_K, SECCOMP_RET_ALLOW),
    ]
    return b"".join(program)
