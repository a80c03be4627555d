// A Python pickle virtual machine that never executes anything, for reading PyTorch checkpoints.
//
// The machine runs the opcodes of protocols 0 to 5 that checkpoints use and builds a value tree
// (dicts keep insertion order). Globals are never imported: a small allow-list of PyTorch and
// collections callables is interpreted (tensor rebuilds, storages, OrderedDict, torch.Size); any
// other global becomes an opaque object that records its qualified name, REDUCE/NEWOBJ arguments
// and BUILD state. Globals from modules that can run code (os, posix, subprocess, builtins.eval,
// ...) add a security warning. Persistent ids (PyTorch storages) are handed to a callback.
//
// All values live in an arena owned by the result, so cyclic references built through the memo
// cannot leak; work is bounded by limits derived from the input size (values created, stack
// depth, memo entries).
//
// Example:
//   PickleOptions options;
//   options.source = "model.pth:archive/data.pkl";
//   options.persistent_load = [](const PickleValue& pid, PickleArena& arena)
//       -> absl::StatusOr<PickleValue*> { return arena.NewStorage(...); };
//   ASSIGN_OR_RETURN(std::unique_ptr<PickleResult> r, RunPickle(bytes, options));
//   for (const std::string& w : r->warnings) std::cerr << w << "\n";
//   const PickleValue* root = r->root;
#ifndef TENSORPORT_FORMATS_PYTORCH_PICKLE_H_
#define TENSORPORT_FORMATS_PYTORCH_PICKLE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/dtype.h"

namespace tp {

struct PickleValue {
  enum class Kind : uint8_t {
    kNone,
    kBool,
    kInt,      // fits int64
    kBigInt,   // wider than 64 bits: `bytes` holds the little-endian two's complement
    kFloat,
    kString,   // str (UTF-8)
    kBytes,    // bytes / bytearray / protocol-0 str
    kList,
    kTuple,
    kSet,
    kDict,     // dict and collections.OrderedDict; `items` in insertion order
    kGlobal,   // an un-called global: `qualname`
    kObject,   // an opaque object: `qualname`, `args`, `state`, appended `list`/`items`
    kStorage,  // a PyTorch storage from a persistent id
    kTensor,   // a PyTorch tensor rebuilt by an allow-listed function
  };

  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string bytes;  // kString, kBytes, kBigInt
  std::vector<PickleValue*> list;  // kList, kTuple, kSet; kObject appended items
  std::vector<std::pair<PickleValue*, PickleValue*>> items;  // kDict; kObject set items
  std::string qualname;  // kGlobal, kObject: "module.name"
  PickleValue* args = nullptr;   // kObject: the REDUCE/NEWOBJ arguments (a tuple) or null
  PickleValue* state = nullptr;  // kObject, kDict, kTensor: BUILD state or null

  // kStorage
  DType dtype = DType::kF32;
  std::string storage_key;
  std::string location;
  int64_t storage_numel = 0;

  // kTensor
  PickleValue* storage = nullptr;
  int64_t storage_offset = 0;  // elements
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // elements
  bool requires_grad = false;

  bool IsText() const { return kind == Kind::kString || kind == Kind::kBytes; }
  // Short rendering for messages: 'text', 12, <collections.X>, tuple of 3, ...
  std::string Describe() const;
};

// Owns every value created while running one pickle.
class PickleArena {
 public:
  explicit PickleArena(uint64_t max_values) : max_values_(max_values) {}
  // Fails (ResourceExhausted) once the value budget is spent.
  absl::StatusOr<PickleValue*> New(PickleValue::Kind kind);
  uint64_t size() const { return values_.size(); }

 private:
  uint64_t max_values_;
  std::vector<std::unique_ptr<PickleValue>> values_;
};

struct PickleOptions {
  // Names the input in messages ("model.pth:archive/data.pkl").
  std::string source = "pickle";
  // Called for PERSID/BINPERSID with the persistent id; returns the value that replaces it.
  // When unset a persistent id is an error.
  using PersistentLoad =
      std::function<absl::StatusOr<PickleValue*>(const PickleValue& pid, PickleArena& arena)>;
  PersistentLoad persistent_load;
  // 0 means derive from the input size: values 64 x size + 4096, stack depth and memo entries
  // bounded by the input size.
  uint64_t max_values = 0;
};

struct PickleResult {
  explicit PickleResult(uint64_t max_values) : arena(max_values) {}
  PickleArena arena;
  PickleValue* root = nullptr;
  // Offset just past the STOP opcode (several pickles may follow each other in one file).
  uint64_t end_offset = 0;
  // One line per distinct dangerous global, naming it; nothing was ever called.
  std::vector<std::string> warnings;
  // Qualified names of every opaque (not allow-listed) global seen, in order of first use.
  std::vector<std::string> opaque_globals;
};

// Runs the pickle starting at the beginning of `bytes` up to its STOP opcode. Errors (truncation,
// unknown opcode, stack underflow, a limit reached) name options.source, the opcode and offset.
absl::StatusOr<std::unique_ptr<PickleResult>> RunPickle(absl::string_view bytes,
                                                        const PickleOptions& options);

// True for a global that could run code if a real unpickler imported it (os.system,
// posix.system, subprocess.Popen, builtins.eval, ...).
bool IsDangerousGlobal(absl::string_view module, absl::string_view name);

// The storage dtype for a torch storage class name ("FloatStorage" -> f32), or NotFound.
absl::StatusOr<DType> TorchStorageDType(absl::string_view class_name);

}  // namespace tp

#endif  // TENSORPORT_FORMATS_PYTORCH_PICKLE_H_
