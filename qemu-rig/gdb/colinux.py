# SPDX-License-Identifier: GPL-2.0
"""gdb commands for the QEMU rig (the bare-metal host + a coLinux guest).

Loaded by the session file qemu-rig/run --gdb prints; by hand:
    source qemu-rig/gdb/colinux.py
    co-connect SOCKET HOST_ELF GUEST_ELF

Host and guest are two address spaces on one CPU. The host image lives at
-1 GiB and its heap in a direct map at 0xffff888000000000; the guest
kernel at -2 GiB. Symbols of both are loaded: a breakpoint on a guest
function hits when the guest runs it. Memory gdb reads goes through the
address space the CPU is in *now*, so these commands read host data and
guest RAM through physical addresses (QEMU's PhyMemMode) and work from
either side.

    co-side             which side the CPU is in (host, guest, transit)
    co-passage          the passage pages and both saved contexts
    co-lines            the virtual interrupt lines: device, pending, masked
    co-rings            every device queue: indices, pending requests
    co-gpa GPA [LEN]    guest memory by guest-physical address (hex dump)
    co-break-guest      stop at the next entry into the guest
    co-enter-guest      continue to the next entry and stop on the
                        guest's first instruction
"""
import os
import struct

import gdb

KERNEL_VMA = 0xffffffffc0000000
DIRECT_MAP = 0xffff888000000000
DIRECT_BYTES = 4 << 30
PASSAGE_CODE_VA = 0xffff800000000000
PAGE = 4096
CR3_MASK = 0x7ffffffffffff000

OPS = {0: "NONE", 1: "START", 2: "RETURN", 16: "IDLE", 17: "TERMINATE",
       18: "NOTIFY", 19: "FORWARD_IRQ", 20: "GET_TIME", 21: "SET_TIMER",
       22: "DEBUG_PRINT", 23: "QUEUE_SETUP", 24: "YIELD"}
CLASSES = {1: "cocon", 2: "cobd", 3: "conet", 4: "timer", 5: "power"}


class RigError(Exception):
    pass


# ---- memory ---------------------------------------------------------------

def read_phys(pa, length):
    gdb.execute("maintenance packet Qqemu.PhyMemMode:1", to_string=True)
    try:
        gdb.execute("maintenance flush dcache", to_string=True)
        return bytes(gdb.selected_inferior().read_memory(pa, length))
    finally:
        gdb.execute("maintenance packet Qqemu.PhyMemMode:0", to_string=True)
        gdb.execute("maintenance flush dcache", to_string=True)


def host_pa(va):
    if va >= KERNEL_VMA:
        return va - KERNEL_VMA
    if DIRECT_MAP <= va < DIRECT_MAP + DIRECT_BYTES:
        return va - DIRECT_MAP
    raise RigError("0x%x is no host address (image or direct map)" % va)


def host_read(va, length):
    return read_phys(host_pa(va), length)


def host_value(va, type_name):
    """A host object as a gdb.Value, wherever the CPU is."""
    t = gdb.lookup_type(type_name) if isinstance(type_name, str) else type_name
    return gdb.Value(host_read(va, t.sizeof), t)


# The host's ELF as co-connect loaded it: Linux's lx-symbols reloads
# vmlinux as the only symbol file, and the host's symbols come back here.
_host_elf = None


def lookup(name):
    return gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)


def host_symbol(name, type_name=None):
    sym = lookup(name)
    if sym is None and _host_elf:
        gdb.execute("add-symbol-file %s" % _host_elf, to_string=True)
        sym = lookup(name)
    if sym is None:
        raise RigError("no host symbol %s (is the host ELF loaded?)" % name)
    addr = int(sym.value().address)
    return host_value(addr, type_name or sym.type)


def u64(b, off=0):
    return struct.unpack_from("<Q", b, off)[0]


# ---- the VM ---------------------------------------------------------------

def cpu():
    return host_symbol("bare_cpu")


def vm_value():
    vm = int(cpu()["vm"])
    if not vm:
        raise RigError("no VM yet (the host has not attached one): continue first")
    return vm, host_value(vm, "struct co_vm")


def gpa_to_hpa(vm, gpa):
    ram = vm["ram"]
    base, size = int(ram["base"]), int(ram["size"])
    if not base <= gpa < base + size:
        raise RigError("gpa 0x%x is outside guest RAM [0x%x, 0x%x)" % (gpa, base, base + size))
    off = gpa - base
    pfn = u64(host_read(int(ram["pfn"]) + 8 * (off // PAGE), 8))
    return pfn * PAGE + off % PAGE


def read_gpa(vm, gpa, length):
    out = b""
    while length:
        chunk = min(length, PAGE - gpa % PAGE)
        out += read_phys(gpa_to_hpa(vm, gpa), chunk)
        gpa += chunk
        length -= chunk
    return out


def passage_info():
    pi = cpu()["pi"]
    return {k: int(pi[k]) for k in ("code_hva", "shared_hva", "state_hva",
                                    "to_guest_hva", "to_host_gva", "transit_cr3")}, \
        [int(pi["pfn"][i]) for i in range(3)]


def register(name):
    return int(gdb.parse_and_eval("$" + name)) & 0xffffffffffffffff


def side():
    """('host'|'guest'|'transit'|'boot', explanation)."""
    cr3 = register("cr3") & CR3_MASK
    rip = register("rip")
    host_cr3 = int(host_symbol("host_cr3"))
    if not host_cr3:
        return "boot", "the host is still starting (CR3 0x%x)" % cr3
    try:
        info, pfn = passage_info()
    except RigError:
        info, pfn = None, None
    in_code = info and (info["code_hva"] <= rip < info["code_hva"] + PAGE or
                        PASSAGE_CODE_VA <= rip < PASSAGE_CODE_VA + PAGE)
    where = " in the passage code" if in_code else ""
    if cr3 == host_cr3:
        return "host", "host address space (CR3 0x%x), rip 0x%x%s" % (cr3, rip, where)
    if info and cr3 == info["transit_cr3"] & CR3_MASK:
        return "transit", "transit address space (CR3 0x%x) inside the switch, rip 0x%x" % (cr3, rip)
    return "guest", "guest address space (CR3 0x%x), rip 0x%x%s" % (cr3, rip, where)


# ---- printing ---------------------------------------------------------------

def fmt_state(title, s):
    """A struct co_cpu_state (gdb.Value)."""
    g = lambda f: int(s[f])
    lines = ["%s:" % title,
             "  rip 0x%016x rsp 0x%016x rflags 0x%x" % (g("rip"), g("rsp"), g("rflags")),
             "  rbx 0x%016x rbp 0x%016x rdi 0x%x rsi 0x%x" % (g("rbx"), g("rbp"), g("rdi"), g("rsi")),
             "  r12 0x%016x r13 0x%016x r14 0x%016x r15 0x%016x" % (g("r12"), g("r13"), g("r14"), g("r15")),
             "  cr0 0x%x cr2 0x%x cr3 0x%x cr4 0x%x efer 0x%x" % (g("cr0"), g("cr2"), g("cr3"), g("cr4"), g("efer")),
             "  gdtr 0x%x/%d idtr 0x%x/%d tr 0x%x ldtr 0x%x" % (
                 int(s["gdtr"]["base"]), int(s["gdtr"]["limit"]), int(s["idtr"]["base"]),
                 int(s["idtr"]["limit"]), g("tr"), g("ldtr")),
             "  cs 0x%x ss 0x%x ds 0x%x es 0x%x fs 0x%x gs 0x%x" % (g("cs"), g("ss"), g("ds"), g("es"), g("fs"), g("gs")),
             "  fs_base 0x%x gs_base 0x%x kernel_gs_base 0x%x" % (g("fs_base"), g("gs_base"), g("kernel_gs_base")),
             "  star 0x%x lstar 0x%x cstar 0x%x sfmask 0x%x dr7 0x%x" % (
                 g("star"), g("lstar"), g("cstar"), g("sfmask"), g("dr7"))]
    return "\n".join(lines)


def bits(words):
    out = []
    for w, v in enumerate(words):
        out += [w * 64 + b for b in range(64) if v >> b & 1]
    return out


def cmd_passage():
    info, pfn = passage_info()
    if not pfn[0]:
        raise RigError("no passage yet: continue until the host has started the VM")
    shared_t = gdb.lookup_type("struct co_passage_shared")
    state_t = gdb.lookup_type("struct co_cpu_state")
    sh = gdb.Value(read_phys(pfn[1] * PAGE, shared_t.sizeof), shared_t)
    hs = gdb.Value(read_phys(pfn[2] * PAGE, state_t.sizeof), state_t)
    op = int(sh["op"])
    out = ["passage: code pfn 0x%x (host 0x%x, guest 0x%x), shared pfn 0x%x (host 0x%x), "
           "host state pfn 0x%x (host 0x%x)" % (pfn[0], info["code_hva"], PASSAGE_CODE_VA,
                                                 pfn[1], info["shared_hva"], pfn[2], info["state_hva"]),
           "  to_guest 0x%x (host), to_host 0x%x (guest), transit CR3 0x%x" % (
               info["to_guest_hva"], info["to_host_gva"], info["transit_cr3"]),
           "shared page: magic 0x%x abi %d op %d (%s) result %d" % (
               int(sh["magic"]), int(sh["abi_version"]), op, OPS.get(op, "?"), int(sh["result"])),
           "  param " + " ".join("0x%x" % int(sh["param"][i]) for i in range(8)),
           "  irq pending %s, masked %s" % (
               bits([int(sh["irq_pending"][i]) for i in range(4)]) or "none",
               bits([int(sh["irq_mask"][i]) for i in range(4)])[:16]),
           "  doorbells %s, timer deadline %d, power event %d" % (
               bits([int(sh["doorbell"][i]) for i in range(4)]) or "none",
               int(sh["timer_deadline"]), int(sh["power_event"])),
           "  side now: %s" % side()[1],
           fmt_state("guest context (saved in the shared page)", sh["guest"]),
           fmt_state("host context (saved in the host-state page)", hs)]
    c = cpu()
    out.append("trips %d, state checks %d" % (int(c["entries"]), int(c["checks"])))
    return "\n".join(out)


def cmd_rings():
    vm_va, vm = vm_value()
    ctl_t = gdb.lookup_type("struct co_ring_ctl")
    desc_t = gdb.lookup_type("struct co_desc")
    out = []
    for i in range(int(vm["nr_dev"])):
        dev = host_value(int(vm["dev"][i]), "struct co_device")
        inf = dev["info"]
        name = "%s%d" % (CLASSES.get(int(inf["dev_class"]), "dev"), int(inf["unit"]))
        nq = int(inf["nr_queues"])
        out.append("%s: irq line %d, %d queue(s)" % (name, int(inf["irq"]), nq))
        for j in range(nq):
            q = dev["queue"][j]
            if not bool(q["ready"]):
                out.append("  queue %d: not set up" % int(q["id"]))
                continue
            gpa, size = int(q["gpa"]), int(q["size"])
            ctl = gdb.Value(read_gpa(vm, gpa, ctl_t.sizeof), ctl_t)
            req_prod, cpl_cons = int(ctl["req_prod"]), int(ctl["cpl_cons"])
            req_cons, cpl_prod = int(q["req_cons"]), int(q["cpl_prod"])
            pending = (req_prod - req_cons) & 0xffffffff
            out.append("  queue %d: ring gpa 0x%x, %d entries; req_prod %d req_cons %d "
                       "cpl_prod %d cpl_cons %d; %d pending, %d completed" % (
                           int(q["id"]), gpa, size, req_prod, req_cons, cpl_prod, cpl_cons,
                           pending, int(q["completed"])))
            for k in range(min(pending, size, 8)):
                slot = (req_cons + k) & (size - 1)
                d = gdb.Value(read_gpa(vm, gpa + 64 + slot * desc_t.sizeof, desc_t.sizeof), desc_t)
                out.append("    [%d] id 0x%x op %d nseg %d flags 0x%x arg 0x%x" % (
                    slot, int(d["id"]), int(d["op"]), int(d["nseg"]), int(d["flags"]),
                    int(d["arg"])))
    return "\n".join(out)


def cmd_lines():
    """The virtual interrupt lines: which device owns each, and whether it
    is pending or masked in the shared page now."""
    _, pfn = passage_info()
    if not pfn[0]:
        raise RigError("no passage yet: continue until the host has started the VM")
    shared_t = gdb.lookup_type("struct co_passage_shared")
    sh = gdb.Value(read_phys(pfn[1] * PAGE, shared_t.sizeof), shared_t)
    pending = set(bits([int(sh["irq_pending"][i]) for i in range(4)]))
    masked = set(bits([int(sh["irq_mask"][i]) for i in range(4)]))
    _, vm = vm_value()
    owners = {}
    for i in range(int(vm["nr_dev"])):
        inf = host_value(int(vm["dev"][i]), "struct co_device")["info"]
        owners[int(inf["irq"])] = "%s%d" % (CLASSES.get(int(inf["dev_class"]), "dev"),
                                            int(inf["unit"]))
    out = ["line  device   state"]
    for line in sorted(set(owners) | pending):
        state = ("pending" if line in pending else "idle") + \
            (", masked" if line in masked else ", unmasked")
        out.append("%4d  %-8s %s" % (line, owners.get(line, "-"), state))
    out.append("%d lines masked in all; pending: %s" % (
        len(masked), sorted(pending) or "none"))
    return "\n".join(out)


def hexdump(addr, data):
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off:off + 16]
        lines.append("0x%010x: %-48s %s" % (
            addr + off, " ".join("%02x" % b for b in chunk),
            "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)))
    return "\n".join(lines)


def guest_iretq_va():
    """The passage's iretq into the guest: at the guest's VA of the code
    page it only ever runs on the way into the guest."""
    start = int(gdb.parse_and_eval("&co_passage_code_start").cast(gdb.lookup_type("long")))
    end = int(gdb.parse_and_eval("&co_passage_code_end").cast(gdb.lookup_type("long")))
    arch = gdb.selected_frame().architecture()
    last = None
    for insn in arch.disassemble(start & 0xffffffffffffffff, (end - 1) & 0xffffffffffffffff):
        if insn["asm"].startswith("iretq"):
            last = insn["addr"]
    if last is None:
        raise RigError("no iretq in the passage code")
    return PASSAGE_CODE_VA + (last - (start & 0xffffffffffffffff))


# ---- commands ------------------------------------------------------------------

class Command(gdb.Command):
    def __init__(self, name, fn, doc):
        self.__doc__ = doc
        super().__init__(name, gdb.COMMAND_USER)
        self.fn = fn

    def invoke(self, arg, from_tty):
        try:
            text = self.fn(arg)
        except RigError as e:
            raise gdb.GdbError(str(e))
        if text:
            gdb.write(text + "\n")


def do_connect(arg):
    global _host_elf
    parts = gdb.string_to_argv(arg)
    if len(parts) != 3:
        raise RigError("usage: co-connect SOCKET HOST_ELF GUEST_ELF")
    sock, host, guest = parts
    gdb.execute("set trust-readonly-sections on")
    gdb.execute("file %s" % host)
    gdb.execute("add-symbol-file %s" % guest)
    _host_elf = host
    # A Linux guest: its own gdb scripts (lx-dmesg, lx-ps, ...), which the
    # kernel build leaves beside vmlinux.
    linux = os.path.join(os.path.dirname(os.path.abspath(guest)), "vmlinux-gdb.py")
    scripts = ""
    if os.path.isfile(linux):
        gdb.execute("source %s" % linux)
        scripts = ("colinux: Linux's gdb scripts from %s (apropos lx-); they read the guest's\n"
                   "         memory, so use them while the guest runs: co-enter-guest gets there.\n"
                   % linux)
    gdb.execute("target remote %s" % sock)
    return ("colinux: host symbols from %s, guest symbols from %s.\n%s"
            "colinux: the machine is halted before the BIOS. Commands: co-side, co-passage,\n"
            "         co-lines, co-rings, co-gpa GPA [LEN], co-break-guest, co-enter-guest\n"
            "         (help colinux)" % (host, guest, scripts))


def do_side(arg):
    return "colinux: the CPU is in the %s: %s" % side()


def do_gpa(arg):
    parts = gdb.string_to_argv(arg)
    if not parts:
        raise RigError("usage: co-gpa GPA [LEN]")
    gpa = int(gdb.parse_and_eval(parts[0]))
    length = int(gdb.parse_and_eval(parts[1])) if len(parts) > 1 else 64
    _, vm = vm_value()
    return hexdump(gpa, read_gpa(vm, gpa, length))


_guest_bp = None


def do_break_guest(arg):
    global _guest_bp
    va = guest_iretq_va()
    if _guest_bp is not None and _guest_bp.is_valid():
        _guest_bp.delete()
    _guest_bp = gdb.Breakpoint("*0x%x" % va, internal=False, temporary=True)
    return ("colinux: breakpoint on the passage's iretq into the guest (0x%x); after it stops,\n"
            "         'stepi' is the guest's next instruction (co-enter-guest does both)" % va)


def do_enter_guest(arg):
    do_break_guest(arg)
    start = register("rip")
    target = guest_iretq_va()
    for _ in range(3):
        gdb.execute("continue")
        rip = register("rip")
        # QEMU's gdbstub at times reports the breakpoint we continued
        # from once more without moving: not a new stop, go on.
        if rip != start:
            break
    if rip != target:
        return ("colinux: stopped at 0x%x before the guest was entered (another breakpoint?)"
                % rip)
    gdb.execute("stepi")
    return do_side("")


Command("co-connect", lambda a: do_connect(a),
        "co-connect SOCKET HOST_ELF GUEST_ELF: load both symbol tables and attach to QEMU.")
Command("co-side", do_side, "Which side the CPU is in: host, guest, or transit (the switch).")
Command("co-passage", lambda a: cmd_passage(),
        "The passage pages, the shared page and both saved contexts (guest and host).")
Command("co-lines", lambda a: cmd_lines(),
        "The virtual interrupt lines: owning device, pending, masked.")
Command("co-rings", lambda a: cmd_rings(),
        "Every device queue: ring address, the four indices, pending requests.")
Command("co-gpa", do_gpa, "co-gpa GPA [LEN]: hex dump of guest memory by guest-physical address.")
Command("co-break-guest", do_break_guest, "Stop at the next entry into the guest.")
Command("co-enter-guest", do_enter_guest,
        "Continue to the next entry into the guest and stop at its first instruction.")


class Help(gdb.Command):
    # "help colinux" prints the class's doc: the module's, the whole list.
    __doc__ = __doc__

    def __init__(self):
        super().__init__("colinux", gdb.COMMAND_USER, prefix=True)

    def invoke(self, arg, from_tty):
        gdb.write(__doc__ + "\n")


Help()
