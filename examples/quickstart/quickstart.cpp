#include <iostream>

#include <callmem/callmem.hpp>

int main() try {
  callmem::CallMemory memory(callmem::Options::sqlite("calls.db"));
  callmem::StartRequest start;
  start.call_id = "call_001";
  start.identity_hints.ani = "+14155551234";
  start.telco.line_type = callmem::LineType::mobile;
  memory.start_call("acme", start);

  callmem::EndRequest end;
  end.call_id = "call_001";
  end.intents = {{"refund_request", callmem::IntentStatus::open}};
  end.variables = {{"name", callmem::JsonText{R"("John Doe")"}}};  // any JSON value
  memory.end_call("acme", end);

  start.call_id = "call_002";  // the same caller again
  callmem::StartResponse r = memory.start_call("acme", start);
  std::cout << r.customer_ref << ' ' << r.identity.recommendation << ' ' << r.open_intents.at(0).intent << ' '
            << r.variables.at("name").value.text << '\n';
  // The same operations take and answer the JSON of docs/contract.md.
  std::cout << memory.start_call_json("acme", R"({"call_id": "call_003", "identity_hints": {"ani": "+14155551234"}})")
            << '\n';
} catch (const callmem::Error& e) {  // status() and what(), which names the field and the problem
  std::cerr << e.what() << '\n';
  return 1;
}
