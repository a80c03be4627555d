// Test-only reader of the NumPy-generated case index (testdata/make_verify_cases.py): one case a
// line, "name dtype_x dtype_y shape_x shape_y atol rtol key=value...", arrays in name_{x,y}.bin.
//
// Example:
//   std::vector<TestCase> cases = ReadTestCases("verify/testdata/metrics_cases.txt");
//   Tensor x = cases[0].x;
#ifndef TENSORPORT_VERIFY_TEST_CASES_H_
#define TENSORPORT_VERIFY_TEST_CASES_H_

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/dtype.h"
#include "core/tensor.h"

namespace tp {
namespace verify {

struct TestCase {
  std::string name;
  Tensor x, y;
  double atol = 0, rtol = 0;
  std::map<std::string, std::string> values;
  double Value(const std::string& key) const {
    double v = 0;
    auto it = values.find(key);
    if (it == values.end() || !absl::SimpleAtod(it->second, &v)) return -12345.678;
    return v;
  }
};

inline Shape ParseShape(const std::string& s) {
  Shape out;
  if (s == "-") return out;
  for (absl::string_view d : absl::StrSplit(s, ',')) {
    int64_t v = 0;
    (void)absl::SimpleAtoi(d, &v);
    out.push_back(v);
  }
  return out;
}

inline Tensor LoadBin(const std::string& path, DType dtype, const Shape& shape) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<Tensor> t = Tensor::FromBytes(dtype, shape, ss.str());
  return t.ok() ? *t : Tensor();
}

inline std::vector<TestCase> ReadTestCases(const std::string& index_path) {
  const std::string dir = index_path.substr(0, index_path.rfind('/') + 1);
  std::vector<TestCase> out;
  std::ifstream in(index_path);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 7) continue;
    TestCase c;
    c.name = f[0];
    c.x = LoadBin(dir + f[0] + "_x.bin", *DTypeFromName(f[1]), ParseShape(f[3]));
    c.y = LoadBin(dir + f[0] + "_y.bin", *DTypeFromName(f[2]), ParseShape(f[4]));
    (void)absl::SimpleAtod(f[5], &c.atol);
    (void)absl::SimpleAtod(f[6], &c.rtol);
    for (size_t i = 7; i < f.size(); ++i) {
      std::vector<std::string> kv = absl::StrSplit(f[i], absl::MaxSplits('=', 1));
      if (kv.size() == 2) c.values[kv[0]] = kv[1];
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_TEST_CASES_H_
