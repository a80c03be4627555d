#include "runtime/operators_doc.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tp {
namespace rt {
namespace {

constexpr char kCudaSummaryPrefix[] = "- cuda: ";

std::string Range(const KernelDef& k) {
  return k.since_version == k.until_version ? absl::StrCat(k.since_version)
                                            : absl::StrCat(k.since_version, "-", k.until_version);
}

std::string OpName(const KernelDef& k) {
  return k.domain.empty() ? k.op_type : absl::StrCat(k.domain, ".", k.op_type);
}

// The entries of `table` for op `name`, as "1-18" ranges; `fast` / `slow` label entries whose
// function differs from / equals the reference table's (empty label: none).
std::string Cell(const KernelTable& table, const KernelTable& reference, const std::string& name,
                 const char* fast, const char* slow) {
  std::vector<std::string> parts;
  std::vector<const KernelDef*> defs;
  for (const KernelDef& k : table.kernels()) {
    if (OpName(k) == name) defs.push_back(&k);
  }
  std::sort(defs.begin(), defs.end(), [](const KernelDef* a, const KernelDef* b) {
    return a->since_version < b->since_version;
  });
  for (const KernelDef* k : defs) {
    const KernelDef* r = reference.Find(k->domain, k->op_type, k->since_version);
    const bool is_fast = r == nullptr || r->fn != k->fn;
    const char* label = is_fast ? fast : slow;
    parts.push_back(*label ? absl::StrCat(Range(*k), " ", label) : Range(*k));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

int CountLabelled(const KernelTable& table, const KernelTable& reference) {
  std::set<std::string> ops;
  for (const KernelDef& k : table.kernels()) {
    const KernelDef* r = reference.Find(k.domain, k.op_type, k.since_version);
    if (r == nullptr || r->fn != k.fn) ops.insert(OpName(k));
  }
  return static_cast<int>(ops.size());
}

std::string CudaSummary(const KernelTable* cuda, const KernelTable& reference) {
  if (cuda == nullptr) return absl::StrCat(kCudaSummaryPrefix, "n/a");
  std::set<std::string> ops;
  for (const KernelDef& k : cuda->kernels()) ops.insert(OpName(k));
  return absl::StrCat(kCudaSummaryPrefix, ops.size(), " ops, ", CountLabelled(*cuda, reference),
                      " of them with a GPU kernel (`GPU`); the others run the reference kernel on "
                      "the host (`host`)");
}

}  // namespace

std::string OperatorsMarkdown(const KernelTable& reference, const KernelTable& cpu,
                              const KernelTable* cuda) {
  std::set<std::string> names, reference_ops;
  for (const KernelDef& k : reference.kernels()) reference_ops.insert(OpName(k));
  for (const KernelTable* t : {&reference, &cpu, cuda}) {
    if (t == nullptr) continue;
    for (const KernelDef& k : t->kernels()) names.insert(OpName(k));
  }
  std::vector<std::string> sorted(names.begin(), names.end());
  std::sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) {
    const std::string la = absl::AsciiStrToLower(a), lb = absl::AsciiStrToLower(b);
    return la != lb ? la < lb : a < b;
  });
  std::string out;
  absl::StrAppend(
      &out, "# Operators by backend\n\n",
      "Generated from the kernel tables (runtime/reference/kernel_table.cc, "
      "runtime/cpu/kernel_table.cc, runtime/cuda/kernel_table.cc) by\n"
      "`bazel run --config=cuda //runtime:operators_md > runtime/OPERATORS.md`; "
      "`//runtime:operators_md_test` (and, with the cuda backend,\n"
      "`//runtime/cuda:kernel_table_test`) fail when this file and the tables disagree.\n\n",
      "Each cell lists the opset ranges (of the model's default-domain opset import) the backend "
      "runs.\n\n",
      "- reference: ", reference_ops.size(), " ops, plain loops with double accumulation\n",
      "- cpu: every reference op at the same opsets; ", CountLabelled(cpu, reference),
      " ops run a fast float32 kernel (`fast`, AVX2/FMA; other dtypes fall back to the reference "
      "kernel)\n",
      CudaSummary(cuda, reference), "\n\n",
      "| op | reference | cpu | cuda |\n| --- | --- | --- | --- |\n");
  for (const std::string& name : sorted) {
    absl::StrAppend(&out, "| ", name, " | ", Cell(reference, reference, name, "", ""), " | ",
                    Cell(cpu, reference, name, "fast", ""), " | ",
                    cuda == nullptr ? "n/a" : Cell(*cuda, reference, name, "GPU", "host"), " |\n");
  }
  return out;
}

std::string WithoutCudaColumn(const std::string& markdown) {
  std::vector<std::string> lines = absl::StrSplit(markdown, '\n');
  bool in_table = false;
  for (std::string& line : lines) {
    if (absl::StartsWith(line, kCudaSummaryPrefix)) {
      line = absl::StrCat(kCudaSummaryPrefix, "n/a");
      continue;
    }
    if (absl::StartsWith(line, "| --- ")) {
      in_table = true;
      continue;
    }
    if (!in_table || !absl::StartsWith(line, "| ")) continue;
    // "| op | ref | cpu | cuda |": replace the last cell.
    const size_t end = line.rfind(" |");
    const size_t start = end == std::string::npos ? end : line.rfind("| ", end - 1);
    if (start == std::string::npos || start == 0) continue;
    line = absl::StrCat(line.substr(0, start), "| n/a |");
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace rt
}  // namespace tp
