// Modules whose nodes live inside graph attributes: Loop and Scan bodies, If branches. PyTorch
// names the nodes there by module scope as it does at the top level (`/step/act/Tanh` inside a
// scripted loop's body), and the runtime captures subgraph values under a path
// (`/Loop/iter 2//step/act/Tanh_output_0`, see runtime/session.h). Each capture of a module's
// output value is one call of the module; counted in run order, the k-th call is the reference
// dump's entry `name#k` (`name` for k = 0), as tools/dump_reference.py numbers repeated calls.
// A module that also has top-level calls is numbered after them.
//
// Example:
//   SubgraphModules sub = SubgraphModules::Find(session, known);
//   run.capture = [&](const onnx::NodeProto&, const std::string& name, const Tensor& t) {
//     if (sub.Wants(name)) { sub.Record(name); captured[name] = t; }
//   };
//   ... session.Run(...) ...
//   std::map<std::string, std::string> paths = sub.EntryPaths();   // "step.act#2" -> capture path
#ifndef TENSORPORT_VERIFY_SUBGRAPH_MODULES_H_
#define TENSORPORT_VERIFY_SUBGRAPH_MODULES_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "runtime/session.h"

namespace tp {
namespace verify {

class SubgraphModules {
 public:
  // Every module with nodes inside a subgraph of `session`'s model, with its output value there.
  // `known` (may be empty) tells whether a dotted name is a real module (see NodeScopeModule).
  static SubgraphModules Find(const rt::Session& session,
                              const std::function<bool(const std::string&)>& known);

  bool empty() const { return modules_of_value_.empty(); }
  // True when a captured name is the output value of one of these modules.
  bool Wants(const std::string& captured_name) const;
  // Notes a capture Wants() accepted, in run order.
  void Record(const std::string& captured_name);
  // Dump entry name -> captured path of the recorded calls.
  std::map<std::string, std::string> EntryPaths() const;
  // Forgets the recorded calls (before another run).
  void ClearRecorded() { recorded_.clear(); }

 private:
  // The modules whose output `captured_name` is, or null.
  const std::vector<std::string>* ModulesOf(const std::string& captured_name) const;

  std::map<std::string, std::vector<std::string>> modules_of_value_;  // subgraph value -> modules
  std::map<std::string, int> top_level_calls_;  // module -> calls matched at top level
  std::vector<std::string> recorded_;
};

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_SUBGRAPH_MODULES_H_
