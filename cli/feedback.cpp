// callmem feedback and callmem unmerge: what an agent learned about a call's
// caller, and the undoing of a merge (docs/feedback.md).
#include "callmem/detail/wire.hpp"
#include "commands.hpp"
#include "engine.hpp"
#include "output.hpp"

namespace callmem::cli {
namespace {

struct FeedbackOptions {
  StoreOptions store;
  std::string tenant;
  std::string call_id;
  std::string outcome;
  std::string ref;
  std::string merge_id;
  bool json = false;
};

void feedback(const FeedbackOptions& o) {
  detail::Writer w;
  w.begin_object().key("call_id").str(o.call_id).key("outcome").str(o.outcome);
  if (!o.ref.empty()) w.key("customer_ref").str(o.ref);
  const std::string request = w.end_object().take();
  const std::string answer = open_engine(o.store, true)->identity_feedback_json(o.tenant, request);
  print_answer(answer, json_output(o.json), "Feedback on call " + o.call_id + ": " + o.outcome);
}

void unmerge(const FeedbackOptions& o) {
  detail::Writer w;
  const std::string request = w.begin_object().key("merge_id").str(o.merge_id).end_object().take();
  const std::string answer = open_engine(o.store, true)->unmerge_json(o.tenant, request);
  print_answer(answer, json_output(o.json), "Undid merge " + o.merge_id);
}

}  // namespace

void add_feedback(CLI::App& app) {
  auto o = std::make_shared<FeedbackOptions>();
  CLI::App* f = app.add_subcommand(
      "feedback",
      "Say who a call's caller was: confirmed, rejected (somebody else) or corrected (--ref: that customer)");
  add_store_options(*f, o->store);
  require_existing_database(*f);
  add_tenant_option(*f, o->tenant);
  f->add_option("--call-id", o->call_id, "The call")->required()->type_name("C");
  f->add_option("OUTCOME", o->outcome, "confirmed, rejected or corrected")
      ->required()
      ->check(CLI::IsMember({"confirmed", "rejected", "corrected"}));
  f->add_option("--ref", o->ref, "With corrected: the customer_ref the caller really is")->type_name("R");
  add_json_flag(*f, o->json);
  f->footer(
      "confirmed: the answer was right; its identifiers are linked to the customer.\n"
      "rejected: the caller was somebody else; they get a customer of their own.\n"
      "corrected: the caller is the known customer --ref; the call's customer is merged into it\n"
      "(the answer's merge.merge_id undoes it: callmem unmerge). See docs/feedback.md.\n\n"
      "Example:\n"
      "  callmem feedback --db calls.db --tenant acme --call-id call_002 confirmed\n"
      "  callmem feedback --db calls.db --tenant acme --call-id call_003 corrected --ref 3b0c...e1");
  f->callback(with_exit_status([o] { feedback(*o); }));

  CLI::App* u =
      app.add_subcommand("unmerge", "Undo a merge: the merged customer_ref is a customer of its own again");
  add_store_options(*u, o->store);
  require_existing_database(*u);
  add_tenant_option(*u, o->tenant);
  u->add_option("--merge-id", o->merge_id, "The merge, from the feedback's answer")
      ->required()
      ->type_name("M");
  add_json_flag(*u, o->json);
  u->footer("Example:\n  callmem unmerge --db calls.db --tenant acme --merge-id 7d1e...42");
  u->callback(with_exit_status([o] { unmerge(*o); }));
}

}  // namespace callmem::cli
