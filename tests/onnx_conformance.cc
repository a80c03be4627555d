#include "tests/onnx_conformance.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <onnx/onnx-data_pb.h>
#include <onnx/onnx_pb.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "re2/re2.h"
#include "runtime/kernel.h"
#include "runtime/session.h"
#include "runtime/tensor_proto.h"
#include "runtime/tensor_util.h"
#include "runtime/value.h"

namespace tp {
namespace {

namespace fs = std::filesystem;

struct Exclusion {
  const char* category;  // kSkip*
  const char* why;
};

// Cases that cannot pass on any deterministic runtime, with the reason printed as the skip.
const std::map<std::string, Exclusion>& Exclusions() {
  static const auto* m = new std::map<std::string, Exclusion>{
      {"node/test_training_dropout", {kSkipRandom, "expected values come from NumPy's random mask"}},
      {"node/test_bernoulli", {kSkipRandom, "expected values come from NumPy's generator"}},
      {"node/test_bernoulli_double", {kSkipRandom, "expected values come from NumPy's generator"}},
      {"node/test_bernoulli_expanded",
       {kSkipRandom, "expected values come from NumPy's generator"}},
      {"node/test_bernoulli_double_expanded",
       {kSkipRandom, "expected values come from NumPy's generator"}},
      {"node/test_bernoulli_seed", {kSkipRandom, "expected values come from NumPy's generator"}},
      {"node/test_bernoulli_seed_expanded",
       {kSkipRandom, "expected values come from NumPy's generator"}},
      {"node/test_training_dropout_default",
       {kSkipRandom, "expected values come from NumPy's random mask"}},
      {"node/test_training_dropout_default_mask",
       {kSkipRandom, "expected values come from NumPy's random mask"}},
      {"node/test_training_dropout_mask",
       {kSkipRandom, "expected values come from NumPy's random mask"}},
      // Checked with NumPy: every expected value equals the f32 bits shifted right by 16.
      {"node/test_cast_FLOAT_to_BFLOAT16",
       {kSkipTestData,
        "ONNX 1.12's expected bfloat16 values truncate; the runtime rounds to nearest even like "
        "PyTorch and later ONNX"}},
      {"node/test_castlike_FLOAT_to_BFLOAT16",
       {kSkipTestData,
        "ONNX 1.12 test data: input \"like\" has shape [1], the model declares [3, 4]"}},
      {"node/test_castlike_FLOAT_to_BFLOAT16_expanded",
       {kSkipTestData,
        "ONNX 1.12 test data: input \"like\" has shape [1], the model declares [3, 4]"}},
      {"node/test_castlike_BFLOAT16_to_FLOAT",
       {kSkipTestData,
        "ONNX 1.12 test data: input \"like\" has shape [1], the model declares [3, 4]"}},
      {"node/test_castlike_BFLOAT16_to_FLOAT_expanded",
       {kSkipTestData,
        "ONNX 1.12 test data: input \"like\" has shape [1], the model declares [3, 4]"}},
  };
  return *m;
}

// The reason category of a case skipped for missing kernels: the ops the issue allows to stay
// unsupported (training, random outputs, strings), else a runtime gap.
const char* CategoryOfMissing(const std::vector<rt::UnsupportedNode>& missing) {
  static const std::set<std::string>* random = new std::set<std::string>{
      "Bernoulli", "Multinomial", "RandomNormal", "RandomNormalLike", "RandomUniform",
      "RandomUniformLike"};
  static const std::set<std::string>* strings = new std::set<std::string>{"StringNormalizer"};
  const char* category = nullptr;
  for (const rt::UnsupportedNode& m : missing) {
    const char* c = kSkipOther;
    if (m.domain == "ai.onnx.preview.training") c = kSkipTraining;
    if (m.domain.empty() && random->count(m.op_type)) c = kSkipRandom;
    if (m.domain.empty() && strings->count(m.op_type)) c = kSkipString;
    // A case with ops of several categories counts under the first; a gap wins over all.
    if (category == nullptr || c == kSkipOther) category = c;
  }
  return category == nullptr ? kSkipOther : category;
}

// The tensor type inside a type: itself, a sequence's or an optional's element; null for maps and
// sparse tensors.
const onnx::TypeProto_Tensor* InnerTensorType(const onnx::TypeProto& t) {
  if (t.has_tensor_type()) return &t.tensor_type();
  if (t.has_sequence_type()) return InnerTensorType(t.sequence_type().elem_type());
  if (t.has_optional_type()) return InnerTensorType(t.optional_type().elem_type());
  return nullptr;
}

// A type the runtime's values cannot hold, or "" when every input and output is a tensor, a
// sequence of tensors or an optional of either, of a supported element type.
std::string UnsupportedIoType(const onnx::GraphProto& g) {
  for (const auto* list : {&g.input(), &g.output()}) {
    for (const onnx::ValueInfoProto& v : *list) {
      const onnx::TypeProto_Tensor* tt = InnerTensorType(v.type());
      if (tt == nullptr) {
        return absl::StrCat("value \"", v.name(), "\" is a map or a sparse tensor");
      }
      if (!rt::DTypeFromOnnx(tt->elem_type()).ok()) {
        return absl::StrCat("value \"", v.name(), "\" has element type ",
                            onnx::TensorProto::DataType_Name(
                                static_cast<onnx::TensorProto::DataType>(tt->elem_type())));
      }
    }
  }
  return "";
}

// Numbered files "<prefix>_<i>.pb" in order.
std::vector<std::string> NumberedFiles(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (int i = 0;; ++i) {
    fs::path p = dir / absl::StrCat(prefix, "_", i, ".pb");
    if (!fs::exists(p)) break;
    out.push_back(p.string());
  }
  return out;
}

std::string Compare(const std::string& name, const Tensor& expected, const Tensor& actual,
                    double rtol, double atol) {
  if (expected.dtype() != actual.dtype()) {
    return absl::StrCat("output \"", name, "\" is ", DTypeName(actual.dtype()), ", expected ",
                        DTypeName(expected.dtype()));
  }
  if (expected.shape() != actual.shape()) {
    return absl::StrCat("output \"", name, "\" has shape ", ShapeToString(actual.shape()),
                        ", expected ", ShapeToString(expected.shape()));
  }
  absl::StatusOr<std::vector<double>> e = ToDoubleVector(expected);
  absl::StatusOr<std::vector<double>> a = ToDoubleVector(actual);
  if (!e.ok() || !a.ok()) return "cannot read values";
  const bool exact = !IsFloating(expected.dtype());
  int64_t bad = 0, first = -1;
  for (size_t i = 0; i < e->size(); ++i) {
    const double x = (*e)[i], y = (*a)[i];
    bool ok;
    if (exact) ok = x == y;
    else if (std::isnan(x) || std::isnan(y)) ok = std::isnan(x) && std::isnan(y);
    else if (std::isinf(x) || std::isinf(y)) ok = x == y;
    else ok = std::fabs(x - y) <= atol + rtol * std::fabs(x);
    if (!ok) {
      if (first < 0) first = i;
      ++bad;
    }
  }
  if (bad == 0) return "";
  return absl::StrCat("output \"", name, "\": ", bad, " of ", e->size(),
                      " elements differ; first at flat index ", first, ": got ", (*a)[first],
                      ", expected ", (*e)[first]);
}

// Compares values of any kind: sequences element by element, optionals by presence.
std::string CompareValues(const std::string& name, const rt::Value& expected,
                          const rt::Value& actual, double rtol, double atol) {
  if (expected.kind() != actual.kind()) {
    return absl::StrCat("output \"", name, "\" is a ", actual.Describe(), ", expected a ",
                        expected.Describe());
  }
  if (expected.is_tensor()) {
    return Compare(name, expected.tensor(), actual.tensor(), rtol, atol);
  }
  if (expected.is_sequence()) {
    if (expected.items().size() != actual.items().size()) {
      return absl::StrCat("output \"", name, "\" has ", actual.items().size(),
                          " elements, expected ", expected.items().size());
    }
    for (size_t i = 0; i < expected.items().size(); ++i) {
      std::string d = Compare(absl::StrCat(name, "[", i, "]"), expected.items()[i],
                              actual.items()[i], rtol, atol);
      if (!d.empty()) return d;
    }
  }
  return "";
}

// Reads a TensorProto file. ONNX 1.12 stores bfloat16 test data as UINT16 bit patterns (NumPy has
// no bfloat16); when the graph declares BFLOAT16 the bits are taken as such.
absl::StatusOr<Tensor> ReadCaseTensor(const std::string& path, const onnx::ValueInfoProto* decl,
                                      std::string* name) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  onnx::TensorProto p;
  if (!in || !p.ParseFromString(ss.str())) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a serialized onnx.TensorProto"));
  }
  if (name != nullptr) *name = p.name();
  if (decl != nullptr && p.data_type() == onnx::TensorProto::UINT16 &&
      decl->type().tensor_type().elem_type() == onnx::TensorProto::BFLOAT16) {
    p.set_data_type(onnx::TensorProto::BFLOAT16);
  }
  return rt::TensorFromProto(p, path);
}

// Reads a case file as the value `decl` declares: a TensorProto, a SequenceProto or an
// OptionalProto.
absl::StatusOr<rt::Value> ReadCaseValue(const std::string& path, const onnx::ValueInfoProto* decl) {
  const onnx::TypeProto* type = decl != nullptr ? &decl->type() : nullptr;
  if (type == nullptr || type->has_tensor_type()) {
    ASSIGN_OR_RETURN(Tensor t, ReadCaseTensor(path, decl, nullptr));
    return rt::Value::FromTensor(std::move(t));
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (type->has_sequence_type()) {
    onnx::SequenceProto p;
    if (!in || !p.ParseFromString(ss.str())) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": not a serialized onnx.SequenceProto"));
    }
    DType empty = DType::kF32;
    if (const onnx::TypeProto_Tensor* tt = InnerTensorType(*type)) {
      if (absl::StatusOr<DType> d = rt::DTypeFromOnnx(tt->elem_type()); d.ok()) empty = *d;
    }
    return rt::ValueFromSequenceProto(p, path, empty);
  }
  onnx::OptionalProto p;
  if (!in || !p.ParseFromString(ss.str())) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a serialized onnx.OptionalProto"));
  }
  return rt::ValueFromOptionalProto(p, path);
}

const onnx::ValueInfoProto* FindValueInfo(const onnx::GraphProto& g, const std::string& name,
                                          bool input) {
  for (const onnx::ValueInfoProto& v : input ? g.input() : g.output()) {
    if (v.name() == name) return &v;
  }
  return nullptr;
}

// "" on success, the failure reason otherwise.
std::string RunCase(const fs::path& dir, const ConformanceOptions& options,
                    const rt::Session& session) {
  std::vector<fs::path> sets;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0) {
      sets.push_back(entry.path());
    }
  }
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return "no test_data_set_* folder";
  const onnx::GraphProto& g = session.model().graph();
  for (const fs::path& set : sets) {
    std::map<std::string, rt::Value> inputs;
    std::vector<std::string> in_files = NumberedFiles(set, "input");
    const std::vector<std::string>& names = session.input_names();
    for (size_t i = 0; i < in_files.size(); ++i) {
      std::string pb_name;
      {
        std::ifstream in(in_files[i], std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        onnx::TensorProto p;
        if (p.ParseFromString(ss.str())) pb_name = p.name();
      }
      std::string name = i < names.size() ? names[i] : pb_name;
      if (!pb_name.empty() && std::find(names.begin(), names.end(), pb_name) != names.end()) {
        name = pb_name;
      }
      absl::StatusOr<rt::Value> t = ReadCaseValue(in_files[i], FindValueInfo(g, name, true));
      if (!t.ok()) return std::string(t.status().message());
      // An optional input file without a value stands for an input left out.
      if (t->is_none()) continue;
      inputs[name] = *t;
    }
    absl::StatusOr<std::map<std::string, rt::Value>> outs = session.RunValues(inputs);
    if (!outs.ok()) return std::string(outs.status().message());
    std::vector<std::string> out_files = NumberedFiles(set, "output");
    if (static_cast<int>(out_files.size()) != g.output_size()) {
      return absl::StrCat(out_files.size(), " expected outputs for ", g.output_size(),
                          " graph outputs");
    }
    for (size_t i = 0; i < out_files.size(); ++i) {
      const std::string& name = g.output(i).name();
      absl::StatusOr<rt::Value> e = ReadCaseValue(out_files[i], &g.output(i));
      if (!e.ok()) return std::string(e.status().message());
      std::string diff = CompareValues(name, *e, outs->at(name), options.rtol, options.atol);
      if (!diff.empty()) return absl::StrCat(set.filename().string(), ": ", diff);
    }
  }
  return "";
}

}  // namespace

std::string DefaultConformanceDataDir(const std::string& workspace_file) {
  if (const char* env = std::getenv("TP_ONNX_BACKEND_TESTS")) return env;
  fs::path workspace;
  if (const char* bwd = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    workspace = bwd;
  } else if (!workspace_file.empty()) {
    std::error_code ec;
    fs::path real = fs::canonical(workspace_file, ec);
    if (!ec) {
      // <workspace>/tests/<file>
      workspace = real.parent_path().parent_path();
    }
  }
  if (workspace.empty()) workspace = fs::current_path();
  return (workspace / ".." / "shared" / "onnx-backend-tests").lexically_normal().string();
}

absl::StatusOr<ConformanceSummary> RunConformance(const ConformanceOptions& options,
                                                  std::ostream& out) {
  std::error_code ec;
  if (!fs::is_directory(options.data_dir, ec)) {
    return absl::NotFoundError(absl::StrCat(options.data_dir, ": no such folder"));
  }
  ASSIGN_OR_RETURN(const rt::KernelTable* table, rt::GetKernelTable(options.backend));
  std::unique_ptr<RE2> filter;
  if (!options.filter.empty()) {
    filter = std::make_unique<RE2>(options.filter, RE2::Quiet);
    if (!filter->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--filter \"", options.filter, "\" is not a valid RE2: ", filter->error()));
    }
  }
  std::vector<fs::path> cases;
  for (auto it = fs::recursive_directory_iterator(options.data_dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().filename() == "model.onnx") cases.push_back(it->path().parent_path());
  }
  std::sort(cases.begin(), cases.end());
  if (cases.empty()) {
    return absl::NotFoundError(absl::StrCat(options.data_dir, ": no */model.onnx cases found"));
  }
  ConformanceSummary s;
  for (const fs::path& dir : cases) {
    const std::string label = fs::relative(dir, options.data_dir).string();
    if (filter && !RE2::PartialMatch(label, *filter)) continue;
    auto skip = [&](const char* category, const std::string& why) {
      ++s.skipped;
      s.skipped_by_reason[category].push_back(label);
      out << "SKIP " << label << ": " << why << "\n";
    };
    auto fail = [&](const std::string& why) {
      ++s.failed;
      s.failures.push_back(absl::StrCat(label, ": ", why));
      out << "FAIL " << label << ": " << why << "\n";
    };
    auto excluded = Exclusions().find(label);
    if (excluded != Exclusions().end()) {
      skip(excluded->second.category, absl::StrCat("excluded: ", excluded->second.why));
      continue;
    }
    onnx::ModelProto model;
    {
      std::ifstream in(dir / "model.onnx", std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      if (!model.ParseFromString(ss.str())) {
        fail("model.onnx does not parse as onnx.ModelProto");
        continue;
      }
    }
    std::vector<rt::UnsupportedNode> missing = rt::FindUnsupportedNodes(model, *table);
    if (!missing.empty()) {
      std::set<std::string> ops;
      for (const auto& m : missing) {
        ops.insert(absl::StrCat(m.domain.empty() ? "" : m.domain + ".", m.op_type, "-", m.opset));
      }
      skip(CategoryOfMissing(missing),
           absl::StrCat("no kernel on ", options.backend, " for ", absl::StrJoin(ops, ", ")));
      continue;
    }
    const std::string io = UnsupportedIoType(model.graph());
    if (!io.empty()) {
      skip(absl::StrContains(io, "STRING") ? kSkipString : kSkipOther,
           absl::StrCat("type outside the runtime's values: ", io));
      continue;
    }
    rt::SessionOptions so;
    so.backend = options.backend;
    absl::StatusOr<std::unique_ptr<rt::Session>> session =
        rt::Session::FromModel(std::move(model), (dir / "model.onnx").string(), dir.string(), so);
    if (!session.ok()) {
      fail(std::string(session.status().message()));
      continue;
    }
    const std::string why = RunCase(dir, options, **session);
    if (!why.empty()) {
      fail(why);
      continue;
    }
    ++s.passed;
    if (options.verbose) out << "PASS " << label << "\n";
  }
  for (const auto& [reason, labels] : s.skipped_by_reason) {
    out << "skipped, " << reason << ": " << labels.size() << "\n";
  }
  out << s.passed << " passed, " << s.failed << " failed, " << s.skipped << " skipped"
      << std::endl;
  return s;
}

}  // namespace tp
