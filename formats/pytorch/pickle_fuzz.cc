// libFuzzer entry point for the pickle machine: any byte string must give a value tree or an
// error, never a crash, a leak, a hang or an allocation beyond what the input can justify.
// Build and run: tools/fuzz/pytorch_pickle.sh (clang-14, ASan + UBSan).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "formats/pytorch/pickle.h"

namespace {

// Visits the tree (bounded: the arena holds every value once; cycles are cut by a depth limit).
void Touch(const tp::PickleValue* v, int depth, size_t* budget) {
  if (v == nullptr || depth > 64 || *budget == 0) return;
  --*budget;
  (void)v->Describe();
  for (const tp::PickleValue* c : v->list) Touch(c, depth + 1, budget);
  for (const auto& kv : v->items) {
    Touch(kv.first, depth + 1, budget);
    Touch(kv.second, depth + 1, budget);
  }
  Touch(v->args, depth + 1, budget);
  Touch(v->state, depth + 1, budget);
  Touch(v->storage, depth + 1, budget);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tp::PickleOptions options;
  options.source = "fuzz";
  // Any persistent id becomes a storage, as the PyTorch reader does for well-formed ids.
  options.persistent_load = [](const tp::PickleValue& pid, tp::PickleArena& arena)
      -> absl::StatusOr<tp::PickleValue*> {
    auto s = arena.New(tp::PickleValue::Kind::kStorage);
    if (s.ok()) (*s)->storage_key = pid.Describe();
    return s;
  };
  auto result = tp::RunPickle(
      absl::string_view(reinterpret_cast<const char*>(data), size), options);
  if (result.ok()) {
    size_t budget = 100000;
    Touch((*result)->root, 0, &budget);
  }
  return 0;
}
