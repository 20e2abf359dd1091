#include "openapi.hpp"

#include <stdexcept>
#include <string_view>
#include <vector>

#include "callmem/version.h"
#include "json/rapidjson.hpp"
#include "schemas.hpp"

namespace callmem::server {
namespace {

using rapidjson::Document;
using rapidjson::Value;

struct Param {
  const char* name;
  const char* in;  // "path" | "query"
  const char* type;
  const char* description;
};

struct Operation {
  const char* method;  // lowercase, as OpenAPI keys them
  const char* path;
  const char* id;
  const char* summary;
  const char* request;   // schema file of the body, or nullptr
  const char* response;  // schema file of the 200 answer, or nullptr for a plain one
  std::vector<Param> params;
  bool authenticated = true;
  bool billable = false;
};

const Param kRef{"ref", "path", "string",
                 "The customer's customer_ref (an alias of a merged customer works too)."};

const std::vector<Operation>& operations() {
  static const std::vector<Operation> ops = {
      {"post",
       "/v1/calls/start",
       "startCall",
       "A call starts: who is probably calling, how sure callmem is, and what is open for them.",
       "call-start-request.json",
       "call-start-response.json",
       {},
       true,
       true},
      {"post",
       "/v1/calls/end",
       "endCall",
       "A call ends: save its intents and variables.",
       "call-end-request.json",
       "call-end-response.json",
       {},
       true,
       true},
      {"get",
       "/v1/customers/{ref}",
       "getCustomer",
       "A customer: identities, intents, variables and a page of calls, newest first.",
       nullptr,
       "customer-view.json",
       {kRef,
        {"history_limit", "query", "integer", "Calls per page, 1 to 100 (default 20)."},
        {"cursor", "query", "string", "The next_cursor of the previous page."}}},
      {"post",
       "/v1/customers/lookup",
       "lookupCustomer",
       "A customer found by identity_hints (or customer_ref).",
       "customer-get-request.json",
       "customer-view.json",
       {}},
      {"get",
       "/v1/customers/{ref}/export",
       "exportCustomer",
       "Everything stored about a customer (subject access).",
       nullptr,
       "customer-view.json",
       {kRef}},
      {"delete",
       "/v1/customers/{ref}",
       "forgetCustomer",
       "Erase a customer (GDPR): identities, intents, variables, calls; answers what was removed.",
       nullptr,
       "forget-receipt.json",
       {kRef}},
      {"post",
       "/v1/customers/forget",
       "forgetCustomerByHints",
       "Erase the customer that identity_hints (a phone number, an external id) or customer_ref select.",
       "customer-selector.json",
       "forget-receipt.json",
       {}},
      {"post",
       "/v1/identity/feedback",
       "identityFeedback",
       "What the host learned of a call's caller: confirmed, rejected, or corrected to another customer.",
       "identity-feedback-request.json",
       "identity-feedback-response.json",
       {}},
      {"post",
       "/v1/identity/unmerge",
       "unmerge",
       "Undo a merge.",
       "identity-unmerge-request.json",
       "identity-unmerge-response.json",
       {}},
      {"get",
       "/v1/usage",
       "usage",
       "The credit balance, and counts and credits by day and operation.",
       nullptr,
       "usage-report.json",
       {{"from", "query", "string", "First moment counted, ISO-8601 (default: the beginning)."},
        {"to", "query", "string", "Last moment counted, ISO-8601 (default: now)."}}},
      {"get",
       "/v1/settings",
       "getSettings",
       "The tenant's settings (read; writes nothing).",
       nullptr,
       "tenant-settings.json",
       {}},
      {"patch",
       "/v1/settings",
       "patchSettings",
       "Change any subset of the tenant's settings; answers all of them.",
       "tenant-settings-patch.json",
       "tenant-settings.json",
       {}},
      {"get", "/healthz", "health", "The process lives.", nullptr, nullptr, {}, false},
      {"get", "/readyz", "ready", "The store answers.", nullptr, nullptr, {}, false},
      {"get", "/metrics", "metrics", "Prometheus metrics (text format 0.0.4).", nullptr, nullptr, {}, false},
      {"get", "/openapi.json", "openapi", "This description.", nullptr, nullptr, {}, false},
  };
  return ops;
}

std::string_view stem(std::string_view file) { return file.substr(0, file.rfind('.')); }

class Builder {
 public:
  Builder() : a_(doc_.GetAllocator()) { doc_.SetObject(); }

  Value str(std::string_view s) { return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a_); }

  Value ref(std::string_view file) {
    Value v(rapidjson::kObjectType);
    v.AddMember("$ref", str("#/components/schemas/" + std::string(stem(file))), a_);
    return v;
  }

  Value json_content(Value schema) {
    Value media(rapidjson::kObjectType);
    media.AddMember("schema", schema, a_);
    Value content(rapidjson::kObjectType);
    content.AddMember("application/json", media, a_);
    return content;
  }

  Value response(const char* description, Value content) {
    Value r(rapidjson::kObjectType);
    r.AddMember("description", str(description), a_);
    if (!content.IsNull()) r.AddMember("content", content, a_);
    return r;
  }

  Value error(const char* description) { return response(description, json_content(ref("error.json"))); }

  Value operation(const Operation& op) {
    Value o(rapidjson::kObjectType);
    o.AddMember("operationId", str(op.id), a_);
    o.AddMember("summary", str(op.summary), a_);
    if (!op.params.empty()) {
      Value params(rapidjson::kArrayType);
      for (const Param& p : op.params) {
        Value v(rapidjson::kObjectType);
        v.AddMember("name", str(p.name), a_);
        v.AddMember("in", str(p.in), a_);
        v.AddMember("required", std::string_view(p.in) == "path", a_);
        v.AddMember("description", str(p.description), a_);
        Value schema(rapidjson::kObjectType);
        schema.AddMember("type", str(p.type), a_);
        v.AddMember("schema", schema, a_);
        params.PushBack(v, a_);
      }
      o.AddMember("parameters", params, a_);
    }
    if (op.request) {
      Value body(rapidjson::kObjectType);
      body.AddMember("required", true, a_);
      body.AddMember("content", json_content(ref(op.request)), a_);
      o.AddMember("requestBody", body, a_);
    }
    Value responses(rapidjson::kObjectType);
    if (op.response) {
      responses.AddMember("200", response("OK", json_content(ref(op.response))), a_);
    } else {
      responses.AddMember("200", response("OK", Value()), a_);
    }
    if (op.authenticated) {
      responses.AddMember("400", error("Invalid request: details.issues name each field and its problem."),
                          a_);
      responses.AddMember(
          "401", error("Missing or malformed Authorization header, or an unknown or revoked key."), a_);
      if (op.billable)
        responses.AddMember("402", error("Billing is on and the tenant has too few credits."), a_);
      responses.AddMember("404", error("Unknown customer, call or merge."), a_);
      responses.AddMember("409", error("The call_id (or feedback) was used with another request."), a_);
      responses.AddMember("413", error("The request body is larger than 1 MiB."), a_);
      responses.AddMember("415", error("The request body is not application/json."), a_);
      responses.AddMember("429", error("The tenant is over its requests per minute; see Retry-After."), a_);
      responses.AddMember("500", error("The store failed; nothing partial was written."), a_);
      responses.AddMember("503", error("The store could not take the write in time; retry."), a_);
      Value security(rapidjson::kArrayType);
      Value bearer(rapidjson::kObjectType);
      bearer.AddMember("apiKey", Value(rapidjson::kArrayType), a_);
      security.PushBack(bearer, a_);
      o.AddMember("security", security, a_);
    } else {
      Value none(rapidjson::kArrayType);
      o.AddMember("security", none, a_);
    }
    o.AddMember("responses", responses, a_);
    return o;
  }

  std::string build() {
    doc_.AddMember("openapi", "3.1.0", a_);
    Value info(rapidjson::kObjectType);
    info.AddMember("title", "callmem Call Memory API", a_);
    info.AddMember("version", CALLMEM_VERSION_STRING, a_);
    info.AddMember("description",
                   "Call memory for contact centers, self-hosted: the hosted Call Memory REST API "
                   "(POST /v1/calls/start, /v1/calls/end) and callmem's additions. Every /v1 route takes "
                   "Authorization: Bearer <api key>; the key's tenant is the request's.",
                   a_);
    doc_.AddMember("info", info, a_);
    doc_.AddMember("jsonSchemaDialect", "https://json-schema.org/draft/2020-12/schema", a_);

    Value paths(rapidjson::kObjectType);
    for (const Operation& op : operations()) {
      if (!paths.HasMember(op.path)) paths.AddMember(str(op.path), Value(rapidjson::kObjectType), a_);
      paths[op.path].AddMember(str(op.method), operation(op), a_);
    }
    doc_.AddMember("paths", paths, a_);

    Value components(rapidjson::kObjectType);
    Value schemas(rapidjson::kObjectType);
    for (const Schema& s : kSchemas) {
      Document parsed(&a_);
      parsed.Parse(s.text);
      if (parsed.HasParseError())
        throw std::logic_error(std::string("docs/schema/") + s.file + " is not JSON");
      Value v;
      v.CopyFrom(parsed, a_);
      schemas.AddMember(str(stem(s.file)), v, a_);
    }
    components.AddMember("schemas", schemas, a_);
    Value schemes(rapidjson::kObjectType);
    Value api_key(rapidjson::kObjectType);
    api_key.AddMember("type", "http", a_);
    api_key.AddMember("scheme", "bearer", a_);
    api_key.AddMember("description", "A key from `callmem keys create` (cmk_...).", a_);
    schemes.AddMember("apiKey", api_key, a_);
    components.AddMember("securitySchemes", schemes, a_);
    doc_.AddMember("components", components, a_);

    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    doc_.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
  }

 private:
  Document doc_;
  Document::AllocatorType& a_;
};

}  // namespace

const std::string& openapi_json() {
  static const std::string text = Builder().build();
  return text;
}

}  // namespace callmem::server
