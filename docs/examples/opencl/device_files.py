"""The device through its files, as the OpenCL examples use it: buffers are
numpy.memmap views of mem/ files (zero-copy), a program is a file copied
into mem/, commands are lines on one open `queue` (one context: they run in
order) and each completion is the line read back."""
import os
import shutil
import sys

import numpy as np


class Device:
    def __init__(self, path):
        self.path = path
        self.queue = open(os.path.join(path, "queue"), "r+b", buffering=0)
        self.created = []

    def buffer(self, name, shape, dtype):
        """A new buffer mem/NAME of that shape, mapped (mode w+ sizes it)."""
        self.created.append(name)
        return np.memmap(os.path.join(self.path, "mem", name), dtype=dtype, mode="w+", shape=shape)

    def program(self, source):
        """Copies the OpenCL C file SOURCE (next to this script) into mem/."""
        name = os.path.basename(source)
        shutil.copyfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), source),
                        os.path.join(self.path, "mem", name))
        self.created.append(name)
        return name

    def run(self, line):
        """Runs one command; prints its completion, exits on an error, and
        returns its time in microseconds (the last field of `ok`)."""
        self.queue.write(line.encode() + b"\n")
        reply = self.queue.readline().decode().strip()
        print(reply)
        if " ok " not in f" {reply} ":
            sys.exit(f"command failed: {line}")
        return int(reply.split()[-1])

    def close(self):
        self.queue.close()
        for name in self.created:
            os.unlink(os.path.join(self.path, "mem", name))
