# SPDX-License-Identifier: GPL-2.0
"""The instruction audit of the QEMU rig: qemu-rig/run --audit[=WHITELIST].

The TCG plugin (audit.c, libcolinux-audit.so) counts every executed
wrmsr, in, out, hlt, mwait, wbinvd, invd, xsetbv and write to CR0, CR4,
CR8 or a debug register, by site and class (firmware, host, passage,
guest), with the MSR number of a wrmsr wherever the code of its
translation block shows it. This module

- finds the guest's wrmsr sites in its ELF (objdump) and, for those, has
  gdb log ECX at every execution through QEMU's gdbstub: the exact
  fallback for a wrmsr whose MSR number the code does not show;
- merges both, names each site (nm), applies the whitelist to the guest's
  sites and gives the verdict: a guest site outside the whitelist fails
  the run, and so does a guest wrmsr whose MSR number is not known for
  every execution (fail closed).

docs/audit.md describes the method, the whitelist format and the report.
"""
import bisect
import collections
import os
import re
import shutil
import struct
import subprocess

EXIT_AUDIT = 76
KINDS = ("wrmsr", "in", "out", "hlt", "mwait", "wbinvd", "invd", "xsetbv",
         "cr0", "cr4", "cr8", "dr")
# Kinds whose whitelist entries name a value (MSR, port, debug register).
VALUED = {"wrmsr": "MSR", "in": "port", "out": "port", "dr": "debug register"}
CLASSES = ("firmware", "host", "passage", "guest")
GDB_TAG = "CO-AUDIT-WRMSR"

MSR_NAMES = {
    0x10: "TSC", 0x1b: "APIC_BASE", 0x3a: "FEATURE_CONTROL", 0x3b: "TSC_ADJUST",
    0x48: "SPEC_CTRL", 0x49: "PRED_CMD", 0x10b: "FLUSH_CMD", 0x122: "TSX_CTRL",
    0x174: "SYSENTER_CS", 0x175: "SYSENTER_ESP", 0x176: "SYSENTER_EIP",
    0x179: "MCG_CAP", 0x17a: "MCG_STATUS", 0x17b: "MCG_CTL", 0x1a0: "MISC_ENABLE",
    0x1d9: "DEBUGCTL", 0x277: "PAT", 0x2ff: "MTRR_DEF_TYPE", 0x6e0: "TSC_DEADLINE",
    0xda0: "XSS", 0xc0000080: "EFER", 0xc0000081: "STAR", 0xc0000082: "LSTAR",
    0xc0000083: "CSTAR", 0xc0000084: "SFMASK", 0xc0000100: "FS_BASE",
    0xc0000101: "GS_BASE", 0xc0000102: "KERNEL_GS_BASE", 0xc0000103: "TSC_AUX",
    0xc0010015: "AMD_HWCR", 0xc0011029: "AMD_DE_CFG",
}


class AuditError(Exception):
    """A problem with the audit's inputs (whitelist, ELF files)."""


def msr_name(msr):
    if msr in MSR_NAMES:
        return MSR_NAMES[msr]
    if 0x200 <= msr < 0x280:
        return "MTRR"
    if 0x400 <= msr < 0x480:
        return "MCi"
    if 0x800 <= msr < 0x900:
        return "x2APIC"
    if 0xc0010000 <= msr < 0xc0010008:
        return "AMD_PERF"
    return None


def msr_text(msr):
    name = msr_name(msr)
    return "0x%x (%s)" % (msr, name) if name else "0x%x" % msr


class Rule:
    def __init__(self, kind, lo, hi, reason, where):
        self.kind, self.lo, self.hi, self.reason, self.where = kind, lo, hi, reason, where

    def matches(self, kind, value):
        if kind != self.kind:
            return False
        if self.lo is None:             # "any"
            return True
        return value is not None and self.lo <= value <= self.hi


class Whitelist:
    """What the guest may execute. One entry a line:

        KIND WHAT REASON...

    KIND is one of KINDS; WHAT is "any", or for wrmsr/in/out/dr a number
    or an inclusive range LO-HI (C notation: 0x174, 372); REASON, which
    is required, is the rest of the line. '#' starts a comment."""

    def __init__(self, path):
        self.path = path
        self.rules = []
        try:
            lines = open(path).read().splitlines()
        except OSError as e:
            raise AuditError("whitelist %s: %s" % (path, e.strerror))
        for n, line in enumerate(lines, 1):
            words = line.split("#", 1)[0].split(None, 2)
            if not words:
                continue
            where = "%s:%d" % (path, n)
            if len(words) < 3:
                raise AuditError("%s: want KIND WHAT REASON, got %r" % (where, line.strip()))
            kind, what, reason = words
            if kind not in KINDS:
                raise AuditError("%s: unknown kind %r (one of %s)" %
                                 (where, kind, " ".join(KINDS)))
            if what == "any":
                lo = hi = None
            elif kind not in VALUED:
                raise AuditError("%s: %s takes no value, only 'any'" % (where, kind))
            else:
                try:
                    a, _, b = what.partition("-")
                    lo = int(a, 0)
                    hi = int(b, 0) if b else lo
                except ValueError:
                    raise AuditError("%s: bad %s %r" % (where, VALUED[kind], what))
                if lo > hi:
                    raise AuditError("%s: empty range %r" % (where, what))
            self.rules.append(Rule(kind, lo, hi, reason.strip(), where))

    def allows(self, kind, value):
        """The rule allowing @kind with @value (None: not known), or None."""
        for r in self.rules:
            if r.matches(kind, value):
                return r
        return None


class Symbols:
    """Address -> "symbol+0xoff" from an ELF's symbol table (nm)."""

    def __init__(self, elf):
        self.addrs, self.names, self.ends = [], [], []
        self.by_name = {}
        if not elf:
            return
        try:
            out = subprocess.run(["nm", "-n", "-S", "--defined-only", elf], check=True,
                                 capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return
        for line in out.splitlines():
            f = line.split()
            if len(f) == 4:
                addr, size, typ, name = int(f[0], 16), int(f[1], 16), f[2], f[3]
            elif len(f) == 3:
                addr, size, typ, name = int(f[0], 16), 0, f[1], f[2]
            else:
                continue
            self.by_name[name] = addr
            if typ not in "tTwW":
                continue
            self.addrs.append(addr)
            self.names.append(name)
            self.ends.append(addr + size if size else None)

    def lookup(self, va):
        i = bisect.bisect_right(self.addrs, va) - 1
        if i < 0:
            return None
        # A sized symbol that ends before va does not cover it.
        if self.ends[i] is not None and va >= self.ends[i]:
            return None
        off = va - self.addrs[i]
        return "%s+0x%x" % (self.names[i], off) if off else self.names[i]


def elf_entry(path):
    with open(path, "rb") as f:
        hdr = f.read(0x20)
    if hdr[:4] != b"\x7fELF":
        raise AuditError("%s is not an ELF file" % path)
    if hdr[4] == 1:
        return struct.unpack_from("<I", hdr, 0x18)[0]
    return struct.unpack_from("<Q", hdr, 0x18)[0]


# What the code-side method of the plugin (resolve_ecx() in audit.c)
# takes as setting all of ECX, and instructions it lets through between
# that and the wrmsr when they name no part of RCX.
ECX_SET = re.compile(r"^(mov\s+\$0x[0-9a-f]+,%[re]cx|movabs\s+\$0x[0-9a-f]+,%rcx|"
                     r"xor\s+%ecx,%ecx)$")
PASS = re.compile(r"^(mov[lqwb]?|movz[bw][lqw]|shr|shl|sar|and|or|xor|add|sub|lea)\s")
RCX = re.compile(r"%[re]?c[xlh]\b")
LOOKBACK = 8


def static_wrmsr_sites(elf):
    """The wrmsr sites of @elf (objdump -d) whose MSR number the code may
    not show: all but those with an immediate load of ECX a few plain
    instructions before them, none of which a direct branch lands on.
    Leaving a site to the plugin alone is safe: where an execution does
    enter such a block after the load, the plugin counts it as unknown
    and the audit fails closed. Only the gdb breakpoint is spared, which
    would otherwise stop QEMU at every execution (FS_BASE at every
    context switch of a Linux guest), except where another breakpoint
    shares the page (below)."""
    try:
        out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", elf], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise AuditError("objdump -d %s failed: %s" % (elf, e))
    insns = [(int(m.group(1), 16), m.group(2).strip()) for m in
             re.finditer(r"^\s*([0-9a-f]+):\s+(.*)$", out, re.M)]
    targets = {int(m.group(1), 16) for m in
               re.finditer(r"^\s*[0-9a-f]+:\s+(?:j\w+|call)\s+([0-9a-f]+) <", out, re.M)}
    sites, shown_sites = [], []
    for i, (va, text) in enumerate(insns):
        if not re.match(r"wrmsr\b", text):
            continue
        shown = False
        for back in range(1, LOOKBACK + 1):
            if i - back < 0 or insns[i - back + 1][0] in targets:
                break
            prev = insns[i - back][1]
            if ECX_SET.match(prev):
                shown = True
                break
            if not PASS.match(prev) or RCX.search(prev):
                break
        (shown_sites if shown else sites).append(va)
    # QEMU (7.2, check_for_breakpoints) translates one instruction per
    # block on any page that holds a breakpoint, so there the code never
    # shows ECX to the plugin: such sites need gdb too.
    pages = {va >> 12 for va in sites}
    return sorted(sites + [va for va in shown_sites if va >> 12 in pages])


class Site:
    """One line of the plugin's report."""

    def __init__(self, line):
        head, _, disas = line.partition(" disas=")
        f = dict(w.split("=", 1) for w in head.split()[1:])
        self.cls = f["class"]
        self.kind = f["kind"]
        self.va = int(f["va"], 16)
        self.count = int(f["count"])
        self.arg = None if f["arg"] in ("-", "dx") else int(f["arg"], 16)
        self.arg_text = f["arg"]
        self.code_msrs = collections.Counter()
        if f["msr"] != "-":
            for item in f["msr"].split(","):
                msr, n = item.split(":")
                self.code_msrs[int(msr, 16)] += int(n)
        self.unknown = int(f["unknown"])
        self.bytes = f["bytes"]
        self.disas = disas.strip()
        # Filled by Audit.merge().
        self.msrs = set(self.code_msrs)
        self.msr_source = "code" if self.kind == "wrmsr" else "-"
        self.problem = None
        self.symbol = None


def read_plugin_report(path):
    """(guest entries, [Site]); None if the plugin wrote no whole report."""
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return None
    if not lines or lines[-1] != "end":
        return None
    entries, sites = 0, []
    for line in lines:
        if line.startswith("guest-entries "):
            entries = int(line.split()[1])
        elif line.startswith("site "):
            sites.append(Site(line))
    return entries, sites


def read_gdb_log(path):
    """va -> [ECX at each stop] from the breakpoint commands' output."""
    hits = collections.defaultdict(list)
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return hits
    for m in re.finditer(r"^%s 0x([0-9a-f]+) ecx=0x([0-9a-f]+) edx=0x([0-9a-f]+) "
                         r"eax=0x([0-9a-f]+)$" % GDB_TAG, text, re.M):
        hits[int(m.group(1), 16)].append(int(m.group(2), 16))
    return hits


class Audit:
    def __init__(self, tmp, plugin, whitelist, guest_elf, host32, host64,
                 use_gdb=True, report=None):
        if not os.path.exists(plugin):
            raise AuditError("%s is missing (build the colinux-audit target)" % plugin)
        self.plugin = plugin
        self.whitelist = Whitelist(whitelist)
        self.guest_elf = guest_elf
        self.host64 = host64
        self.host_entry = elf_entry(host32)
        self.out = os.path.join(tmp, "audit-plugin.txt")
        self.gdb_log = os.path.join(tmp, "audit-gdb.log")
        self.gdb_file = os.path.join(tmp, "audit.gdb")
        self.report = report
        self.breakpoints = static_wrmsr_sites(guest_elf) if use_gdb else []
        if self.breakpoints and not shutil.which("gdb"):
            raise AuditError("the guest has wrmsr sites and there is no gdb for their exact "
                             "MSR numbers (install gdb, or --audit-no-gdb to fail them)")

    def qemu_args(self):
        return ["-plugin", "%s,out=%s,host-entry=0x%x" % (self.plugin, self.out,
                                                           self.host_entry)]

    def gdb_command(self, sock):
        """gdb in batch mode logging ECX at every guest wrmsr site, or None."""
        if not self.breakpoints:
            return None
        with open(self.gdb_file, "w") as f:
            f.write("set pagination off\nset confirm off\nset height 0\n"
                    "target remote %s\n" % sock)
            for va in self.breakpoints:
                f.write("break *0x%x\ncommands\nsilent\n"
                        "printf \"%s 0x%%lx ecx=0x%%x edx=0x%%x eax=0x%%x\\n\", "
                        "$pc, $ecx, $edx, $eax\ncontinue\nend\n" % (va, GDB_TAG))
            f.write("continue\n")
        return ["gdb", "-q", "-nx", "-batch", "-x", self.gdb_file]

    def merge(self, sites):
        """MSR numbers from the code and from gdb; problems of guest wrmsr sites."""
        hits = read_gdb_log(self.gdb_log)
        covered = set(self.breakpoints)
        guest_syms = Symbols(self.guest_elf)
        host_syms = Symbols(self.host64)
        code_start = host_syms.by_name.get("co_passage_code_start")
        for s in sites:
            if s.cls == "guest":
                s.symbol = guest_syms.lookup(s.va)
            elif s.cls == "host":
                s.symbol = host_syms.lookup(s.va)
            elif s.cls == "passage" and code_start is not None:
                # The code page holds the blob from co_passage_code_start at offset 0.
                s.symbol = host_syms.lookup(code_start + (s.va & 0xfff))
            if s.kind != "wrmsr" or s.cls != "guest":
                if s.unknown:
                    s.msr_source = "code, %d unknown" % s.unknown
                continue
            seen = hits.get(s.va, [])
            if s.va in covered and len(seen) >= s.count:
                # gdb stopped at every execution (a stop may be reported twice).
                if not set(s.code_msrs) <= set(seen):
                    s.problem = ("audit inconsistent: the code shows MSR %s, gdb saw %s" %
                                 (", ".join(msr_text(m) for m in sorted(s.code_msrs)),
                                  ", ".join(msr_text(m) for m in sorted(set(seen)))))
                s.msrs = set(seen) | set(s.code_msrs)
                s.msr_source = "code+gdb" if s.code_msrs else "gdb"
            elif s.unknown:
                why = ("no gdb breakpoint covered it (not a wrmsr of the guest's ELF, "
                       "or --audit-no-gdb)" if s.va not in covered else
                       "gdb saw only %d of %d executions" % (len(seen), s.count))
                s.problem = ("MSR number not known for %d of %d executions: ECX is not "
                             "visible in the code and %s" % (s.unknown, s.count, why))
                s.msr_source = "unknown"

    def judge(self, s):
        """Why guest site @s breaks the whitelist, or None."""
        wl = self.whitelist
        if s.kind == "wrmsr":
            bad = [msr_text(m) for m in sorted(s.msrs) if not wl.allows("wrmsr", m)]
            why = []
            if s.problem:
                why.append(s.problem)
            if bad:
                why.append("MSR %s not allowed (MSR number from %s)" %
                           (", ".join(bad), s.msr_source))
            return "; ".join(why) or None
        if s.kind in ("in", "out"):
            if wl.allows(s.kind, s.arg):
                return None
            if s.arg is None:
                return "port in %dx (not known: only '" + s.kind + " any' allows it)"
            return "port 0x%x not allowed" % s.arg
        if s.kind == "dr":
            return None if wl.allows("dr", s.arg) else "%%dr%d write not allowed" % s.arg
        return None if wl.allows(s.kind, None) else "%s not allowed" % s.kind

    def write_report(self, sites):
        with open(self.report, "w") as f:
            f.write("# colinux-audit report: class kind vaddr count arg msr msr_source "
                    "symbol disas (tab-separated)\n")
            for s in sorted(sites, key=lambda s: (CLASSES.index(s.cls), s.kind, s.va)):
                msr = "-"
                if s.kind == "wrmsr":
                    msr = ",".join("0x%x" % m for m in sorted(s.msrs)) or "?"
                    if s.problem and "not known" in s.problem:
                        msr = (msr + ",?") if s.msrs else "?"
                f.write("\t".join([s.cls, s.kind, "0x%x" % s.va, str(s.count), s.arg_text,
                                   msr, s.msr_source, s.symbol or "-", s.disas]) + "\n")

    def verdict(self, status, log):
        """The run's final status after the audit; messages through @log."""
        rep = read_plugin_report(self.out)
        if rep is None:
            log("audit: no verdict: the plugin left no report (QEMU killed?)")
            return status if status else EXIT_AUDIT
        entries, sites = rep
        self.merge(sites)
        if self.report:
            self.write_report(sites)
        if not entries:
            log("audit: no verdict: no guest code ran")
            return status if status else EXIT_AUDIT
        per_class = collections.Counter(s.cls for s in sites)
        bad = []
        for s in sites:
            if s.cls == "guest":
                why = self.judge(s)
                if why:
                    bad.append((s, why))
        summary = ", ".join("%s %d" % (c, per_class[c]) for c in CLASSES)
        if not bad:
            log("audit: passed (%s): %d guest entries; sites by class: %s" %
                (self.whitelist.path, entries, summary))
            return status
        log("audit: FAILED: the guest broke %s at %d site%s:" %
            (self.whitelist.path, len(bad), "" if len(bad) == 1 else "s"))
        for s, why in sorted(bad, key=lambda b: b[0].va):
            log("audit:   guest %s at 0x%x <%s>, %d time%s: %s   [%s]" %
                (s.kind, s.va, s.symbol or "?", s.count, "" if s.count == 1 else "s",
                 why, s.disas))
        log("audit: %d guest entries; sites by class: %s; exit status %d "
            "(the run's own status: %d)" % (entries, summary, EXIT_AUDIT, status))
        return EXIT_AUDIT
