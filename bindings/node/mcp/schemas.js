'use strict';
// The JSON Schemas of docs/schema/ as MCP tools' input schemas: every $ref
// inlined (some MCP clients resolve none), the $id, $schema and $defs dropped
// (an inputSchema is JSON Schema 2020-12 by default), and the deprecated
// legacy fields left out, so that a model sees one way to say each thing.
const fs = require('node:fs');
const path = require('node:path');

// Shipped in the package as schema/ (copied by `npm pack`'s prepack step);
// docs/schema/ itself when running from the repository.
const CANDIDATES = [path.join(__dirname, '..', 'schema'), path.join(__dirname, '..', '..', '..', 'docs', 'schema')];

function schemaDir() {
  const dir = CANDIDATES.find((d) => fs.existsSync(path.join(d, 'common.json')));
  if (!dir) throw new Error(`callmem-mcp: the JSON Schemas are missing (looked in ${CANDIDATES.join(', ')})`);
  return dir;
}

let files = null; // file name -> parsed schema

function load() {
  if (!files) {
    const dir = schemaDir();
    files = {};
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json')))
      files[f] = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  return files;
}

const ANNOTATIONS = new Set(['title', 'description', 'deprecated', 'examples', 'default', '$comment']);

function pointer(doc, fragment, ref) {
  let node = doc;
  for (const part of fragment.replace(/^\//, '').split('/').filter(Boolean)) {
    node = node && node[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (node === undefined) throw new Error(`callmem-mcp: unresolved $ref ${ref}`);
  return node;
}

// A copy of `node` (from file `file`) with every $ref replaced by what it names.
function inline(node, file, stack) {
  if (Array.isArray(node)) return node.map((n) => inline(n, file, stack));
  if (!node || typeof node !== 'object') return node;
  let out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' || k === '$id' || k === '$schema' || k === '$defs') continue;
    // Property names are names, not schemas: their values are schemas still.
    out[k] = inline(v, file, stack);
  }
  if (typeof node.$ref === 'string') {
    const [target, fragment = ''] = node.$ref.split('#');
    const targetFile = target || file;
    const key = `${targetFile}#${fragment}`;
    if (stack.includes(key)) throw new Error(`callmem-mcp: a $ref cycle through ${key}`);
    const doc = load()[targetFile];
    if (!doc) throw new Error(`callmem-mcp: unresolved $ref ${node.$ref} in ${file}`);
    const resolved = inline(pointer(doc, fragment, node.$ref), targetFile, [...stack, key]);
    out = merge(resolved, out);
  }
  return out;
}

// What a $ref names and the keywords beside it, in one schema where that
// means the same: annotations beside it win, properties of different names
// and required lists add up, equal keywords are one. Anything else must hold
// in both, so the two are kept apart under allOf.
function merge(resolved, beside) {
  const merged = { ...resolved };
  for (const [k, v] of Object.entries(beside)) {
    if (ANNOTATIONS.has(k) || !(k in resolved)) {
      merged[k] = v;
    } else if (k === 'properties' && Object.keys(v).every((name) => !(name in resolved.properties))) {
      merged.properties = { ...resolved.properties, ...v };
    } else if (k === 'required') {
      merged.required = [...new Set([...resolved.required, ...v])];
    } else if (JSON.stringify(v) !== JSON.stringify(resolved[k])) {
      return { ...pick(beside, true), allOf: [resolved, pick(beside, false)] };
    }
  }
  // unevaluatedProperties at the root sees the same names as additionalProperties
  // once every branch's properties are the root's, and more clients read the latter.
  if (merged.unevaluatedProperties === false && merged.properties && !merged.allOf && !merged.oneOf &&
      (merged.anyOf || []).every((b) => Object.keys(b.properties || {}).every((n) => n in merged.properties))) {
    delete merged.unevaluatedProperties;
    merged.additionalProperties = false;
  }
  return merged;
}

function pick(obj, annotations) {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => ANNOTATIONS.has(k) === annotations));
}

// Leaves out the root's deprecated properties, and the anyOf branches that
// exist only to admit them.
function withoutDeprecated(schema) {
  const gone = Object.entries(schema.properties || {}).filter(([, s]) => s && s.deprecated).map(([k]) => k);
  if (!gone.length) return schema;
  const out = { ...schema, properties: { ...schema.properties } };
  for (const k of gone) delete out.properties[k];
  if (Array.isArray(out.anyOf)) {
    out.anyOf = out.anyOf.filter((b) => !(b.required || []).some((r) => gone.includes(r)));
    if (out.anyOf.length === 1) {
      out.allOf = [...(out.allOf || []), out.anyOf[0]];
      delete out.anyOf;
    }
  }
  return out;
}

/** The input schema of a tool: docs/schema/<name>.json, self-contained. */
function toolSchema(name, { description } = {}) {
  const file = `${name}.json`;
  const doc = load()[file];
  if (!doc) throw new Error(`callmem-mcp: no schema ${file}`);
  const schema = withoutDeprecated(inline(doc, file, [file]));
  if (description) schema.description = description;
  return schema;
}

module.exports = { toolSchema, schemaDir };
