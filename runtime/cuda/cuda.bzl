"""Bazel 4.2.3 wiring for CUDA sources without rules_cuda.

cuda_object(name, src, hdrs) compiles one `x_impl.cu` with the system nvcc into `x_impl.o`
(position independent, SASS for sm_90 plus compute_90 PTX for newer GPUs). The object goes into
a cc_library's srcs. Every target made here is incompatible unless --define=cuda=1 is set, so
`bazel build //...` without the cuda config skips them and never needs nvcc.
"""

NVCC = "/usr/local/cuda/bin/nvcc"

NVCC_FLAGS = " ".join([
    "-std=c++17",
    "-O2",
    "-Xcompiler -fPIC",
    "-gencode arch=compute_90,code=sm_90",
    "-gencode arch=compute_90,code=compute_90",
    "-I.",
])

CUDA_LINKOPTS = [
    "-L/usr/local/cuda/lib64",
    "-Wl,-rpath,/usr/local/cuda/lib64",
    "-lcublas",
    "-lcudart",
]

# A constraint no platform has (Bazel 4.2.3's bundled @platforms lacks :incompatible).
NEVER = "//runtime/cuda:never"

# Skips a target unless the build has --define=cuda=1 (see :enabled in BUILD.bazel).
CUDA_ONLY = select({
    "//runtime/cuda:enabled": [],
    "//conditions:default": [NEVER],
})

def cuda_object(name, src, hdrs = []):
    out = src[:-len(".cu")] + ".o"
    # Host sources never include CUDA headers (see device_api.h): only nvcc sees them.
    native.genrule(
        name = name,
        srcs = [src] + hdrs,
        outs = [out],
        cmd = "%s %s -c $(location %s) -o $@" % (NVCC, NVCC_FLAGS, src),
        target_compatible_with = CUDA_ONLY,
        tags = ["cuda"],
    )
