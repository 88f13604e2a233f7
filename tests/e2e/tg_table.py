# SPDX-License-Identifier: GPL-2.0
"""The test guest's table of programs, read from the guest itself
(test=list), and the host set-up each row asks for, built for one tier:
colinux-sim (tests/e2e) or the QEMU rig (tests/qemu).

The table lives in guest-drivers/testguest/tests.c; its printed form is
described in guest-drivers/testguest/README.md. Nothing here names a
program: the pytest lists are the guest's rows, so a new program is a row
and a function in the guest and no change on this side.
"""
import contextlib
import fnmatch
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import colinux_e2e as e2e

TEST_LINE = re.compile(r"^TEST (\S+) (.*?) -- (.*)$")
FIELD = re.compile(r'(\w+)=(?:"([^"]*)"|(\S*))(?:\s+|$)')
NEED_LINE = re.compile(r"^NEED (\S+) -- (.*)$")
END_LINE = re.compile(r"^== list: (\d+) programs ==$")
STAMP_LINE = re.compile(
    r"^\S+: stamp unit=(\d+) sectors=(\d+) seed=(\d+) gen=(\d+)", re.M)
FIELDS = ("timeout", "groups", "tiers", "expect", "exit", "args", "disks",
          "nets", "needs", "words", "skips")
# The order in which network units are numbered from eth0 (tg.h).
NET_KINDS = ("slirp", "pcap", "loop")
# How a program ends (expect=) and the exit status that implies (tests.c).
END_EXIT = {"summary": 0, "panic": e2e.EXIT_GUEST_ERROR, "cpu-fault": e2e.EXIT_CPU_FAULT,
            "protocol": e2e.EXIT_PROTOCOL, "host-check": e2e.EXIT_HOST_STATE}


class TableError(Exception):
    """test=list printed something this module cannot read."""


class SetupConflict(Exception):
    """Programs that must share one boot ask for set-ups that disagree."""


@dataclass(frozen=True)
class Disk:
    kib: int
    ro: bool = False
    stamp: bool = False
    fill: str = ""          # repeated over the image; "" = zeros

    @classmethod
    def parse(cls, text):
        size, *opts = text.split(",")
        m = re.fullmatch(r"(\d+)K", size)
        if not m or not int(m.group(1)):
            raise TableError("disk %r: the size is not N K" % text)
        kw = dict(kib=int(m.group(1)))
        for o in opts:
            if o in ("ro", "stamp"):
                kw[o] = True
            elif o.startswith("fill=") and len(o) > 5:
                kw["fill"] = o[5:]
            else:
                raise TableError("disk %r: unknown option %r" % (text, o))
        return cls(**kw)


@dataclass
class Program:
    name: str
    timeout: int
    groups: list
    tiers: list
    expect: str             # a key of END_EXIT
    exit: int               # the exit status that ending implies
    args: str
    disks: list             # of Disk, cobd0 first
    nets: list              # of NET_KINDS
    needs: list
    words: list
    skips: list             # patterns of SKIP reasons the set-up leaves
    desc: str

    def skip_allowed(self, text):
        return any(fnmatch.fnmatchcase(text, p + "*") for p in self.skips)


@dataclass
class Table:
    programs: dict = field(default_factory=dict)    # name -> Program, table order
    needs: dict = field(default_factory=dict)       # name -> description
    count: int = -1                                 # from the end line

    def group(self, name):
        return [p for p in self.programs.values() if name in p.groups]


def _split(value, sep=","):
    return [w for w in value.split(sep) if w]


def parse_program(line):
    m = TEST_LINE.match(line)
    if not m:
        return None
    name, rest, desc = m.groups()
    vals = {}
    pos = 0
    while pos < len(rest):
        f = FIELD.match(rest, pos)
        if not f:
            raise TableError("TEST %s: cannot read %r" % (name, rest[pos:]))
        vals[f.group(1)] = f.group(2) if f.group(2) is not None else f.group(3)
        pos = f.end()
    missing = [k for k in FIELDS if k not in vals]
    if missing:
        raise TableError("TEST %s: no %s" % (name, ", ".join(missing)))
    nets = _split(vals["nets"])
    unknown = [n for n in nets if n not in NET_KINDS]
    if unknown:
        raise TableError("TEST %s: unknown network kind %s" % (name, unknown))
    return Program(
        name=name, timeout=int(vals["timeout"]), groups=_split(vals["groups"]),
        tiers=_split(vals["tiers"]), expect=vals["expect"], exit=int(vals["exit"]),
        args=vals["args"], disks=[Disk.parse(d) for d in _split(vals["disks"], " ")],
        nets=nets, needs=_split(vals["needs"]), words=_split(vals["words"], " "),
        skips=_split(vals["skips"], "|"), desc=desc)


def parse_list(stdout):
    """The Table in the console output of a test=list run."""
    t = Table()
    for line in stdout.splitlines():
        line = line.rstrip("\r")
        p = parse_program(line)
        if p:
            if p.name in t.programs:
                raise TableError("TEST %s twice" % p.name)
            t.programs[p.name] = p
            continue
        m = NEED_LINE.match(line)
        if m:
            t.needs[m.group(1)] = m.group(2)
            continue
        m = END_LINE.match(line)
        if m:
            t.count = int(m.group(1))
    if t.count != len(t.programs) or not t.programs:
        raise TableError("the list ends with %d programs but %d were read"
                         % (t.count, len(t.programs)))
    return t


# ---- tiers -------------------------------------------------------------------

class Tier:
    """One way of running the guest: its name in the table's tiers= list,
    how to run it, the needs it provides and its limits.

    run(args, timeout, env, options) -> colinux_e2e.Run
    needs: need name -> function(Setup) that provides it (adds words,
    environment, run options or a service to the set-up)."""

    def __init__(self, name, run, needs, max_drives=None, list_timeout=60):
        self.name = name
        self.run = run
        self.needs = needs
        self.max_drives = max_drives    # IDE drives: cobd units + pcap files
        self.list_timeout = list_timeout
        self._table = None
        self.table_error = None     # why the table could not be read

    def table(self):
        """The guest's table as this tier's run of test=list shows it."""
        if self._table is None:
            run = self.run(["test=list"], self.list_timeout, {}, [])
            if run.returncode != 0:
                raise TableError("test=list failed\n" + run.describe())
            try:
                self._table = parse_list(run.stdout)
            except TableError as e:
                raise TableError("%s\n%s" % (e, run.describe())) from None
        return self._table


def sim_host_irq(setup):
    # Held by the back-end until the guest turns interrupts on.
    setup.env["CO_UC_INJECT"] = "32@3000000,40@4000000,255@5000000"
    setup.words.append("host_irqs=3")


def udp_echo(setup):
    echo = setup.enter(e2e.UdpEcho())
    setup.services["udp-echo"] = echo
    setup.words.append("udp_port=%d" % echo.port)


def _sim_run(args, timeout, env, options):
    return e2e.run_sim(list(options) + list(args), timeout=timeout, env=env)


SIM = Tier("unicorn", _sim_run, {"host-irq": sim_host_irq, "udp-echo": udp_echo})


# ---- set-up ------------------------------------------------------------------

def merge_disks(progs):
    """Disks place by place: the largest size, the flags of any, one fill.
    Programs in one boot must agree on which units are read-only."""
    out = []
    for unit in range(max((len(p.disks) for p in progs), default=0)):
        mine = [(p.name, p.disks[unit]) for p in progs if unit < len(p.disks)]
        ro = {d.ro for _, d in mine}
        fills = {d.fill for _, d in mine if d.fill}
        if len(ro) > 1 or len(fills) > 1:
            raise SetupConflict("cobd%d: %s" % (unit, ", ".join(
                "%s wants %s" % (n, d) for n, d in mine)))
        out.append(Disk(kib=max(d.kib for _, d in mine), ro=ro.pop(),
                        stamp=any(d.stamp for _, d in mine),
                        fill=fills.pop() if fills else ""))
    return out


def merge_words(progs):
    words = {}
    for p in progs:
        for w in p.words:
            key = w.partition("=")[0]
            if words.get(key, w) != w:
                raise SetupConflict("%s and %s in one boot" % (words[key], w))
            words[key] = w
    return list(words.values())


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def make_disk(path, disk):
    size = disk.kib << 10
    if not disk.fill:
        e2e.make_image(path, size)
        return
    fill = disk.fill.encode()
    data = fill * (size // len(fill) + 1)
    Path(path).write_bytes(data[:size])


class Setup:
    """The host side of one boot for @progs on @tier, in @tmp_path:
    images, network units, the words that name them, the needs.

        with Setup(tier, progs, tmp_path) as s:
            run = tier.run(s.args + [...], timeout, s.env, s.options)
            s.check_host_side(run)

    unavailable is None, or why the tier cannot give this set-up (the
    caller reports that as a skip)."""

    def __init__(self, tier, progs, tmp_path):
        self.tier = tier
        self.progs = list(progs)
        self.tmp = Path(tmp_path)
        self.disks = merge_disks(self.progs)
        self.nets = [k for k in NET_KINDS if any(k in p.nets for p in self.progs)]
        self.needs = []
        for p in self.progs:
            self.needs += [n for n in p.needs if n not in self.needs]
        self.words = merge_words(self.progs)
        self.args = []
        self.env = {}
        self.options = []
        self.services = {}
        self.images = []        # (unit, Disk, path, sha256 before the run)
        self.pcaps = []
        self._stack = contextlib.ExitStack()
        self.unavailable = self._unavailable()

    def _unavailable(self):
        table = self.tier.table()
        why = []
        for p in self.progs:
            if self.tier.name not in p.tiers:
                why.append("%s is not for the %s tier (the guest's table says tiers=%s)"
                           % (p.name, self.tier.name, ",".join(p.tiers)))
            for n in p.needs:
                if n not in self.tier.needs:
                    why.append("%s needs %s (%s), which the %s tier does not provide"
                               % (p.name, n, table.needs.get(n, "not described"),
                                  self.tier.name))
        drives = len(self.disks) + ("pcap" in self.nets)
        if self.tier.max_drives is not None and drives > self.tier.max_drives:
            why.append("%s need %d drives (cobd units and pcap files), the %s tier has %d"
                       % (",".join(p.name for p in self.progs), drives, self.tier.name,
                          self.tier.max_drives))
        return "; ".join(why) or None

    def enter(self, ctx):
        return self._stack.enter_context(ctx)

    def __enter__(self):
        assert self.unavailable is None, self.unavailable
        try:
            self._build()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc):
        self._stack.close()

    def _build(self):
        for unit, d in enumerate(self.disks):
            path = self.tmp / ("cobd%d.img" % unit)
            make_disk(path, d)
            self.images.append((unit, d, path, sha256(path)))
            self.args.append("cobd%d=%s%s" % (unit, path, ",ro" if d.ro else ""))
        eth = 0
        for kind in self.nets:
            if kind == "slirp":
                self.args.append("eth%d=slirp" % eth)
                self.words.append("slirp=%d" % eth)
                eth += 1
            elif kind == "pcap":
                path = self.tmp / ("eth%d.pcap" % eth)
                self.pcaps.append(path)
                self.args.append("eth%d=pcap,%s" % (eth, path))
                self.words.append("pcap=%d" % eth)
                eth += 1
            else:
                name = "tg-%s" % self.tmp.name
                self.args += ["eth%d=loop,%s" % (eth, name),
                              "eth%d=loop,%s" % (eth + 1, name)]
                self.words.append("loop=%d,%d" % (eth, eth + 1))
                eth += 2
        for n in self.needs:
            self.tier.needs[n](self)
        self.args += self.words

    def check_host_side(self, run, alone=True):
        """What the host can see after the run: read-only images as they
        were; a stamped image holds the stamp the program reported (only
        when it ran @alone: a later program may write over it)."""
        for unit, d, path, before in self.images:
            if d.ro:
                assert sha256(path) == before, \
                    "cobd%d is read-only, yet its image changed\n%s" % (unit, run.describe())
            if d.stamp and alone:
                check_stamp(run, unit, path)


def check_stamp(run, unit, path):
    stamps = {int(m.group(1)): m.groups() for m in STAMP_LINE.finditer(run.stdout)}
    assert unit in stamps, "no stamp reported for cobd%d\n%s" % (unit, run.describe())
    _, sectors, seed, gen = (int(x) for x in stamps[unit])
    data = Path(path).read_bytes()
    assert sectors > 0 and len(data) >= sectors * e2e.SECTOR, run.describe()
    for s in range(sectors):
        assert data[s * e2e.SECTOR:(s + 1) * e2e.SECTOR] == \
            e2e.cobd_pattern_sector(seed, unit, gen, s), \
            "cobd%d sector %d is not the stamp the guest reported" % (unit, s)


# ---- what a clean run is ----------------------------------------------------------

def check_clean(run, prog):
    """@prog (a Program) ended with its summary: no failure, a pass for
    every check, and only the skips its row allows."""
    name = prog.name
    assert run.returncode == 0, run.describe()
    assert name in run.summaries, run.describe()
    passed, failed, skipped, xfailed = run.summaries[name]
    mine = [r for r in run.results if r.program == name]
    assert failed == 0 and not [r for r in mine if r.status == "FAIL"], run.describe()
    assert passed == len([r for r in mine if r.status == "PASS"]) > 0, run.describe()
    skips = [r for r in mine if r.status == "SKIP"]
    for r in skips:
        assert prog.skip_allowed(r.text), \
            "unexpected skip in %s: %s (the guest's table allows %s)\n%s" % (
                name, r.text, prog.skips or "none", run.describe())
    assert skipped == len(skips) and xfailed == 0, run.describe()


def check_end(run, prog):
    """@prog ended as its row says: with a clean summary, or by stopping
    the VM with the exit status the row names (and no summary)."""
    assert re.search(r"^-- %s\r?$" % re.escape(prog.name), run.stdout, re.M), \
        "%s did not start\n%s" % (prog.name, run.describe())
    if prog.expect == "summary":
        assert prog.exit == 0, "a summary ends with exit 0, the row says %d" % prog.exit
        check_clean(run, prog)
    else:
        assert run.returncode == prog.exit, run.describe()
        assert prog.name not in run.summaries, run.describe()


# ---- pytest --------------------------------------------------------------------

def parametrize_programs(metafunc, tier, argname="prog"):
    """Parametrize @argname over the guest's programs, read at collection
    time. If the table cannot be read, one case that fails says why."""
    if argname not in metafunc.fixturenames:
        return
    try:
        names = list(tier.table().programs)
    except Exception as e:          # reported by the case below, not hidden
        tier.table_error = e
        metafunc.parametrize(argname, [None], ids=["table-unreadable"])
        return
    metafunc.parametrize(argname, names, ids=names)


def run_program(tier, name, tmp_path, words=("seed=3",)):
    """Run program @name alone with its set-up; skip (visibly) when the
    tier cannot give it. Returns (run, Program)."""
    import pytest

    if name is None:
        raise AssertionError("the guest's table could not be read: %s" % tier.table_error)
    prog = tier.table().programs[name]
    setup = Setup(tier, [prog], tmp_path)
    if setup.unavailable:
        pytest.skip(setup.unavailable)
    with setup:
        run = tier.run(setup.args + ["test=%s" % name] + list(words), prog.timeout,
                       setup.env, setup.options)
        check_end(run, prog)
        setup.check_host_side(run)
    return run, prog


def run_group(tier, group, tmp_path, words=("seed=11",)):
    """Every program of @group in one boot, with the union of their
    set-ups. Returns (run, [Program])."""
    import pytest

    progs = tier.table().group(group)
    assert progs, "group %s is empty" % group
    setup = Setup(tier, progs, tmp_path)
    if setup.unavailable:
        pytest.skip(setup.unavailable)
    with setup:
        run = tier.run(setup.args + ["test=%s" % group] + list(words),
                       sum(p.timeout for p in progs), setup.env, setup.options)
        m = re.search(r"^== summary: (\d+) programs, (\d+) passed, (\d+) failed",
                      run.stdout, re.M)
        assert m, run.describe()
        assert int(m.group(1)) == len(progs), run.describe()
        assert int(m.group(3)) == 0 and run.returncode == 0, run.describe()
        for p in progs:
            check_end(run, p)
        setup.check_host_side(run, alone=False)
    return run, progs
