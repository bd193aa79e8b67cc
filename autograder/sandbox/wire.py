"""The wire between the trusted grader and the student's sandbox: plain data only, never pickle.

Both sides import this file (the sandbox sees only this folder, not the rest of ``autograder``),
so it must not import anything from the package. A message is a JSON header followed by raw
byte buffers for tensors, arrays and bytes::

    8 bytes: header length (big-endian) | header (UTF-8 JSON) | buffer 0 | buffer 1 | ...

Values are encoded as JSON scalars or tagged objects (``{"t": "tensor", ...}``). Decoding builds
only plain Python containers, numbers, strings, tensors and arrays, so no object the student
defined can ever run code on the trusted side. Anything the sandbox cannot encode it keeps in a
table and sends as a *handle* (an id); library classes and functions travel by dotted name.
The trusted side decodes names and handles into inert placeholders (``decode(..., trusted=True)``);
the sandbox resolves them into the real objects.
"""

from __future__ import annotations

import importlib
import json
import socket
import struct
import time
from typing import Any

import numpy as np
import torch

HEADER = struct.Struct(">Q")
# Library objects that may travel by name, and only these (a name is resolved by import + getattr).
REF_ROOTS = ("torch", "numpy", "math")
MAX_DEPTH = 64


class WireError(Exception):
    """A message that breaks the protocol: too large, malformed, or of a type that may not travel."""


class Limits:
    """How much one message may carry; the trusted side reads the sandbox's messages with these."""

    def __init__(self, max_bytes: int = 1 << 30, max_nodes: int = 2_000_000):
        self.max_bytes = max_bytes
        self.max_nodes = max_nodes


class Ref:
    """A library class or function, by name (``torch.nn.modules.activation.Tanh``)."""

    def __init__(self, name: str):
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("Ref", self.name))

    def __repr__(self) -> str:
        return self.name.rsplit(".", 1)[-1]


class HandleRef:
    """An object that stays in the sandbox, by its id there; ``type_name`` is for messages only."""

    def __init__(self, id: int, type_name: str = "object"):
        self.id = id
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def ref_name(obj: Any) -> str | None:
    """The dotted name of a library class or function that may travel by name, else None."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not (isinstance(module, str) and isinstance(qualname, str)) or "<" in qualname:
        return None
    if module.split(".")[0] not in REF_ROOTS or not callable(obj):
        return None
    return f"{module}:{qualname}"


def resolve_ref(name: str) -> Any:
    module, _, qualname = name.partition(":")
    if module.split(".")[0] not in REF_ROOTS:
        raise WireError(f"{name} may not travel by name")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


_TORCH_DTYPES = {str(d).removeprefix("torch."): d for d in [
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64, torch.complex128,
    torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool]}


class Encoder:
    """Turns a value into a JSON-able tree plus byte buffers.

    ``keep`` decides what happens to a value that is not plain data: the sandbox passes a function
    that stores the object and returns a :class:`HandleRef`; the trusted side passes none, and such
    a value is an error (a test may only send plain data and handles it received).
    """

    def __init__(self, keep=None):
        self.buffers: list[bytes] = []
        self.keep = keep

    def _buffer(self, data: bytes) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError(f"data nested more than {MAX_DEPTH} levels deep")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value if type(value) is int else int(value)
        if isinstance(value, float):
            return {"t": "float", "v": repr(float(value))}
        if isinstance(value, torch.Tensor) and type(value) in (torch.Tensor, torch.nn.Parameter):
            return self._tensor(value)
        if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
            array = np.ascontiguousarray(value)
            return {"t": "ndarray", "dtype": array.dtype.str, "shape": list(array.shape),
                    "b": self._buffer(array.tobytes())}
        if isinstance(value, np.generic) and value.dtype.kind in "biufc":
            return {"t": "npscalar", "dtype": value.dtype.str, "b": self._buffer(value.tobytes())}
        if isinstance(value, (bytes, bytearray)):
            return {"t": "bytes", "b": self._buffer(bytes(value))}
        if isinstance(value, torch.dtype):
            return {"t": "dtype", "v": str(value).removeprefix("torch.")}
        if isinstance(value, HandleRef):
            return {"t": "handle", "id": value.id}
        if isinstance(value, Ref):
            return {"t": "ref", "v": value.name}
        if type(value) in (list, tuple, set, frozenset, dict) or isinstance(value, (tuple, torch.Size)):
            return self._container(value, depth)
        name = ref_name(value)
        if name is not None:
            return {"t": "ref", "v": name}
        if self.keep is None:
            raise WireError(f"a {type(value).__name__} cannot be sent to the sandbox")
        handle = self.keep(value)
        return {"t": "handle", "id": handle.id, "type": handle.type_name}

    def _tensor(self, value: torch.Tensor) -> dict:
        if value.layout != torch.strided or value.is_quantized or value.device.type != "cpu":
            raise WireError("only dense CPU tensors can travel")
        dtype = str(value.dtype).removeprefix("torch.")
        if dtype not in _TORCH_DTYPES:
            raise WireError(f"tensors of dtype {value.dtype} cannot travel")
        data = value.detach().contiguous()
        if data.dtype == torch.bfloat16:
            raw = data.view(torch.int16).numpy().tobytes()
        else:
            raw = data.numpy().tobytes()
        return {"t": "tensor", "dtype": dtype, "shape": list(data.shape), "b": self._buffer(raw),
                "grad": bool(value.requires_grad)}

    def _container(self, value: Any, depth: int) -> dict:
        if isinstance(value, dict):
            return {"t": "dict", "v": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                                       for k, v in value.items()]}
        kind = ("list" if isinstance(value, list) else
                "set" if isinstance(value, (set, frozenset)) else "tuple")
        return {"t": kind, "v": [self.encode(v, depth + 1) for v in value]}


class Decoder:
    """Builds values back from a tree and its buffers.

    On the trusted side (``resolve=None``) names and handles become inert :class:`Ref` and
    :class:`HandleRef` placeholders. In the sandbox ``resolve`` maps a handle id to its object.
    """

    def __init__(self, buffers: list[bytes], resolve=None, max_nodes: int = 2_000_000):
        self.buffers = buffers
        self.resolve = resolve
        self.nodes = 0
        self.max_nodes = max_nodes

    def decode(self, node: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > self.max_nodes or depth > MAX_DEPTH:
            raise WireError("message too large or too deeply nested")
        if node is None or isinstance(node, (bool, int, str)):
            return node
        if isinstance(node, float):  # JSON floats are only ever produced for tagged values
            return node
        if not isinstance(node, dict) or not isinstance(node.get("t"), str):
            raise WireError("malformed value")
        kind = node["t"]
        if kind == "float":
            return float(str(node["v"]))
        if kind in ("list", "tuple", "set"):
            items = [self.decode(v, depth + 1) for v in self._list(node)]
            return items if kind == "list" else tuple(items) if kind == "tuple" else set(items)
        if kind == "dict":
            out = {}
            for pair in self._list(node):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise WireError("malformed dict")
                out[self.decode(pair[0], depth + 1)] = self.decode(pair[1], depth + 1)
            return out
        if kind == "tensor":
            return self._tensor(node)
        if kind == "ndarray":
            dtype = np.dtype(str(node["dtype"]))
            if dtype.kind not in "biufc":
                raise WireError("arrays of objects cannot travel")
            shape = self._shape(node)
            data = self._buf(node)
            if len(data) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
                raise WireError("array size does not match its shape")
            return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
        if kind == "npscalar":
            dtype = np.dtype(str(node["dtype"]))
            if dtype.kind not in "biufc" or len(self._buf(node)) != dtype.itemsize:
                raise WireError("malformed scalar")
            return np.frombuffer(self._buf(node), dtype=dtype)[0]
        if kind == "bytes":
            return bytes(self._buf(node))
        if kind == "dtype":
            if node.get("v") not in _TORCH_DTYPES:
                raise WireError("unknown dtype")
            return _TORCH_DTYPES[node["v"]]
        if kind == "ref":
            name = str(node.get("v"))
            return Ref(name) if self.resolve is None else resolve_ref(name)
        if kind == "handle":
            if not isinstance(node.get("id"), int):
                raise WireError("malformed handle")
            if self.resolve is None:
                return HandleRef(node["id"], str(node.get("type", "object"))[:80])
            return self.resolve(node["id"])
        raise WireError(f"unknown value type {kind[:40]!r}")

    def _list(self, node: dict) -> list:
        if not isinstance(node.get("v"), list):
            raise WireError("malformed container")
        return node["v"]

    def _buf(self, node: dict) -> bytes:
        index = node.get("b")
        if not isinstance(index, int) or not 0 <= index < len(self.buffers):
            raise WireError("malformed buffer reference")
        return self.buffers[index]

    def _shape(self, node: dict) -> list[int]:
        shape = node.get("shape")
        if not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
            raise WireError("malformed shape")
        return shape

    def _tensor(self, node: dict) -> torch.Tensor:
        dtype = _TORCH_DTYPES.get(node.get("dtype"))
        if dtype is None:
            raise WireError("unknown tensor dtype")
        shape = self._shape(node)
        data = self._buf(node)
        size = torch.empty((), dtype=dtype).element_size() * int(np.prod(shape, dtype=np.int64))
        if len(data) != size:
            raise WireError("tensor size does not match its shape")
        if dtype == torch.bfloat16:
            flat = torch.frombuffer(bytearray(data), dtype=torch.int16).view(torch.bfloat16)
        elif data:
            flat = torch.frombuffer(bytearray(data), dtype=dtype)
        else:
            flat = torch.empty(0, dtype=dtype)
        tensor = flat.reshape(shape)
        if node.get("grad") is True and dtype.is_floating_point:
            tensor.requires_grad_()
        return tensor


def send(sock: socket.socket, header: dict, buffers: list[bytes] = ()) -> None:
    """Send one message: a JSON-able header (its ``buffers`` field is filled in) and its buffers."""
    header = dict(header, buffers=[len(b) for b in buffers])
    raw = json.dumps(header, allow_nan=False).encode()
    sock.sendall(HEADER.pack(len(raw)) + raw)
    for buffer in buffers:
        sock.sendall(buffer)


def recv(sock: socket.socket, limits: Limits | None = None,
         deadline: float | None = None) -> tuple[dict, list[bytes]]:
    """Receive one message; raise WireError if it breaks the limits, EOFError if the peer is gone,
    TimeoutError if it has not fully arrived by ``deadline`` (a ``time.monotonic()`` value)."""
    limits = limits or Limits()
    (size,) = HEADER.unpack(_read(sock, HEADER.size, deadline))
    if size > min(limits.max_bytes, 256 << 20):
        raise WireError(f"a message header of {size} bytes is over the limit")
    try:
        header = json.loads(_read(sock, size, deadline))
    except ValueError:
        raise WireError("a message header is not valid JSON") from None
    sizes = header.get("buffers") if isinstance(header, dict) else None
    if not isinstance(sizes, list) or not all(isinstance(s, int) and s >= 0 for s in sizes):
        raise WireError("malformed message")
    if size + sum(sizes) > limits.max_bytes:
        raise WireError(f"a message of {size + sum(sizes)} bytes is over the limit")
    return header, [_read(sock, s, deadline) for s in sizes]


def _read(sock: socket.socket, n: int, deadline: float | None = None) -> bytes:
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no complete answer in time")
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(remaining, 1 << 20))
        except socket.timeout:
            raise TimeoutError("no complete answer in time") from None
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
