"""ggml's own GGUF reader, from Python: loads a GGUF file with gguf_init_from_file (no_alloc =
false, so ggml reads every tensor's data into a ggml context) from libggml-base.so of llama.cpp
release v0.5.0 (npm @node-llama-cpp/linux-x64 3.22.1, installed by tests/gguf_peer/setup.sh), and
returns what ggml itself sees: per tensor its ggml type, ne[0..3] and raw data bytes.

The prototypes follow ggml's public gguf.h / ggml.h: gguf_init_from_file takes
`struct gguf_init_params {bool no_alloc; struct ggml_context ** ctx;}` by value; in
`struct ggml_tensor` the type is the first int32 and `int64_t ne[4]` starts at byte 16.

Usage as a module:
    tensors, n_kv = load("model.gguf")      # {name: (ggml_type, (ne0, ne1, ne2, ne3), bytes)}
As a script: python3 ggml_gguf.py FILE.gguf   (prints one line per tensor; exit 1 if ggml refuses)
"""
import ctypes
import os
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
LIB = os.path.join(HERE, "node_modules", "@node-llama-cpp", "linux-x64", "bins", "linux-x64",
                   "libggml-base.so")

# Bytes per block and elements per block of the ggml types tensorport writes.
TYPES = {0: ("F32", 4, 1), 1: ("F16", 2, 1), 8: ("Q8_0", 34, 32), 24: ("I8", 1, 1),
         25: ("I16", 2, 1), 26: ("I32", 4, 1), 27: ("I64", 8, 1), 28: ("F64", 8, 1),
         30: ("BF16", 2, 1)}


class _Params(ctypes.Structure):
    _fields_ = [("no_alloc", ctypes.c_bool), ("ctx", ctypes.POINTER(ctypes.c_void_p))]


_lib = None


def library():
    global _lib
    if _lib is None:
        if not os.path.exists(LIB):
            raise FileNotFoundError("ggml's reader is not installed (%s missing): run "
                                    "tests/gguf_peer/setup.sh" % LIB)
        lib = ctypes.CDLL(LIB)
        lib.gguf_init_from_file.argtypes = [ctypes.c_char_p, _Params]
        lib.gguf_init_from_file.restype = ctypes.c_void_p
        lib.gguf_get_n_tensors.argtypes = [ctypes.c_void_p]
        lib.gguf_get_n_tensors.restype = ctypes.c_int64
        lib.gguf_get_n_kv.argtypes = [ctypes.c_void_p]
        lib.gguf_get_n_kv.restype = ctypes.c_int64
        lib.gguf_free.argtypes = [ctypes.c_void_p]
        lib.ggml_free.argtypes = [ctypes.c_void_p]
        lib.gguf_get_tensor_name.argtypes = [ctypes.c_void_p, ctypes.c_int64]
        lib.gguf_get_tensor_name.restype = ctypes.c_char_p
        lib.ggml_get_tensor.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.ggml_get_tensor.restype = ctypes.c_void_p
        lib.ggml_get_data.argtypes = [ctypes.c_void_p]
        lib.ggml_get_data.restype = ctypes.c_void_p
        lib.ggml_nbytes.argtypes = [ctypes.c_void_p]
        lib.ggml_nbytes.restype = ctypes.c_size_t
        _lib = lib
    return _lib


def load(path):
    """{name: (ggml_type, ne tuple of 4, data bytes)} and the number of key/values, as ggml reads
    them; ValueError when ggml refuses the file."""
    lib = library()
    ctx = ctypes.c_void_p()
    g = lib.gguf_init_from_file(os.fsencode(path), _Params(False, ctypes.pointer(ctx)))
    if not g:
        raise ValueError("ggml's gguf_init_from_file refused %s" % path)
    try:
        n_tensors = lib.gguf_get_n_tensors(g)
        n_kv = lib.gguf_get_n_kv(g)
        out = {}
        # The context also holds ggml's own blob of all the data; look the declared names up.
        for i in range(n_tensors):
            raw_name = lib.gguf_get_tensor_name(g, i)
            t = lib.ggml_get_tensor(ctx, raw_name) if ctx.value else None
            if not t:
                raise ValueError("ggml has no tensor %r in the context it loaded" % raw_name)
            ggml_type = ctypes.c_int32.from_address(t).value
            ne = tuple((ctypes.c_int64 * 4).from_address(t + 16))
            n = lib.ggml_nbytes(t)
            data = ctypes.string_at(lib.ggml_get_data(t), n) if n else b""
            out[raw_name.decode()] = (ggml_type, ne, data)
        return out, n_kv
    finally:
        lib.gguf_free(g)
        if ctx.value:
            lib.ggml_free(ctx)


def torch_shape(ne, rank):
    """ggml's ne (fastest first, padded with 1) as a row-major shape of `rank` axes."""
    return tuple(reversed(ne[:rank])) if rank else ()


if __name__ == "__main__":
    try:
        tensors, n_kv = load(sys.argv[1])
    except (ValueError, FileNotFoundError) as e:
        sys.exit(str(e))
    for name, (ggml_type, ne, data) in tensors.items():
        print("%s %s ne=%s %d bytes" % (name, TYPES.get(ggml_type, (ggml_type,))[0], ne, len(data)))
    print("ggml: %d tensors, %d key/values" % (len(tensors), n_kv))
