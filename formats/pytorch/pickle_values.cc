// The pickle values, their arena, and the checks on what a pickle may name (pickle.h); the
// virtual machine that builds them is pickle.cc.
#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "formats/pytorch/pickle.h"

namespace tp {
namespace {

using Kind = PickleValue::Kind;

absl::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kBigInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kTuple: return "tuple";
    case Kind::kSet: return "set";
    case Kind::kDict: return "dict";
    case Kind::kGlobal: return "global";
    case Kind::kObject: return "object";
    case Kind::kStorage: return "storage";
    case Kind::kTensor: return "tensor";
  }
  return "?";
}

}  // namespace

std::string PickleValue::Describe() const {
  switch (kind) {
    case Kind::kNone: return "None";
    case Kind::kBool: return b ? "True" : "False";
    case Kind::kInt: return absl::StrCat(i);
    case Kind::kBigInt: return absl::StrCat("int of ", bytes.size(), " bytes");
    case Kind::kFloat: return absl::StrCat(f);
    case Kind::kString:
    case Kind::kBytes:
      return absl::StrCat(kind == Kind::kBytes ? "b'" : "'",
                          absl::CHexEscape(absl::string_view(bytes).substr(0, 40)),
                          bytes.size() > 40 ? "...'" : "'");
    case Kind::kGlobal: return absl::StrCat("global ", qualname);
    case Kind::kObject: return absl::StrCat("<", qualname, ">");
    case Kind::kStorage: return absl::StrCat("storage \"", storage_key, "\"");
    case Kind::kTensor: return "tensor";
    case Kind::kDict: return absl::StrCat("dict of ", items.size());
    default: return absl::StrCat(KindName(kind), " of ", list.size());
  }
}

absl::StatusOr<PickleValue*> PickleArena::New(PickleValue::Kind kind) {
  if (values_.size() >= max_values_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("pickle creates more than ", max_values_, " values (limit from input size)"));
  }
  values_.push_back(std::make_unique<PickleValue>());
  values_.back()->kind = kind;
  return values_.back().get();
}

bool IsDangerousGlobal(absl::string_view module, absl::string_view name) {
  static const auto* kModules = new std::set<std::string, std::less<>>{
      "os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "importlib", "pty", "runpy",
      "ctypes", "multiprocessing", "pickle", "_pickle", "marshal", "code", "codeop", "commands",
      "webbrowser", "signal", "popen2", "platform", "pdb", "timeit", "asyncio", "tempfile",
      "io", "_io", "pathlib", "glob", "ftplib", "http", "urllib", "smtplib", "telnetlib",
      "threading", "_thread", "cffi", "torch.hub", "dill"};
  static const auto* kBuiltins = new std::set<std::string, std::less<>>{
      "eval", "exec", "execfile", "compile", "__import__", "getattr", "setattr", "delattr",
      "open", "globals", "locals", "vars", "input", "breakpoint", "apply", "memoryview",
      "file", "reload", "help", "exit", "quit", "__loader__", "__build_class__"};
  absl::string_view top = module.substr(0, module.find('.'));
  if (kModules->count(top) || kModules->count(module)) return true;
  if (top == "builtins" || top == "__builtin__" || top == "__builtins__") {
    return kBuiltins->count(name) > 0;
  }
  return false;
}

absl::StatusOr<DType> TorchStorageDType(absl::string_view class_name) {
  struct Entry {
    const char* name;
    DType dtype;
  };
  static constexpr Entry kEntries[] = {
      {"FloatStorage", DType::kF32}, {"DoubleStorage", DType::kF64},
      {"HalfStorage", DType::kF16},  {"BFloat16Storage", DType::kBF16},
      {"LongStorage", DType::kI64},  {"IntStorage", DType::kI32},
      {"ShortStorage", DType::kI16}, {"CharStorage", DType::kI8},
      {"ByteStorage", DType::kU8},   {"BoolStorage", DType::kBool},
  };
  for (const Entry& e : kEntries) {
    if (class_name == e.name) return e.dtype;
  }
  return absl::NotFoundError(absl::StrCat("\"", class_name, "\" is not a supported torch storage"
                                          " (expected Float, Double, Half, BFloat16, Long, Int,"
                                          " Short, Char, Byte or Bool Storage)"));
}

}  // namespace tp
