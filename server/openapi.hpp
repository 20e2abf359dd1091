// GET /openapi.json: an OpenAPI 3.1 description of every route of `callmem
// serve`, whose bodies are the JSON Schemas of docs/schema/ (under
// components.schemas, each keeping its $id, so that their relative $refs resolve).
#ifndef CALLMEM_SERVER_OPENAPI_HPP
#define CALLMEM_SERVER_OPENAPI_HPP

#include <string>

namespace callmem::server {

const std::string& openapi_json();

}  // namespace callmem::server

#endif
