// Prints runtime/OPERATORS.md from the kernel tables. Needs the cuda backend linked in:
//   bazel run --config=cuda //runtime:operators_md > runtime/OPERATORS.md
#include <iostream>

#include "runtime/cpu/kernel_table.h"
#include "runtime/kernel.h"
#include "runtime/operators_doc.h"
#include "runtime/reference/kernel_table.h"

int main() {
  absl::StatusOr<const tp::rt::KernelTable*> cuda = tp::rt::GetKernelTable("cuda");
  if (!cuda.ok()) {
    std::cerr << "operators_md: " << cuda.status().message()
              << "; build with --config=cuda so the cuda column can be written\n";
    return 2;
  }
  std::cout << tp::rt::OperatorsMarkdown(tp::rt::ReferenceKernelTable(), tp::rt::CpuKernelTable(),
                                         *cuda);
  return 0;
}
