// docs/schema/*.json, compiled into the program (cmake/EmbedSchemas.cmake).
#ifndef CALLMEM_SERVER_SCHEMAS_HPP
#define CALLMEM_SERVER_SCHEMAS_HPP

#include <vector>

namespace callmem::server {

struct Schema {
  const char* file;  // "call-start-request.json"
  const char* text;
};
extern const std::vector<Schema> kSchemas;

}  // namespace callmem::server

#endif
