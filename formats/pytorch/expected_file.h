// Test helper: parses the expected-values files written by
// tests/fixtures/pytorch/make_fixtures.py from what torch.load / pickle.load returned.
//
// Each line is tab-separated:
//   tensor <name> <dtype> <d0,d1,...> <v0 v1 ...>   (values as Python repr)
//   meta <key> int|float|str|bool|none <value>
//   warning <substring>
//
// Example:
//   ASSIGN_OR_RETURN(ExpectedFile e, ReadExpectedFile("tests/fixtures/pytorch/tiny.expected.txt"));
//   for (const ExpectedTensor& t : e.tensors) ...
#ifndef TENSORPORT_FORMATS_PYTORCH_EXPECTED_FILE_H_
#define TENSORPORT_FORMATS_PYTORCH_EXPECTED_FILE_H_

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tp {

struct ExpectedTensor {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::vector<std::string> values;  // Python repr of each element, row-major
};

struct ExpectedMeta {
  std::string key, type, value;
};

struct ExpectedFile {
  std::vector<ExpectedTensor> tensors;
  std::vector<ExpectedMeta> metadata;
  std::vector<std::string> warnings;
};

inline absl::StatusOr<ExpectedFile> ReadExpectedFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  ExpectedFile out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f[0] == "tensor" && f.size() == 5) {
      ExpectedTensor t;
      t.name = f[1];
      t.dtype = f[2];
      for (absl::string_view d : absl::StrSplit(f[3], ',', absl::SkipEmpty())) {
        int64_t v;
        if (!absl::SimpleAtoi(d, &v)) return absl::InvalidArgumentError(line);
        t.shape.push_back(v);
      }
      t.values = absl::StrSplit(f[4], ' ', absl::SkipEmpty());
      out.tensors.push_back(std::move(t));
    } else if (f[0] == "meta" && f.size() == 4) {
      out.metadata.push_back({f[1], f[2], f[3]});
    } else if (f[0] == "warning" && f.size() == 2) {
      out.warnings.push_back(f[1]);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(path, ": bad line: ", line));
    }
  }
  return out;
}

}  // namespace tp

#endif  // TENSORPORT_FORMATS_PYTORCH_EXPECTED_FILE_H_
