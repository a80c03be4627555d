#include "verify/layer_diff.h"

#include <cmath>

#include "formats/json/json.h"
#include "gtest/gtest.h"
#include "verify/report.h"

namespace tp {
namespace verify {
namespace {

// Deterministic non-trivial values (no dependence on the code under test).
Tensor Ramp(Shape shape, double scale = 1.0, bool transpose_last2 = false) {
  Tensor t = Tensor::Zeros(DType::kF32, shape);
  const int64_t n = t.num_elements();
  float* p = t.mutable_data_as<float>();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(scale * std::sin(0.37 * i + 0.1));
  if (!transpose_last2) return t;
  // [A, B, C] -> [A, C, B]
  const int64_t a = shape[0], b = shape[1], c = shape[2];
  Tensor out = Tensor::Zeros(DType::kF32, {a, c, b});
  float* q = out.mutable_data_as<float>();
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t k = 0; k < c; ++k) q[(i * c + k) * b + j] = p[(i * b + j) * c + k];
  return out;
}

Checkpoint Ref() {
  Checkpoint c;
  c.tensors.push_back({"enc.conv", Ramp({1, 4, 10})});
  c.tensors.push_back({"enc.norm", Ramp({1, 10, 4})});
  c.tensors.push_back({"dec.fc", Ramp({2, 3, 5})});
  c.tensors.push_back({"dec.out", Ramp({2, 3, 5})});
  c.tensors.push_back({"dec.out#1", Ramp({6})});
  return c;
}

TEST(LayerDiffTest, FirstDivergenceWithHintAndMapping) {
  Checkpoint cand;
  cand.tensors.push_back({"encoder.conv", Ramp({1, 4, 10})});
  cand.tensors.push_back({"encoder.norm", Ramp({1, 10, 4}, 1.0, /*transpose_last2=*/true)});
  cand.tensors.push_back({"decoder.fc", Ramp({2, 3, 5}, 0.5)});  // planted: scaled by 0.5
  cand.tensors.push_back({"decoder.out", Ramp({2, 3, 5}, 0.5)});
  cand.tensors.push_back({"extra.thing", Ramp({3})});
  LayerDiffOptions opts;
  ASSERT_TRUE(opts.mapping.AddRename("^encoder\\.", "enc.", "test").ok());
  ASSERT_TRUE(opts.mapping.AddRename("^decoder\\.", "dec.", "test").ok());
  ASSERT_TRUE(opts.mapping.AddLayout("^enc\\.norm$", {0, 2, 1}, "test").ok());
  absl::StatusOr<Report> r = DiffDumps(Ref(), cand, opts);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->layers.size(), 6u);
  EXPECT_EQ(r->layers[0].status, LayerStatus::kPass);
  EXPECT_EQ(r->layers[1].status, LayerStatus::kPass) << r->layers[1].reason;
  EXPECT_EQ(r->layers[2].status, LayerStatus::kFail);
  EXPECT_EQ(r->layers[4].status, LayerStatus::kMissing);
  EXPECT_EQ(r->layers[5].status, LayerStatus::kExtra);
  EXPECT_FALSE(r->passed);
  EXPECT_EQ(r->first_divergence, 2);
  EXPECT_EQ(r->last_match, 1);
  EXPECT_NE(r->layers[2].hint.find("scaled by 0.5"), std::string::npos) << r->layers[2].hint;
  EXPECT_NE(r->layers[2].hint.find("last: enc.norm"), std::string::npos) << r->layers[2].hint;

  absl::StatusOr<JsonValue> j = ParseJson(ReportJson(*r), "report");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_FALSE(j->Find("passed")->boolean);
  EXPECT_EQ(j->Find("first_divergence")->text, "dec.fc");
  const JsonValue* layers = j->Find("layers");
  ASSERT_EQ(layers->array.size(), 6u);
  for (const char* key : {"name", "status", "shape", "max_abs", "mean_abs", "rmse", "max_rel",
                          "cosine", "sqnr_db", "mismatch_fraction", "nan", "inf", "hint"}) {
    EXPECT_NE(layers->array[2].Find(key), nullptr) << key;
  }
  EXPECT_EQ(layers->array[2].Find("status")->text, "fail");
  EXPECT_EQ(layers->array[0].Find("sqnr_db")->text, "inf");

  const std::string junit = ReportJunit(*r);
  EXPECT_NE(junit.find("<testcase classname=\"verify.layer-diff\" name=\"dec.fc\"><failure"),
            std::string::npos);
  const std::string html = ReportHtml(*r);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  const std::string text = FormatTerminal(*r, false);
  EXPECT_NE(text.find("First divergence: dec.fc"), std::string::npos) << text;
}

TEST(LayerDiffTest, ShapeMismatchGetsTransposeHint) {
  Checkpoint ref, cand;
  ref.tensors.push_back({"x", Ramp({2, 3, 7})});
  cand.tensors.push_back({"x", Ramp({2, 3, 7}, 1.0, true)});
  absl::StatusOr<Report> r = DiffDumps(ref, cand, LayerDiffOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->layers[0].status, LayerStatus::kShapeMismatch);
  EXPECT_NE(r->layers[0].hint.find("(0, 2, 1)"), std::string::npos) << r->layers[0].hint;
}

TEST(LayerDiffTest, NoCommonLayerIsAnInputError) {
  Checkpoint ref, cand;
  ref.tensors.push_back({"a", Ramp({4})});
  cand.tensors.push_back({"b", Ramp({4})});
  absl::StatusOr<Report> r = DiffDumps(ref, cand, LayerDiffOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--map"), std::string::npos);
}

TEST(ToleranceSetTest, FirstMatchingRuleWinsPerField) {
  ToleranceSet t;
  ASSERT_TRUE(t.AddText("rule { pattern: \"mel\" atol: 0.5 range_min: -11.5 range_max: 0 }\n"
                        "rule { pattern: \".\" atol: 0.1 rtol: 0.2 }", "t").ok());
  Tolerance a = t.For("dec.mel");
  EXPECT_EQ(a.atol, 0.5);
  EXPECT_EQ(a.rtol, 0.2);
  EXPECT_EQ(*a.range_min, -11.5);
  EXPECT_FALSE(t.AddText("rule { pattern: \"(\" }", "bad.textproto").ok());
}

}  // namespace
}  // namespace verify
}  // namespace tp
