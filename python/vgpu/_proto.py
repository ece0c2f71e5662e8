"""The binary protocol of the queue (docs/protocol.md), in Python.

The catalogue is not copied here: each kernel's id and argument list are
read from the device's kernels/NAME files, so the package follows the
daemon it talks to.
"""
import errno
import struct

MAGIC = b"\x7fVGPUQB\n"
VERSION = 1
PACKET_MAX = 4096
# native byte order: client and daemon share the machine
HEADER = struct.Struct("=IHHIIQ")
ARG = struct.Struct("=HHI")
INT_ARG = struct.Struct("=HHIq")
FLOAT_ARG = struct.Struct("=HHId")
BUF_ARG = struct.Struct("=HHIQQ")
COMPLETION = struct.Struct("=QQiHHQQ216s")
COMPLETION_SIZE = 256
assert COMPLETION.size == COMPLETION_SIZE

T_BUF, T_INT, T_FLOAT, T_DTYPE, T_BOOL, T_NAME, T_KEYWORD = range(7)
DTYPE_IDS = {"f32": 0, "f64": 1, "i32": 2, "u8": 3, "bf16": 4}

# errno values with two names on Linux: the one the daemon prints
# (fsproto/errnames.c)
_ERRNAME_OVERRIDES = {errno.EAGAIN: "EAGAIN", errno.EOPNOTSUPP: "EOPNOTSUPP",
                      errno.EDEADLK: "EDEADLK"}


def errname(status):
    """The name of a completion's -errno status, as the daemon prints it."""
    e = -status if status < 0 else status
    return _ERRNAME_OVERRIDES.get(e) or errno.errorcode.get(e, "EUNKNOWN")


class KernelSpec:
    """One kernel as kernels/NAME describes it: id and arguments."""

    def __init__(self, name, kid, args, dtypes):
        self.name = name
        self.id = kid
        self.args = args  # name -> (index, type, words)
        self.dtypes = dtypes
        self.packers = {}  # argument names -> compiled packer (pack())

    @classmethod
    def parse(cls, text):
        name = kid = None
        args = {}
        dtypes = ()
        in_args = False
        for line in text.splitlines():
            if in_args and line.startswith("  "):
                fields = line.split(None, 1)
                aname, rest = fields[0], fields[1] if len(fields) > 1 else ""
                args[aname] = (len(args),) + _arg_type(rest)
                continue
            in_args = False
            key, _, value = line.partition(": ")
            if key == "name":
                name = value
            elif key == "id":
                kid = int(value)
            elif key == "arguments:" or line.startswith("arguments:"):
                in_args = True
            elif key == "dtypes":
                dtypes = tuple(v.strip() for v in value.split(","))
        if name is None or kid is None:
            raise ValueError("not a kernel description")
        return cls(name, kid, args, dtypes)


def _arg_type(rest):
    word = rest.split(None, 1)[0] if rest else ""
    if rest.startswith("buffer"):
        return T_BUF, None
    if rest.startswith("0 or 1"):
        return T_BOOL, None
    simple = {"integer": T_INT, "number": T_FLOAT, "dtype": T_DTYPE,
              "name": T_NAME}
    if word in simple:
        return simple[word], None
    return T_KEYWORD, tuple(word.split("|"))


def _compile(spec, names):
    """A packer for packets of SPEC giving the arguments NAMES, in that order:
    (struct, converters), so that a packet is one struct.pack call."""
    fmt, conv = ["=IHHIIQ"], []
    size = HEADER.size
    for aname in names:
        try:
            index, atype, words = spec.args[aname]
        except KeyError:
            raise TypeError(f"{spec.name}: no argument '{aname}'") from None
        if atype == T_BUF:
            fmt.append(f"HHIQQ")
            conv.append((index, T_BUF, 16, None))
            size += 24
        elif atype == T_NAME:
            raise TypeError(f"{spec.name}: '{aname}' (a name) is not supported here")
        else:
            fmt.append("HHId" if atype == T_FLOAT else "HHIq")
            conv.append((index, atype, 8, words))
            size += 16
    if size > PACKET_MAX:
        raise ValueError(f"{spec.name}: packet of {size} bytes")
    return struct.Struct("".join(fmt)), conv, size


def pack(spec, tag, args):
    """One packet of kernel SPEC with ARGS (name -> value): bytes.

    Buffers are (handle, byte offset) pairs, dtypes their names, keywords
    their words, booleans and integers ints, numbers floats.
    """
    key = tuple(args)
    compiled = spec.packers.get(key)
    if compiled is None:
        compiled = spec.packers[key] = _compile(spec, key)
    st, conv, size = compiled
    values = [size, VERSION, spec.id, 0, len(conv), tag]
    for (index, atype, length, words), value in zip(conv, args.values()):
        values += (index, atype, length)
        if atype == T_BUF:
            values += value
        elif atype == T_FLOAT:
            values.append(float(value))
        elif atype == T_DTYPE:
            values.append(DTYPE_IDS[value])
        elif atype == T_KEYWORD:
            values.append(words.index(value))
        else:
            values.append(int(value))
    return st.pack(*values)


def unpack_completions(data):
    """Completion records in DATA: (tag, seq, status, kernel, t0, t1, msg)."""
    out = []
    for off in range(0, len(data) - COMPLETION_SIZE + 1, COMPLETION_SIZE):
        tag, seq, status, kernel, _, t0, t1, msg = COMPLETION.unpack_from(data, off)
        out.append((tag, seq, status, kernel, t0, t1,
                    msg.split(b"\0", 1)[0].decode(errors="replace")))
    return out
