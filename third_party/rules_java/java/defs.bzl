"""Forwards the rules_java entry points to Bazel's native rules.

@bazel_tools//tools/jdk loads @rules_java//java:defs.bzl while Bazel resolves its registered
toolchains, even for C++-only builds; this shim satisfies that load without a download.
"""

def java_binary(**kwargs):
    native.java_binary(**kwargs)

def java_import(**kwargs):
    native.java_import(**kwargs)

def java_library(**kwargs):
    native.java_library(**kwargs)

def java_plugin(**kwargs):
    native.java_plugin(**kwargs)

def java_runtime(**kwargs):
    native.java_runtime(**kwargs)

def java_test(**kwargs):
    native.java_test(**kwargs)

def java_toolchain(**kwargs):
    native.java_toolchain(**kwargs)
