/*
 * callmem: reading JSON from C. Part of the C ABI.
 *
 * Every answer of callmem is JSON. A C host reads the fields it needs with
 * this small reader instead of a JSON library of its own, and the C++ API
 * (callmem/call_memory.hpp) decodes answers with it, so that the C++ layer
 * needs nothing but libcallmem.so.
 *
 *   callmem_json *doc;
 *   if (callmem_json_parse(&doc, answer) == CALLMEM_OK) {
 *     const char *rec = callmem_json_string(
 *         callmem_json_find(callmem_json_root(doc), "identity.recommendation"), NULL);
 *     ...
 *     callmem_json_free(doc);
 *   }
 *
 * Ownership: a callmem_json owns every value in it; the value pointers and
 * strings it hands out are valid until callmem_json_free() and are never
 * freed by the caller. A document is read-only: any number of threads may
 * read one at once.
 *
 * Every accessor accepts NULL (an absent value) and answers "absent": NULL,
 * 0 or CALLMEM_JSON_ABSENT. So a path of lookups needs one check, at its end.
 *
 * Numbers are read exactly: an integer that fits int64 is kept as one, any
 * other number is the double nearest its text, whatever the C locale.
 */
#ifndef CALLMEM_JSON_H
#define CALLMEM_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "callmem/callmem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A parsed JSON document. */
typedef struct callmem_json callmem_json;
/* A value inside a document. */
typedef struct callmem_json_value callmem_json_value;

/* Value types: explicit values, append only. */
#define CALLMEM_JSON_ABSENT 0 /* a NULL value pointer: no such member or element */
#define CALLMEM_JSON_NULL 1
#define CALLMEM_JSON_BOOL 2
#define CALLMEM_JSON_NUMBER 3
#define CALLMEM_JSON_STRING 4
#define CALLMEM_JSON_ARRAY 5
#define CALLMEM_JSON_OBJECT 6

/*
 * Parses UTF-8 JSON text (NUL-terminated). On success *out receives the
 * document; on failure *out is NULL, the status is CALLMEM_EINVALID (not JSON,
 * with the offset in callmem_last_error()) or CALLMEM_ERROR (out of memory).
 */
CALLMEM_API int callmem_json_parse(callmem_json **out, const char *text);

/* Frees a document and every value in it. NULL is a no-op. */
CALLMEM_API void callmem_json_free(callmem_json *doc);

/* The document's top value. */
CALLMEM_API const callmem_json_value *callmem_json_root(const callmem_json *doc);

/* One of CALLMEM_JSON_*; CALLMEM_JSON_ABSENT for NULL. */
CALLMEM_API int callmem_json_type(const callmem_json_value *v);

/* An object's member by key; NULL when v is not an object or has no such key. */
CALLMEM_API const callmem_json_value *callmem_json_get(const callmem_json_value *v, const char *key);

/*
 * A value by dotted path from v: "identity.recommendation", and a decimal
 * index for an array element: "identity.candidates.0.customer_ref". An
 * object key holding a dot cannot be reached this way (use callmem_json_get).
 * "" is v itself; NULL when any step is missing.
 */
CALLMEM_API const callmem_json_value *callmem_json_find(const callmem_json_value *v, const char *path);

/* The number of elements of an array or members of an object; 0 otherwise. */
CALLMEM_API size_t callmem_json_size(const callmem_json_value *v);

/* The i-th element of an array, or the value of an object's i-th member (in
 * document order); NULL when out of range or v is neither. */
CALLMEM_API const callmem_json_value *callmem_json_at(const callmem_json_value *v, size_t i);

/* The key of an object's i-th member; NULL when out of range or v is no object. */
CALLMEM_API const char *callmem_json_key_at(const callmem_json_value *v, size_t i);

/* A string's UTF-8 bytes, NUL-terminated, its length in *length when length
 * is not NULL (a JSON string may hold "\u0000"); NULL when v is no string. */
CALLMEM_API const char *callmem_json_string(const callmem_json_value *v, size_t *length);

/* A number as a double; 0 when v is no number. */
CALLMEM_API double callmem_json_double(const callmem_json_value *v);

/* An integral number that fits int64; 0 when v is anything else (test with
 * callmem_json_is_int64). */
CALLMEM_API int64_t callmem_json_int64(const callmem_json_value *v);
CALLMEM_API int callmem_json_is_int64(const callmem_json_value *v);

/* 1 for true, 0 for false and anything else. */
CALLMEM_API int callmem_json_bool(const callmem_json_value *v);

/*
 * The compact JSON text of a value (for a variable's value, which may be any
 * JSON). *out is freed with callmem_free(). CALLMEM_EINVALID for NULL v,
 * CALLMEM_ERROR when out of memory (then *out is NULL).
 */
CALLMEM_API int callmem_json_write(const callmem_json_value *v, char **out);

#ifdef __cplusplus
}
#endif

#endif /* CALLMEM_JSON_H */
