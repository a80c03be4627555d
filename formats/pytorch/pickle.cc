#include "formats/pytorch/pickle.h"

#include <cstring>
#include <set>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/byte_reader.h"
#include "core/status_macros.h"
#include "core/utf8.h"

namespace tp {
namespace {

using Kind = PickleValue::Kind;

// Opcodes (Python's Lib/pickletools.py documents each).
enum Op : uint8_t {
  kMark = '(', kStop = '.', kPop = '0', kPopMark = '1', kDup = '2', kFloat = 'F', kInt = 'I',
  kBinInt = 'J', kBinInt1 = 'K', kLong = 'L', kBinInt2 = 'M', kNoneOp = 'N', kPersId = 'P',
  kBinPersId = 'Q', kReduce = 'R', kString = 'S', kBinString = 'T', kShortBinString = 'U',
  kUnicode = 'V', kBinUnicode = 'X', kAppend = 'a', kBuild = 'b', kGlobal = 'c', kDict = 'd',
  kEmptyDict = '}', kAppends = 'e', kGet = 'g', kBinGet = 'h', kInst = 'i', kLongBinGet = 'j',
  kList = 'l', kEmptyList = ']', kObj = 'o', kPut = 'p', kBinPut = 'q', kLongBinPut = 'r',
  kSetItem = 's', kTuple = 't', kEmptyTuple = ')', kSetItems = 'u', kBinFloat = 'G',
  kProto = 0x80, kNewObj = 0x81, kExt1 = 0x82, kExt2 = 0x83, kExt4 = 0x84, kTuple1 = 0x85,
  kTuple2 = 0x86, kTuple3 = 0x87, kNewTrue = 0x88, kNewFalse = 0x89, kLong1 = 0x8a,
  kLong4 = 0x8b, kBinBytes = 'B', kShortBinBytes = 'C', kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d, kBinBytes8 = 0x8e, kEmptySet = 0x8f, kAddItems = 0x90,
  kFrozenSet = 0x91, kNewObjEx = 0x92, kStackGlobal = 0x93, kMemoize = 0x94, kFrame = 0x95,
  kByteArray8 = 0x96, kNextBuffer = 0x97, kReadOnlyBuffer = 0x98,
};

std::string OpName(uint8_t op) {
  if (op >= 0x20 && op < 0x7f) return absl::StrCat("'", std::string(1, static_cast<char>(op)), "'");
  return absl::StrCat("0x", absl::Hex(op, absl::kZeroPad2));
}

// Protocol 0's UNICODE argument: Python's raw-unicode-escape (\uXXXX, \UXXXXXXXX, other bytes
// are Latin-1), returned as UTF-8.
std::string DecodeRawUnicodeEscape(absl::string_view in) {
  std::string out;
  for (size_t k = 0; k < in.size(); ++k) {
    const size_t digits = in[k] == '\\' && k + 1 < in.size()
                              ? (in[k + 1] == 'u' ? 4 : in[k + 1] == 'U' ? 8 : 0)
                              : 0;
    uint32_t cp = 0;
    bool ok = digits > 0 && k + 2 + digits <= in.size();
    for (size_t d = 0; ok && d < digits; ++d) {
      const char c = in[k + 2 + d];
      ok = absl::ascii_isxdigit(static_cast<unsigned char>(c));
      cp = cp * 16 + (c <= '9' ? c - '0' : (absl::ascii_tolower(c) - 'a' + 10));
    }
    if (ok) {
      AppendUtf8(cp, &out);
      k += 1 + digits;
    } else {
      AppendUtf8(static_cast<uint8_t>(in[k]), &out);
    }
  }
  return out;
}

// UTF-8 text whose code points are all below 256, as the bytes of those code points.
absl::StatusOr<std::string> Utf8ToLatin1(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t k = 0; k < in.size(); ++k) {
    const uint8_t c = static_cast<uint8_t>(in[k]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c == 0xc2 || c == 0xc3) && k + 1 < in.size() &&
               (static_cast<uint8_t>(in[k + 1]) & 0xc0) == 0x80) {
      out.push_back(static_cast<char>(((c & 0x03) << 6) | (static_cast<uint8_t>(in[k + 1]) & 0x3f)));
      ++k;
    } else {
      return absl::InvalidArgumentError("not Latin-1");
    }
  }
  return out;
}

class Machine {
 public:
  Machine(absl::string_view bytes, const PickleOptions& options, PickleResult* result)
      : reader_(bytes, options.source), options_(options), result_(result),
        max_depth_(bytes.size() + 16) {}

  absl::Status Run();

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(options_.source, ": pickle opcode ",
                                                   OpName(op_), " at offset ", op_offset_, ": ",
                                                   what));
  }
  absl::StatusOr<PickleValue*> New(Kind kind) {
    absl::StatusOr<PickleValue*> v = result_->arena.New(kind);
    if (!v.ok()) {
      return absl::ResourceExhaustedError(absl::StrCat(options_.source, ": pickle opcode ",
                                                       OpName(op_), " at offset ", op_offset_,
                                                       ": ", v.status().message()));
    }
    return v;
  }
  absl::Status Push(PickleValue* v) {
    if (stack_.size() + metastack_.size() >= max_depth_) return Error("stack too deep");
    stack_.push_back(v);
    return absl::OkStatus();
  }
  absl::StatusOr<PickleValue*> Pop() {
    if (stack_.empty()) return Error("stack underflow (found an empty stack, expected a value)");
    PickleValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  absl::StatusOr<PickleValue*> Top() {
    if (stack_.empty()) return Error("stack underflow (found an empty stack, expected a value)");
    return stack_.back();
  }
  // Items pushed since the last MARK; restores the stack below the mark.
  absl::StatusOr<std::vector<PickleValue*>> PopMark() {
    if (metastack_.empty()) return Error("no MARK on the stack (expected one before this opcode)");
    std::vector<PickleValue*> items = std::move(stack_);
    stack_ = std::move(metastack_.back());
    metastack_.pop_back();
    return items;
  }
  absl::StatusOr<std::string> ReadLine(absl::string_view what) {
    std::string line;
    while (true) {
      ASSIGN_OR_RETURN(uint8_t c, reader_.Read<uint8_t>(what));
      if (c == '\n') break;
      line.push_back(static_cast<char>(c));
    }
    return line;
  }
  absl::Status PushInt(int64_t v) {
    ASSIGN_OR_RETURN(PickleValue * p, New(Kind::kInt));
    p->i = v;
    return Push(p);
  }
  absl::Status PushText(Kind kind, uint64_t n, absl::string_view what) {
    ASSIGN_OR_RETURN(absl::string_view s, reader_.ReadBytes(n, what));
    ASSIGN_OR_RETURN(PickleValue * p, New(kind));
    p->bytes = std::string(s);
    return Push(p);
  }
  absl::Status PushLong(absl::string_view le) {
    ASSIGN_OR_RETURN(PickleValue * p, New(Kind::kInt));
    if (le.size() <= 8) {
      uint64_t u = 0;
      for (size_t k = 0; k < le.size(); ++k) u |= uint64_t{static_cast<uint8_t>(le[k])} << (8 * k);
      if (!le.empty() && le.size() < 8 && (static_cast<uint8_t>(le.back()) & 0x80)) {
        u |= ~uint64_t{0} << (8 * le.size());  // sign-extend
      }
      p->i = static_cast<int64_t>(u);
    } else {
      p->kind = Kind::kBigInt;
      p->bytes = std::string(le);
    }
    return Push(p);
  }
  absl::Status Memo(uint64_t index, PickleValue* v) {
    if (memo_.size() >= max_depth_ && !memo_.count(index)) return Error("too many memo entries");
    memo_[index] = v;
    return absl::OkStatus();
  }
  absl::Status Get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) {
      return Error(absl::StrCat("memo key ", index, " was never stored (found ", memo_.size(),
                                " entries)"));
    }
    return Push(it->second);
  }
  absl::Status MakeGlobal(std::string module, std::string name);
  absl::StatusOr<PickleValue*> Call(PickleValue* callable, PickleValue* args);
  absl::StatusOr<PickleValue*> RebuildTensor(PickleValue* args, size_t first);
  absl::Status SetItems(PickleValue* target, const std::vector<PickleValue*>& kv);
  absl::Status Appends(PickleValue* target, const std::vector<PickleValue*>& values);

  ByteReader reader_;
  const PickleOptions& options_;
  PickleResult* result_;
  const uint64_t max_depth_;
  std::vector<PickleValue*> stack_;
  std::vector<std::vector<PickleValue*>> metastack_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
  std::set<std::string> warned_, opaque_seen_;
  uint8_t op_ = 0;
  uint64_t op_offset_ = 0;
};

absl::Status Machine::MakeGlobal(std::string module, std::string name) {
  if (module.size() > 512 || name.size() > 512) return Error("global name longer than 512 bytes");
  std::string qualname = absl::StrCat(module, ".", name);
  if (IsDangerousGlobal(module, name) && warned_.insert(qualname).second) {
    result_->warnings.push_back(absl::StrCat(
        options_.source, ": security: pickle references ", qualname, " at offset ", op_offset_,
        " (a Python unpickler would import and may call it; tensorport never executes it)"));
  }
  ASSIGN_OR_RETURN(PickleValue * g, New(Kind::kGlobal));
  g->qualname = std::move(qualname);
  return Push(g);
}

absl::StatusOr<PickleValue*> Machine::RebuildTensor(PickleValue* args, size_t first) {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, ...)
  const std::vector<PickleValue*>& a = args->list;
  if (a.size() < first + 4) {
    return Error(absl::StrCat("tensor rebuild has ", a.size() - first,
                              " arguments, expected at least 4 (storage, offset, size, stride)"));
  }
  PickleValue* storage = a[first];
  if (storage->kind != Kind::kStorage) {
    return Error(absl::StrCat("tensor rebuild argument 0 is ", storage->Describe(),
                              ", expected a storage (persistent id)"));
  }
  if (a[first + 1]->kind != Kind::kInt) {
    return Error(absl::StrCat("tensor storage offset is ", a[first + 1]->Describe(),
                              ", expected an int"));
  }
  ASSIGN_OR_RETURN(PickleValue * t, New(Kind::kTensor));
  t->storage = storage;
  t->storage_offset = a[first + 1]->i;
  for (int which = 0; which < 2; ++which) {
    PickleValue* dims = a[first + 2 + which];
    if (dims->kind != Kind::kTuple && dims->kind != Kind::kList) {
      return Error(absl::StrCat("tensor ", which == 0 ? "size" : "stride", " is ",
                                dims->Describe(), ", expected a tuple of ints"));
    }
    std::vector<int64_t>& out = which == 0 ? t->shape : t->strides;
    for (PickleValue* d : dims->list) {
      if (d->kind != Kind::kInt) {
        return Error(absl::StrCat("tensor ", which == 0 ? "size" : "stride", " element is ",
                                  d->Describe(), ", expected an int"));
      }
      out.push_back(d->i);
    }
  }
  if (t->shape.size() != t->strides.size()) {
    return Error(absl::StrCat("tensor size has ", t->shape.size(), " dims but stride has ",
                              t->strides.size(), ", expected the same"));
  }
  if (a.size() > first + 4 && a[first + 4]->kind == Kind::kBool) t->requires_grad = a[first + 4]->b;
  return t;
}

absl::StatusOr<PickleValue*> Machine::Call(PickleValue* callable, PickleValue* args) {
  if (args->kind != Kind::kTuple) {
    return Error(absl::StrCat("call arguments are ", args->Describe(), ", expected a tuple"));
  }
  const std::string name = callable->kind == Kind::kGlobal ? callable->qualname : "";
  const std::vector<PickleValue*>& a = args->list;
  if (name == "collections.OrderedDict" || name == "collections.defaultdict") {
    ASSIGN_OR_RETURN(PickleValue * d, New(Kind::kDict));
    if (!a.empty() && (a[0]->kind == Kind::kList || a[0]->kind == Kind::kTuple)) {
      for (PickleValue* pair : a[0]->list) {
        if ((pair->kind == Kind::kTuple || pair->kind == Kind::kList) && pair->list.size() == 2) {
          d->items.emplace_back(pair->list[0], pair->list[1]);
        }
      }
    }
    return d;
  }
  if (name == "_codecs.encode") {
    // Protocol 2 pickles Python 3 bytes as _codecs.encode(text, "latin1"): undo the Latin-1
    // decoding. Other encodings stay opaque.
    if (a.size() == 2 && a[0]->kind == Kind::kString && a[1]->kind == Kind::kString &&
        (a[1]->bytes == "latin1" || a[1]->bytes == "latin-1")) {
      absl::StatusOr<std::string> raw = Utf8ToLatin1(a[0]->bytes);
      if (raw.ok()) {
        ASSIGN_OR_RETURN(PickleValue * b, New(Kind::kBytes));
        b->bytes = *std::move(raw);
        return b;
      }
    }
  }
  if ((name == "builtins.bytes" || name == "__builtin__.bytes" || name == "builtins.bytearray") &&
      a.empty()) {
    return New(Kind::kBytes);
  }
  if (name == "torch.Size") {
    ASSIGN_OR_RETURN(PickleValue * t, New(Kind::kTuple));
    if (!a.empty() && (a[0]->kind == Kind::kTuple || a[0]->kind == Kind::kList)) t->list = a[0]->list;
    return t;
  }
  if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
    return RebuildTensor(args, 0);
  }
  if (name == "torch._utils._rebuild_parameter" ||
      name == "torch._utils._rebuild_parameter_with_state") {
    if (a.empty() || a[0]->kind != Kind::kTensor) {
      return Error(absl::StrCat("_rebuild_parameter argument 0 is ",
                                a.empty() ? "missing" : a[0]->Describe(), ", expected a tensor"));
    }
    ASSIGN_OR_RETURN(PickleValue * t, New(Kind::kTensor));
    *t = *a[0];
    if (a.size() > 1 && a[1]->kind == Kind::kBool) t->requires_grad = a[1]->b;
    return t;
  }
  if (name == "torch._tensor._rebuild_from_type_v2" || name == "torch._tensor._rebuild_from_type") {
    // (func, new_type, args, state): only an allow-listed func is interpreted.
    if (a.size() < 3 || a[0]->kind != Kind::kGlobal || a[2]->kind != Kind::kTuple) {
      return Error("_rebuild_from_type_v2 arguments are not (func, type, args tuple, ...)");
    }
    if (a[0]->qualname == "torch._tensor._rebuild_from_type_v2" ||
        a[0]->qualname == "torch._tensor._rebuild_from_type") {
      return Error("_rebuild_from_type_v2 refers to itself");
    }
    ASSIGN_OR_RETURN(PickleValue * v, Call(a[0], a[2]));
    if (a.size() > 3 && a[3]->kind != Kind::kNone) v->state = a[3];
    return v;
  }
  // Anything else is recorded, never called.
  ASSIGN_OR_RETURN(PickleValue * obj, New(Kind::kObject));
  obj->qualname = name.empty() ? absl::StrCat("<call of ", callable->Describe(), ">") : name;
  obj->args = args;
  if (opaque_seen_.insert(obj->qualname).second) result_->opaque_globals.push_back(obj->qualname);
  return obj;
}

absl::Status Machine::SetItems(PickleValue* target, const std::vector<PickleValue*>& kv) {
  if (kv.size() % 2 != 0) return Error(absl::StrCat("odd number of items (", kv.size(), ")"));
  if (target->kind != Kind::kDict && target->kind != Kind::kObject) {
    return Error(absl::StrCat("setting items on ", target->Describe(), ", expected a dict"));
  }
  // Keys are kept as written; a real pickler never repeats a dict key, and readers of the tree
  // treat a repeated key as an error (avoids a quadratic lookup here).
  for (size_t k = 0; k < kv.size(); k += 2) target->items.emplace_back(kv[k], kv[k + 1]);
  return absl::OkStatus();
}

absl::Status Machine::Appends(PickleValue* target, const std::vector<PickleValue*>& values) {
  if (target->kind != Kind::kList && target->kind != Kind::kObject && target->kind != Kind::kSet) {
    return Error(absl::StrCat("appending to ", target->Describe(), ", expected a list"));
  }
  target->list.insert(target->list.end(), values.begin(), values.end());
  return absl::OkStatus();
}

absl::Status Machine::Run() {
  while (true) {
    op_offset_ = reader_.offset();
    if (reader_.remaining() == 0) {
      return absl::OutOfRangeError(absl::StrCat(options_.source, ": pickle ends at offset ",
                                                op_offset_,
                                                " before its STOP opcode (file truncated?)"));
    }
    ASSIGN_OR_RETURN(op_, reader_.Read<uint8_t>("pickle opcode"));
    switch (op_) {
      case kProto: {
        ASSIGN_OR_RETURN(uint8_t v, reader_.Read<uint8_t>("PROTO version"));
        if (v > 5) return Error(absl::StrCat("protocol ", int{v}, ", expected 0 to 5"));
        break;
      }
      case kFrame: {
        ASSIGN_OR_RETURN(uint64_t n, reader_.Read<uint64_t>("FRAME length"));
        RETURN_IF_ERROR(reader_.Need(n, "FRAME contents"));
        break;
      }
      case kStop: {
        if (!metastack_.empty()) return Error("STOP with an unclosed MARK");
        ASSIGN_OR_RETURN(result_->root, Pop());
        result_->end_offset = reader_.offset();
        return absl::OkStatus();
      }
      case kMark:
        if (stack_.size() + metastack_.size() >= max_depth_) return Error("stack too deep");
        metastack_.push_back(std::move(stack_));
        stack_.clear();
        break;
      case kPop:
        if (!stack_.empty()) {
          stack_.pop_back();
        } else {
          RETURN_IF_ERROR(PopMark().status());
        }
        break;
      case kPopMark:
        RETURN_IF_ERROR(PopMark().status());
        break;
      case kDup: {
        ASSIGN_OR_RETURN(PickleValue * v, Top());
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kNoneOp: {
        ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kNone));
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kNewTrue:
      case kNewFalse: {
        ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kBool));
        v->b = op_ == kNewTrue;
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kBinInt: {
        ASSIGN_OR_RETURN(int32_t v, reader_.Read<int32_t>("BININT"));
        RETURN_IF_ERROR(PushInt(v));
        break;
      }
      case kBinInt1: {
        ASSIGN_OR_RETURN(uint8_t v, reader_.Read<uint8_t>("BININT1"));
        RETURN_IF_ERROR(PushInt(v));
        break;
      }
      case kBinInt2: {
        ASSIGN_OR_RETURN(uint16_t v, reader_.Read<uint16_t>("BININT2"));
        RETURN_IF_ERROR(PushInt(v));
        break;
      }
      case kLong1: {
        ASSIGN_OR_RETURN(uint8_t n, reader_.Read<uint8_t>("LONG1 length"));
        ASSIGN_OR_RETURN(absl::string_view le, reader_.ReadBytes(n, "LONG1 bytes"));
        RETURN_IF_ERROR(PushLong(le));
        break;
      }
      case kLong4: {
        ASSIGN_OR_RETURN(int32_t n, reader_.Read<int32_t>("LONG4 length"));
        if (n < 0) return Error(absl::StrCat("LONG4 length ", n, ", expected >= 0"));
        ASSIGN_OR_RETURN(absl::string_view le, reader_.ReadBytes(n, "LONG4 bytes"));
        RETURN_IF_ERROR(PushLong(le));
        break;
      }
      case kInt:
      case kLong: {
        ASSIGN_OR_RETURN(std::string line, ReadLine("INT/LONG text"));
        if (op_ == kLong && absl::EndsWith(line, "L")) line.pop_back();
        if (op_ == kInt && (line == "00" || line == "01")) {
          ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kBool));
          v->b = line == "01";
          RETURN_IF_ERROR(Push(v));
          break;
        }
        int64_t v;
        if (!absl::SimpleAtoi(line, &v)) {
          return Error(absl::StrCat("integer text \"", absl::CHexEscape(line.substr(0, 40)),
                                    "\" is not a 64-bit integer"));
        }
        RETURN_IF_ERROR(PushInt(v));
        break;
      }
      case kBinFloat: {
        ASSIGN_OR_RETURN(uint64_t be, reader_.Read<uint64_t>("BINFLOAT"));
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | ((be >> (8 * k)) & 0xff);
        ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kFloat));
        std::memcpy(&v->f, &bits, 8);
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kFloat: {
        ASSIGN_OR_RETURN(std::string line, ReadLine("FLOAT text"));
        ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kFloat));
        if (!absl::SimpleAtod(line, &v->f)) {
          return Error(absl::StrCat("float text \"", absl::CHexEscape(line.substr(0, 40)),
                                    "\" is not a number"));
        }
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kBinUnicode: {
        ASSIGN_OR_RETURN(uint32_t n, reader_.Read<uint32_t>("BINUNICODE length"));
        RETURN_IF_ERROR(PushText(Kind::kString, n, "BINUNICODE text"));
        break;
      }
      case kShortBinUnicode: {
        ASSIGN_OR_RETURN(uint8_t n, reader_.Read<uint8_t>("SHORT_BINUNICODE length"));
        RETURN_IF_ERROR(PushText(Kind::kString, n, "SHORT_BINUNICODE text"));
        break;
      }
      case kBinUnicode8: {
        ASSIGN_OR_RETURN(uint64_t n, reader_.Read<uint64_t>("BINUNICODE8 length"));
        RETURN_IF_ERROR(PushText(Kind::kString, n, "BINUNICODE8 text"));
        break;
      }
      case kBinString: {
        ASSIGN_OR_RETURN(int32_t n, reader_.Read<int32_t>("BINSTRING length"));
        if (n < 0) return Error(absl::StrCat("BINSTRING length ", n, ", expected >= 0"));
        RETURN_IF_ERROR(PushText(Kind::kBytes, n, "BINSTRING bytes"));
        break;
      }
      case kShortBinString: {
        ASSIGN_OR_RETURN(uint8_t n, reader_.Read<uint8_t>("SHORT_BINSTRING length"));
        RETURN_IF_ERROR(PushText(Kind::kBytes, n, "SHORT_BINSTRING bytes"));
        break;
      }
      case kBinBytes: {
        ASSIGN_OR_RETURN(uint32_t n, reader_.Read<uint32_t>("BINBYTES length"));
        RETURN_IF_ERROR(PushText(Kind::kBytes, n, "BINBYTES bytes"));
        break;
      }
      case kShortBinBytes: {
        ASSIGN_OR_RETURN(uint8_t n, reader_.Read<uint8_t>("SHORT_BINBYTES length"));
        RETURN_IF_ERROR(PushText(Kind::kBytes, n, "SHORT_BINBYTES bytes"));
        break;
      }
      case kBinBytes8:
      case kByteArray8: {
        ASSIGN_OR_RETURN(uint64_t n, reader_.Read<uint64_t>("BINBYTES8 length"));
        RETURN_IF_ERROR(PushText(Kind::kBytes, n, "BINBYTES8 bytes"));
        break;
      }
      case kString:
      case kUnicode: {
        ASSIGN_OR_RETURN(std::string line, ReadLine("STRING/UNICODE text"));
        if (op_ == kString && line.size() >= 2 && (line[0] == '\'' || line[0] == '"') &&
            line.back() == line[0]) {
          line = line.substr(1, line.size() - 2);
        }
        ASSIGN_OR_RETURN(PickleValue * v, New(op_ == kString ? Kind::kBytes : Kind::kString));
        v->bytes = op_ == kUnicode ? DecodeRawUnicodeEscape(line) : std::move(line);
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kEmptyDict:
      case kEmptyList:
      case kEmptyTuple:
      case kEmptySet: {
        ASSIGN_OR_RETURN(PickleValue * v, New(op_ == kEmptyDict   ? Kind::kDict
                                              : op_ == kEmptyList ? Kind::kList
                                              : op_ == kEmptySet  ? Kind::kSet
                                                                  : Kind::kTuple));
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kTuple:
      case kList:
      case kFrozenSet: {
        ASSIGN_OR_RETURN(std::vector<PickleValue*> items, PopMark());
        ASSIGN_OR_RETURN(PickleValue * v, New(op_ == kTuple  ? Kind::kTuple
                                              : op_ == kList ? Kind::kList
                                                             : Kind::kSet));
        v->list = std::move(items);
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        const size_t n = op_ - kTuple1 + 1;
        if (stack_.size() < n) {
          return Error(absl::StrCat("needs ", n, " values, found ", stack_.size()));
        }
        ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kTuple));
        v->list.assign(stack_.end() - n, stack_.end());
        stack_.resize(stack_.size() - n);
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kDict: {
        ASSIGN_OR_RETURN(std::vector<PickleValue*> items, PopMark());
        ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kDict));
        RETURN_IF_ERROR(SetItems(v, items));
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kAppend: {
        ASSIGN_OR_RETURN(PickleValue * value, Pop());
        ASSIGN_OR_RETURN(PickleValue * target, Top());
        RETURN_IF_ERROR(Appends(target, {value}));
        break;
      }
      case kAppends:
      case kAddItems: {
        ASSIGN_OR_RETURN(std::vector<PickleValue*> items, PopMark());
        ASSIGN_OR_RETURN(PickleValue * target, Top());
        RETURN_IF_ERROR(Appends(target, items));
        break;
      }
      case kSetItem: {
        ASSIGN_OR_RETURN(PickleValue * value, Pop());
        ASSIGN_OR_RETURN(PickleValue * key, Pop());
        ASSIGN_OR_RETURN(PickleValue * target, Top());
        RETURN_IF_ERROR(SetItems(target, {key, value}));
        break;
      }
      case kSetItems: {
        ASSIGN_OR_RETURN(std::vector<PickleValue*> items, PopMark());
        ASSIGN_OR_RETURN(PickleValue * target, Top());
        RETURN_IF_ERROR(SetItems(target, items));
        break;
      }
      case kBinPut: {
        ASSIGN_OR_RETURN(uint8_t k, reader_.Read<uint8_t>("BINPUT index"));
        ASSIGN_OR_RETURN(PickleValue * v, Top());
        RETURN_IF_ERROR(Memo(k, v));
        break;
      }
      case kLongBinPut: {
        ASSIGN_OR_RETURN(uint32_t k, reader_.Read<uint32_t>("LONG_BINPUT index"));
        ASSIGN_OR_RETURN(PickleValue * v, Top());
        RETURN_IF_ERROR(Memo(k, v));
        break;
      }
      case kMemoize: {
        ASSIGN_OR_RETURN(PickleValue * v, Top());
        RETURN_IF_ERROR(Memo(memo_.size(), v));
        break;
      }
      case kPut:
      case kGet: {
        ASSIGN_OR_RETURN(std::string line, ReadLine("PUT/GET index"));
        uint64_t k;
        if (!absl::SimpleAtoi(line, &k)) {
          return Error(absl::StrCat("memo index \"", absl::CHexEscape(line.substr(0, 40)),
                                    "\" is not a number"));
        }
        if (op_ == kGet) {
          RETURN_IF_ERROR(Get(k));
        } else {
          ASSIGN_OR_RETURN(PickleValue * v, Top());
          RETURN_IF_ERROR(Memo(k, v));
        }
        break;
      }
      case kBinGet: {
        ASSIGN_OR_RETURN(uint8_t k, reader_.Read<uint8_t>("BINGET index"));
        RETURN_IF_ERROR(Get(k));
        break;
      }
      case kLongBinGet: {
        ASSIGN_OR_RETURN(uint32_t k, reader_.Read<uint32_t>("LONG_BINGET index"));
        RETURN_IF_ERROR(Get(k));
        break;
      }
      case kGlobal: {
        ASSIGN_OR_RETURN(std::string module, ReadLine("GLOBAL module"));
        ASSIGN_OR_RETURN(std::string name, ReadLine("GLOBAL name"));
        RETURN_IF_ERROR(MakeGlobal(std::move(module), std::move(name)));
        break;
      }
      case kStackGlobal: {
        ASSIGN_OR_RETURN(PickleValue * name, Pop());
        ASSIGN_OR_RETURN(PickleValue * module, Pop());
        if (name->kind != Kind::kString || module->kind != Kind::kString) {
          return Error(absl::StrCat("STACK_GLOBAL operands are ", module->Describe(), " and ",
                                    name->Describe(), ", expected two str"));
        }
        RETURN_IF_ERROR(MakeGlobal(module->bytes, name->bytes));
        break;
      }
      case kInst: {
        ASSIGN_OR_RETURN(std::string module, ReadLine("INST module"));
        ASSIGN_OR_RETURN(std::string name, ReadLine("INST name"));
        ASSIGN_OR_RETURN(std::vector<PickleValue*> items, PopMark());
        RETURN_IF_ERROR(MakeGlobal(std::move(module), std::move(name)));
        ASSIGN_OR_RETURN(PickleValue * cls, Pop());
        ASSIGN_OR_RETURN(PickleValue * args, New(Kind::kTuple));
        args->list = std::move(items);
        ASSIGN_OR_RETURN(PickleValue * obj, Call(cls, args));
        RETURN_IF_ERROR(Push(obj));
        break;
      }
      case kObj: {
        ASSIGN_OR_RETURN(std::vector<PickleValue*> items, PopMark());
        if (items.empty()) return Error("OBJ without a class");
        ASSIGN_OR_RETURN(PickleValue * args, New(Kind::kTuple));
        args->list.assign(items.begin() + 1, items.end());
        ASSIGN_OR_RETURN(PickleValue * obj, Call(items[0], args));
        RETURN_IF_ERROR(Push(obj));
        break;
      }
      case kReduce:
      case kNewObj: {
        ASSIGN_OR_RETURN(PickleValue * args, Pop());
        ASSIGN_OR_RETURN(PickleValue * callable, Pop());
        ASSIGN_OR_RETURN(PickleValue * v, Call(callable, args));
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kNewObjEx: {
        ASSIGN_OR_RETURN(PickleValue * kwargs, Pop());
        (void)kwargs;
        ASSIGN_OR_RETURN(PickleValue * args, Pop());
        ASSIGN_OR_RETURN(PickleValue * callable, Pop());
        ASSIGN_OR_RETURN(PickleValue * v, Call(callable, args));
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kBuild: {
        ASSIGN_OR_RETURN(PickleValue * state, Pop());
        ASSIGN_OR_RETURN(PickleValue * target, Top());
        if (target->kind == Kind::kObject || target->kind == Kind::kDict ||
            target->kind == Kind::kTensor) {
          target->state = state;
        }
        break;
      }
      case kPersId:
      case kBinPersId: {
        PickleValue* pid;
        if (op_ == kPersId) {
          ASSIGN_OR_RETURN(std::string line, ReadLine("PERSID text"));
          ASSIGN_OR_RETURN(pid, New(Kind::kString));
          pid->bytes = std::move(line);
        } else {
          ASSIGN_OR_RETURN(pid, Pop());
        }
        if (!options_.persistent_load) return Error("persistent id without a loader");
        ASSIGN_OR_RETURN(PickleValue * v, options_.persistent_load(*pid, result_->arena));
        RETURN_IF_ERROR(Push(v));
        break;
      }
      case kExt1:
      case kExt2:
      case kExt4:
        return absl::UnimplementedError(absl::StrCat(
            options_.source, ": pickle opcode ", OpName(op_), " (EXT, copyreg extension registry)"
            " at offset ", op_offset_, " is not supported"));
      case kNextBuffer:
      case kReadOnlyBuffer:
        return absl::UnimplementedError(absl::StrCat(
            options_.source, ": pickle opcode ", OpName(op_),
            " (out-of-band buffer) at offset ", op_offset_, " is not supported"));
      default:
        return Error("unknown opcode (expected a pickle protocol 0-5 opcode)");
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<PickleResult>> RunPickle(absl::string_view bytes,
                                                        const PickleOptions& options) {
  const uint64_t max_values =
      options.max_values ? options.max_values : 16 * uint64_t{bytes.size()} + 4096;
  auto result = std::make_unique<PickleResult>(max_values);
  Machine machine(bytes, options, result.get());
  RETURN_IF_ERROR(machine.Run());
  return result;
}

}  // namespace tp
