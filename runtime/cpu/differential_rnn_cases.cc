// Differential cases of the recurrent ops: LSTM, GRU, RNN (directions, sequence lengths, initial
// states, peepholes, clip, activations).
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor.h"
#include "runtime/cpu/differential_case.h"

namespace tp {
namespace rt {
namespace {

// X, W, R of an RNN ("RNN"), GRU ("GRU") or LSTM (lstm = true) node.
Case Rnn(const std::string& name, bool lstm, int64_t seq, int64_t batch, int64_t in, int64_t hid,
         const std::string& dir, uint32_t seed, const char* op = nullptr) {
  if (op == nullptr) op = lstm ? "LSTM" : "GRU";
  const int64_t dirs = dir == "bidirectional" ? 2 : 1;
  const int64_t g = std::string(op) == "LSTM" ? 4 : (std::string(op) == "GRU" ? 3 : 1);
  Case c(name, op);
  c.In(Random({seq, batch, in}, seed))
      .In(Random({dirs, g * hid, in}, seed + 1, 0.5f))
      .In(Random({dirs, g * hid, hid}, seed + 2, 0.5f));
  c.Int("hidden_size", hid).Str("direction", dir);
  return c;
}

void LstmCases(std::vector<Case>* out) {
  out->push_back((Rnn("lstm_bidir_all", true, 7, 3, 5, 4, "bidirectional", 200)
                      .In(Random({2, 32}, 203))
                      .In(Ints({3}, {7, 4, 1}))
                      .In(Random({2, 3, 4}, 204))
                      .In(Random({2, 3, 4}, 205))
                      .In(Random({2, 12}, 206))
                      .Outputs(3))
                     .Rtol(1e-4));
  out->push_back((Rnn("lstm_fwd_plain", true, 6, 2, 3, 8, "forward", 210).Outputs(3)).Rtol(1e-4));
  out->push_back((Rnn("lstm_reverse_lens", true, 5, 3, 4, 6, "reverse", 220)
                      .In(Random({1, 48}, 223))
                      .In(Ints({3}, {5, 0, 2}))
                      .Outputs(3))
                     .Rtol(1e-4));
  out->push_back((Rnn("lstm_clip", true, 5, 2, 3, 4, "forward", 230)
                      .In(Random({1, 32}, 233))
                      .Outputs(3)
                      .Float("clip", 0.7f))
                     .Rtol(1e-4));
  out->push_back((Rnn("lstm_only_y_h", true, 4, 1, 3, 5, "bidirectional", 240)
                      .In(Random({2, 40}, 243))
                      .Outputs(2))
                     .Rtol(1e-4));
  out->push_back((Rnn("lstm_large", true, 50, 1, 64, 96, "bidirectional", 250)
                      .In(Random({2, 768}, 253))
                      .Outputs(3))
                     .Rtol(1e-4));
  {
    Case c("lstm_layout1", "LSTM");
    c.In(Random({2, 5, 3}, 260))
        .In(Random({2, 16, 3}, 261, 0.5f))
        .In(Random({2, 16, 4}, 262, 0.5f))
        .In(Random({2, 32}, 263))
        .Skip()
        .In(Random({2, 2, 4}, 264))
        .In(Random({2, 2, 4}, 265))
        .Outputs(3)
        .Int("hidden_size", 4)
        .Str("direction", "bidirectional")
        .Int("layout", 1);
    out->push_back((c).Rtol(1e-4));
  }
}

void GruCases(std::vector<Case>* out) {
  for (int lbr : {0, 1}) {
    out->push_back((Rnn(absl::StrCat("gru_bidir_lbr", lbr), false, 6, 2, 5, 4, "bidirectional", 300)
                        .In(Random({2, 24}, 303))
                        .Skip()
                        .In(Random({2, 2, 4}, 304))
                        .Outputs(2)
                        .Int("linear_before_reset", lbr))
                       .Rtol(1e-4));
    out->push_back(
        (Rnn(absl::StrCat("gru_reverse_lens_lbr", lbr), false, 5, 3, 3, 6, "reverse", 310)
             .In(Random({1, 36}, 313))
             .In(Ints({3}, {2, 5, 3}))
             .Outputs(2)
             .Int("linear_before_reset", lbr))
            .Rtol(1e-4));
    out->push_back((Rnn(absl::StrCat("gru_nobias_lbr", lbr), false, 4, 1, 2, 3, "forward", 320)
                        .Outputs(2)
                        .Int("linear_before_reset", lbr))
                       .Rtol(1e-4));
  }
}

void RnnCases(std::vector<Case>* out) {
  out->push_back(Rnn("rnn_bidir_all", false, 6, 3, 5, 4, "bidirectional", 1200, "RNN")
                     .In(Random({2, 8}, 1203))
                     .In(Ints({3}, {6, 2, 0}))
                     .In(Random({2, 3, 4}, 1204))
                     .Outputs(2)
                     .Rtol(1e-4));
  out->push_back(
      Rnn("rnn_fwd_plain", false, 7, 2, 3, 8, "forward", 1210, "RNN").Outputs(2).Rtol(1e-4));
  {
    Case c = Rnn("rnn_reverse_relu_clip", false, 5, 2, 4, 6, "reverse", 1220, "RNN");
    c.In(Random({1, 12}, 1223)).Outputs(2).Float("clip", 0.8f);
    auto* a = const_cast<onnx::NodeProto&>(c.node()).add_attribute();
    a->set_name("activations");
    a->set_type(onnx::AttributeProto::STRINGS);
    a->add_strings("Relu");
    out->push_back(c.Rtol(1e-4));
  }
  // A contracting recurrence (R small): with R ~ N(0, 0.5) a 96-wide tanh RNN is chaotic, and
  // float and double runs part after a few steps whatever the kernel.
  out->push_back(Case("rnn_large", "RNN")
                     .In(Random({40, 1, 64}, 1230))
                     .In(Random({2, 96, 64}, 1231, 0.1f))
                     .In(Random({2, 96, 96}, 1232, 0.03f))
                     .In(Random({2, 192}, 1233))
                     .Outputs(2)
                     .Int("hidden_size", 96)
                     .Str("direction", "bidirectional")
                     .Rtol(1e-4));
}


const CaseRegistration kLstm({"LSTM"}, [](const std::string&, std::vector<Case>* out) {
  LstmCases(out);
});
const CaseRegistration kGru({"GRU"}, [](const std::string&, std::vector<Case>* out) {
  GruCases(out);
});
const CaseRegistration kRnn({"RNN"}, [](const std::string&, std::vector<Case>* out) {
  RnnCases(out);
});

}  // namespace
}  // namespace rt
}  // namespace tp
